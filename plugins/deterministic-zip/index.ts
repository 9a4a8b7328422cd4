/**
 * deterministicZip(options): one zip of every file, byte-identical for the same inputs whatever
 * the input order, time zone, umask or file modes.
 *
 * Built on yazl (the writer gulp-zip wraps) rather than gulp-zip itself, because gulp-zip
 * hard-codes directory entries to mode 0775, takes timestamps in local time, cannot set the
 * deflate level, and writes stream and Buffer inputs differently. Here: directories first (an
 * explicit entry for each, 0755), then files sorted by path (0644), one timestamp from the
 * source date epoch clamped to the DOS range, and every file fed as a stream, so the output does
 * not depend on how the caller loaded it. ZIP64 is used automatically for large payloads.
 */
import path from "node:path";
import { PassThrough, pipeline, Transform, type Readable } from "node:stream";
import Vinyl from "vinyl";
import yazl from "yazl";
import { contentSize, openContents } from "../shared/contents.js";
import { clampDosEpoch, toEpoch } from "../shared/epoch.js";
import { asPluginError, userError } from "../shared/errors.js";
import { compareCodePoints, packagePath, parentDirs } from "../shared/paths.js";
import { UtcCalendarDate } from "./dos-date.js";

const PLUGIN = "deterministicZip";

export interface DeterministicZipOptions {
  /** Default "aero-guest-tools.zip". */
  fileName?: string;
  /** Timestamp of every entry (seconds), clamped to 1980-2107. Default 0 (→ 1980-01-01). */
  sourceDateEpoch?: number | bigint | string;
  /** Deflate level 0-9. Default 6 (level 9 costs far more time for under 1 % smaller output). */
  compressionLevel?: number;
  /** Told about every payload byte read into the zip (for a progress display). */
  onBytes?: (bytes: number) => void;
}

/** The same bytes, reporting each chunk's length as it passes (errors propagate). */
function counted(source: Readable, onBytes: (bytes: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  pipeline(source, counter, () => undefined);
  return counter;
}

export function deterministicZip(options: DeterministicZipOptions = {}): Transform {
  const fileName = options.fileName ?? "aero-guest-tools.zip";
  const level = options.compressionLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw userError(PLUGIN, `compressionLevel must be an integer 0-9, got ${String(options.compressionLevel)}`);
  }
  let mtime: Date;
  try {
    mtime = new UtcCalendarDate(clampDosEpoch(toEpoch(options.sourceDateEpoch)).getTime());
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  const files: Vinyl[] = [];

  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (!file.isDirectory() && !file.isNull()) files.push(file);
      cb();
    },
    flush(cb) {
      try {
        if (files.length === 0) {
          cb();
          return;
        }
        const byPath = new Map<string, Vinyl>();
        for (const file of files) {
          const rel = packagePath(file);
          if (byPath.has(rel)) throw userError(PLUGIN, `two input files have the same path: ${rel}`, file.path);
          byPath.set(rel, file);
        }
        const paths = [...byPath.keys()].sort(compareCodePoints);
        const dirs = [...new Set(paths.flatMap(parentDirs))].sort(compareCodePoints);

        const zip = new yazl.ZipFile();
        const output = new PassThrough();
        zip.on("error", (err: Error) => output.destroy(asPluginError(PLUGIN, err)));
        zip.outputStream.on("error", (err: Error) => output.destroy(asPluginError(PLUGIN, err)));
        for (const dir of dirs) {
          zip.addEmptyDirectory(`${dir}/`, { mtime, mode: 0o40755, forceDosTimestamp: true });
        }
        for (const rel of paths) {
          const file = byPath.get(rel)!;
          zip.addReadStreamLazy(
            rel,
            { mtime, mode: 0o100644, compressionLevel: level, forceDosTimestamp: true, size: contentSize(file) },
            (done) => {
              try {
                done(null, options.onBytes ? counted(openContents(file), options.onBytes) : openContents(file));
              } catch (err) {
                done(err as Error, undefined as never);
              }
            },
          );
        }
        zip.end();
        zip.outputStream.pipe(output);

        const first = files[0]!;
        const out = new Vinyl({ cwd: first.cwd, base: first.base, path: path.join(first.base, fileName), contents: output });
        cb(null, out);
      } catch (err) {
        cb(asPluginError(PLUGIN, err));
      }
    },
  });
}
