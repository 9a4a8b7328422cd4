/**
 * deterministicZip(options): one zip of every file, byte-identical for the same inputs whatever
 * the input order, time zone, umask or file modes, and whether contents came as Buffers or streams.
 *
 * Directories first (an explicit entry for each, mode 0755), then files sorted by path (0644),
 * one DOS timestamp from the source date epoch (UTC calendar time, clamped to 1980-2107), deflate
 * at level 6 by default, ZIP64 only where sizes or offsets need it. Written by our own small
 * assembler (format.ts, assemble.ts) on Node's zlib rather than gulp-zip/yazl: those hard-code
 * directory mode 0775, take local time, compute CRC-32 in JavaScript (the slowest part of a big
 * build) and compress one entry at a time; here two entries compress at once on the thread pool.
 * With a cache, the zip also says how to update the one it wrote last time at the same
 * destination (an OutputRecipe, applied by atomicDest): unchanged entries are kept or copied.
 */
import path from "node:path";
import type { Transform } from "node:stream";
import Vinyl from "vinyl";
import { Readable } from "node:stream";
import { contentSize, openContents, readAllContents, type SharedReader } from "../shared/contents.js";
import { clampDosEpoch, toEpoch } from "../shared/epoch.js";
import { collectThenFinish, isRegularFile } from "../shared/barrier.js";
import { userError } from "../shared/errors.js";
import { compareCodePoints, packagePath, parentDirs } from "../shared/paths.js";
import { attachOutputRecipe, RangeReader, type OutputMemory, type OutputUpdate } from "../shared/output-update.js";
import { assembleZip, assembleZipUpdate, type AssembleOptions, type ZipEntryCache, type ZipEntryInput, type ZipSummary } from "./assemble.js";
import { dosDateTime, type DosDateTime } from "./format.js";
import { DEFAULT_MANIFEST_NAME } from "../manifest/index.js";

export { assembleZip, assembleZipUpdate, planZipReuse, type ZipSummary, type ZipRecordSummary, type PreviousZip, type AssembleOptions, type CachedZipEntry, type ZipEntryCache, type ZipEntryInput } from "./assemble.js";

/**
 * What a zip reuses between builds (see BuildCache): the identity of a file's contents, compressed
 * entries kept in memory, and the zips written before (by destination), whose entries are copied.
 */
export interface ZipFileCache extends ZipEntryCache, OutputMemory {
  /** A key for the file's current bytes, or undefined when they cannot be identified. */
  keyOf(file: Vinyl): string | undefined;
  /** Told, per assembly, how many file entries were reused and how many compressed. */
  countZipEntries(reused: number, compressed: number): void;
}
export { dosDateTime } from "./format.js";

const PLUGIN = "deterministicZip";
export const DEFAULT_ZIP_FILE_NAME = "aero-guest-tools.zip";
/** The kind of memo the zip keeps per destination (its ZipSummary). */
const MEMO_KIND = "deterministicZip";

export interface DeterministicZipOptions {
  /** Default "aero-guest-tools.zip". */
  fileName?: string;
  /** Timestamp of every entry (seconds), clamped to 1980-2107. Default 0 (→ 1980-01-01). */
  sourceDateEpoch?: number | bigint | string;
  /** Deflate level 1-9. Default 6 (level 9 costs far more time for under 1 % smaller output). */
  compressionLevel?: number;
  /** Entries compressed at once (each on a thread-pool thread). Default 2. */
  parallel?: number;
  /** Told about every payload byte read into the zip (for a progress display). */
  onBytes?: (bytes: number) => void;
  /** Reuse the compressed entries of unchanged files (incremental rebuilds; same bytes out). */
  cache?: ZipFileCache;
  /** Where to get files' bytes first (mediaImages shares one read per file with the ISO and the hash). */
  reader?: SharedReader;
  /**
   * Package paths emitted again after the zip (they are in it too), so that
   * `manifest() → deterministicZip() → dest` also writes manifest.json. Default ["manifest.json"].
   */
  passThrough?: string[];
}

export function deterministicZip(options: DeterministicZipOptions = {}): Transform {
  const fileName = options.fileName ?? DEFAULT_ZIP_FILE_NAME;
  const level = options.compressionLevel ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw userError(PLUGIN, `compressionLevel must be an integer 1-9, got ${String(options.compressionLevel)}`);
  }
  let dos: DosDateTime;
  try {
    dos = dosDateTime(clampDosEpoch(toEpoch(options.sourceDateEpoch)));
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  const passThrough = new Set(options.passThrough ?? [DEFAULT_MANIFEST_NAME]);
  return collectThenFinish(
    PLUGIN,
    "bytes",
    (files) => {
      if (files.length === 0) return [];
      const byPath = new Map<string, Vinyl>();
      for (const file of files) {
        const rel = packagePath(file);
        if (byPath.has(rel)) throw userError(PLUGIN, `two input files have the same path: ${rel}`, file.path);
        byPath.set(rel, file);
      }
      const paths = [...byPath.keys()].sort(compareCodePoints);
      const dirs = [...new Set(paths.flatMap(parentDirs))].sort(compareCodePoints);
      const entries: ZipEntryInput[] = [
        ...dirs.map((name) => ({ name, isDirectory: true, mode: 0o40755, size: 0 })),
        ...paths.map((name) => {
          const file = byPath.get(name)!;
          const cacheKey = options.cache?.keyOf(file);
          return {
            ...(cacheKey !== undefined && { cacheKey }),
            name,
            isDirectory: false,
            mode: 0o100644,
            size: contentSize(file),
            open: () => {
              const shared = options.reader?.chunks(file);
              return shared ? Readable.from(shared, { objectMode: false }) : openContents(file);
            },
            read: () => options.reader?.whole(file) ?? readAllContents(file),
          };
        }),
      ];
      const cache = options.cache;
      let written: ZipSummary | undefined;
      const assembly: AssembleOptions = {
        dos,
        level,
        ...(options.parallel !== undefined && { parallel: options.parallel }),
        ...(options.onBytes && { onBytes: options.onBytes }),
        ...(cache && {
          cache,
          onSummary: (summary: ZipSummary) => {
            written = summary;
            cache.countZipEntries(summary.reused, summary.compressed);
          },
        }),
      };
      const contents = assembleZip(entries, assembly);
      if (cache) {
        attachOutputRecipe(contents, {
          updateFrom: async (dest) => {
            const summary = (await cache.recallOutput(dest, MEMO_KIND)) as ZipSummary | undefined;
            return summary && updateFrom(dest, summary, entries, assembly);
          },
          written: (dest, updatedBytes) => {
            if (written) cache.rememberOutput(dest, MEMO_KIND, written, updatedBytes);
          },
        });
      }
      const first = files[0]!;
      const zip = new Vinyl({ cwd: first.cwd, base: first.base, path: path.join(first.base, fileName), contents });
      return [zip, ...files.filter((f) => passThrough.has(packagePath(f)))];
    },
    isRegularFile,
  );
}

/** The zip as an update of the one of ours at `dest`, reading the entries it copies from there. */
function updateFrom(dest: string, summary: ZipSummary, entries: ZipEntryInput[], assembly: AssembleOptions): OutputUpdate | undefined {
  const reader = new RangeReader(dest);
  const update = assembleZipUpdate(entries, assembly, { summary, read: (offset, length) => reader.read(offset, length) });
  if (!update) return undefined;
  return {
    regions: (async function* () {
      try {
        yield* update.regions;
      } finally {
        await reader.close();
      }
    })(),
  };
}
