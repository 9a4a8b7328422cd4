/**
 * isoSrc(isoPath, options): a gulp-style source of the files inside an ISO9660 image (the
 * Joliet tree when present, else the primary tree), so other plugins can pipe from an image.
 * listIso(isoPath): the absolute in-image paths of its files, sorted. readIsoTree(isoPath): the
 * lower-level tree (files and directories with sizes and extents).
 *
 * Each vinyl's base is the image path itself, used as a virtual root: for image
 * /out/media.iso, "drivers/a.inf" gets path /out/media.iso/drivers/a.inf and relative
 * drivers/a.inf. Contents are re-openable streams reading the image by offset (or Buffers with
 * `buffer: true`).
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { userError, PluginError } from "../shared/errors.js";
import { generatedStat } from "../shared/stat.js";
import { IsoFormatError } from "../iso9660/records.js";
import { IsoExtentContents } from "./contents.js";
import { createGlobMatcher } from "./glob.js";
import { readIsoTree as readTree, type IsoEntry, type IsoTree, type ReadIsoTreeOptions } from "./tree.js";

const PLUGIN = "isoSrc";

export interface IsoSrcOptions {
  /** Globs over in-image paths ("drivers/**\/*.inf", "!**\/*.pdb"); default: every file. */
  globs?: string | string[];
  /** Buffer contents instead of streaming them. Default false. */
  buffer?: boolean;
  /** cwd of the emitted files and for resolving isoPath. Default process.cwd(). */
  cwd?: string;
  /** Which tree to read: "auto" (Joliet when present, default), "joliet" or "primary". */
  tree?: ReadIsoTreeOptions["tree"];
}

export function isoSrc(isoPath: string, options: IsoSrcOptions = {}): Readable {
  if (typeof isoPath !== "string" || isoPath === "") throw userError(PLUGIN, "isoPath must be a non-empty string");
  const cwd = options.cwd ?? process.cwd();
  const abs = path.resolve(cwd, isoPath);
  let matches: (p: string) => boolean = () => true;
  if (options.globs !== undefined) {
    try {
      matches = createGlobMatcher(options.globs);
    } catch (err) {
      throw userError(PLUGIN, (err as Error).message);
    }
  }
  const treeOptions: ReadIsoTreeOptions = options.tree ? { tree: options.tree } : {};

  async function* files(): AsyncGenerator<Vinyl> {
    const tree = await readIsoTree(abs, treeOptions);
    for (const entry of tree.entries) {
      if (entry.isDirectory || !matches(entry.path)) continue;
      const contents = options.buffer ? await readEntry(abs, entry) : new IsoExtentContents(abs, entry.path, entry.extents, entry.size);
      yield new Vinyl({
        cwd,
        base: abs,
        path: path.join(abs, ...entry.path.split("/")),
        contents,
        stat: generatedStat(entry.size, entry.mtime ?? new Date(0)),
      });
    }
  }
  return Readable.from(files(), { objectMode: true });
}

/** The absolute in-image paths ("/drivers/x86/a.inf") of every file, sorted by code point. */
export async function listIso(isoPath: string): Promise<string[]> {
  const tree = await readIsoTree(isoPath);
  return tree.entries.filter((e) => !e.isDirectory).map((e) => `/${e.path}`);
}

/** The tree of an image; a malformed or unreadable image rejects with a PluginError. */
export async function readIsoTree(isoPath: string, options: ReadIsoTreeOptions = {}): Promise<IsoTree> {
  try {
    return await readTree(isoPath, options);
  } catch (err) {
    throw asReadError(isoPath, err);
  }
}

async function readEntry(isoPath: string, entry: IsoEntry): Promise<Buffer> {
  const buf = Buffer.alloc(entry.size);
  const handle = await open(isoPath, "r");
  try {
    let at = 0;
    for (const extent of entry.extents) {
      let done = 0;
      while (done < extent.length) {
        const { bytesRead } = await handle.read(buf, at + done, extent.length - done, extent.offset + done);
        if (bytesRead === 0) throw new IsoFormatError(`the image ended before the end of "${entry.path}"`);
        done += bytesRead;
      }
      at += extent.length;
    }
  } catch (err) {
    throw asReadError(isoPath, err);
  } finally {
    await handle.close();
  }
  return buf;
}

function asReadError(isoPath: string, err: unknown): PluginError {
  if (err instanceof PluginError) return err;
  if (err instanceof IsoFormatError) return userError(PLUGIN, `${isoPath} is not a readable ISO image: ${err.message}`, isoPath);
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === "string") return userError(PLUGIN, `cannot read ${isoPath}: ${e.message}`, isoPath);
  return new PluginError(PLUGIN, err as Error, { showStack: true });
}

export { IsoExtentContents } from "./contents.js";
export { createGlobMatcher } from "./glob.js";
export { DEFAULT_LIMITS, type IsoEntry, type IsoExtent, type IsoReadLimits, type IsoTree, type ReadIsoTreeOptions } from "./tree.js";
