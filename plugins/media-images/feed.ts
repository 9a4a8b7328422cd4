/**
 * One read per file for the whole media build: the SHA-256 for the manifest, the ISO and the zip
 * all get the same bytes, read once from disk.
 *
 * The images are laid out in the same order (package paths, code-point order), so one ordered
 * reader serves both: whoever first needs a chunk of a file (the ISO, the zip, or the prefetcher
 * that runs ahead of them) reads it through the file's one handle; the chunk is hashed and kept
 * until both images have taken it. Kept chunks are bounded (BUDGET bytes): a reader that would
 * exceed it waits for an image to take its chunks, unless that image has not taken anything for
 * STALL_MS (it is not being consumed yet, e.g. gulp.dest writes one output after the other): its
 * chunks are then dropped and it reads them again itself when it gets there. Such a second read
 * goes through the same identity checks (FileContents.openChecked) and must give the same CRC-32
 * as the first, so the bytes in an image are always the bytes hashed. Nothing ever waits for a
 * consumer forever, so no arrangement of consumers can deadlock; outputs do not depend on timing.
 *
 * Only plain FileContents (files on disk listed by our sources) are served; Buffers, streams and
 * image extents are read by each writer as before.
 */
import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import zlib from "node:zlib";
import type Vinyl from "vinyl";
import { changedError, FileContents, namingPath, type SharedReader } from "../shared/contents.js";
import type { FileHash } from "../manifest/index.js";

/** Files up to this size are one chunk (the zip deflates them in one job, the ISO writes them in one go). */
const WHOLE = 4 * 1024 * 1024;
/** Larger files are read in chunks of this size. */
const CHUNK = 1024 * 1024;
/** Bytes of chunks kept for an image that has not taken them yet. */
const BUDGET = 8 * 1024 * 1024;
/** An image that has taken nothing for this long is not waited for. */
const STALL_MS = 1000;
/** An image that has moved this many files past a kept chunk will not take it (it skipped the file). */
const PASSED = 32;

export const CONSUMERS = { iso: 1, zip: 2 } as const;
const ALL = CONSUMERS.iso | CONSUMERS.zip;

interface Chunk {
  file: Fed;
  offset: number;
  length: number;
  /** CRC-32 of the bytes, set when they are dropped before every image took them. */
  crc: number;
  /** The bytes while some image still needs them. */
  buf: Buffer | undefined;
  /** Images (CONSUMERS bits) that have not taken it yet. */
  pending: number;
}

interface Fed {
  index: number;
  contents: FileContents;
  size: number;
  count: number;
  chunks: Chunk[];
  handle: FileHandle | undefined;
  reading: Promise<void> | undefined;
  /** Made at the first chunk, dropped at the digest: 50,000 files do not hold 50,000 hash states. */
  hash: Hash | undefined;
  digest: Promise<FileHash>;
  settle: { resolve(h: FileHash): void; reject(e: unknown): void };
  error: unknown;
  wanted: boolean;
}

export class MediaFeed {
  readonly #files = new Map<object, Fed>();
  readonly #order: Fed[] = [];
  /** Chunks holding bytes, oldest first. */
  readonly #kept = new Set<Chunk>();
  #keptBytes = 0;
  readonly #lastTake = new Map<number, number>();
  #wakers: Array<() => void> = [];
  /** Images waiting for the manifest (each reads it once). */
  #parked = 0;
  #closed = false;
  #prefetching = false;

