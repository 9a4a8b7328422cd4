/**
 * Byte-level encoders and decoders for the ECMA-119 structures the writer emits and the reader
 * parses: both-endian numbers (7.2.3, 7.3.3), the 7-byte directory-record date (9.1.5), the
 * 17-byte volume date (8.4.26.1), directory records (9.1), path table records (9.4) and volume
 * descriptors (8.4 primary, 8.5 supplementary, 8.3 terminator).
 *
 * Decoders never trust a length byte: every read is checked against the buffer they were given
 * and a malformed structure throws an `IsoFormatError` instead of reading out of bounds.
 */

export const SECTOR = 2048;
export const STANDARD_ID = "CD001";

export const VD_PRIMARY = 1;
export const VD_SUPPLEMENTARY = 2;
export const VD_TERMINATOR = 255;

/** Directory record file flags (9.1.6). */
export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_ASSOCIATED = 0x04;
export const FLAG_MULTI_EXTENT = 0x80;

/** Joliet UCS-2 level 3 escape sequence, recorded at offset 88 of the SVD. */
export const JOLIET_LEVEL3_ESCAPE = Buffer.from([0x25, 0x2f, 0x45]);
const JOLIET_ESCAPES = [0x40, 0x43, 0x45]; // "%/@", "%/C", "%/E": levels 1, 2, 3

/** A structure in an image that cannot be decoded. */
export class IsoFormatError extends Error {}

// ---------------------------------------------------------------------------------------------
// Both-endian numbers

export function writeBoth16(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt16LE(value, offset);
  buf.writeUInt16BE(value, offset + 2);
}

export function writeBoth32(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value, offset);
  buf.writeUInt32BE(value, offset + 4);
}

/** Both halves of a both-endian u16; readers use `le` and may compare it with `be`. */
export function readBoth16(buf: Buffer, offset: number): { le: number; be: number } {
  return { le: buf.readUInt16LE(offset), be: buf.readUInt16BE(offset + 2) };
}

export function readBoth32(buf: Buffer, offset: number): { le: number; be: number } {
  return { le: buf.readUInt32LE(offset), be: buf.readUInt32BE(offset + 4) };
}

// ---------------------------------------------------------------------------------------------
// Dates (all UTC: GMT offset 0)

/** 7-byte recording date and time of a directory record (9.1.5). */
export function encodeRecordDate(date: Date): Buffer {
  return Buffer.from([
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  ]);
}

/** The instant a 7-byte date denotes, or undefined when its fields are out of range. */
export function decodeRecordDate(bytes: Buffer): Date | undefined {
  if (bytes.length < 7) return undefined;
  const [years, month, day, hour, minute, second] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!, bytes[5]!];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMinutes = bytes.readInt8(6) * 15;
  return new Date(Date.UTC(1900 + years, month - 1, day, hour, minute, second) - offsetMinutes * 60_000);
}

/** 17-byte volume date "YYYYMMDDHHMMSScc" + GMT offset byte (8.4.26.1). */
export function encodeVolumeDate(date: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, "0");
  const text =
    String(date.getUTCFullYear()).padStart(4, "0") +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    "00";
  return Buffer.concat([Buffer.from(text, "ascii"), Buffer.from([0])]);
}

/** "Not specified" volume date: sixteen "0" digits and offset 0 (8.4.26.1). */
export function unspecifiedVolumeDate(): Buffer {
  return Buffer.concat([Buffer.from("0".repeat(16), "ascii"), Buffer.from([0])]);
}

// ---------------------------------------------------------------------------------------------
// Identifier fields

/** An a-/d-character field: ASCII, padded with spaces (8.4.5 and friends). */
export function asciiField(text: string, length: number): Buffer {
  const buf = Buffer.alloc(length, 0x20);
  buf.write(text.slice(0, length), 0, "latin1");
  return buf;
}

/**
 * A Joliet text field: UCS-2BE code units padded with UCS-2 spaces (00 20). Odd-length fields
 * (the 37-byte file identifiers) end with one 00 byte, as mkisofs and libisofs record them.
 */
