/**
 * The one gate every plugin's transform calls first: whatever kind of vinyl file arrives (a
 * Buffer, a stream from `gulp.src(..., { buffer: false })` in gulp 4 or gulp 5, a directory, a
 * symlink, a null file from `read: false`), the plugin then sees one it can use, or the stream
 * fails with one PluginError naming the file and what to change.
 *
 * - directories pass (each plugin skips or uses them);
 * - null files and symlinks pass for plugins that judge paths only, and are refused by those
 *   that need the bytes;
 * - one-shot streams (not our re-openable FileContents) are read into one Buffer of the listed
 *   size by plugins that need the bytes, so later readers can read them again; plugins that judge
 *   paths only leave them as they are;
 * - contents gulp decoded as text (gulp 5's default `encoding: "utf8"`, gulp 4's `removeBOM`) are
 *   refused: never packaged silently.
 */
import { open } from "node:fs/promises";
import type Vinyl from "vinyl";
import { isReopenable, openContents } from "./contents.js";
import { userError } from "./errors.js";

export interface IntakeOptions {
  /**
   * "bytes": the plugin reads the contents (refuses null files and symlinks, makes one-shot
   * streams re-readable). "paths": it judges paths only (null files, symlinks and streams pass).
   */
  needs: "bytes" | "paths";
  /** With "bytes": false for a plugin that reads each stream once (a destination). Default true. */
  reread?: boolean;
}

/** The largest one-shot stream read into memory to make it re-readable. */
export const MAX_BUFFERED_STREAM = 1024 * 1024 * 1024;

const UTF8_REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Check one incoming file and make its contents usable; resolves with the same file.
 * Rejects with a PluginError of `plugin` (no stack: these are user mistakes).
 */
export async function intake(plugin: string, file: Vinyl, options: IntakeOptions): Promise<Vinyl> {
  if (file.isDirectory()) return file;
  const name = shownName(file);
  if (file.isNull()) {
    if (options.needs === "paths") return file;
    if (file.isSymbolic() || file.stat?.isSymbolicLink?.()) {
      throw userError(plugin, `${name} is a symlink and has no contents to package; replace it with the real file (payloadPolicy refuses symlinks)`, file.path);
    }
    throw userError(plugin, `${name} has no contents (gulp.src(..., { read: false })?); ${plugin} needs the bytes of every file: read them (drop read: false)`, file.path);
  }
  if (file.isBuffer()) {
    await checkNotDecoded(plugin, file, file.contents as Buffer);
    return file;
  }
  // A stream: ours re-open from disk and were never decoded; a foreign one is read once here.
  if (isReopenable(file) || options.needs === "paths" || options.reread === false) return file;
  // Past MAX_BUFFERED_STREAM a one-shot stream is left a stream, read once by the plugin that
  // writes it (isoWriter streams it; files of 4 GiB and more do not fit in a Buffer at all). Not
  // checked for decoding: a text-decoded binary of that size is not a case we have seen.
  const listed = listedSize(file);
  if (listed !== undefined && listed > MAX_BUFFERED_STREAM) return file;
  const bytes = await readStream(plugin, file);
  await checkNotDecoded(plugin, file, bytes);
  file.contents = bytes;
  return file;
}

/** The name a user recognises: the path gulp.src read, else the package path. */
function shownName(file: Vinyl): string {
  return file.history[0] ?? file.path ?? file.relative;
}

/** The size the file was listed with (gulp.src: its size on disk), if any. */
function listedSize(file: Vinyl): number | undefined {
  const stat = file.stat;
  if (!stat || typeof stat.size !== "number" || (typeof stat.isFile === "function" && !stat.isFile())) return undefined;
  return stat.size;
}

/**
 * Read a one-shot stream (node, streamx as in gulp 5, or readable-stream as in gulp 4) into a
 * single Buffer: allocated once at the listed size, so a big file is not held twice.
 */
async function readStream(plugin: string, file: Vinyl): Promise<Buffer> {
  const source = openContents(file);
  const expected = listedSize(file);
  let buf = Buffer.allocUnsafe(expected ?? 64 * 1024);
  let length = 0;
  try {
    for await (const chunk of source) {
      const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      if (length + piece.length > buf.length) {
        // Longer than listed (decoded as text, or no size known): grow geometrically.
        const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, length + piece.length));
        buf.copy(grown, 0, 0, length);
        buf = grown;
      }
      piece.copy(buf, length);
      length += piece.length;
    }
  } catch (err) {
    throw userError(plugin, `cannot read the contents stream of ${shownName(file)}: ${(err as Error).message}`, file.path);
  }
  return length === buf.length ? buf : buf.subarray(0, length);
}

/**
 * Refuse contents that gulp.src decoded as text. The test is exact without re-reading every
 * file: decoding only ever strips a BOM (shorter) or writes U+FFFD for bytes that are not UTF-8
 * (longer, or as long for a truncated 3-byte sequence), so contents as long as the listed size
 * and free of U+FFFD are the file's bytes. Otherwise the file on disk decides: contents equal to
 * it decoded are refused; contents a plugin upstream changed (stale stat.size) pass.
 */
async function checkNotDecoded(plugin: string, file: Vinyl, bytes: Buffer): Promise<void> {
  const size = listedSize(file);
  if (size === undefined) return; // made in memory: nothing to compare with
  if (bytes.length === size && !bytes.includes(UTF8_REPLACEMENT)) return;
  const original = file.history[0];
  const disk = original === undefined ? undefined : await readIfSize(original, size);
  if (disk === undefined) {
    if (bytes.length === size) return; // a literal U+FFFD and nothing to compare with
    throw decodedError(plugin, file, bytes.length, size, false);
  }
  if (bytes.equals(disk)) return;
  if (decodings(disk).some((d) => d.equals(bytes))) throw decodedError(plugin, file, bytes.length, size, true);
}

const FIX = "pass { encoding: false } to gulp.src (gulp 4: { removeBOM: false })";

function decodedError(plugin: string, file: Vinyl, got: number, size: number, confirmed: boolean): Error {
  const message = confirmed
    ? `${shownName(file)}: contents are ${got} bytes but the file is ${size} bytes: gulp.src decoded it as text (UTF-8), which corrupts binaries and drops a BOM; ${FIX}`
    : `${shownName(file)}: contents are ${got} bytes but file.stat.size says ${size}: if gulp.src read it, it decoded it as text: ${FIX}; a plugin that changes contents must update file.stat.size`;
  return userError(plugin, message, file.path);
}

/** What gulp 5 (decode as UTF-8, BOM removed or kept) and gulp 4 (BOM removed) make of these bytes. */
function decodings(disk: Buffer): Buffer[] {
  const text = disk.toString("utf8");
  const out: Buffer[] = [Buffer.from(text, "utf8")];
  if (text.startsWith("\uFEFF")) out.push(Buffer.from(text.slice(1), "utf8"));
  if (disk.subarray(0, 3).equals(UTF8_BOM)) out.push(disk.subarray(3));
  return out;
}

/** The file's bytes when it still has the listed size, else undefined (gone or changed). */
async function readIfSize(p: string, size: number): Promise<Buffer | undefined> {
  try {
    const handle = await open(p, "r");
    try {
      if ((await handle.stat()).size !== size) return undefined;
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
