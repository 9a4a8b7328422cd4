/**
 * isoWriter(options): collect vinyl files and emit one ISO9660 + Joliet image.
 *
 * Everything the image depends on (names, sizes, limits) is checked at flush, before the output
 * file exists; the image itself is a lazy stream that reads each input only when the consumer
 * gets to its bytes, in package-path order. The same files give the same bytes whatever order
 * they arrive in. With a cache, the image also says how to update the one it wrote last time at
 * the same destination (an OutputRecipe, applied by atomicDest).
 */
import path from "node:path";
import { Readable, Transform } from "node:stream";
import Vinyl from "vinyl";
import { contentSize, FileContents, openContents, readAllContents, type SharedReader } from "../shared/contents.js";
import { clampIsoEpoch, toEpoch } from "../shared/epoch.js";
import { collectThenFinish, isRegularFile } from "../shared/barrier.js";
import { asPluginError, userError, PluginError } from "../shared/errors.js";
import { packagePath } from "../shared/paths.js";
import { generatedStat } from "../shared/stat.js";
import { attachOutputRecipe, type OutputMemory } from "../shared/output-update.js";
import { ContentSizeError, imageChunks, imageRuns, runChunks, type ImageOptions, type OpenFile } from "./image.js";
import { IsoLayoutError, planLayout, type IsoLayout, type LayoutInput, type PlannedFile } from "./layout.js";
import { normalizeVolumeId } from "../iso9660/names.js";
import { SECTOR } from "../iso9660/records.js";

import { DEFAULT_MANIFEST_NAME } from "../manifest/index.js";

const PLUGIN = "isoWriter";
export const DEFAULT_ISO_FILE_NAME = "aero-guest-tools.iso";
/** Bytes the output stream buffers ahead of its consumer. */
const OUTPUT_HIGH_WATER_MARK = 1024 * 1024;

export interface IsoWriterOptions {
  /** Volume label; normalized to A-Z 0-9 _ space, at most 32 characters. Default AERO_GUEST_TOOLS. */
  volumeId?: string;
  /** Seconds since 1970 for every timestamp (any i64; clamped to 1900..2155). Default 0. */
  sourceDateEpoch?: number | bigint;
  /** Relative path of the emitted image. Default aero-guest-tools.iso. */
  fileName?: string;
  /**
   * Where the image remembers, per destination, which files it placed where (a BuildCache). A
   * rebuild written with atomicDest then copies the previous image and rewrites only the
   * metadata and the files that changed or moved (see shared/output-update.ts).
   */
  cache?: IsoWriterCache;
  /** Where to get files' bytes first (mediaImages shares one read per file with the zip and the hash). */
  reader?: SharedReader;
  /**
   * Package paths emitted again after the image (they are in it too), so that
   * `manifest() → isoWriter() → dest` also writes manifest.json. Default ["manifest.json"].
   */
  passThrough?: string[];
}

/** What the ISO writer needs from a BuildCache. */
export interface IsoWriterCache extends OutputMemory {
  /** A key for the file's current bytes, or undefined when they cannot be identified. */
  keyOf(file: Vinyl): string | undefined;
}

/** The kind of memo the ISO keeps per destination. */
const MEMO_KIND = "isoWriter";

/** Where each identified file's bytes sit in an image written earlier. */
interface IsoMemo {
  files: Map<string, { lba: number; size: number; key: string }>;
}

export function isoWriter(options: IsoWriterOptions = {}): Transform {
  const { date, volumeId, fileName } = checkOptions(options);
  const passThrough = new Set(options.passThrough ?? [DEFAULT_MANIFEST_NAME]);
  return collectThenFinish(
    PLUGIN,
    "bytes",
    (files) => [buildImageFile(files, { date, volumeId }, fileName, options.cache, options.reader), ...files.filter((f) => passThrough.has(packagePath(f)))],
    isRegularFile,
  );
}

