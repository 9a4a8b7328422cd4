/**
 * Compressing a zip's file entries for assemble.ts: raw deflate with CRC and byte count, small
 * entries in one thread-pool job, large ones streamed; remembered entries taken from the cache;
 * and the queue that runs compression ahead of the writer, bounded in entries and bytes.
 */
import { PassThrough, Readable, Transform, pipeline } from "node:stream";
import zlib from "node:zlib";
import type { AssembleOptions, CachedZipEntry, ZipEntryInput, ZipRecordSummary } from "./assemble.js";

export interface Compressed {
  /** The compressed bytes, as a stream (large entries) or one Buffer once done (small ones). */
  data: Readable | Promise<Buffer>;
  result: Promise<{ crc: number; size: number }>;
}

/** Entries up to this size are read whole and deflated in one thread-pool job (far fewer hops). */
const WHOLE_ENTRY_MAX = 4 * 1024 * 1024;

/** One thread-pool job per entry: an output buffer big enough for the whole result. */
const deflateRawAsync = (input: Buffer, level: number) =>
  new Promise<Buffer>((resolve, reject) =>
    zlib.deflateRaw(input, { level, chunkSize: input.length + 64 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );

/** Start compressing one file: CRC and byte count over the input, raw deflate. */
function compress(entry: ZipEntryInput, options: AssembleOptions): Compressed {
  return entry.size <= WHOLE_ENTRY_MAX ? compressWhole(entry, options) : compressStreaming(entry, options);
}

function compressWhole(entry: ZipEntryInput, options: AssembleOptions): Compressed {
  const read = (async () => {
    if (entry.read) {
      const input = await entry.read();
      if (input.length !== entry.size) throw new Error(`${entry.name}: expected ${entry.size} bytes, read ${input.length}`);
      options.onBytes?.(input.length);
      return input;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry.open!()) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > entry.size) break;
    }
    if (size !== entry.size) throw new Error(`${entry.name}: expected ${entry.size} bytes, read ${size}${size > entry.size ? "+" : ""}`);
    options.onBytes?.(size);
    return Buffer.concat(chunks, size);
  })();
  const data = read.then((input) => deflateRawAsync(input, options.level));
  const result = read.then((input) => ({ crc: zlib.crc32(input), size: input.length }));
  data.catch(() => undefined); // observed when the entry's turn comes
  result.catch(() => undefined);
  return { data, result };
}

function compressStreaming(entry: ZipEntryInput, options: AssembleOptions): Compressed {
  let crc = 0;
  let size = 0;
  const source = entry.open!();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      options.onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  const deflate = zlib.createDeflateRaw({ level: options.level, chunkSize: 256 * 1024 });
  const data = new PassThrough({ highWaterMark: 1024 * 1024 });
  const result = new Promise<{ crc: number; size: number }>((resolve, reject) => {
    pipeline(source, tap, deflate, data, (err) => {
      if (err) reject(err);
      else if (size !== entry.size) reject(new Error(`${entry.name}: expected ${entry.size} bytes, read ${size}`));
      else resolve({ crc, size });
    });
  });
  result.catch(() => undefined); // observed when the entry's turn comes
  return { data, result };
}

/** A remembered entry for this file at this level, when its size still matches. */
function cachedEntry(e: ZipEntryInput, options: AssembleOptions): CachedZipEntry | undefined {
  if (e.cacheKey === undefined || !options.cache) return undefined;
  const hit = options.cache.getZipEntry(e.cacheKey, options.level);
  return hit && hit.level === options.level && hit.size === e.size ? hit : undefined;
}

/**
 * Compression started ahead of the writer: up to `parallel` entries at once, at most a few
 * entries and `aheadBytes` input bytes past the one being written (`current`). Entries the cache
 * holds are looked up instead; reused entries and directories are skipped.
 */
