/**
 * A directory walk that never follows symlinks, sees names as raw bytes (so names that are not
 * UTF-8 are reported, not mangled) and visits siblings in byte order (the same on every OS).
 */
import { lstat, readdir } from "node:fs/promises";
import type { Stats } from "node:fs";
import path from "node:path";
import { displayRawName } from "../shared/paths.js";

export interface WalkEntry {
  /** Absolute path on disk (lossy for non-UTF-8 names). */
  absPath: string;
  /** Path relative to the walk root, "/"-separated (lossy for non-UTF-8 names). */
  relative: string;
  /** lstat of the entry. */
  stat: Stats;
  /** Set when some component under the root is not valid UTF-8: the path with \xNN escapes. */
  nonUtf8Path?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeName(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/**
 * Yield every directory, file, symlink and special entry under `root`, depth-first, a directory
 * before what it holds (as gulp.src does: the driver checks must see a folder that holds nothing).
 * Symlinks are yielded (never followed), so the caller can refuse them.
 */
export async function* walkTree(root: string): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, "", Buffer.from(root), undefined);
}

async function* walkDir(
  dir: string,
  relDir: string,
  rawDir: Buffer,
  badPrefix: string | undefined,
): AsyncGenerator<WalkEntry> {
  const names = (await readdir(rawDir, { encoding: "buffer" })) as Buffer[];
  names.sort(Buffer.compare);
  for (const raw of names) {
    const decoded = decodeName(raw);
    const name = decoded ?? raw.toString("utf8");
    const absPath = path.join(dir, name);
    const rawPath = Buffer.concat([rawDir, Buffer.from("/"), raw]);
    const relative = relDir ? `${relDir}/${name}` : name;
    const shown = decoded === undefined || badPrefix !== undefined
      ? `${badPrefix ?? displayRawName(rawDir)}/${displayRawName(raw)}`
      : undefined;
    // lstat through the raw bytes: the lossy string would name another (or no) file.
    const stat = await lstat(rawPath as unknown as string);
    const entry: WalkEntry = { absPath, relative, stat };
    if (shown !== undefined) entry.nonUtf8Path = shown;
    yield entry;
    if (stat.isDirectory()) yield* walkDir(absPath, relative, rawPath, shown);
  }
}
