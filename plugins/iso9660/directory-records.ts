/**
 * ECMA-119 directory records (9.1) and path table records (9.4). Decoders never trust a length
 * byte: every read is checked against the buffer they were given and a malformed record throws
 * an `IsoFormatError` instead of reading out of bounds.
 */
import { IsoFormatError, readBoth32, writeBoth16, writeBoth32 } from "./fields.js";

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
