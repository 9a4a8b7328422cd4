/**
 * Plan an ISO9660 + Joliet image from a list of (package path, size): the directory tree, both
 * trees' identifiers and orderings, and the logical block of every structure. Nothing here
 * touches file bytes, so the whole image can be validated before any output exists.
 *
 * Layout (2048-byte sectors, contiguous):
 *   0-15 system area (zeros) · 16 PVD · 17 Joliet SVD · 18 terminator ·
 *   ISO path table L, M · Joliet path table L, M ·
 *   ISO directory extents (path table order) · Joliet directory extents (path table order) ·
 *   file data in package-path order, each padded to a sector; both trees share it.
 *
 * Ordering follows ECMA-119: path tables by level, then parent directory number, then
 * identifier (a breadth-first walk visiting children in identifier order gives exactly that);
 * directory records "." and ".." first, then every child, files and directories mixed, in
 * identifier order (9.3).
 *
 * Files of 4 GiB or more are recorded as multi-extent files (ECMA-119 6.5.1, 9.1.6 bit 7): one
 * directory record per extent of at most 0xFFFFF800 bytes, all but the last flagged, the
 * extents contiguous. pycdlib, 7-Zip and libarchive read these back; refusing them would only
 * move the limit onto the user.
 *
 * Limits we impose (each a clear error naming the path and the limit; all but the image size are
 * iso9660/names.ts's `checkMediaPaths`, which validate runs too): Joliet names of at most
 * 64 UTF-16 units, BMP only, without Joliet's reserved characters; package paths of at most
 * 240 UTF-16 units (the path limit Joliet keeps from ISO9660, which also fits Windows' 260-char
 * MAX_PATH under a drive letter), which bounds the depth to 120 levels; at most 65,535
 * directories (path table parent numbers are 16-bit); an image of at most 2^32 - 1 sectors.
 * The ISO9660 tree is the fallback for readers without Joliet: it may exceed ECMA-119's
 * 8-level depth like the Joliet tree does (every reader we test handles that).
 */
import { compareCodePoints } from "../shared/paths.js";
import { assignIsoIdentifiers, checkMediaPaths, compareIsoIdentifiers, compareJolietNames, encodeUcs2 } from "../iso9660/names.js";
import { SECTOR, dirRecordLength, pathTableRecordLength } from "../iso9660/records.js";

export { MAX_PATH_UNITS, MAX_DIRECTORIES } from "../iso9660/names.js";
/** Largest sector-aligned extent that fits the 32-bit data length field. */
export const MAX_EXTENT_BYTES = 0xfffff800;
/** Volume space size and LBAs are 32-bit. */
export const MAX_SECTORS = 0xffffffff;
/** The first sector after the system area and the three volume descriptors. */
export const FIRST_FREE_LBA = 19;

export interface LayoutInput {
  /** Package path: "/"-separated, relative, e.g. "drivers/amd64/a.inf". */
  path: string;
  size: number;
}

export interface FileExtent {
  lba: number;
  length: number;
}

export interface PlannedFile {
  path: string;
  name: string;
  size: number;
  /** First logical block of the data; 0 for an empty file (it occupies no sector). */
  lba: number;
  /** One entry per directory record: one unless the file is 4 GiB or more. */
  extents: FileExtent[];
}

export interface ChildRecord {
  id: Buffer;
  dir?: PlannedDirectory;
  file?: PlannedFile;
}

export interface TreePlacement {
  /** Identifier bytes in this tree (the root's is a single 00 byte). */
  id: Buffer;
  /** Directory number: 1-based position in this tree's path table. */
  number: number;
  lba: number;
  /** Bytes of the directory extent, a multiple of 2048. */
  size: number;
  /** Children in this tree's record order. */
  children: ChildRecord[];
}

export interface PlannedDirectory {
  /** Package path ("" for the root). */
  path: string;
  name: string;
  parent: PlannedDirectory | undefined;
  /** Directories and files directly inside, in code-point order of their names. */
  dirs: PlannedDirectory[];
  files: PlannedFile[];
  iso: TreePlacement;
  joliet: TreePlacement;
}

export interface PathTablePlacement {
  /** Bytes, unpadded (the value recorded in the volume descriptor). */
  size: number;
  lLba: number;
  mLba: number;
}

