/**
 * Reading finished media in place, for verifying and comparing them: every file of an ISO (its
 * Joliet tree, with the primary ISO9660 tree mapped onto it) or of a zip, hashed with SHA-256 as
 * it is streamed from the image (never extracted, never whole in memory), and the bytes of the
 * image's own manifest.json.
 *
 * Corruption is reported, not thrown, wherever the rest of the image can still be read: a file
 * whose bytes cannot be read (an extent past the end, a bad deflate stream, a CRC mismatch)
 * becomes a problem naming it. Only an image whose directory cannot be read at all rejects.
 */
import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { crc32 } from "node:zlib";
import type * as Yauzl from "yauzl";
import { readIsoTree, type IsoEntry } from "../iso-src/index.js";
import { DEFAULT_MANIFEST_NAME } from "../manifest/document.js";
import { DOCUMENT_LIMITS } from "../shared/documents.js";
import { compareCodePoints } from "../shared/paths.js";
import type { ProgressSink } from "../shared/progress.js";

// Loaded on first use: a build never reads a zip, and loading yauzl costs it about 15 ms.
let yauzlModule: typeof Yauzl | undefined;
const yauzl = (): typeof Yauzl => (yauzlModule ??= createRequire(import.meta.url)("yauzl") as typeof Yauzl);

/** Largest manifest.json read into memory: the documents' cap for a manifest. */
export const MAX_MANIFEST_BYTES = DOCUMENT_LIMITS.manifest.bytes;

export interface MediaFile {
  path: string;
  size: number;
  /** Lower-case hex; undefined when the bytes could not be read (see problems). */
  sha256: string | undefined;
}

export interface MediaListing {
  kind: "iso" | "zip";
  /** The image on disk. */
  source: string;
  /** Every file, by in-image path ("drivers/x86/a.inf"), sorted by code point. */
  files: Map<string, MediaFile>;
  /** The image's own manifest.json bytes, when it holds one. */
  manifest: Buffer | undefined;
  /** Bytes of the files the `keep` option asked for (and manifest.json). */
  kept: Map<string, Buffer>;
  /** Problems found while reading (unreadable files, trees that do not map onto each other). */
  problems: string[];
}

export interface ReadMediaOptions {
  progress?: ProgressSink | undefined;
  /** Hash the files (default true); false lists names and sizes only. */
  hash?: boolean;
  /** Files whose bytes to keep (besides manifest.json), e.g. the INFs; each at most MAX_KEPT_BYTES. */
  keep?: (path: string) => boolean;
}

/** Largest file kept in memory for a `keep` predicate (an INF is a few KiB). */
export const MAX_KEPT_BYTES = 16 * 1024 * 1024;

function keeps(options: ReadMediaOptions, path: string, size: number): boolean {
  if (path === DEFAULT_MANIFEST_NAME) return size <= MAX_MANIFEST_BYTES;
  return size <= MAX_KEPT_BYTES && (options.keep?.(path) ?? false);
}

const CHUNK = 1024 * 1024;

/** Sniff an image's kind from its first bytes (a zip starts with a local header or is empty). */
export async function sniffMediaKind(file: string): Promise<"iso" | "zip" | "json"> {
  await requireRegularFile(file);
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(32774);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead >= 4 && (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50)) return "zip";
    if (bytesRead >= 32774 && head.toString("latin1", 32769, 32774) === "CD001") return "iso";
    return "json";
  } finally {
    await handle.close();
  }
}

/** An image must be a regular file: opening a FIFO would block, /dev/zero would never end. */
async function requireRegularFile(file: string): Promise<void> {
  const st = await stat(file);
  if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: "ENOTREGULAR" });
}

