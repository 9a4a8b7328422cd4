/**
 * readIsoTree: the directory tree of an ISO9660 image, read with positional reads (never the
 * whole image), from the Joliet tree when the image has one, else the primary tree.
 *
 * The image is untrusted input. Every record is bounds-checked (iso9660/records.ts), every extent must
 * lie inside the file, a directory extent visited twice is a loop, and the depth, the size of a
 * directory extent, the number of descriptors and the number of entries are capped, so a
 * malformed or hostile image gives an IsoFormatError, never a hang, a crash or a huge
 * allocation. Names that could escape the image root when written out ("..", "/", "\") are
 * refused too.
 */
import { open, type FileHandle } from "node:fs/promises";
import { compareCodePoints } from "../shared/paths.js";
import { decodeUcs2 } from "../iso9660/names.js";
import {
  FLAG_ASSOCIATED,
  FLAG_DIRECTORY,
  FLAG_MULTI_EXTENT,
  IsoFormatError,
  SECTOR,
  VD_PRIMARY,
  VD_TERMINATOR,
  decodeDirRecord,
  decodeRecordDate,
  decodeVolumeDescriptor,
  type DecodedDirRecord,
  type DecodedVolumeDescriptor,
} from "../iso9660/records.js";

export interface IsoReadLimits {
  /** Deepest directory level below the root. */
  maxDepth: number;
  /** Files plus directories. */
  maxEntries: number;
  /** Largest directory extent read into memory. */
  maxDirectoryBytes: number;
  /** Volume descriptors scanned before the terminator must appear. */
  maxDescriptors: number;
}

export const DEFAULT_LIMITS: IsoReadLimits = {
  maxDepth: 256,
  maxEntries: 500_000,
  maxDirectoryBytes: 32 * 1024 * 1024,
  maxDescriptors: 64,
};

export interface IsoExtent {
  /** Byte offset in the image. */
  offset: number;
  length: number;
}

export interface IsoEntry {
  /** Path inside the image, "/"-separated, no leading "/": "drivers/x86/a.inf". */
  path: string;
  isDirectory: boolean;
  /** Bytes (0 for a directory). */
  size: number;
  /** Where the bytes are, in order (several for a multi-extent file). */
  extents: IsoExtent[];
  /** The record's recording date, or undefined when it holds no valid date. */
  mtime: Date | undefined;
}

export interface IsoTree {
  /** Which tree was read. */
  tree: "joliet" | "primary";
  /** Volume identifier of that tree's descriptor, trailing spaces removed. */
  volumeId: string;
  /** Every file and directory (not the root), sorted by path in code-point order. */
  entries: IsoEntry[];
}

export interface ReadIsoTreeOptions {
  /** "auto" (default): Joliet when present, else primary. */
  tree?: "auto" | "joliet" | "primary";
  limits?: Partial<IsoReadLimits>;
}

class Image {
  constructor(
    readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Exactly `length` bytes at `position`, or an IsoFormatError naming `what`. */
  async read(position: number, length: number, what: string): Promise<Buffer> {
    if (position < 0 || length < 0 || position + length > this.size) {
      throw new IsoFormatError(`${what} lies outside the image (bytes ${position}..${position + length} of ${this.size})`);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) throw new IsoFormatError(`${what}: the image ended early`);
      done += bytesRead;
    }
    return buf;
  }
}

/** Read the tree of the image at `isoPath`. Throws IsoFormatError for a malformed image. */
export async function readIsoTree(isoPath: string, options: ReadIsoTreeOptions = {}): Promise<IsoTree> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const handle = await open(isoPath, "r");
  try {
    const { size } = await handle.stat();
    const image = new Image(handle, size);
    const { primary, joliet } = await readDescriptors(image, limits);
    const wanted = options.tree ?? "auto";
    const useJoliet = wanted === "joliet" || (wanted === "auto" && joliet !== undefined);
    if (wanted === "joliet" && !joliet) throw new IsoFormatError("the image has no Joliet volume descriptor");
    const vd = useJoliet ? joliet! : primary;
    const entries = await walk(image, vd, useJoliet, limits);
    entries.sort((a, b) => compareCodePoints(a.path, b.path));
    const volumeId = (useJoliet ? decodeUcs2(vd.volumeId) : vd.volumeId.toString("latin1")).replace(/[\s\u0000]+$/, "");
    return { tree: useJoliet ? "joliet" : "primary", volumeId, entries };
  } finally {
    await handle.close();
  }
}

