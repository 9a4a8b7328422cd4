/**
 * The ECMA-119 building blocks every structure is made of: the sector size and identifiers,
 * record flags, the format error decoders throw, both-endian numbers (7.2.3, 7.3.3), the 7-byte
 * directory-record date (9.1.5), the 17-byte volume date (8.4.26.1) and padded identifier fields.
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