export async function readIsoMedia(isoPath: string, options: ReadMediaOptions = {}): Promise<MediaListing> {
  await requireRegularFile(isoPath);
  const joliet = await readIsoTree(isoPath, { tree: "auto" });
  const problems: string[] = [];
  if (joliet.tree !== "joliet") problems.push(`${isoPath}: the image has no Joliet tree (long names are lost on Windows)`);
  else problems.push(...mapPrimaryTree(isoPath, joliet.entries, (await readIsoTree(isoPath, { tree: "primary" })).entries));

  const entries = joliet.entries.filter((e) => !e.isDirectory);
  const files = new Map<string, MediaFile>();
  const kept = new Map<string, Buffer>();
  const handle = await open(isoPath, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const total = entries.reduce((n, e) => n + e.size, 0);
    options.progress?.phase(`verifying ${isoPath}`, total);
    // In image order, so the disk reads sequentially.
    const byOffset = [...entries].sort((a, b) => (a.extents[0]?.offset ?? 0) - (b.extents[0]?.offset ?? 0));
    for (const entry of byOffset) {
      const wantBytes = keeps(options, entry.path, entry.size);
      const parts: Buffer[] = [];
      const hash = createHash("sha256");
      let error: string | undefined;
      if (options.hash !== false || wantBytes) {
        try {
          for (const extent of entry.extents) {
            for (let done = 0; done < extent.length; ) {
              const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, extent.length - done), extent.offset + done);
              if (bytesRead === 0) throw new Error(`its bytes ${extent.offset + done}.. lie past the end of the image`);
              const chunk = buf.subarray(0, bytesRead);
              hash.update(chunk);
              if (wantBytes) parts.push(Buffer.from(chunk));
              done += bytesRead;
              options.progress?.advance(bytesRead);
            }
          }
        } catch (err) {
          error = (err as Error).message;
        }
      }
      if (error !== undefined) problems.push(`unreadable: ${entry.path} in ${isoPath}: ${error}`);
      files.set(entry.path, { path: entry.path, size: entry.size, sha256: error === undefined && options.hash !== false ? hash.digest("hex") : undefined });
      if (wantBytes && error === undefined) kept.set(entry.path, Buffer.concat(parts));
    }
  } finally {
    await handle.close();
  }
  return { kind: "iso", source: isoPath, files: sortedMap(files), manifest: kept.get(DEFAULT_MANIFEST_NAME), kept, problems };
}

/**
 * The primary tree must describe the same files as the Joliet tree (a reader without Joliet,
 * such as Windows' setup environment or DOS tools, sees the primary one): every file of one is a
 * file of the other with the same bytes (extent and size), under directories that map to each
 * other. Empty files share extents in some writers, so they are matched by directory and count.
 */
export function mapPrimaryTree(isoPath: string, joliet: IsoEntry[], primary: IsoEntry[]): string[] {
  const problems: string[] = [];
  const key = (e: IsoEntry) => `${e.extents[0]?.offset ?? 0}:${e.size}`;
  const parent = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
  const jolietByKey = new Map<string, IsoEntry[]>();
  const emptyPerDir = new Map<string, number>();
  for (const e of joliet) {
    if (e.isDirectory) continue;
    if (e.size === 0) emptyPerDir.set(parent(e.path), (emptyPerDir.get(parent(e.path)) ?? 0) + 1);
    else jolietByKey.set(key(e), [...(jolietByKey.get(key(e)) ?? []), e]);
  }
  const dirMap = new Map<string, string>([["", ""]]);
  const mapDir = (primaryDir: string, jolietDir: string, name: string) => {
    for (let p = primaryDir, j = jolietDir; ; p = parent(p), j = parent(j)) {
      const known = dirMap.get(p);
      if (known === undefined) dirMap.set(p, j);
      else if (known !== j) {
        problems.push(`primary ISO9660 name ${name} in ${isoPath} lies in folder /${p}, which maps to /${known} in the Joliet tree, not to /${j}`);
        return;
      }
      if (p === "" || j === "") {
        if (p !== j) problems.push(`primary ISO9660 name ${name} in ${isoPath} is not as deep as its Joliet file /${jolietDir}`);
        return;
      }
    }
  };
  const primaryEmpty: IsoEntry[] = [];
  for (const e of primary) {
    if (e.isDirectory) continue;
    if (e.size === 0) {
      primaryEmpty.push(e);
      continue;
    }
    const candidates = jolietByKey.get(key(e));
    const match = candidates?.shift();
    if (!match) {
      problems.push(`primary ISO9660 name /${e.path} in ${isoPath} maps to no file of the Joliet tree`);
      continue;
    }
    mapDir(parent(e.path), parent(match.path), `/${e.path}`);
  }
  for (const left of jolietByKey.values()) {
    for (const e of left) problems.push(`Joliet file /${e.path} in ${isoPath} has no primary ISO9660 name`);
  }
  for (const e of primaryEmpty) {
    const dir = dirMap.get(parent(e.path));
    const left = dir === undefined ? undefined : emptyPerDir.get(dir);
    if (dir === undefined || !left) {
      problems.push(`primary ISO9660 name /${e.path} in ${isoPath} (an empty file) maps to no empty file of the Joliet tree`);
      continue;
    }
    emptyPerDir.set(dir, left - 1);
  }
  for (const [dir, left] of emptyPerDir) {
    if (left > 0) problems.push(`${left} empty Joliet file(s) in /${dir} of ${isoPath} have no primary ISO9660 name`);
  }
  return problems;
}

