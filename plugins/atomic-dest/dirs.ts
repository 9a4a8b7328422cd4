/** The out dir's folders made level by level, each one recorded for the undo before it exists. */
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { userError } from "../shared/errors.js";
import { PLUGIN } from "./options.js";
import type { Undo } from "./signals.js";

/**
 * mkdir -p that remembers which levels it created (in `undo.dirs`), to remove them again on
 * failure. One level at a time: Node's recursive mkdir never settles when a parent exists but
 * cannot hold the child (a path under /proc, a dangling symlink), as mkdir then alternates ENOENT
 * and EEXIST forever. `shown`: the out dir as the user gave it, for the error.
 */
export async function makeDirs(dir: string, undo: Undo, shown: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; d !== path.dirname(d) && !(await exists(d)); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    undo.dirs.push(d); // before mkdir, so an interrupt during it removes it too
    try {
      await mkdir(d);
    } catch (err) {
      // Another of our writes may have just made it.
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && (await isDirectory(d))) continue;
      throw userError(PLUGIN, `cannot create the out dir ${shown}: ${(err as Error).message}`);
    }
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