function checkOptions(options: IsoWriterOptions): { date: Date; volumeId: string; fileName: string } {
  if (options === null || typeof options !== "object") throw userError(PLUGIN, "options must be an object");
  let date: Date;
  try {
    date = clampIsoEpoch(toEpoch(options.sourceDateEpoch));
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  if (options.volumeId !== undefined && typeof options.volumeId !== "string") {
    throw userError(PLUGIN, "volumeId must be a string");
  }
  const fileName = options.fileName ?? DEFAULT_ISO_FILE_NAME;
  if (
    typeof fileName !== "string" ||
    fileName === "" ||
    path.isAbsolute(fileName) ||
    fileName.split(/[\\/]/).some((part) => part === "" || part === "." || part === "..")
  ) {
    throw userError(PLUGIN, `fileName must be a relative file path without "." or ".." parts, got ${JSON.stringify(fileName)}`);
  }
  return { date, volumeId: normalizeVolumeId(options.volumeId), fileName };
}

/** Validate and plan (throwing PluginErrors), then wrap the lazy byte stream in a vinyl. */
function buildImageFile(files: Vinyl[], options: ImageOptions, fileName: string, cache: IsoWriterCache | undefined, shared: SharedReader | undefined): Vinyl {
  if (files.length === 0) {
    throw userError(PLUGIN, `refusing to create an empty ISO (${fileName}): no files were given`);
  }
  const byPath = new Map<string, Vinyl>();
  const inputs: LayoutInput[] = files.map((file) => {
    const filePath = packagePath(file);
    let size: number;
    try {
      size = contentSize(file);
    } catch (err) {
      throw userError(PLUGIN, `cannot size "${filePath}" for ${fileName}: ${(err as Error).message}`, file.path);
    }
    byPath.set(filePath, file);
    return { path: filePath, size };
  });
  let layout: IsoLayout;
  try {
    layout = planLayout(inputs);
  } catch (err) {
    if (err instanceof IsoLayoutError) {
      const first = err.problems[0]?.path;
      throw userError(PLUGIN, `cannot write ${fileName}: ${err.message}`, first ? byPath.get(first)?.path : undefined);
    }
    throw err;
  }
  const first = files[0]!;
  const size = layout.totalSectors * SECTOR;
  const contents = Readable.from(new ImageReader(layout.files, byPath, shared).guard((open) => imageChunks(layout, options, open)), {
    objectMode: false,
    highWaterMark: OUTPUT_HIGH_WATER_MARK,
  });
  if (cache) {
    const memo = isoMemo(layout, byPath, cache);
    attachOutputRecipe(contents, {
      updateFrom: async (dest) => {
        const previous = (await cache.recallOutput(dest, MEMO_KIND)) as IsoMemo | undefined;
        if (!previous) return undefined;
        const runs = imageRuns(layout, (file) => {
          const before = previous.files.get(file.path);
          const now = memo.files.get(file.path);
          return before !== undefined && now !== undefined && before.key === now.key && before.lba === now.lba && before.size === now.size;
        });
        // One reader for all runs: read-ahead carries on from one run's files to the next.
        const changed = new ImageReader(runs.flatMap((r) => r.files), byPath, shared);
        return {
          size,
          regions: (async function* () {
            for (const run of runs) yield { offset: run.offset, chunks: changed.guard((open) => runChunks(run, layout, options, open)) };
          })(),
        };
      },
      written: (dest, updatedBytes) => cache.rememberOutput(dest, MEMO_KIND, memo, updatedBytes),
    });
  }
  return new Vinyl({ cwd: first.cwd, base: first.base, path: path.join(first.base, fileName), contents, stat: generatedStat(size, options.date) });
}

/** Where the files with a contents key are placed in this layout. */
function isoMemo(layout: IsoLayout, byPath: Map<string, Vinyl>, cache: IsoWriterCache): IsoMemo {
  const files: IsoMemo["files"] = new Map();
  for (const file of layout.files) {
    const key = file.size > 0 ? cache.keyOf(byPath.get(file.path)!) : undefined;
    if (key !== undefined) files.set(file.path, { lba: file.lba, size: file.size, key });
  }
  return { files };
}

/**
 * Opens the files of an image (or of the runs of an update) in image order, with read-ahead,
 * and turns every failure into a PluginError that names the file.
 */
class ImageReader {
  #open: (path: string) => AsyncIterable<Buffer>;
  #current: string | undefined;

  constructor(
    files: PlannedFile[],
    readonly byPath: Map<string, Vinyl>,
    shared?: SharedReader,
  ) {
    const own = readAhead(shared ? files.filter((f) => !shared.serves(byPath.get(f.path)!)) : files, byPath);
    this.#open = shared ? (p) => shared.chunks(byPath.get(p)!) ?? own(p) : own;
  }

  async *guard(chunks: (open: OpenFile) => AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      yield* chunks((file) => {
        this.#current = file.path;
        return this.#open(file.path);
      });
    } catch (err) {
      if (err instanceof PluginError) throw err;
      if (err instanceof ContentSizeError) throw userError(PLUGIN, err.message, this.byPath.get(err.path)?.path);
      const current = this.#current;
      const source = current === undefined ? undefined : this.byPath.get(current);
      if (source && err instanceof Error && (err as NodeJS.ErrnoException).code !== undefined) {
        throw userError(PLUGIN, `reading "${current}": ${err.message}`, source.path);
      }
      throw asPluginError(PLUGIN, err, source?.path);
    }
  }
}

