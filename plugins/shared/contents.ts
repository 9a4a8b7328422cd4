/**
 * The one place that decides how a file's bytes are read, possibly more than once.
 *
 * Hashing, the ISO and the zip each need a file's bytes. Buffers are simply reused. Files
 * read from disk by our sources carry a `FileContents` stream, which opens the file lazily on
 * first read and can be re-opened any number of times (the OS page cache serves the re-reads),
 * so the payload is never held in memory (DeferredContents likewise re-open bytes that are still
 * being produced). Any other stream can be read once only; the
 * `materialize` helper turns it into a Buffer for consumers that must re-read it.
 */
import type { BigIntStats, Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import type Vinyl from "vinyl";

const CHUNK = 64 * 1024;

/** Test-only: called after a file is opened for reading, before its bytes are read. */
let readHook: ((sourcePath: string) => void | Promise<void>) | undefined;
export function setReadHook(hook: typeof readHook): void {
  readHook = hook;
}
async function opened(sourcePath: string): Promise<void> {
  await readHook?.(sourcePath);
}

/** What one look at a file saw (a bigint stat): equal identities, same file with the same bytes. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export function identityOf(st: BigIntStats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** Milliseconds as Node's plain Stats computes them (sec * 1e3 + nsec / 1e6), from nanoseconds. */
function msOf(ns: bigint): number {
  const sec = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  return Number(sec) * 1e3 + Number(ns - sec * 1_000_000_000n) / 1e6;
}

/** Why `now` is not the file `then` was, or undefined when it is. */
function difference(then: FileIdentity, now: FileIdentity): string | undefined {
  if (then.dev !== now.dev || then.ino !== now.ino) return "replaced by another file";
  if (then.size !== now.size) return `its size went from ${then.size} to ${now.size} bytes`;
  if (then.mtimeNs !== now.mtimeNs || then.ctimeNs !== now.ctimeNs) return "modified (its mtime or ctime moved)";
  return undefined;
}

/** The same, against the listing's plain Stats (millisecond floats: compared exactly as Node computes them). */
function differenceFromListing(listed: Stats, now: FileIdentity): string | undefined {
  if (listed.dev !== Number(now.dev) || listed.ino !== Number(now.ino)) return "replaced by another file since it was listed";
  if (BigInt(listed.size) !== now.size) return `its size went from ${listed.size} to ${now.size} bytes since it was listed`;
  if (listed.mtimeMs !== msOf(now.mtimeNs) || listed.ctimeMs !== msOf(now.ctimeNs)) return "modified since it was listed";
  return undefined;
}

/**
 * The looks at one file, shared by every reader of it (reopen() copies share it): the first
 * identity recorded (at the listing, by BuildCache.identify(), or at the first open) is what
 * every later look must see again.
 */
class Looks {
  first: FileIdentity | undefined;
  constructor(readonly listed: Stats | undefined) {}
}

/** A lazily opened, re-openable read stream over one file on disk. */
export class FileContents extends Readable {
  readonly sourcePath: string;
  readonly expectedSize: number | undefined;
  readonly #looks: Looks;
  #handle: FileHandle | undefined;
  #position = 0;

  /** `listed`: the stat of the listing (its identity is checked at the first open). */
  constructor(sourcePath: string, expectedSize?: number, listed?: Stats | Looks) {
    super({ highWaterMark: CHUNK });
    this.sourcePath = sourcePath;
    this.expectedSize = expectedSize;
    this.#looks = listed instanceof Looks ? listed : new Looks(listed);
  }

  /** The identity every read must see (undefined before the first look). */
  get identity(): FileIdentity | undefined {
    return this.#looks.first;
  }

  /**
   * Record a first look taken elsewhere (BuildCache.identify's lstat). False when it contradicts
   * the listing or an earlier look: the file changed, and the next read will say so.
   */
  recordLook(st: BigIntStats): boolean {
    const now = identityOf(st);
    const looks = this.#looks;
    if (looks.first) return difference(looks.first, now) === undefined;
    if (looks.listed && differenceFromListing(looks.listed, now) !== undefined) return false;
    looks.first = now;
    return true;
  }

  /**
   * Open the file for reading and check that it is the file first looked at (the first open
   * records the look). Every reader of a FileContents goes through here and closeChecked().
   */
  async openChecked(): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(this.sourcePath, "r");
    } catch (err) {
      // Gone since it was listed (or since the last read of it).
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && (this.#looks.first ?? this.#looks.listed)) throw changedError(this.sourcePath, "deleted");
      throw err;
    }
    try {
      const st = await handle.stat({ bigint: true });
      // Not a regular file any more (a folder): the read fails with the OS's own error.
      if (st.isFile()) this.#check(identityOf(st), false);
      await opened(this.sourcePath);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return handle;
  }

  /**
   * The last look, after reading through `handle` (all of it: `bytesRead`, checked against the
   * size): still the same file? Closes the handle.
   */
  async closeChecked(handle: FileHandle, bytesRead?: number): Promise<void> {
    try {
      const st = await handle.stat({ bigint: true });
      if (st.nlink === 0n) throw changedError(this.sourcePath, "deleted");
      this.#check(identityOf(st), true);
      if (bytesRead !== undefined && BigInt(bytesRead) !== st.size) throw changedError(this.sourcePath, `read ${bytesRead} of its ${st.size} bytes`);
    } finally {
      await handle.close();
    }
  }

  #check(now: FileIdentity, last: boolean): void {
    const looks = this.#looks;
    if (this.expectedSize !== undefined && now.size !== BigInt(this.expectedSize)) {
      throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, now ${now.size}`);
    }
    if (looks.first) {
      const why = difference(looks.first, now);
      if (why) throw changedError(this.sourcePath, last ? `${why} while it was read` : why);
      return;
    }
    const why = looks.listed && differenceFromListing(looks.listed, now);
    if (why) throw changedError(this.sourcePath, why);
    looks.first = now;
  }

  /**
   * Hand every chunk of the file to `onChunk`, reading into one reused buffer: no garbage, so
   * hashing a big payload does not pile up dead buffers between garbage collections. `onChunk`
   * must be done with the chunk when it returns (hash.update is). Checks the file's identity.
   */
  async forEachChunk(onChunk: (chunk: Buffer) => void): Promise<number> {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let total = 0;
    try {
      const handle = await this.openChecked();
      let closed = false;
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, total);
          if (bytesRead === 0) break;
          total += bytesRead;
          if (this.expectedSize !== undefined && total > this.expectedSize) throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, read ${total}+`);
          onChunk(buf.subarray(0, bytesRead));
        }
        closed = true;
        await this.closeChecked(handle, total);
      } finally {
        if (!closed) await handle.close();
      }
    } catch (err) {
      throw namingPath(err, this.sourcePath);
    }
    return total;
  }

  /** A fresh stream over the same file, starting at byte 0. */
  reopen(): FileContents {
    return new FileContents(this.sourcePath, this.expectedSize, this.#looks);
  }

  /** All bytes in one buffer, read in place (no per-chunk buffers); checks the listed size. */
  async readAll(): Promise<Buffer> {
    try {
      return await this.#readAll();
    } catch (err) {
      throw namingPath(err, this.sourcePath);
    }
  }

  async #readAll(): Promise<Buffer> {
    const handle = await this.openChecked();
    let closed = false;
    try {
      const size = this.expectedSize ?? Number((await handle.stat({ bigint: true })).size);
      const buf = Buffer.allocUnsafe(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await handle.read(buf, offset, size - offset, offset);
        if (bytesRead === 0) break; // shorter now: closeChecked says how
        offset += bytesRead;
      }
      closed = true;
      await this.closeChecked(handle, offset);
      return buf;
    } finally {
      if (!closed) await handle.close();
    }
  }

  override _read(size: number): void {
    this.#readChunk(Math.max(size, CHUNK)).catch((err: unknown) => this.destroy(namingPath(err, this.sourcePath)));
  }

  async #readChunk(size: number): Promise<void> {
    this.#handle ??= await this.openChecked();
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.#handle.read(buf, 0, size, this.#position);
    this.#position += bytesRead;
    if (bytesRead > 0) {
      if (this.expectedSize !== undefined && this.#position > this.expectedSize) {
        throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, read ${this.#position}+`);
      }
      this.push(bytesRead === size ? buf : buf.subarray(0, bytesRead));
      return;
    }
    const handle = this.#handle;
    this.#handle = undefined;
    await this.closeChecked(handle, this.#position);
    this.push(null);
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await handle.close();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#close().then(() => cb(err), (closeErr: unknown) => cb(err ?? (closeErr as Error)));
  }
}

