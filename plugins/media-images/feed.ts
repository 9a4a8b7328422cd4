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
 * image extents are read by each writer as before. The files' and chunks' data is chunks.ts, the
 * bound on kept chunks budget.ts.
 */
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import type Vinyl from "vinyl";
import { changedError, FileContents, namingPath, type SharedReader } from "../shared/contents.js";
import type { FileHash } from "../manifest/index.js";
import type { SharedReads } from "../shared/shared-reads.js";
import { ChunkBudget } from "./budget.js";
import { CHUNK, newFed, readAt, rereadChunk, type Chunk, type Fed } from "./chunks.js";

export { CONSUMERS } from "./chunks.js";

export class MediaFeed {
  readonly #files = new Map<object, Fed>();
  readonly #order: Fed[] = [];
  readonly #budget = new ChunkBudget(() => this.#closed);
  #closed = false;
  #prefetching = false;
  readonly #share: SharedReads | undefined;

  /**
   * `wanted`: whether the prefetcher reads a file (its hash is needed; a file the cache knows is
   * read only if an image asks). `share`: the wanted files' bytes are handed to its followers too.
   */
  constructor(files: Vinyl[], wanted: (file: Vinyl) => boolean = () => true, share?: SharedReads) {
    this.#share = share;
    for (const file of files) {
      const contents = file.contents;
      // Exactly FileContents: subclasses (image extents) read their bytes another way.
      if (!(contents instanceof FileContents) || contents.constructor !== FileContents || this.#files.has(contents)) continue;
      const size = contents.expectedSize ?? file.stat?.size;
      if (typeof size !== "number") continue;
      const fed = newFed(this.#order.length, contents, size, wanted(file));
      this.#files.set(contents, fed);
      this.#order.push(fed);
    }
    share?.offer(this.#order.filter((f) => f.wanted).map((f) => f.contents));
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
   * Read ahead of the images, in order, every file nobody has started (bounded by the budget), so
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

  /** Read the rest of one file (its chunks kept for the images, within the budget). */
  async #drive(fed: Fed): Promise<void> {
    while (!this.#closed && fed.error === undefined && fed.chunks.length < fed.count) await this.#readNext(fed);
  }

  /**
   * An image waits for the manifest, i.e. for every hash. Once both do, reading on must not wait
   * for them (they take nothing until every file is hashed).
   */
  park(): void {
    this.#budget.park();
    this.prefetch();
  }

  /** Stop (the build failed or was aborted): nothing more is read; open handles are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#share?.close();
    this.#budget.wake();
    this.#budget.clear();
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
    this.#budget.passed(consumer, fed.index);
    for (let i = 0; i < fed.count; i++) {
      while (fed.chunks.length <= i) {
        if (fed.error !== undefined) throw fed.error;
        if (this.#closed) throw new Error("the build was stopped");
        await this.#readNext(fed);
      }
      const chunk = fed.chunks[i]!;
      yield this.#budget.take(chunk, consumer) ?? (await rereadChunk(chunk));
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
      if (offset === 0) await this.#share?.beforeRead(fed.contents); // a follower may still ask for it
      const keep = await this.#budget.room(length);
      if (this.#closed) return;
      fed.handle ??= await fed.contents.openChecked();
      const buf = Buffer.allocUnsafe(length);
      const got = await readAt(fed.handle, buf, offset);
      const last = fed.chunks.length === fed.count - 1;
      if (got < length || last) {
        const handle = fed.handle;
        fed.handle = undefined;
        await fed.contents.closeChecked(handle, offset + got); // a short read: says how the file changed
        if (got < length) throw changedError(fed.contents.sourcePath, `read ${offset + got} of its ${fed.size} bytes`);
      }
      (fed.hash ??= createHash("sha256")).update(buf);
      this.#share?.chunk(fed.contents, offset, buf);
      if (last) this.#share?.end(fed.contents, true, fed.size);
      const chunk: Chunk = { file: fed, offset, length, crc: 0, buf: undefined, pending: 0 };
      if (keep) this.#budget.keep(chunk, buf);
      else chunk.crc = zlib.crc32(buf);
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
      this.#share?.end(fed.contents, false, fed.size);
      const handle = fed.handle;
      fed.handle = undefined;
      await handle?.close().catch(() => undefined);
      throw err;
    }
  }
}
