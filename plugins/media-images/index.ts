/**
 * mediaImages(options): the fork at the end of a media build. Collects every packaged file,
 * then feeds the same sorted list to isoWriter() and deterministicZip() at once (the zip
 * compresses on libuv's thread pool while the ISO is written, so both cores work) and emits the
 * ISO, the zip and the manifest file. Contents are re-opened by each writer (see
 * shared/contents.ts), never buffered.
 */
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { deterministicZip } from "../deterministic-zip/index.js";
import { isoWriter } from "../iso-writer/index.js";
import { contentSize } from "../shared/contents.js";
import { asPluginError } from "../shared/errors.js";
import type { ProgressSink } from "../shared/progress.js";
import { packagePath, sortByPackagePath } from "../shared/paths.js";

const PLUGIN = "mediaImages";

export interface MediaImagesOptions {
  /** ISO volume label. Default "AERO_GUEST_TOOLS". */
  volumeId?: string;
  /** Seconds since 1970 for every timestamp. Default 0. */
  sourceDateEpoch?: number | bigint;
  /** Default "aero-guest-tools.iso". */
  isoName?: string;
  /** Default "aero-guest-tools.zip". */
  zipName?: string;
  /** Deflate level for the zip. Default 6. */
  compressionLevel?: number;
  /** Package paths passed through besides the two images. Default ["manifest.json"]. */
  passThrough?: string[];
  /** Progress: a "writing ISO + zip" phase measured by the payload bytes the zip has read. */
  progress?: ProgressSink;
}

export function mediaImages(options: MediaImagesOptions = {}): Transform {
  const passThrough = new Set(options.passThrough ?? ["manifest.json"]);
  const files: Vinyl[] = [];
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (!file.isDirectory() && !file.isNull()) files.push(file);
      cb();
    },
    flush(cb) {
      const sorted = sortByPackagePath(files);
      const progress = options.progress;
      progress?.phase("writing ISO + zip", sorted.reduce((sum, f) => sum + contentSize(f), 0));
      const iso = isoWriter({
        ...(options.volumeId !== undefined && { volumeId: options.volumeId }),
        ...(options.sourceDateEpoch !== undefined && { sourceDateEpoch: options.sourceDateEpoch }),
        fileName: options.isoName ?? "aero-guest-tools.iso",
      });
      const zip = deterministicZip({
        ...(options.sourceDateEpoch !== undefined && { sourceDateEpoch: options.sourceDateEpoch }),
        ...(options.compressionLevel !== undefined && { compressionLevel: options.compressionLevel }),
        ...(progress && { onBytes: (n: number) => progress.advance(n) }),
        fileName: options.zipName ?? "aero-guest-tools.zip",
      });
      Promise.all([runWriter(iso, sorted), runWriter(zip, sorted)]).then(
        ([isoOut, zipOut]) => {
          for (const file of [...isoOut, ...zipOut]) this.push(file);
          for (const file of sorted) if (passThrough.has(packagePath(file))) this.push(file);
          cb();
        },
        (err: unknown) => cb(asPluginError(PLUGIN, err)),
      );
    },
  });
}

/** Write files into a one-shot writer plugin and collect what it emits. */
function runWriter(writer: Transform, files: Vinyl[]): Promise<Vinyl[]> {
  return new Promise((resolve, reject) => {
    const out: Vinyl[] = [];
    writer.on("data", (file: Vinyl) => out.push(file));
    writer.once("error", reject);
    writer.once("end", () => resolve(out));
    (async () => {
      for (const file of files) {
        if (!writer.write(file)) await new Promise((r) => writer.once("drain", r));
      }
      writer.end();
    })().catch(reject);
  });
}