/**
 * An I/O error that names the file: a read can fail with no path in the message ("EISDIR:
 * illegal operation on a directory, read" when the file became a folder after the listing).
 */
export function namingPath(err: unknown, path: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== "string" || e.path !== undefined || e.message.includes(path)) return e as Error;
  const named = new Error(`cannot read ${path}: ${e.message}`) as NodeJS.ErrnoException;
  named.code = e.code;
  named.path = path;
  return named;
}

/** The one error for a file that is not what it was when first looked at. */
export function changedError(path: string, how: string): Error {
  const err = new Error(`changed while being packaged: ${path} (${how}); nothing was written, re-run the build`);
  (err as NodeJS.ErrnoException).code = "EFILECHANGED";
  return err;
}

/**
 * Re-openable contents whose bytes are produced later (e.g. a manifest still being hashed):
 * each stream waits for the promise, then yields the bytes. The size must be known up front
 * and set as the vinyl's stat.size.
 */
export class DeferredContents extends Readable {
  readonly bytes: Promise<Buffer>;
  #started = false;

  readonly #onDemand: (() => void) | undefined;

  /** `onDemand`: told when a reader starts waiting for the bytes. */
  constructor(bytes: Promise<Buffer>, onDemand?: () => void) {
    super();
    this.bytes = bytes;
    this.#onDemand = onDemand;
  }

