/**
 * The shape shared by every plugin that must see all files before it can emit anything (an image
 * writer, a checker that reports all problems at once): collect, then finish once at the end.
 */
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { asPluginError } from "./errors.js";
import { intake, type IntakeOptions } from "./intake.js";

/**
 * A transform that collects the files `accept` takes (default: all; the rest are dropped) and,
 * at the end, emits what `finish(files)` returns. Every file passes the shared intake first
 * (`needs`, see intake.ts). Anything `finish` throws fails the stream as a PluginError of `plugin`.
 */
export function collectThenFinish(
  plugin: string,
  needs: IntakeOptions["needs"],
  finish: (files: Vinyl[]) => Vinyl[] | Promise<Vinyl[]>,
  accept: (file: Vinyl) => boolean = () => true,
): Transform {
  const files: Vinyl[] = [];
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      intake(plugin, file, { needs }).then(
        (f) => {
          if (accept(f)) files.push(f);
          cb();
        },
        (err: unknown) => cb(asPluginError(plugin, err)),
      );
    },
    flush(cb) {
      (async () => finish(files))().then(
        (out) => {
          for (const file of out) this.push(file);
          cb();
        },
        (err: unknown) => cb(asPluginError(plugin, err)),
      );
    },
  });
}

/** Regular files only: the images have no use for directory or null entries. */
export const isRegularFile = (file: Vinyl): boolean => !file.isDirectory() && !file.isNull();