export function ucs2Field(text: string, length: number): Buffer {
  const buf = Buffer.alloc(length, 0);
  const units = Math.floor(length / 2);
  for (let i = 0; i < units; i++) buf.writeUInt16BE(i < text.length ? text.charCodeAt(i) : 0x20, i * 2);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Directory records (9.1)

export interface DirRecord {
  /** Logical block of the extent (for a file: its data; for a directory: its records). */
  extent: number;
  /** Bytes in the extent. */
  dataLength: number;
  /** 7-byte date (9.1.5). */
  date: Buffer;
  flags: number;
  /** File identifier bytes: 00 for ".", 01 for "..", else d-characters or UCS-2BE. */
  id: Buffer;
}

/** Record length: 33 fixed bytes + identifier + a pad byte when the identifier length is even. */
export function dirRecordLength(idLength: number): number {
  return 33 + idLength + (idLength % 2 === 0 ? 1 : 0);
}

export function encodeDirRecord(record: DirRecord): Buffer {
  const length = dirRecordLength(record.id.length);
  if (length > 255) throw new RangeError(`directory record of ${length} bytes exceeds 255`);
  const buf = Buffer.alloc(length);
  buf[0] = length;
  buf[1] = 0; // extended attribute record length
  writeBoth32(buf, 2, record.extent);
  writeBoth32(buf, 10, record.dataLength);
  record.date.copy(buf, 18, 0, 7);
  buf[25] = record.flags;
  buf[26] = 0; // file unit size (not interleaved)
  buf[27] = 0; // interleave gap size
  writeBoth16(buf, 28, 1); // volume sequence number
  buf[32] = record.id.length;
  record.id.copy(buf, 33);
  return buf;
}

export interface DecodedDirRecord extends DirRecord {
  /** Total record length (byte 0). */
  length: number;
  /** Extended attribute record length in blocks (byte 1); file data starts after it. */
  xaLength: number;
  extentBE: number;
  dataLengthBE: number;
  fileUnitSize: number;
  interleaveGap: number;
}

/**
 * Decode the record at `offset`; `end` bounds it (the end of the directory extent in `buf`).
 * Throws IsoFormatError when the record is shorter than the fixed part, overruns `end`, or
 * claims an identifier longer than itself.
 */
export function decodeDirRecord(buf: Buffer, offset: number, end = buf.length): DecodedDirRecord {
  const limit = Math.min(end, buf.length);
  if (offset >= limit) throw new IsoFormatError("directory record starts past the end of its extent");
  const length = buf[offset]!;
  if (length < 34) throw new IsoFormatError(`directory record too short (${length} bytes, at least 34)`);
  if (offset + length > limit) throw new IsoFormatError(`directory record of ${length} bytes overruns its extent`);
  const idLength = buf[offset + 32]!;
  if (33 + idLength > length) {
    throw new IsoFormatError(`directory record identifier of ${idLength} bytes does not fit in a ${length}-byte record`);
  }
  const extent = readBoth32(buf, offset + 2);
  const dataLength = readBoth32(buf, offset + 10);
  return {
    length,
    xaLength: buf[offset + 1]!,
    extent: extent.le,
    extentBE: extent.be,
    dataLength: dataLength.le,
    dataLengthBE: dataLength.be,
    date: Buffer.from(buf.subarray(offset + 18, offset + 25)),
    flags: buf[offset + 25]!,
    fileUnitSize: buf[offset + 26]!,
    interleaveGap: buf[offset + 27]!,
    id: Buffer.from(buf.subarray(offset + 33, offset + 33 + idLength)),
  };
}

// ---------------------------------------------------------------------------------------------
// Path table records (9.4)

export interface PathTableRecord {
  id: Buffer;
  extent: number;
  /** Directory number (1-based position in the path table) of the parent; the root's is 1. */
  parent: number;
}

export type Endianness = "L" | "M";

/** Record length: 8 fixed bytes + identifier + a pad byte when the identifier length is odd. */
export function pathTableRecordLength(idLength: number): number {
  return 8 + idLength + (idLength % 2);
}

export function encodePathTableRecord(record: PathTableRecord, endian: Endianness): Buffer {
  const buf = Buffer.alloc(pathTableRecordLength(record.id.length));
  buf[0] = record.id.length;
  buf[1] = 0;
  if (endian === "L") {
    buf.writeUInt32LE(record.extent, 2);
    buf.writeUInt16LE(record.parent, 6);
  } else {
    buf.writeUInt32BE(record.extent, 2);
    buf.writeUInt16BE(record.parent, 6);
  }
  record.id.copy(buf, 8);
  return buf;
}

export function decodePathTableRecord(
  buf: Buffer,
  offset: number,
  endian: Endianness,
): PathTableRecord & { length: number } {
  if (offset + 8 > buf.length) throw new IsoFormatError("path table record overruns the table");
  const idLength = buf[offset]!;
  const length = pathTableRecordLength(idLength);
  if (idLength === 0 || offset + 8 + idLength > buf.length) throw new IsoFormatError("invalid path table record");
  return {
    length,
    extent: endian === "L" ? buf.readUInt32LE(offset + 2) : buf.readUInt32BE(offset + 2),
    parent: endian === "L" ? buf.readUInt16LE(offset + 6) : buf.readUInt16BE(offset + 6),
    id: Buffer.from(buf.subarray(offset + 8, offset + 8 + idLength)),
  };
}

// ---------------------------------------------------------------------------------------------
// Volume descriptors (8.4, 8.5) and the set terminator (8.3)

export interface VolumeDescriptor {
  type: typeof VD_PRIMARY | typeof VD_SUPPLEMENTARY;
  /** 32 bytes, already encoded and padded (ASCII for the PVD, UCS-2BE for Joliet). */
  systemId: Buffer;
  /** 32 bytes, already encoded and padded. */
  volumeId: Buffer;
  volumeSpaceSize: number;
  /** 32 bytes at offset 88: zero in a PVD, the UCS-2 escape sequence in a Joliet SVD. */
  escapeSequences?: Buffer;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  /** The 34-byte root directory record. */
  rootRecord: Buffer;
  /** 17-byte creation/modification/effective date. */
  date: Buffer;
}

/**
 * A PVD or SVD. The volume set, publisher, preparer, application, copyright, abstract and
 * bibliographic identifiers are "not specified": spaces in the PVD, UCS-2 spaces in a Joliet SVD.
 * The expiration date is "not specified" (zero digits), 8.4.26.1.
 */
export function encodeVolumeDescriptor(vd: VolumeDescriptor): Buffer {
  const buf = Buffer.alloc(SECTOR);
  const joliet = vd.type === VD_SUPPLEMENTARY;
  const field = (length: number) => (joliet ? ucs2Field("", length) : asciiField("", length));
  buf[0] = vd.type;
  buf.write(STANDARD_ID, 1, "ascii");
  buf[6] = 1; // descriptor version
  buf[7] = 0; // PVD: unused; SVD: volume flags (0: escape sequences registered per ISO 2375)
  vd.systemId.copy(buf, 8, 0, 32);
  vd.volumeId.copy(buf, 40, 0, 32);
  writeBoth32(buf, 80, vd.volumeSpaceSize);
  if (vd.escapeSequences) vd.escapeSequences.copy(buf, 88, 0, Math.min(32, vd.escapeSequences.length));
  writeBoth16(buf, 120, 1); // volume set size
  writeBoth16(buf, 124, 1); // volume sequence number
  writeBoth16(buf, 128, SECTOR); // logical block size
  writeBoth32(buf, 132, vd.pathTableSize);
  buf.writeUInt32LE(vd.lPathTable, 140);
  buf.writeUInt32LE(0, 144); // no optional type L path table
  buf.writeUInt32BE(vd.mPathTable, 148);
  buf.writeUInt32BE(0, 152); // no optional type M path table
  vd.rootRecord.copy(buf, 156, 0, 34);
  field(128).copy(buf, 190); // volume set identifier
  field(128).copy(buf, 318); // publisher identifier
  field(128).copy(buf, 446); // data preparer identifier
  field(128).copy(buf, 574); // application identifier
  field(37).copy(buf, 702); // copyright file identifier
  field(37).copy(buf, 739); // abstract file identifier
  field(37).copy(buf, 776); // bibliographic file identifier
  vd.date.copy(buf, 813); // creation
  vd.date.copy(buf, 830); // modification
  unspecifiedVolumeDate().copy(buf, 847); // expiration
  vd.date.copy(buf, 864); // effective
  buf[881] = 1; // file structure version
  return buf;
}

export function encodeTerminator(): Buffer {
  const buf = Buffer.alloc(SECTOR);
  buf[0] = VD_TERMINATOR;
  buf.write(STANDARD_ID, 1, "ascii");
  buf[6] = 1;
  return buf;
}

export interface DecodedVolumeDescriptor {
  type: number;
  version: number;
  systemId: Buffer;
  volumeId: Buffer;
  volumeSpaceSize: number;
  escapeSequences: Buffer;
  logicalBlockSize: number;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  /** Undefined for descriptors that carry no root record (boot record, terminator). */
  root: DecodedDirRecord | undefined;
  creationDate: string;
  /** True for an SVD whose escape sequences name UCS-2 level 1, 2 or 3 (Joliet). */
  joliet: boolean;
}

/** Decode any volume descriptor sector; throws IsoFormatError when it is not one. */
export function decodeVolumeDescriptor(sector: Buffer): DecodedVolumeDescriptor {
  if (sector.length < SECTOR) throw new IsoFormatError("volume descriptor sector is truncated");
  if (sector.toString("latin1", 1, 6) !== STANDARD_ID) throw new IsoFormatError("volume descriptor has no CD001 identifier");
  const type = sector[0]!;
  const hasRoot = type === VD_PRIMARY || type === VD_SUPPLEMENTARY;
  const escape = Buffer.from(sector.subarray(88, 120));
  const joliet =
    type === VD_SUPPLEMENTARY &&
    (sector[7]! & 0x01) === 0 &&
    escape[0] === 0x25 &&
    escape[1] === 0x2f &&
    JOLIET_ESCAPES.includes(escape[2]!);
  return {
    type,
    version: sector[6]!,
    systemId: Buffer.from(sector.subarray(8, 40)),
    volumeId: Buffer.from(sector.subarray(40, 72)),
    volumeSpaceSize: sector.readUInt32LE(80),
    escapeSequences: escape,
    logicalBlockSize: sector.readUInt16LE(128),
    pathTableSize: sector.readUInt32LE(132),
    lPathTable: sector.readUInt32LE(140),
    mPathTable: sector.readUInt32BE(148),
    root: hasRoot ? decodeDirRecord(sector, 156, 190) : undefined,
    creationDate: sector.toString("latin1", 813, 829),
    joliet,
  };
}
