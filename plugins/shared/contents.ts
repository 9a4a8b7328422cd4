/**
 * The one place that decides how a file's bytes are read, possibly more than once.
 *
 * Hashing, the ISO and the zip each need a file's bytes. Buffers are simply reused. Files
 * read from disk by our sources carry a `FileContents` stream (file-contents.ts, its identity
 * checks in file-identity.ts), which opens the file lazily on first read and can be re-opened any
 * number of times (the OS page cache serves the re-reads), so the payload is never held in memory
 * (DeferredContents likewise re-open bytes that are still being produced). Any other stream can
 * be read once only; the `materialize` helper turns it into a Buffer for consumers that must
 * re-read it.
 */
import { Readable } from "node:stream";
import type Vinyl from "vinyl";
import { FileContents } from "./file-contents.js";

export { FileContents, setReadHook } from "./file-contents.js";
export { changedError, identityOf, namingPath, type FileIdentity } from "./file-identity.js";

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
