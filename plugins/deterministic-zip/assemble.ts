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
 *
 * The same property lets assembleZipUpdate() build a zip from an earlier one of ours: entries
 * whose local header and contents key are unchanged are copied from it (the leading run that is
 * already in place is not even written), only the rest is compressed.
 */
import { Readable } from "node:stream";
import { CompressionQueue, entryData } from "./compress.js";
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
  type EntryHeader,
} from "./format.js";
import type { OutputRegion, OutputUpdate } from "../shared/output-update.js";

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
  /** Told what was written, once the end of the central directory is out. */
  onSummary?: (summary: ZipSummary) => void;
}

/** What an assembly wrote for one entry: enough to copy the entry into a later zip unchanged. */
export interface ZipRecordSummary {
  /** The local header's bytes (name, flags, method, time, ZIP64): equal headers, equal record framing. */
  header: Buffer;
  /** Files only: ZipEntryInput.cacheKey, and the level the data was deflated at. */
  cacheKey?: string;
  level?: number;
  /** Offset of the local header, and the record's length (header, data and data descriptor). */
  offset: number;
  length: number;
  crc: number;
  size: number;
  compressedSize: number;
}

/** What an assembly wrote, entry by entry (by entry name), and the archive's size. */
export interface ZipSummary {
  records: Map<string, ZipRecordSummary>;
  size: number;
  /** File entries whose bytes came from a cache or an earlier zip, and those compressed now. */
  reused: number;
  compressed: number;
}

/** An earlier zip of ours: what it holds, and a reader of its bytes. */
export interface PreviousZip {
  summary: ZipSummary;
  read(offset: number, length: number): AsyncIterable<Buffer>;
}

/** The local header of every entry (needed up front to compare with an earlier zip). */
function headersOf(entries: ZipEntryInput[], options: AssembleOptions) {
  return entries.map((e) => ({
    name: e.isDirectory ? `${e.name}/` : e.name,
    isDirectory: e.isDirectory,
    mode: e.mode,
    method: e.isDirectory ? METHOD_STORE : METHOD_DEFLATE,
    dos: options.dos,
    zip64: !e.isDirectory && (options.forceZip64 === true || e.size >= ZIP64_SIZE_THRESHOLD),
  }));
}

/**
 * Pure: the entries (by index) that can be copied from the previous zip: same local header and,
 * for a file, the same contents key, level and size (an entry's bytes depend on nothing else).
 */
export function planZipReuse(entries: ZipEntryInput[], headers: Buffer[], level: number, previous: ZipSummary): Map<number, ZipRecordSummary> {
  const reuse = new Map<number, ZipRecordSummary>();
  entries.forEach((e, i) => {
    const prev = previous.records.get(e.isDirectory ? `${e.name}/` : e.name);
    if (!prev || !prev.header.equals(headers[i]!)) return;
    if (!e.isDirectory && (e.cacheKey === undefined || prev.cacheKey !== e.cacheKey || prev.level !== level || prev.size !== e.size)) return;
    reuse.set(i, prev);
  });
  return reuse;
}

/** In zipPieces' output: the next bytes go at this offset (what lies before it is in place). */
interface Seek {
  seek: number;
}

/** The zip's bytes. Errors (an unreadable or changed file) surface as a stream error. */
export function assembleZip(entries: ZipEntryInput[], options: AssembleOptions): Readable {
  const headers = headersOf(entries, options);
  const pieces = zipPieces(entries, headers, headers.map(localHeader), new Map(), options);
  return Readable.from(pieces as AsyncGenerator<Buffer>, { objectMode: false, highWaterMark: 1024 * 1024 }); // no reuse: no Seek
}

/**
 * The zip as an update of `previous`: entries that can be reused and sit at the same offset are
 * left as they are in the copy, the other reusable ones are copied from `previous`, the rest
 * compressed; then the central directory. Undefined when nothing can be reused. Used by
 * atomicDest through an OutputRecipe (see shared/output-update.ts); the resulting file equals
 * assembleZip's bytes.
 */
export function assembleZipUpdate(entries: ZipEntryInput[], options: AssembleOptions, previous: PreviousZip): OutputUpdate | undefined {
  const headers = headersOf(entries, options);
  const locals = headers.map(localHeader);
  const reuse = planZipReuse(entries, locals, options.level, previous.summary);
  if (reuse.size === 0) return undefined; // nothing to keep: writing it anew is cheaper than a copy
  return { regions: regionsOf(zipPieces(entries, headers, locals, reuse, { ...options, previous })) };
}

