/**
 * Sources: read input trees from disk into vinyl files without buffering their bytes.
 *
 * Every regular file gets a re-openable `FileContents` stream (opened lazily, its size checked
 * against the listing); every directory is yielded too (a null vinyl, `isDirectory()`), before
 * what it holds, as gulp.src does, so checks see empty folders; the writers skip directories.
 * Symlinks are yielded as symbolic vinyl files (never followed) and names that are not UTF-8
 * carry `file.nonUtf8Path`, so payloadPolicy can refuse them all in one report.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, readlink, stat as statPath } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { FileContents } from "../shared/contents.js";
import { userError } from "../shared/errors.js";
import { asciiLower } from "../shared/paths.js";
import { walkTree, type WalkEntry } from "./walk.js";
import { setNonUtf8Path } from "../shared/vinyl-fields.js";

export { walkTree, type WalkEntry } from "./walk.js";

const PLUGIN = "treeSrc";

/** Input arch folder names accepted under the drivers dir (see normalizeArch). */
export const ARCH_FOLDERS = ["x86", "win32", "i386", "amd64", "x64", "x86_64", "x86-64"] as const;

/** Root files of a guest-tools dir that are packaged when present. */
export const GUEST_TOOLS_ROOT_FILES = [
  "setup.cmd",
  "uninstall.cmd",
  "verify.cmd",
  "verify.ps1",
  "README.md",
  "THIRD_PARTY_NOTICES.md",
] as const;

/** Folders of a guest-tools dir that are packaged (recursively) when present. */
export const GUEST_TOOLS_FOLDERS = ["config", "certs", "licenses", "tools"] as const;

export interface TreeSrcOptions {
  /** Working directory recorded on the vinyl files. Default: process.cwd(). */
  cwd?: string;
  /**
   * Entries to leave out, by absolute path and lstat (e.g. the build's own outputs when the out
   * dir lies inside the tree): true drops the entry. Default: nothing is left out.
   */
  exclude?: (absPath: string, stat: Stats) => boolean;
}

/** Every file and directory under `root` (hidden ones included; filtering is payloadPolicy's job). */
export function treeSrc(root: string, options: TreeSrcOptions = {}): Readable {
  const cwd = options.cwd ?? process.cwd();
  const base = path.resolve(cwd, root);
  return Readable.from(generate(async function* () {
    await requireDirectory(base, root, "input dir");
    for await (const entry of walkTree(base)) {
      if (options.exclude?.(entry.absPath, entry.stat)) continue;
      const file = await toVinyl(entry, base, cwd);
      if (file) yield file;
    }
  }), { objectMode: true });
}

export interface GuestToolsSrcOptions extends TreeSrcOptions {
  /** `x86/<driver>/**` and `amd64/<driver>/**` (or win32, i386, x64, x86_64, x86-64). Optional. */
  driversDir?: string | undefined;
  /** Setup scripts, config/, certs/, licenses/, tools/, drivers/README.md. */
  guestToolsDir: string;
}

/**
 * The media's inputs: the packaged parts of the guest-tools dir (package paths as on the media)
 * followed by the arch folders of the drivers dir (relative `x64/<driver>/...`, mapped by normalizeArch).
 */
export function guestToolsSrc(options: GuestToolsSrcOptions): Readable {
  const cwd = options.cwd ?? process.cwd();
  const toolsBase = path.resolve(cwd, options.guestToolsDir);
  const driversBase = options.driversDir === undefined ? undefined : path.resolve(cwd, options.driversDir);
  return Readable.from(generate(async function* () {
    await requireDirectory(toolsBase, options.guestToolsDir, "guest-tools dir (--guest-tools-dir)");
    if (driversBase !== undefined) await requireDirectory(driversBase, options.driversDir!, "drivers dir (--drivers-dir)");
    const single = [...GUEST_TOOLS_ROOT_FILES, "drivers/README.md"];
    for (const rel of single) {
      const file = await entryAt(toolsBase, rel, cwd);
      if (file && !file.isDirectory()) yield file;
    }
    for (const folder of GUEST_TOOLS_FOLDERS) yield* folderEntries(toolsBase, folder, cwd, options.exclude);
    if (driversBase === undefined) return;
    const archNames = new Set<string>(ARCH_FOLDERS);
    for (const entry of await readdirSorted(driversBase)) {
      if (archNames.has(asciiLower(entry))) yield* folderEntries(driversBase, entry, cwd, options.exclude);
    }
  }), { objectMode: true });
}

/**
 * A folder and everything in it (relative to base), directories included; a symlinked or
 * non-directory folder is yielded as itself.
 */
async function* folderEntries(base: string, folder: string, cwd: string, exclude: TreeSrcOptions["exclude"]): AsyncGenerator<Vinyl> {
  const top = await entryAt(base, folder, cwd);
  if (!top) return;
  yield top;
  if (!top.isDirectory()) return;
  for await (const entry of walkTree(path.join(base, folder))) {
    if (exclude?.(entry.absPath, entry.stat)) continue;
    const file = await toVinyl({ ...entry, relative: `${folder}/${entry.relative}` }, base, cwd);
    if (file) yield file;
  }
}

/** The vinyl for one path under base (lstat), or undefined when it does not exist. */
async function entryAt(base: string, rel: string, cwd: string): Promise<Vinyl | undefined> {
  const absPath = path.join(base, rel);
  let st;
  try {
    st = await lstat(absPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
  if (st.isDirectory()) return new Vinyl({ cwd, base, path: absPath, stat: st, contents: null });
  return toVinyl({ absPath, relative: rel, stat: st }, base, cwd);
}

async function toVinyl(entry: WalkEntry, base: string, cwd: string): Promise<Vinyl | undefined> {
  const filePath = path.join(base, entry.relative);
  if (entry.nonUtf8Path !== undefined) {
    const file = new Vinyl({ cwd, base, path: filePath, stat: entry.stat, contents: null });
    setNonUtf8Path(file, entry.nonUtf8Path);
    return file;
  }
  if (entry.stat.isSymbolicLink()) {
    const file = new Vinyl({ cwd, base, path: filePath, stat: entry.stat, contents: null });
    file.symlink = await readlink(entry.absPath);
    return file;
  }
  // A directory is a null vinyl with its stat (isDirectory()), as gulp.src yields it.
  if (entry.stat.isDirectory()) return new Vinyl({ cwd, base, path: filePath, stat: entry.stat, contents: null });
  if (!entry.stat.isFile()) return undefined; // FIFOs, sockets, devices: never packaged
  return new Vinyl({
    cwd,
    base,
    path: filePath,
    stat: entry.stat,
    contents: new FileContents(entry.absPath, entry.stat.size, entry.stat),
  });
}

async function requireDirectory(absPath: string, shown: string, what: string): Promise<void> {
  let st;
  try {
    st = await statPath(absPath);
  } catch {
    throw userError(PLUGIN, `${what} not found: ${shown}`);
  }
  if (!st.isDirectory()) throw userError(PLUGIN, `${what} is not a directory: ${shown}`);
}

async function readdirSorted(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Run a generator factory, turning I/O errors into clear plugin errors. */
async function* generate(factory: () => AsyncGenerator<Vinyl>): AsyncGenerator<Vinyl> {
  try {
    yield* factory();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === "string" && e.path) {
      throw userError(PLUGIN, `cannot read ${e.path}: ${e.code === "EACCES" ? "permission denied" : e.message}`);
    }
    throw err;
  }
}
