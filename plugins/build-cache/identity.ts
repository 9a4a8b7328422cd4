/**
 * The identity of a file's bytes on disk, as a string key: equal keys mean the file has not been
 * written since (the same idea as git's index). Pure functions over a bigint lstat.
 */
import type { BigIntStats } from "node:fs";

/**
 * Path, device + inode, size, mtime and ctime, all in nanoseconds. ctime is there because tools
 * that restore mtimes (`cp -p`, `touch -d`, rsync -t) can rewrite a file in place with the same
 * size and mtime; ctime cannot be set from user space, so such a rewrite still changes the key.
 */
export function contentsIdentity(sourcePath: string, st: BigIntStats): string {
  return [sourcePath, `${st.dev}:${st.ino}`, st.size, st.mtimeNs, st.ctimeNs].join("\0");
}

/**
 * True when the file changed so recently that a further write within the same file system
 * timestamp tick would leave its key unchanged ("racy clean" in git's terms). Such files are not
 * cached: they are hashed and compressed again next time, which costs little as they are few.
 */
export function isRacy(st: BigIntStats, nowMs: number, racyMs: number): boolean {
  const changedMs = Number(st.ctimeNs > st.mtimeNs ? st.ctimeNs : st.mtimeNs) / 1e6;
  return nowMs - changedMs < racyMs;
}
