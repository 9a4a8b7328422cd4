/**
 * Assemble a zip from an ordered list of entries as a stream, compressing up to `parallel`
 * entries at once (zlib runs on libuv's thread pool, so two entries use two cores) while the
 * output stays in entry order. Each entry's compressed bytes depend only on its own contents,
 * so the archive is the same whatever the parallelism. Memory is bounded: an entry compressed
 * ahead of its turn buffers at most `aheadBytes` before its input pauses.
 *
 * With `options.cache`, an entry carrying a `cacheKey` is written from its remembered compressed
 * bytes when the cache has them (no read, no deflate), and remembered after it is compressed
 * otherwise. The same property makes that safe: an entry's bytes depend only on its contents and
 * the level, so a cached entry is exactly what compressing it again would give.
 */
import { PassThrough, Readable, Transform, pipeline } from "node:stream";
import zlib from "node:zlib";
import {
  centralHeader,
  dataDescriptor,
  endOfCentralDirectory,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  ZIP64_SIZE_THRESHOLD,
  type CentralEntry,
  type DosDateTime,
} from "./format.js";

export interface ZipEntryInput {
  name: string;
  isDirectory: boolean;
  mode: number;
  /** Uncompressed size in bytes (files); the stream must yield exactly this many. */
  size: number;
  /** A fresh stream of the file's bytes (files only). */
  open?: () => Readable;
  /** All the file's bytes at once (optional; used for small entries when given). */
  read?: () => Promise<Buffer>;
  /**
   * Identity of the file's contents (path, size, mtime, inode...), for options.cache. The caller
   * promises that equal keys mean equal bytes; entries without one are never cached.
   */
  cacheKey?: string;
}

/** One compressed file entry, as remembered between builds. */
export interface CachedZipEntry {
  /** Deflate level the bytes were made with. */
  level: number;
  crc: number;
  /** Uncompressed size. */
  size: number;
  /** The raw deflate bytes (a copy of exactly this size: slices would pin zlib's larger buffers). */
  data: Buffer;
}

/** Where compressed entries are remembered; see plugins/build-cache. */
export interface ZipEntryCache {
  /** The entry made for this key at this level, if remembered. */
  getZipEntry(key: string, level: number): CachedZipEntry | undefined;
  /** Whether an entry of this uncompressed size may be kept (checked before collecting its bytes). */
  canKeepZipEntry(size: number): boolean;
  setZipEntry(key: string, entry: CachedZipEntry): void;
}

export interface AssembleOptions {
  dos: DosDateTime;
  level: number;
  /** Entries compressed at once. Default 2. */
  parallel?: number;
  /** Input bytes that may be compressed ahead of the writer. Default 8 MiB. */
  aheadBytes?: number;
  /** Report payload bytes as they are read. */
  onBytes?: (bytes: number) => void;
  /** Test hook: write every file entry with ZIP64 sizes. */
  forceZip64?: boolean;
  /** Remembered compressed entries, looked up by ZipEntryInput.cacheKey. */
  cache?: ZipEntryCache;
}

interface Compressed {
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

/** The zip's bytes. Errors (an unreadable or changed file) surface as a stream error. */
export function assembleZip(entries: ZipEntryInput[], options: AssembleOptions): Readable {
  const parallel = Math.max(1, options.parallel ?? 2);
  // How far compression may run ahead of the writer: a few entries, bounded in bytes.
  const maxAheadEntries = parallel * 4;
  const maxAheadBytes = options.aheadBytes ?? 8 * 1024 * 1024;

  async function* generate(): AsyncGenerator<Buffer> {
    const central: CentralEntry[] = [];
    const jobs = new Map<number, Compressed>();
    const hits = new Map<number, CachedZipEntry>();
    let next = 0; // next entry to start compressing
    let current = 0; // entry being written
    let running = 0; // jobs still compressing
    let aheadBytes = 0; // input bytes of started entries not yet written
    const pump = () => {
      while (
        next < entries.length &&
        running < parallel &&
        next - current < maxAheadEntries &&
        (aheadBytes === 0 || aheadBytes + entries[next]!.size <= maxAheadBytes)
      ) {
        const index = next++;
        const e = entries[index]!;
        if (e.isDirectory) continue;
        const hit = cachedEntry(e, options);
        if (hit) {
          hits.set(index, hit);
          continue;
        }
        const job = compress(e, options);
        jobs.set(index, job);
        running++;
        aheadBytes += e.size;
        job.result.then(
          () => {
            running--;
            pump();
          },
          () => {
            running--;
          },
        );
      }
    };
    let offset = 0n;
    try {
      for (let i = 0; i < entries.length; i++) {
        current = i;
        pump();
        const e = entries[i]!;
        const zip64 = !e.isDirectory && (options.forceZip64 === true || e.size >= ZIP64_SIZE_THRESHOLD);
        const header = {
          name: e.isDirectory ? `${e.name}/` : e.name,
          isDirectory: e.isDirectory,
          mode: e.mode,
          method: e.isDirectory ? METHOD_STORE : METHOD_DEFLATE,
          dos: options.dos,
          zip64,
        };
        const localOffset = offset;
        const local = localHeader(header);
        yield local;
        offset += BigInt(local.length);
        if (e.isDirectory) {
          central.push({ ...header, crc: 0, compressedSize: 0n, uncompressedSize: 0n, localHeaderOffset: localOffset });
          continue;
        }
        const hit = hits.get(i);
        let compressed = 0n;
        let crc: number;
        let size: number;
        if (hit) {
          hits.delete(i);
          yield hit.data;
          compressed = BigInt(hit.data.length);
          ({ crc, size } = hit);
          options.onBytes?.(size);
        } else {
          const job = jobs.get(i)!;
          jobs.delete(i);
          // Collect the compressed chunks only when the cache will keep them (they are yielded anyway).
          const keep = e.cacheKey !== undefined && options.cache?.canKeepZipEntry(e.size) === true ? ([] as Buffer[]) : undefined;
          if (job.data instanceof Promise) {
            const data = await job.data;
            compressed = BigInt(data.length);
            keep?.push(data);
            yield data;
          } else {
            for await (const chunk of job.data) {
              compressed += BigInt((chunk as Buffer).length);
              keep?.push(chunk as Buffer);
              yield chunk as Buffer;
            }
          }
          ({ crc, size } = await job.result);
          aheadBytes -= e.size;
          if (keep) {
            const data = Buffer.concat(keep, Number(compressed));
            options.cache!.setZipEntry(e.cacheKey!, { level: options.level, crc, size, data });
          }
        }
        const descriptor = dataDescriptor(crc, compressed, BigInt(size), zip64);
        yield descriptor;
        offset += compressed + BigInt(descriptor.length);
        central.push({ ...header, crc, compressedSize: compressed, uncompressedSize: BigInt(size), localHeaderOffset: localOffset });
      }
      const cdOffset = offset;
      let cdSize = 0n;
      for (const c of central) {
        const record = centralHeader(c);
        cdSize += BigInt(record.length);
        yield record;
      }
      yield endOfCentralDirectory(central.length, cdSize, cdOffset);
    } finally {
      for (const job of jobs.values()) if (!(job.data instanceof Promise)) job.data.destroy();
    }
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 1024 * 1024 });
}