async function readDescriptors(
  image: Image,
  limits: IsoReadLimits,
): Promise<{ primary: DecodedVolumeDescriptor; joliet: DecodedVolumeDescriptor | undefined }> {
  if (image.size < 17 * SECTOR) throw new IsoFormatError(`not an ISO9660 image: only ${image.size} bytes`);
  let primary: DecodedVolumeDescriptor | undefined;
  let joliet: DecodedVolumeDescriptor | undefined;
  for (let i = 0; i < limits.maxDescriptors; i++) {
    const lba = 16 + i;
    if ((lba + 1) * SECTOR > image.size) break;
    const sector = await image.read(lba * SECTOR, SECTOR, `volume descriptor ${lba}`);
    let vd: DecodedVolumeDescriptor;
    try {
      vd = decodeVolumeDescriptor(sector);
    } catch (err) {
      if (i === 0) throw new IsoFormatError("not an ISO9660 image: no CD001 volume descriptor at sector 16");
      throw new IsoFormatError(`sector ${lba}: ${(err as Error).message}`);
    }
    if (vd.type === VD_TERMINATOR) {
      if (!primary) throw new IsoFormatError("the image has no primary volume descriptor");
      return { primary, joliet };
    }
    if (vd.type === VD_PRIMARY) primary ??= vd;
    else if (vd.joliet) joliet ??= vd;
    if ((vd.type === VD_PRIMARY || vd.joliet) && vd.logicalBlockSize !== SECTOR) {
      throw new IsoFormatError(`unsupported logical block size ${vd.logicalBlockSize} (only 2048 is supported)`);
    }
  }
  throw new IsoFormatError(`no volume descriptor set terminator within ${limits.maxDescriptors} sectors`);
}

/** A name from a record: decoded, version stripped, checked to be one safe path component. */
function recordName(record: DecodedDirRecord, joliet: boolean, where: string): string {
  let name = joliet ? decodeUcs2(record.id) : record.id.toString("latin1");
  name = name.replace(/;\d*$/, "");
  // The primary tree records "NAME." for a file without extension.
  if (!joliet && !(record.flags & FLAG_DIRECTORY) && name.endsWith(".")) name = name.slice(0, -1);
  if (name === "" || name === "." || name === ".." || /[/\\\u0000]/.test(name)) {
    throw new IsoFormatError(`invalid name ${JSON.stringify(name)} in ${where}`);
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name)) {
    throw new IsoFormatError(`name in ${where} is not valid UTF-16`);
  }
  return name;
}

interface PendingDir {
  path: string;
  depth: number;
  offset: number;
  length: number;
}

/** What the walk builds and checks against, shared by each directory's reading. */
interface Walk {
  image: Image;
  joliet: boolean;
  limits: IsoReadLimits;
  entries: IsoEntry[];
  /** Directories still to read. */
  stack: PendingDir[];
}

async function walk(image: Image, vd: DecodedVolumeDescriptor, joliet: boolean, limits: IsoReadLimits): Promise<IsoEntry[]> {
  const root = vd.root!;
  if (!(root.flags & FLAG_DIRECTORY)) throw new IsoFormatError("the root directory record is not a directory");
  const state: Walk = { image, joliet, limits, entries: [], stack: [{ path: "", depth: 0, offset: (root.extent + root.xaLength) * SECTOR, length: root.dataLength }] };
  const visited = new Set<number>();
  // Directory extents never overlap either: together they fit in the image. Without this bound,
  // records pointing many directories at the same big region make the walk read it again and
  // again (a 64 MiB image could demand 1 TiB of reads).
  let directoryBytes = 0;
  while (state.stack.length) {
    const dir = state.stack.pop()!;
    const where = dir.path === "" ? "the root directory" : `directory "${dir.path}"`;
    if (visited.has(dir.offset)) throw new IsoFormatError(`${where} points back at a directory already read (a loop)`);
    visited.add(dir.offset);
    if (dir.length > limits.maxDirectoryBytes) {
      throw new IsoFormatError(`${where} claims ${dir.length} bytes of records (limit ${limits.maxDirectoryBytes})`);
    }
    directoryBytes += dir.length;
    if (directoryBytes > image.size) {
      throw new IsoFormatError(`the directories claim ${directoryBytes} bytes in all, more than the whole image (${image.size} bytes)`);
    }
    readDirectory(state, dir, where, await image.read(dir.offset, dir.length, where));
  }
  return state.entries;
}