  /** `wanted`: whether the prefetcher reads a file (its hash is needed; a file the cache knows is read only if an image asks). */
  constructor(files: Vinyl[], wanted: (file: Vinyl) => boolean = () => true) {
    const now = Date.now();
    for (const bit of [CONSUMERS.iso, CONSUMERS.zip]) this.#lastTake.set(bit, now);
    for (const file of files) {
      const contents = file.contents;
      // Exactly FileContents: subclasses (image extents) read their bytes another way.
      if (!(contents instanceof FileContents) || contents.constructor !== FileContents || this.#files.has(contents)) continue;
      const size = contents.expectedSize ?? file.stat?.size;
      if (typeof size !== "number") continue;
      let settle!: Fed["settle"];
      const digest = new Promise<FileHash>((resolve, reject) => (settle = { resolve, reject }));
      digest.catch(() => undefined); // observed by the manifest
      const fed: Fed = {
        index: this.#order.length,
        contents,
        size,
        count: size <= WHOLE ? 1 : Math.ceil(size / CHUNK),
        chunks: [],
        handle: undefined,
        reading: undefined,
        hash: undefined,
        digest,
        settle,
        error: undefined,
        wanted: wanted(file),
      };
      this.#files.set(contents, fed);
      this.#order.push(fed);
    }
  }

  /** The file's SHA-256 once it has been read (by whichever reader), or undefined if not served here. */
  hashOf(file: Vinyl): Promise<FileHash> | undefined {
    const fed = this.#fed(file);
    if (fed && !fed.wanted) {
      // Not expected to be needed (the cache knew it), but asked for after all: read it now.
      fed.wanted = true;
      this.#drive(fed).catch(() => undefined);
    }
    return fed?.digest;
  }

  /** What one image reads through. */
  reader(consumer: number): SharedReader {
    return {
      serves: (file) => this.#fed(file) !== undefined,
      chunks: (file) => {
        const fed = this.#fed(file);
        return fed && this.#chunks(consumer, fed);
      },
      whole: (file) => {
        const fed = this.#fed(file);
        if (!fed) return undefined;
        return (async () => {
          const parts: Buffer[] = [];
          for await (const part of this.#chunks(consumer, fed)) parts.push(part);
          return parts.length === 1 ? parts[0]! : Buffer.concat(parts, fed.size);
        })();
      },
    };
  }

  /**
   * Read ahead of the images, in order, every file nobody has started (bounded by BUDGET), so
   * reads overlap compression and every hash gets done even when the images wait for the manifest.
   */
  prefetch(): void {
    if (this.#prefetching) return;
    this.#prefetching = true;
    (async () => {
      for (const fed of this.#order) {
        if (fed.wanted) await this.#drive(fed);
        if (this.#closed) return;
      }
    })().catch(() => undefined); // every error is the file's, raised to its readers and the manifest
  }

  /** Read the rest of one file (its chunks kept for the images, within BUDGET). */
  async #drive(fed: Fed): Promise<void> {
    while (!this.#closed && fed.error === undefined && fed.chunks.length < fed.count) await this.#readNext(fed);
  }

  /**
   * An image waits for the manifest, i.e. for every hash. Once both do, reading on must not wait
   * for them (they take nothing until every file is hashed).
   */
  park(): void {
    this.#parked++;
    this.#wake();
    this.prefetch();
  }

  /** Stop (the build failed or was aborted): nothing more is read; open handles are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    for (const chunk of this.#kept) chunk.buf = undefined;
    this.#kept.clear();
    this.#keptBytes = 0;
    await Promise.all(
      this.#order.map(async (fed) => {
        await fed.reading?.catch(() => undefined);
        const handle = fed.handle;
        fed.handle = undefined;
        await handle?.close().catch(() => undefined);
      }),
    );
  }

  #fed(file: Vinyl): Fed | undefined {
    const contents = file.contents;
    return contents !== null && typeof contents === "object" ? this.#files.get(contents) : undefined;
  }

  async *#chunks(consumer: number, fed: Fed): AsyncGenerator<Buffer> {
    this.#passed(consumer, fed.index);
    for (let i = 0; i < fed.count; i++) {
      while (fed.chunks.length <= i) {
        if (fed.error !== undefined) throw fed.error;
        if (this.#closed) throw new Error("the build was stopped");
        await this.#readNext(fed);
      }
      const chunk = fed.chunks[i]!;
      this.#lastTake.set(consumer, Date.now());
      if (chunk.buf && chunk.pending & consumer) {
        const buf = chunk.buf;
        chunk.pending &= ~consumer;
        if (chunk.pending === 0) this.#drop(chunk);
        yield buf;
      } else {
        yield await this.#reread(chunk);
      }
    }
  }

  /** Read the file's next chunk (one read at a time per file; callers loop until theirs is there). */
  #readNext(fed: Fed): Promise<void> {
    fed.reading ??= this.#read(fed).finally(() => (fed.reading = undefined));
    return fed.reading;
  }

  async #read(fed: Fed): Promise<void> {
    if (fed.error !== undefined || fed.chunks.length >= fed.count) return;
    try {
      const offset = fed.chunks.length * CHUNK;
      const length = fed.count === 1 ? fed.size : Math.min(CHUNK, fed.size - offset);
      const keep = await this.#room(length);
      if (this.#closed) return;
      fed.handle ??= await fed.contents.openChecked();
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fed.handle.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const last = fed.chunks.length === fed.count - 1;
      if (got < length || last) {
        const handle = fed.handle;
        fed.handle = undefined;
        await fed.contents.closeChecked(handle, offset + got); // a short read: says how the file changed
        if (got < length) throw changedError(fed.contents.sourcePath, `read ${offset + got} of its ${fed.size} bytes`);
      }
      (fed.hash ??= createHash("sha256")).update(buf);
      const chunk: Chunk = { file: fed, offset, length, crc: 0, buf: undefined, pending: 0 };
      if (keep) {
        chunk.buf = buf;
        chunk.pending = ALL;
        this.#kept.add(chunk);
        this.#keptBytes += length;
      } else {
        chunk.crc = zlib.crc32(buf);
      }
      fed.chunks.push(chunk);
      if (last) {
        fed.settle.resolve({ sha256: fed.hash.digest("hex"), size: fed.size });
        fed.hash = undefined;
      }
    } catch (e) {
      const err = namingPath(e, fed.contents.sourcePath);
      fed.error = err;
      fed.hash = undefined;
      fed.settle.reject(err);
      const handle = fed.handle;
      fed.handle = undefined;
      await handle?.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Wait until `length` more bytes may be kept. Chunks only stalled images still need are dropped
   * first. Once the images are parked (waiting for the manifest), nothing waits: false means "do
   * not keep this chunk" (the images read it again when they get there).
   */
  async #room(length: number): Promise<boolean> {
    for (;;) {
      if (this.#closed || this.#keptBytes + length <= BUDGET || this.#kept.size === 0) return true;
      const now = Date.now();
      const live = [CONSUMERS.iso, CONSUMERS.zip].filter((c) => now - this.#lastTake.get(c)! < STALL_MS).reduce((a, c) => a | c, 0);
      for (const chunk of this.#kept) {
        if (this.#keptBytes + length <= BUDGET) break;
        if ((chunk.pending & live) === 0) this.#drop(chunk);
      }
      if (this.#keptBytes + length <= BUDGET) return true;
      if (this.#parked >= 2) return false;
      // A requester (an image needing this chunk now) waits like the prefetcher: the other image
      // takes the kept chunks soon, or stalls and loses them.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STALL_MS);
        timer.unref?.();
        this.#wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The chunk again, from disk: the same file (identity) and the same bytes (CRC-32) as the first read. */
  async #reread(chunk: Chunk): Promise<Buffer> {
    try {
      return await this.#readAgain(chunk);
    } catch (err) {
      throw namingPath(err, chunk.file.contents.sourcePath);
    }
  }

  async #readAgain(chunk: Chunk): Promise<Buffer> {
    const contents = chunk.file.contents;
    const handle = await contents.openChecked();
    let closed = false;
    try {
      const buf = Buffer.allocUnsafe(chunk.length);
      let got = 0;
      while (got < chunk.length) {
        const { bytesRead } = await handle.read(buf, got, chunk.length - got, chunk.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      closed = true;
      await contents.closeChecked(handle);
      if (got < chunk.length || zlib.crc32(buf) !== chunk.crc) throw changedError(contents.sourcePath, `its bytes at ${chunk.offset} differ from the first read`);
      return buf;
    } finally {
      if (!closed) await handle.close().catch(() => undefined);
    }
  }

  /** An image started file `index`: it skipped (will not take) kept chunks of files well before it. */
  #passed(consumer: number, index: number): void {
    for (const chunk of this.#kept) {
      if (chunk.file.index >= index - PASSED) break;
      chunk.pending &= ~consumer;
      if (chunk.pending === 0) this.#drop(chunk);
    }
  }

  #drop(chunk: Chunk): void {
    if (!this.#kept.delete(chunk)) return;
    // Some image may still read it again: remember what it must find (only then is a CRC needed).
    if (chunk.pending !== 0) chunk.crc = zlib.crc32(chunk.buf!);
    chunk.buf = undefined;
    this.#keptBytes -= chunk.length;
    this.#wake();
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const w of wakers) w();
  }
}