  reopen(): DeferredContents {
    return new DeferredContents(this.bytes, this.#onDemand);
  }

  override _read(): void {
    if (this.#started) return;
    this.#started = true;
    this.#onDemand?.();
    this.bytes.then(
      (buf) => {
        if (buf.length) this.push(buf);
        this.push(null);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}

/**
 * Bytes read once and shared by several writers (see media-images/feed.ts): a writer given one
 * asks it first, and reads the file itself when it answers undefined (a file it does not serve).
 */
export interface SharedReader {
  serves(file: Vinyl): boolean;
  /** The file's bytes, in order. */
  chunks(file: Vinyl): AsyncIterable<Buffer> | undefined;
  /** All of them in one Buffer. */
  whole(file: Vinyl): Promise<Buffer> | undefined;
}

/** Contents that hand out a fresh stream on demand. */
interface Reopenable {
  reopen(): Readable;
}

function reopenable(contents: unknown): contents is Reopenable {
  return contents instanceof FileContents || contents instanceof DeferredContents;
}

const consumed = new WeakSet<object>();

/** A fresh readable stream of the file's bytes. Foreign streams can be opened only once. */
export function openContents(file: Vinyl): Readable {
  const contents = file.contents;
  if (Buffer.isBuffer(contents)) return Readable.from(contents.length ? [contents] : [], { objectMode: false });
  if (reopenable(contents)) return contents.reopen();
  if (contents && typeof (contents as NodeJS.ReadableStream).pipe === "function") {
    if (consumed.has(contents)) {
      throw new Error(`the contents stream of ${file.relative} was already read; materialize() it first`);
    }
    consumed.add(contents);
    if (contents instanceof Readable) return contents;
    // Read by its events: gulp 4's readable-stream clones are not async-iterable, and iterating
    // gulp 5's streamx Composer (buffer: false) never ends.
    return new Readable({ objectMode: false }).wrap(contents as NodeJS.ReadableStream);
  }
  throw new Error(`${file.relative} has no contents`);
}

/** True when the bytes can be read again without buffering them (Buffer or FileContents). */
export function isReopenable(file: Vinyl): boolean {
  return Buffer.isBuffer(file.contents) || reopenable(file.contents);
}

/** Size in bytes: the Buffer's length, or `file.stat.size` for streams. */
export function contentSize(file: Vinyl): number {
  if (Buffer.isBuffer(file.contents)) return file.contents.length;
  const size = file.stat?.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new Error(`${file.relative} has stream contents but no file.stat.size`);
  }
  return size;
}

/** Read all bytes into a Buffer (for small files such as INFs, or to make a foreign stream re-readable). */
export async function readAllContents(file: Vinyl, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  if (Buffer.isBuffer(file.contents)) return file.contents;
  if (file.contents instanceof FileContents && (file.contents.expectedSize ?? 0) <= maxBytes) return file.contents.readAll();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of openContents(file)) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > maxBytes) throw new Error(`${file.relative} is larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

/** Make the file re-readable: foreign streams are replaced by a Buffer of their bytes. */
export async function materialize(file: Vinyl): Promise<void> {
  if (isReopenable(file) || file.isNull()) return;
  file.contents = await readAllContents(file);
}