/** The records of one directory's extent, in order, decoded one at a time ("." and ".." skipped). */
function* directoryRecords(data: Buffer, where: string): Generator<DecodedDirRecord> {
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) {
      // Records never cross a sector; a zero length byte means "continue in the next sector".
      pos = (Math.floor(pos / SECTOR) + 1) * SECTOR;
      continue;
    }
    let record: DecodedDirRecord;
    try {
      record = decodeDirRecord(data, pos, data.length);
    } catch (err) {
      throw new IsoFormatError(`${where}, byte ${pos}: ${(err as Error).message}`);
    }
    pos += record.length;
    const id = record.id;
    if (id.length === 1 && (id[0] === 0 || id[0] === 1)) continue; // "." and ".."
    yield record;
  }
}

/** One directory's entries (and its subdirectories, onto the stack), every record checked. */
function readDirectory(state: Walk, dir: PendingDir, where: string, data: Buffer): void {
  const { image, limits, entries } = state;
  const names = new Set<string>();
  let multi: IsoEntry | undefined; // an unfinished multi-extent file
  for (const record of directoryRecords(data, where)) {
    if (record.flags & FLAG_ASSOCIATED) continue;
    const name = recordName(record, state.joliet, where);
    const path = dir.path === "" ? name : `${dir.path}/${name}`;
    const isDirectory = (record.flags & FLAG_DIRECTORY) !== 0;
    const offset = (record.extent + record.xaLength) * SECTOR;

    if (multi) {
      if (multi.path !== path || isDirectory) throw new IsoFormatError(`multi-extent file "${multi.path}" ends without its final record`);
      addExtent(image, multi, offset, record.dataLength);
      if (!(record.flags & FLAG_MULTI_EXTENT)) multi = undefined;
      continue;
    }
    if (names.has(name)) throw new IsoFormatError(`${where} lists "${name}" twice`);
    names.add(name);
    if (entries.length >= limits.maxEntries) throw new IsoFormatError(`the image has more than ${limits.maxEntries} entries`);
    const mtime = decodeRecordDate(record.date);

    if (isDirectory) {
      if (dir.depth + 1 > limits.maxDepth) throw new IsoFormatError(`"${path}" is nested deeper than ${limits.maxDepth} levels`);
      entries.push({ path, isDirectory: true, size: 0, extents: [], mtime });
      state.stack.push({ path, depth: dir.depth + 1, offset, length: record.dataLength });
      continue;
    }
    if (record.fileUnitSize !== 0 || record.interleaveGap !== 0) {
      throw new IsoFormatError(`"${path}" is recorded in interleaved mode, which is not supported`);
    }
    checkExtent(image, offset, record.dataLength, path);
    const entry: IsoEntry = { path, isDirectory: false, size: record.dataLength, extents: [], mtime };
    if (record.dataLength > 0) entry.extents.push({ offset, length: record.dataLength });
    entries.push(entry);
    if (record.flags & FLAG_MULTI_EXTENT) multi = entry;
  }
  if (multi) throw new IsoFormatError(`multi-extent file "${multi.path}" ends without its final record`);
}

/** A further extent of a multi-extent file. */
function addExtent(image: Image, multi: IsoEntry, offset: number, length: number): void {
  checkExtent(image, offset, length, multi.path);
  if (length > 0) multi.extents.push({ offset, length });
  multi.size += length;
  // Extents of one file never overlap: more bytes than the image holds is a hostile claim
  // (isoSrc would allocate or read all of it).
  if (multi.size > image.size) {
    throw new IsoFormatError(`multi-extent file "${multi.path}" claims ${multi.size} bytes, more than the whole image (${image.size} bytes)`);
  }
}

function checkExtent(image: Image, offset: number, length: number, path: string): void {
  if (length > 0 && offset + length > image.size) {
    throw new IsoFormatError(`"${path}" claims bytes ${offset}..${offset + length}, beyond the end of the image (${image.size} bytes)`);
  }
}
