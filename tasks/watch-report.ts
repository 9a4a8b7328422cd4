/** The log lines of `gulp watch` (pure): what changed, how a build failed, what a rebuild reused. */
import path from "node:path";
import type { BuildCacheStats } from "../plugins/build-cache/index.js";
import { PluginError } from "../plugins/shared/errors.js";
import { formatBytes } from "./progress.js";
import { inside } from "./watch-plan.js";
import type { Changes } from "./watch-loop.js";

/** "guest-tools/setup.cmd changed", "setup.cmd changed, verify.ps1 added", "5 changes (…, +3 more)". */
export function describeChanges(changes: Changes, cwd: string): string {
  const shown = [...changes].map(([p, kind]) => `${displayPath(p, cwd)} ${kind}`);
  if (shown.length <= 3) return shown.join(", ");
  return `${shown.length} changes (${shown.slice(0, 2).join(", ")}, +${shown.length - 2} more)`;
}

export function displayPath(p: string, cwd: string): string {
  const rel = inside(p, cwd);
  return rel === undefined || rel === "" ? p : rel;
}

/** An error as gulp-cli prints a failed task's: a PluginError's own text, else the stack. */
export function formatBuildError(err: unknown): string {
  if (err instanceof PluginError || (err instanceof Error && typeof (err as { showStack?: unknown }).showStack === "boolean")) return String(err);
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export interface BuiltBuild {
  /** The first (cold) build. */
  first: boolean;
  /** " after <what changed>", or "" for the first build. */
  cause: string;
  took: number;
  /** "name size" of each output. */
  sizes: string[];
  /** Files read (manifest.json, which is made, not counted). */
  files: number;
  stats: BuildCacheStats;
}

/** "built in 0.41 s: ...", or "rebuilt after X changed in ...: sizes (N of M files reused; what was rewritten)". */
export function builtLine(b: BuiltBuild): string {
  const { zipEntriesReused, hashesReused, outputsUpdated, bytesUpdated, writtenInFull } = b.stats;
  // Files whose earlier results served again (a zip written in full still reused the hashes).
  const reused = Math.max(zipEntriesReused, hashesReused);
  // The ISO and the zip are updated rather than rewritten unless something else changed them.
  const full = writtenInFull.map((p) => path.basename(p));
  const images = [
    ...(full.length ? [`${full.join(" and ")} written in full`] : []),
    ...(outputsUpdated ? [`${formatBytes(bytesUpdated)} of ${full.length ? "the other image" : "the images"} rewritten`] : []),
  ].join(", ");
  return `${b.first ? "built" : `rebuilt${b.cause}`} in ${seconds(b.took)}: ${b.sizes.join(", ")} (${b.first ? `${b.files} files` : `${reused} of ${b.files} files reused; ${images}`})`;
}
