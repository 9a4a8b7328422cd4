/**
 * normalizeArch(): map driver files from any accepted arch folder (x86, win32, i386 → x86;
 * amd64, x64, x86_64, x86-64 → amd64) to `drivers/<arch>/...`. Two inputs that land on one
 * output path (e.g. `amd64/a/a.inf` and `x64/a/a.inf`) is an error naming both.
 */
import path from "node:path";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { asciiLower, packagePath } from "../shared/paths.js";
import { normalizeArchPath } from "./arch.js";

export { archOf, normalizeArchPath, type Arch } from "./arch.js";

const PLUGIN = "normalizeArch";

/** The input arch folder of a driver path: "x64" for both "x64/a/b" and "drivers/x64/a/b". */
function archFolder(p: string): string {
  const parts = p.split("/");
  return parts[0] === "drivers" ? parts[1]! : parts[0]!;
}

export function normalizeArch(): Transform {
  // Keyed case-insensitively: Windows cannot hold two files whose names differ only by case.
  const seen = new Map<string, string>();
  return new Transform({
    objectMode: true,
    transform(incoming: Vinyl, _enc, cb) {
      intake(PLUGIN, incoming, { needs: "paths" }).then((file) => rename(file, cb), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
  });

  function rename(file: Vinyl, cb: (err?: Error | null, file?: Vinyl) => void): void {
    const from = packagePath(file);
    const to = normalizeArchPath(from);
    if (to !== from) {
      if (!file.isDirectory()) {
        const key = asciiLower(to);
        const earlier = seen.get(key);
        // Two arch folders for one arch (amd64/ and x64/); a case clash inside one folder is
        // payloadPolicy's case-collision rule, which names it better.
        if (earlier !== undefined && archFolder(earlier) !== archFolder(from)) {
          cb(userError(PLUGIN, `two input files map to ${to}: ${earlier} and ${from}; keep only one arch folder per arch (e.g. amd64/ or x64/, not both)`, file.path));
          return;
        }
        seen.set(key, from);
      }
      file.path = path.join(file.base, ...to.split("/"));
    }
    cb(null, file);
  }
}
