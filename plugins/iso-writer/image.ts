/**
 * Turn a planned layout into the image's bytes, in order: the metadata (system area, volume
 * descriptors, path tables, directory extents) is encoded one structure at a time, then each
 * file's bytes are copied from its source and padded to a sector. Nothing is buffered beyond
 * the chunk being yielded, so the consumer's pace drives the reads.
 */
import type { IsoLayout, PlannedDirectory, PlannedFile } from "./layout.js";
import {
  FLAG_DIRECTORY,
  FLAG_MULTI_EXTENT,
  JOLIET_LEVEL3_ESCAPE,
  SECTOR,
  VD_PRIMARY,
  VD_SUPPLEMENTARY,
  asciiField,
  encodeDirRecord,
  encodePathTableRecord,
  encodeRecordDate,
  encodeTerminator,
  encodeVolumeDate,
  encodeVolumeDescriptor,
  ucs2Field,
  type Endianness,
} from "../iso9660/records.js";

export type Tree = "iso" | "joliet";

export interface ImageOptions {
  /** Normalized volume identifier (A-Z 0-9 _ space, at most 32 characters). */
  volumeId: string;
  /** The one timestamp every record and descriptor carries (already clamped to 1900..2155). */
  date: Date;
}

/** The system identifier recorded in both descriptors. */
export const SYSTEM_ID = "AERO";

/** A source that yielded a different number of bytes than the size it was planned with. */
export class ContentSizeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: number,
    readonly actual: string,
  ) {
    super(`"${path}" was listed with ${expected} bytes but its contents yielded ${actual} bytes; the ISO would be corrupt`);
  }
}

export function encodePathTable(dirs: PlannedDirectory[], tree: Tree, endian: Endianness): Buffer {
  return Buffer.concat(
    dirs.map((dir) =>
      encodePathTableRecord({ id: dir[tree].id, extent: dir[tree].lba, parent: (dir.parent ?? dir)[tree].number }, endian),
    ),
  );
}

/** Every record of one directory extent, padded so no record crosses a sector boundary. */
export function encodeDirectory(dir: PlannedDirectory, tree: Tree, date: Date): Buffer {
  const place = dir[tree];
  const recordDate = encodeRecordDate(date);
  const parent = (dir.parent ?? dir)[tree];
  const records: Buffer[] = [
    encodeDirRecord({ extent: place.lba, dataLength: place.size, date: recordDate, flags: FLAG_DIRECTORY, id: Buffer.from([0]) }),
    encodeDirRecord({ extent: parent.lba, dataLength: parent.size, date: recordDate, flags: FLAG_DIRECTORY, id: Buffer.from([1]) }),
  ];
  for (const child of place.children) {
    if (child.dir) {
      const sub = child.dir[tree];
      records.push(encodeDirRecord({ extent: sub.lba, dataLength: sub.size, date: recordDate, flags: FLAG_DIRECTORY, id: child.id }));
      continue;
    }
    const extents = child.file!.extents;
    extents.forEach((extent, i) => {
      const flags = i < extents.length - 1 ? FLAG_MULTI_EXTENT : 0;
      records.push(encodeDirRecord({ extent: extent.lba, dataLength: extent.length, date: recordDate, flags, id: child.id }));
    });
  }
  const out = Buffer.alloc(place.size);
  let pos = 0;
  for (const record of records) {
    if ((pos % SECTOR) + record.length > SECTOR) pos = Math.ceil(pos / SECTOR) * SECTOR;
    if (pos + record.length > out.length) throw new Error(`internal error: directory "${dir.path}" outgrew its planned extent`);
    record.copy(out, pos);
    pos += record.length;
  }
  return out;
}

function rootRecord(layout: IsoLayout, tree: Tree, date: Date): Buffer {
  const root = layout.root[tree];
  return encodeDirRecord({ extent: root.lba, dataLength: root.size, date: encodeRecordDate(date), flags: FLAG_DIRECTORY, id: Buffer.from([0]) });
}

/** Sectors 0-18: the system area, the PVD, the Joliet SVD and the terminator. */
export function encodeVolumeDescriptors(layout: IsoLayout, options: ImageOptions): Buffer {
  const date = encodeVolumeDate(options.date);
  const pvd = encodeVolumeDescriptor({
    type: VD_PRIMARY,
    systemId: asciiField(SYSTEM_ID, 32),
    volumeId: asciiField(options.volumeId, 32),
    volumeSpaceSize: layout.totalSectors,
    pathTableSize: layout.isoPathTable.size,
    lPathTable: layout.isoPathTable.lLba,
    mPathTable: layout.isoPathTable.mLba,
    rootRecord: rootRecord(layout, "iso", options.date),
    date,
  });
  const svd = encodeVolumeDescriptor({
    type: VD_SUPPLEMENTARY,
    systemId: ucs2Field(SYSTEM_ID, 32),
    volumeId: ucs2Field(options.volumeId, 32),
    volumeSpaceSize: layout.totalSectors,
    escapeSequences: JOLIET_LEVEL3_ESCAPE,
    pathTableSize: layout.jolietPathTable.size,
    lPathTable: layout.jolietPathTable.lLba,
    mPathTable: layout.jolietPathTable.mLba,
    rootRecord: rootRecord(layout, "joliet", options.date),
    date,
  });
  return Buffer.concat([Buffer.alloc(16 * SECTOR), pvd, svd, encodeTerminator()]);
}