export async function readZipMedia(zipPath: string, options: ReadMediaOptions = {}): Promise<MediaListing> {
  await requireRegularFile(zipPath);
  const zip = await new Promise<Yauzl.ZipFile>((resolve, reject) =>
    yauzl().open(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
      err ? reject(asZipError(zipPath, err)) : resolve(z),
    ),
  );
  const files = new Map<string, MediaFile>();
  const problems: string[] = [];
  const kept = new Map<string, Buffer>();
  try {
    const entries = await new Promise<Yauzl.Entry[]>((resolve, reject) => {
      const all: Yauzl.Entry[] = [];
      zip.on("entry", (entry: Yauzl.Entry) => {
        all.push(entry);
        zip.readEntry();
      });
      zip.once("end", () => resolve(all));
      zip.once("error", (err: Error) => reject(asZipError(zipPath, err)));
      zip.readEntry();
    });
    options.progress?.phase(`verifying ${zipPath}`, entries.reduce((n, e) => n + e.uncompressedSize, 0));
    for (const entry of entries) {
      const name = entry.fileName;
      if (name.endsWith("/")) continue;
      if (files.has(name)) problems.push(`duplicate: ${name} appears twice in ${zipPath}`);
      const wantBytes = keeps(options, name, entry.uncompressedSize);
      let sha256: string | undefined;
      if (options.hash !== false || wantBytes) {
        try {
          const { digest, bytes } = await hashZipEntry(zip, entry, wantBytes, options.progress);
          sha256 = options.hash !== false ? digest : undefined;
          if (bytes) kept.set(name, bytes);
        } catch (err) {
          problems.push(`unreadable: ${name} in ${zipPath}: ${(err as Error).message}`);
        }
      }
      files.set(name, { path: name, size: entry.uncompressedSize, sha256 });
    }
  } finally {
    zip.close();
  }
  return { kind: "zip", source: zipPath, files: sortedMap(files), manifest: kept.get(DEFAULT_MANIFEST_NAME), kept, problems };
}

async function hashZipEntry(
  zip: Yauzl.ZipFile,
  entry: Yauzl.Entry,
  keep: boolean,
  progress: ProgressSink | undefined,
): Promise<{ digest: string; bytes: Buffer | undefined }> {
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
  );
  const hash = createHash("sha256");
  const parts: Buffer[] = [];
  let crc = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    crc = crc32(chunk, crc);
    if (keep) parts.push(chunk);
    progress?.advance(chunk.length);
  }
  // yauzl checks sizes, not the CRC: a flipped bit in stored data or in the CRC field is ours to see.
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new Error(`CRC-32 ${hex8(crc)} of its bytes differs from ${hex8(entry.crc32)} in the central directory`);
  }
  return { digest: hash.digest("hex"), bytes: keep ? Buffer.concat(parts) : undefined };
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

function asZipError(zipPath: string, err: Error): Error {
  const e = new Error(`${zipPath} is not a readable zip: ${err.message}`);
  (e as NodeJS.ErrnoException).code = "EBADZIP";
  return e;
}

function sortedMap(files: Map<string, MediaFile>): Map<string, MediaFile> {
  return new Map([...files].sort(([a], [b]) => compareCodePoints(a, b)));
}

/** The listing of an ISO or zip image, by its first bytes. */
export async function readMedia(file: string, options: ReadMediaOptions = {}): Promise<MediaListing> {
  const kind = await sniffMediaKind(file);
  if (kind === "json") throw Object.assign(new Error(`${file} is neither an ISO9660 image nor a zip`), { code: "EBADMEDIA" });
  return kind === "iso" ? readIsoMedia(file, options) : readZipMedia(file, options);
}