export class CompressionQueue {
  /** The entry being written; set by the writer before each entry. */
  current = 0;
  readonly #entries: ZipEntryInput[];
  readonly #reuse: ReadonlyMap<number, ZipRecordSummary>;
  readonly #options: AssembleOptions;
  readonly #parallel: number;
  readonly #maxAheadEntries: number;
  readonly #maxAheadBytes: number;
  readonly #jobs = new Map<number, Compressed>();
  readonly #hits = new Map<number, CachedZipEntry>();
  #next = 0; // next entry to start compressing
  #running = 0; // jobs still compressing
  #aheadBytes = 0; // input bytes of started entries not yet written

  constructor(entries: ZipEntryInput[], reuse: ReadonlyMap<number, ZipRecordSummary>, options: AssembleOptions) {
    this.#entries = entries;
    this.#reuse = reuse;
    this.#options = options;
    this.#parallel = Math.max(1, options.parallel ?? 2);
    // How far compression may run ahead of the writer: a few entries, bounded in bytes.
    this.#maxAheadEntries = this.#parallel * 4;
    this.#maxAheadBytes = options.aheadBytes ?? 8 * 1024 * 1024;
  }

  /** Start what the bounds allow; called again as each job ends. */
  pump(): void {
    const entries = this.#entries;
    while (
      this.#next < entries.length &&
      this.#running < this.#parallel &&
      this.#next - this.current < this.#maxAheadEntries &&
      (this.#aheadBytes === 0 || this.#aheadBytes + entries[this.#next]!.size <= this.#maxAheadBytes)
    ) {
      const index = this.#next++;
      const e = entries[index]!;
      if (e.isDirectory || this.#reuse.has(index)) continue;
      const hit = cachedEntry(e, this.#options);
      if (hit) {
        this.#hits.set(index, hit);
        continue;
      }
      const job = compress(e, this.#options);
      this.#jobs.set(index, job);
      this.#running++;
      this.#aheadBytes += e.size;
      job.result.then(
        () => {
          this.#running--;
          this.pump();
        },
        () => {
          this.#running--;
        },
      );
    }
  }

  /** Entry i's remembered bytes or its compression job (pump started one or the other). */
  take(i: number): { hit: CachedZipEntry } | { job: Compressed } {
    const hit = this.#hits.get(i);
    if (hit) {
      this.#hits.delete(i);
      return { hit };
    }
    const job = this.#jobs.get(i)!;
    this.#jobs.delete(i);
    return { job };
  }

  /** A job's entry is written: its input no longer counts as ahead. */
  written(size: number): void {
    this.#aheadBytes -= size;
  }

  /** Stop the streams of jobs whose turn will not come (the assembly failed or was abandoned). */
  destroy(): void {
    for (const job of this.#jobs.values()) if (!(job.data instanceof Promise)) job.data.destroy();
  }
}

/**
 * Entry i's compressed bytes, from the cache or its job; returns its CRC and sizes once written.
 * A job's bytes are remembered in the cache when it may keep them.
 */
export async function* entryData(
  i: number,
  e: ZipEntryInput,
  queue: CompressionQueue,
  options: AssembleOptions,
): AsyncGenerator<Buffer, { crc: number; size: number; compressed: number; fromCache: boolean }> {
  const taken = queue.take(i);
  if ("hit" in taken) {
    yield taken.hit.data;
    options.onBytes?.(taken.hit.size);
    return { crc: taken.hit.crc, size: taken.hit.size, compressed: taken.hit.data.length, fromCache: true };
  }
  const job = taken.job;
  let compressed = 0;
  // Collect the compressed chunks only when the cache will keep them (they are yielded anyway).
  const keep = e.cacheKey !== undefined && options.cache?.canKeepZipEntry(e.size) === true ? ([] as Buffer[]) : undefined;
  if (job.data instanceof Promise) {
    const data = await job.data;
    compressed = data.length;
    keep?.push(data);
    yield data;
  } else {
    for await (const chunk of job.data) {
      compressed += (chunk as Buffer).length;
      keep?.push(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  const { crc, size } = await job.result;
  queue.written(e.size);
  if (keep) options.cache!.setZipEntry(e.cacheKey!, { level: options.level, crc, size, data: Buffer.concat(keep, compressed) });
  return { crc, size, compressed, fromCache: false };
}
