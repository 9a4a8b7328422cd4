/**
 * What atomicDest leaves in an out dir besides the outputs themselves: temporary files, the lock
 * file, and how a later build tells a killed build's leftovers from a running build's files.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, realpathSync, type Stats } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

/** Temp files left by a process that died are recognisable by this prefix. */
export const TEMP_PREFIX = ".aero-tmp-";

/**
 * The out dir's lock (see lock.ts). Under TEMP_PREFIX, so whatever ignores temp files (the
 * exclusion of our own outputs from the inputs, the watcher) ignores it too.
 */
export const LOCK_NAME = `${TEMP_PREFIX}build.lock`;

/**
 * Temp files are named `<prefix><final name>.<host tag>.<pid>.<random>`: the host tag (8 hex
 * digits of the host name's SHA-256) and pid say which process on which machine wrote one, so a
 * later build can tell a leftover of a killed build (same host, process gone) from a file another
 * build is writing right now.
 */
export const TEMP_HOST_TAG = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);
const TEMP_OWNER = /\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]{8}$/;

export function tempName(final: string): string {
  return `${TEMP_PREFIX}${path.basename(final)}.${TEMP_HOST_TAG}.${process.pid}.${randomBytes(4).toString("hex")}`;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/**
 * Remove the temp files in `dir` left by a build of this host that was killed (SIGKILL, power
 * loss: no handler could run). Files of live processes and of other hosts are left alone.
 */
export async function sweepStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      if (!name.startsWith(TEMP_PREFIX)) return;
      const owner = TEMP_OWNER.exec(name);
      if (!owner || owner[1] !== TEMP_HOST_TAG) return;
      const pid = Number(owner[2]);
      if (pid === process.pid || processAlive(pid)) return;
      await rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }),
  );
}

/**
 * A tree-source `exclude` predicate for a build that writes `fileNames` into `outDir`: true for
 * those outputs and for our temp and lock files there, so an out dir inside an input tree never
 * feeds a build its previous outputs. The folder is compared by real path too, so an input
 * reached through a symlinked parent is still recognised. The out dir itself, when a walk reports
 * folders and it holds nothing but such files, is left out too: a first build (no out dir yet)
 * and a rebuild then see the same tree. `onExcluded` hears each path left out.
 */
export function ownOutputFilter(
  outDir: string,
  fileNames: readonly string[],
  onExcluded?: (absPath: string) => void,
): (absPath: string, stat?: Stats) => boolean {
  const dir = path.resolve(outDir);
  const names = new Set(fileNames);
  let realDir: string | undefined;
  const sameDir = (d: string) => {
    if (d === dir) return true;
    try {
      realDir ??= realpathSync(dir);
      return realpathSync(d) === realDir;
    } catch {
      return false; // either is gone: not our folder
    }
  };
  const ours = (name: string) => names.has(name) || name.startsWith(TEMP_PREFIX);
  return (absPath, stat) => {
    const name = path.basename(absPath);
    if (stat?.isDirectory()) {
      if (name !== path.basename(dir) || !sameDir(absPath)) return false;
      try {
        if (!readdirSync(absPath).every(ours)) return false;
      } catch {
        return false;
      }
    } else if (!ours(name) || !sameDir(path.dirname(absPath))) {
      return false; // the common case costs a Set lookup and a prefix test
    }
    onExcluded?.(absPath);
    return true;
  };
}