export interface IsoLayout {
  root: PlannedDirectory;
  /** Directories in ISO9660 path table order (index + 1 = directory number). */
  isoDirs: PlannedDirectory[];
  /** Directories in Joliet path table order. */
  jolietDirs: PlannedDirectory[];
  /** Files in data order (package-path code-point order). */
  files: PlannedFile[];
  isoPathTable: PathTablePlacement;
  jolietPathTable: PathTablePlacement;
  /** Total sectors = volume space size; the image is totalSectors * 2048 bytes. */
  totalSectors: number;
}

/** An input the image cannot hold; `problems` lists every offending path with its rule. */
export class IsoLayoutError extends Error {
  readonly problems: { path: string; message: string }[];
  constructor(problems: { path: string; message: string }[]) {
    const shown = problems.slice(0, 20).map((p) => (p.path === "" ? p.message : `"${p.path}": ${p.message}`));
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    super(shown.length === 1 ? shown[0]! : `${problems.length} paths cannot be written:\n${shown.join("\n")}`);
    this.problems = problems;
  }
}

const sectorsFor = (bytes: number) => Math.ceil(bytes / SECTOR);

function newPlacement(): TreePlacement {
  return { id: Buffer.alloc(0), number: 0, lba: 0, size: 0, children: [] };
}

function newDirectory(path: string, name: string, parent: PlannedDirectory | undefined): PlannedDirectory {
  return { path, name, parent, dirs: [], files: [], iso: newPlacement(), joliet: newPlacement() };
}

/** Split a file into extents (one unless it reaches 4 GiB). */
export function fileExtents(lba: number, size: number): FileExtent[] {
  if (size === 0) return [{ lba: 0, length: 0 }];
  if (size <= 0xffffffff) return [{ lba, length: size }];
  const extents: FileExtent[] = [];
  for (let offset = 0; offset < size; offset += MAX_EXTENT_BYTES) {
    extents.push({ lba: lba + offset / SECTOR, length: Math.min(MAX_EXTENT_BYTES, size - offset) });
  }
  return extents;
}

/** Bytes a directory extent needs: records never cross a sector boundary (6.8.1.1). */
export function directoryExtentSize(recordLengths: number[]): number {
  let pos = 0;
  for (const length of recordLengths) {
    if ((pos % SECTOR) + length > SECTOR) pos = sectorsFor(pos) * SECTOR;
    pos += length;
  }
  return Math.max(1, sectorsFor(pos)) * SECTOR;
}

/** Sizes, then every path limit (checkMediaPaths, shared with validate); sorted by path. */
function checkInputs(inputs: LayoutInput[]): LayoutInput[] {
  const problems: { path: string; message: string }[] = [];
  for (const { path, size } of inputs) {
    if (!Number.isSafeInteger(size) || size < 0) problems.push({ path, message: `invalid size ${size}` });
  }
  problems.push(...checkMediaPaths(inputs.map((i) => i.path)));
  if (problems.length) throw new IsoLayoutError(problems);
  return [...inputs].sort((a, b) => compareCodePoints(a.path, b.path));
}

/** The directory tree of inputs that passed checkInputs (so no file stands where a directory must). */
function buildTree(sorted: LayoutInput[]): { root: PlannedDirectory; files: PlannedFile[] } {
  const root = newDirectory("", "", undefined);
  const dirs = new Map<string, PlannedDirectory>([["", root]]);
  const files: PlannedFile[] = [];
  for (const input of sorted) {
    const parts = input.path.split("/");
    let dir = root;
    for (let k = 0; k < parts.length - 1; k++) {
      const prefix = parts.slice(0, k + 1).join("/");
      let child = dirs.get(prefix);
      if (!child) {
        child = newDirectory(prefix, parts[k]!, dir);
        dirs.set(prefix, child);
        dir.dirs.push(child);
      }
      dir = child;
    }
    const file: PlannedFile = { path: input.path, name: parts[parts.length - 1]!, size: input.size, lba: 0, extents: [] };
    dir.files.push(file);
    files.push(file);
  }
  for (const dir of dirs.values()) {
    dir.dirs.sort((a, b) => compareCodePoints(a.name, b.name));
    dir.files.sort((a, b) => compareCodePoints(a.name, b.name));
  }
  return { root, files };
}

