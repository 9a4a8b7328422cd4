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
import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import type Vinyl from "vinyl";

const CHUNK = 64 * 1024;

/** A lazily opened, re-openable read stream over one file on disk. */
export class FileContents extends Readable {
  readonly sourcePath: string;
  readonly expectedSize: number | undefined;
  #handle: FileHandle | undefined;
  #position = 0;

  constructor(sourcePath: string, expectedSize?: number) {
    super({ highWaterMark: CHUNK });
    this.sourcePath = sourcePath;
    this.expectedSize = expectedSize;
  }

  /**
   * Hand every chunk of the file to `onChunk`, reading into one reused buffer: no garbage, so
   * hashing a big payload does not pile up dead buffers between garbage collections. `onChunk`
   * must be done with the chunk when it returns (hash.update is). Checks the listed size.
   */
  async forEachChunk(onChunk: (chunk: Buffer) => void): Promise<number> {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let total = 0;
    try {
      const handle = await open(this.sourcePath, "r");
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, total);
          if (bytesRead === 0) break;
          total += bytesRead;
          if (this.expectedSize !== undefined && total > this.expectedSize) throw changedError(this.sourcePath, this.expectedSize, total);
          onChunk(buf.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw namingPath(err, this.sourcePath);
    }
    if (this.expectedSize !== undefined && total !== this.expectedSize) throw changedError(this.sourcePath, this.expectedSize, total);
    return total;
  }

  /** A fresh stream over the same file, starting at byte 0. */
  reopen(): FileContents {
    return new FileContents(this.sourcePath, this.expectedSize);
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
    const handle = await open(this.sourcePath, "r");
    try {
      const size = this.expectedSize ?? (await handle.stat()).size;
      const buf = Buffer.allocUnsafe(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await handle.read(buf, offset, size - offset, offset);
        if (bytesRead === 0) throw changedError(this.sourcePath, size, offset);
        offset += bytesRead;
      }
      const { bytesRead: extra } = await handle.read(Buffer.alloc(1), 0, 1, size);
      if (extra > 0) throw changedError(this.sourcePath, size, size + 1);
      return buf;
    } finally {
      await handle.close();
    }
  }

  override _read(size: number): void {
    this.#readChunk(Math.max(size, CHUNK)).catch((err: unknown) => this.destroy(namingPath(err, this.sourcePath)));
  }

  async #readChunk(size: number): Promise<void> {
    this.#handle ??= await open(this.sourcePath, "r");
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.#handle.read(buf, 0, size, this.#position);
    this.#position += bytesRead;
    if (bytesRead > 0) {
      if (this.expectedSize !== undefined && this.#position > this.expectedSize) {
        throw changedError(this.sourcePath, this.expectedSize, this.#position);
      }
      this.push(bytesRead === size ? buf : buf.subarray(0, bytesRead));
      return;
    }
    await this.#close();
    if (this.expectedSize !== undefined && this.#position !== this.expectedSize) {
      throw changedError(this.sourcePath, this.expectedSize, this.#position);
    }
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
function namingPath(err: unknown, path: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== "string" || e.path !== undefined || e.message.includes(path)) return e as Error;
  const named = new Error(`cannot read ${path}: ${e.message}`) as NodeJS.ErrnoException;
  named.code = e.code;
  named.path = path;
  return named;
}

function changedError(path: string, expected: number, got: number): Error {
  const err = new Error(
    `file changed while it was being packaged: ${path} (listed with ${expected} bytes, read ${got}${got > expected ? "+" : ""}); re-run the build`,
  );
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

  constructor(bytes: Promise<Buffer>) {
    super();
    this.bytes = bytes;
  }

  reopen(): DeferredContents {
    return new DeferredContents(this.bytes);
  }

  override _read(): void {
    if (this.#started) return;
    this.#started = true;
    this.bytes.then(
      (buf) => {
        if (buf.length) this.push(buf);
        this.push(null);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
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
    return contents instanceof Readable ? contents : Readable.from(contents as AsyncIterable<Buffer>);
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
