import type { Stats } from "node:fs";

/** A minimal fs.Stats-like object for files generated in memory (regular file, mode 0644). */
export function generatedStat(size: number, mtime: Date): Stats {
  return {
    size,
    mode: 0o100644,
    mtime,
    atime: mtime,
    ctime: mtime,
    birthtime: mtime,
    isFile: () => true,
    isDirectory: () => false,
    isSymbolicLink: () => false,
  } as unknown as Stats;
}