function padToSector(buf: Buffer): Buffer {
  const rest = buf.length % SECTOR;
  return rest === 0 ? buf : Buffer.concat([buf, Buffer.alloc(SECTOR - rest)]);
}

/** Everything before the first file's data, one structure per chunk. */
export function* metadataChunks(layout: IsoLayout, options: ImageOptions): Generator<Buffer> {
  yield encodeVolumeDescriptors(layout, options);
  for (const [dirs, tree, table] of [
    [layout.isoDirs, "iso", layout.isoPathTable],
    [layout.jolietDirs, "joliet", layout.jolietPathTable],
  ] as const) {
    const l = encodePathTable(dirs, tree, "L");
    const m = encodePathTable(dirs, tree, "M");
    if (l.length !== table.size) throw new Error("internal error: path table size differs from the plan");
    yield padToSector(l);
    yield padToSector(m);
  }
  for (const dir of layout.isoDirs) yield encodeDirectory(dir, "iso", options.date);
  for (const dir of layout.jolietDirs) yield encodeDirectory(dir, "joliet", options.date);
}

/** Where the bytes of one file come from: an async iterable of Buffer (or Uint8Array) chunks. */
export type OpenFile = (file: PlannedFile) => AsyncIterable<Uint8Array | string>;

/** A stretch of the image to write: where it starts, whether the metadata leads it, then files. */
export interface ImageRun {
  offset: number;
  metadata: boolean;
  files: PlannedFile[];
}

/**
 * Pure: the stretches of the image to write when the files for which `unchanged` holds are
 * already in place (an earlier image with them at the same sectors). The metadata is always
 * written; each run of changed files is one stretch, its padding included. With nothing
 * unchanged, one run is the whole image.
 */
export function imageRuns(layout: IsoLayout, unchanged: (file: PlannedFile) => boolean = () => false): ImageRun[] {
  const runs: ImageRun[] = [{ offset: 0, metadata: true, files: [] }];
  let run: ImageRun | undefined = runs[0];
  for (const file of layout.files) {
    if (file.size === 0) continue;
    if (unchanged(file)) {
      run = undefined;
      continue;
    }
    if (!run) runs.push((run = { offset: file.lba * SECTOR, metadata: false, files: [] }));
    run.files.push(file);
  }
  return runs;
}

/**
 * The bytes of one run. A source that yields more or fewer bytes than its planned size throws a
 * ContentSizeError (after destroying the source); a layout/bytes disagreement is an internal
 * error. Returns the position after the run. Consumers stop early by calling return()
 * (Readable.from does on destroy).
 */
export async function* runChunks(run: ImageRun, layout: IsoLayout, options: ImageOptions, openFile: OpenFile): AsyncGenerator<Buffer, number> {
  let position = run.offset;
  if (run.metadata) {
    for (const chunk of metadataChunks(layout, options)) {
      position += chunk.length;
      yield chunk;
    }
  }
  for (const file of run.files) {
    if (position !== file.lba * SECTOR) throw new Error(`internal error: "${file.path}" planned at byte ${file.lba * SECTOR}, written at ${position}`);
    let written = 0;
    for await (const chunk of openFile(file)) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (buf.length === 0) continue;
      if (written + buf.length > file.size) throw new ContentSizeError(file.path, file.size, `more than ${file.size}`);
      written += buf.length;
      position += buf.length;
      yield buf;
    }
    if (written !== file.size) throw new ContentSizeError(file.path, file.size, String(written));
    const pad = (SECTOR - (file.size % SECTOR)) % SECTOR;
    if (pad) {
      position += pad;
      yield Buffer.alloc(pad);
    }
  }
  return position;
}

/** The whole image, in order (see runChunks for its errors). */
export async function* imageChunks(layout: IsoLayout, options: ImageOptions, openFile: OpenFile): AsyncGenerator<Buffer> {
  const [whole] = imageRuns(layout);
  const end = yield* runChunks(whole!, layout, options, openFile);
  if (end !== layout.totalSectors * SECTOR) {
    throw new Error(`internal error: ISO size mismatch (expected ${layout.totalSectors * SECTOR}, got ${end})`);
  }
}