/** Split pieces at each Seek into regions; each region must be consumed before the next is asked for. */
async function* regionsOf(pieces: AsyncGenerator<Buffer | Seek>): AsyncGenerator<OutputRegion> {
  let offset = 0;
  let next = await pieces.next();
  try {
    while (!next.done) {
      if (!Buffer.isBuffer(next.value)) {
        offset = next.value.seek;
        next = await pieces.next();
        continue;
      }
      let consumed = false;
      yield {
        offset,
        chunks: (async function* () {
          while (!next.done && Buffer.isBuffer(next.value)) {
            const chunk = next.value;
            offset += chunk.length;
            yield chunk;
            next = await pieces.next();
          }
          consumed = true;
        })(),
      };
      if (!consumed) throw new Error("internal error: a zip update region was not consumed before the next was asked for");
    }
  } finally {
    await pieces.return(undefined);
  }
}

/**
 * The zip, as Buffers in order, and (only when entries are reused) a Seek wherever an entry
 * already in place in the previous zip is left out. Compression runs ahead in a CompressionQueue
 * (compress.ts); this loop writes each entry in turn: reused, directory or file.
 */
async function* zipPieces(
  entries: ZipEntryInput[],
  headers: EntryHeader[],
  /** The encoded local header of each entry (headers[i] as bytes). */
  locals: Buffer[],
  reuse: Map<number, ZipRecordSummary>,
  options: AssembleOptions & { previous?: PreviousZip },
): AsyncGenerator<Buffer | Seek> {
  const queue = new CompressionQueue(entries, reuse, options);
  const central: CentralEntry[] = [];
  const records = new Map<string, ZipRecordSummary>();
  let reused = 0;
  let compressedCount = 0;
  /** Note an entry's record; `offset` is where its local header starts. */
  const record = (i: number, offset: number, length: number, local: Buffer, crc: number, size: number, compressedSize: number) => {
    const e = entries[i]!;
    const header = headers[i]!;
    central.push({ ...header, crc, compressedSize: BigInt(compressedSize), uncompressedSize: BigInt(size), localHeaderOffset: BigInt(offset) });
    records.set(header.name, {
      header: local,
      ...(!e.isDirectory && { level: options.level, ...(e.cacheKey !== undefined && { cacheKey: e.cacheKey }) }),
      offset,
      length,
      crc,
      size,
      compressedSize,
    });
  };
  let offset = 0;
  /** Whether the last entry was left in place, so the next bytes need a Seek. */
  let skipped = false;
  try {
    for (let i = 0; i < entries.length; i++) {
      queue.current = i;
      const e = entries[i]!;
      const prev = reuse.get(i);
      if (prev && prev.offset === offset) {
        skipped = true; // already in place in the copy of the previous zip
      } else if (skipped) {
        skipped = false;
        yield { seek: offset };
      }
      if (prev) {
        if (!skipped) yield* options.previous!.read(prev.offset, prev.length);
        record(i, offset, prev.length, prev.header, prev.crc, prev.size, prev.compressedSize);
        offset += prev.length;
        if (!e.isDirectory) {
          reused++;
          options.onBytes?.(e.size);
        }
        continue;
      }
      queue.pump();
      const local = locals[i]!;
      const localOffset = offset;
      yield local;
      offset += local.length;
      if (e.isDirectory) {
        record(i, localOffset, local.length, local, 0, 0, 0);
        continue;
      }
      const { crc, size, compressed, fromCache } = yield* entryData(i, e, queue, options);
      if (fromCache) reused++;
      else compressedCount++;
      const descriptor = dataDescriptor(crc, BigInt(compressed), BigInt(size), headers[i]!.zip64);
      yield descriptor;
      record(i, localOffset, local.length + compressed + descriptor.length, local, crc, size, compressed);
      offset += compressed + descriptor.length;
    }
    if (skipped) yield { seek: offset };
    const size = yield* centralDirectory(central, offset);
    options.onSummary?.({ records, size, reused, compressed: compressedCount });
  } finally {
    queue.destroy();
  }
}

/** The central directory and its end record, written at `cdOffset`; returns the archive's size. */
async function* centralDirectory(central: CentralEntry[], cdOffset: number): AsyncGenerator<Buffer, number> {
  let cdSize = 0;
  for (const c of central) {
    const header = centralHeader(c);
    cdSize += header.length;
    yield header;
  }
  const end = endOfCentralDirectory(central.length, BigInt(cdSize), BigInt(cdOffset));
  yield end;
  return cdOffset + cdSize + end.length;
}