/** Files up to this size are read whole, in one call, ahead of their turn. */
const WHOLE_FILE_MAX = 2 * 1024 * 1024;
/** How many bytes of small files may be read ahead of the writer. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/** And how many files: each read ahead holds a descriptor until it is done (ulimit -n). */
const READ_AHEAD_FILES = 8;

/**
 * Opens files in image order, reading the next small files whole while the current one is written:
 * a payload of many small driver files then costs one read call per file and no waiting between
 * them. Large files stream as before; a foreign (one-shot) stream is never read ahead.
 */
function readAhead(files: PlannedFile[], byPath: Map<string, Vinyl>): (path: string) => AsyncIterable<Buffer> {
  const order = files.filter((f) => f.size > 0).map((f) => f.path);
  const eager = (p: string) => {
    const file = byPath.get(p)!;
    // Bytes produced later (a DeferredContents manifest) are not read ahead: that would wait for them.
    return contentSize(file) <= WHOLE_FILE_MAX && (Buffer.isBuffer(file.contents) || file.contents instanceof FileContents);
  };
  const pending = new Map<string, Promise<Buffer>>();
  let next = 0;
  let ahead = 0;
  const fill = () => {
    while (next < order.length && eager(order[next]!) && ahead < READ_AHEAD_BYTES && pending.size < READ_AHEAD_FILES) {
      const p = order[next++]!;
      const read = readAllContents(byPath.get(p)!);
      read.catch(() => undefined); // observed when its turn comes
      pending.set(p, read);
      ahead += contentSize(byPath.get(p)!);
    }
  };
  return (p) => {
    if (order[next] === p) next++; // reached without read-ahead (a large file, or the first)
    const read = pending.get(p);
    if (!read) {
      fill();
      return openContents(byPath.get(p)!);
    }
    pending.delete(p);
    return (async function* () {
      const buf = await read;
      ahead -= buf.length;
      fill();
      yield buf;
    })();
  };
}

export { normalizeVolumeId, DEFAULT_VOLUME_ID, checkMediaPaths, type MediaPathProblem } from "../iso9660/names.js";
export { planLayout, IsoLayoutError, MAX_PATH_UNITS, type IsoLayout, type LayoutInput } from "./layout.js";