/** Children of every directory in one tree, sorted; returns the directories in path table order. */
function orderTree(root: PlannedDirectory, tree: "iso" | "joliet"): PlannedDirectory[] {
  const compare =
    tree === "iso"
      ? (a: ChildRecord, b: ChildRecord) => compareIsoIdentifiers(a.id.toString("latin1"), b.id.toString("latin1"))
      : (a: ChildRecord, b: ChildRecord) => compareJolietNames((a.dir ?? a.file)!.name, (b.dir ?? b.file)!.name);
  const order: PlannedDirectory[] = [root];
  for (let i = 0; i < order.length; i++) {
    const dir = order[i]!;
    dir[tree].number = i + 1;
    dir[tree].children.sort(compare);
    for (const child of dir[tree].children) if (child.dir) order.push(child.dir);
  }
  return order;
}

function pathTableSize(dirs: PlannedDirectory[], tree: "iso" | "joliet"): number {
  let size = 0;
  for (const dir of dirs) size += pathTableRecordLength(dir[tree].id.length);
  return size;
}

function directorySize(dir: PlannedDirectory, tree: "iso" | "joliet"): number {
  const lengths = [dirRecordLength(1), dirRecordLength(1)]; // "." and ".."
  for (const child of dir[tree].children) {
    const records = child.file ? fileExtents(0, child.file.size).length : 1;
    for (let r = 0; r < records; r++) lengths.push(dirRecordLength(child.id.length));
  }
  return directoryExtentSize(lengths);
}

/**
 * Plan the image. Throws IsoLayoutError (every offending path, its rule and the limit) for
 * input the image cannot represent; the input order does not matter.
 */
export function planLayout(inputs: LayoutInput[]): IsoLayout {
  if (inputs.length === 0) throw new IsoLayoutError([{ path: "", message: "refusing to create an empty ISO: no files were given" }]);
  const sorted = checkInputs(inputs);
  const { root, files } = buildTree(sorted);

  // Identifiers of both trees.
  const stack = [root];
  root.iso.id = Buffer.from([0]);
  root.joliet.id = Buffer.from([0]);
  while (stack.length) {
    const dir = stack.pop()!;
    const requests = [
      ...dir.dirs.map((d) => ({ name: d.name, path: d.path, isDirectory: true })),
      ...dir.files.map((f) => ({ name: f.name, path: f.path, isDirectory: false })),
    ];
    const isoIds = assignIsoIdentifiers(requests);
    dir.dirs.forEach((d, i) => {
      d.iso.id = Buffer.from(isoIds[i]!, "latin1");
      d.joliet.id = encodeUcs2(d.name);
      dir.iso.children.push({ id: d.iso.id, dir: d });
      dir.joliet.children.push({ id: d.joliet.id, dir: d });
      stack.push(d);
    });
    dir.files.forEach((f, i) => {
      const isoId = Buffer.from(isoIds[dir.dirs.length + i]!, "latin1");
      dir.iso.children.push({ id: isoId, file: f });
      dir.joliet.children.push({ id: encodeUcs2(f.name), file: f });
    });
  }

  const isoDirs = orderTree(root, "iso");
  const jolietDirs = orderTree(root, "joliet");

  // Logical blocks.
  let lba = FIRST_FREE_LBA;
  const placeTable = (size: number): PathTablePlacement => {
    const sectors = sectorsFor(size);
    const table = { size, lLba: lba, mLba: lba + sectors };
    lba += 2 * sectors;
    return table;
  };
  const isoPathTable = placeTable(pathTableSize(isoDirs, "iso"));
  const jolietPathTable = placeTable(pathTableSize(jolietDirs, "joliet"));
  for (const [dirs, tree] of [
    [isoDirs, "iso"],
    [jolietDirs, "joliet"],
  ] as const) {
    for (const dir of dirs) {
      dir[tree].size = directorySize(dir, tree);
      dir[tree].lba = lba;
      lba += dir[tree].size / SECTOR;
    }
  }
  for (const file of files) {
    file.lba = file.size === 0 ? 0 : lba;
    file.extents = fileExtents(file.lba, file.size);
    lba += sectorsFor(file.size);
  }
  if (lba > MAX_SECTORS) {
    throw new IsoLayoutError([
      { path: "", message: `the image would need ${lba} sectors; ISO9660 addresses at most ${MAX_SECTORS} (8 TiB)` },
    ]);
  }
  return { root, isoDirs, jolietDirs, files, isoPathTable, jolietPathTable, totalSectors: lba };
}
