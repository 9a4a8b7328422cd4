/**
 * ZIP records (APPNOTE.TXT 6.3): pure encoders, Buffers out. Every entry is written with a data
 * descriptor (general purpose bit 3) so its data can stream out as it is compressed; ZIP64
 * fields are used exactly when a size or offset needs them.
 */

export const SIG_LOCAL = 0x04034b50;
export const SIG_DESCRIPTOR = 0x08074b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** made-by: Unix (3), spec 4.5. */
const VERSION_MADE_BY = (3 << 8) | 45;

/** An uncompressed size at or above this is written as ZIP64 (deflate can expand data slightly). */
export const ZIP64_SIZE_THRESHOLD = 0xff000000;

export interface DosDateTime {
  date: number;
  time: number;
}

/** DOS date/time of the UTC calendar fields of `d` (seconds stored in 2-second steps). */
export function dosDateTime(d: Date): DosDateTime {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

export interface EntryHeader {
  name: string;
  isDirectory: boolean;
  /** Unix mode including the file type bits (0o100644, 0o40755). */
  mode: number;
  method: number;
  dos: DosDateTime;
  /** Whether this entry uses ZIP64 sizes (decided from its uncompressed size, up front). */
  zip64: boolean;
}

function flagsOf(name: Buffer, hasDescriptor: boolean): number {
  const ascii = name.every((b) => b < 0x80);
  return (hasDescriptor ? FLAG_DESCRIPTOR : 0) | (ascii ? 0 : FLAG_UTF8);
}

/** Local file header; CRC and sizes are zero (they follow in the data descriptor). */
export function localHeader(h: EntryHeader): Buffer {
  const name = Buffer.from(h.name, "utf8");
  const extra = h.zip64 ? zip64Extra([0n, 0n]) : Buffer.alloc(0);
  const b = Buffer.alloc(30);
  b.writeUInt32LE(SIG_LOCAL, 0);
  b.writeUInt16LE(h.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(flagsOf(name, !h.isDirectory), 6);
  b.writeUInt16LE(h.method, 8);
  b.writeUInt16LE(h.dos.time, 10);
  b.writeUInt16LE(h.dos.date, 12);
  // 14..25: crc, compressed and uncompressed size: 0 (data descriptor), or 0xFFFFFFFF sizes for ZIP64
  if (h.zip64) {
    b.writeUInt32LE(MAX32, 18);
    b.writeUInt32LE(MAX32, 22);
  }
  b.writeUInt16LE(name.length, 26);
  b.writeUInt16LE(extra.length, 28);
  return Buffer.concat([b, name, extra]);
}

/** Data descriptor after an entry's data (8-byte sizes for ZIP64 entries). */
export function dataDescriptor(crc: number, compressed: bigint, uncompressed: bigint, zip64: boolean): Buffer {
  const b = Buffer.alloc(zip64 ? 24 : 16);
  b.writeUInt32LE(SIG_DESCRIPTOR, 0);
  b.writeUInt32LE(crc >>> 0, 4);
  if (zip64) {
    b.writeBigUInt64LE(compressed, 8);
    b.writeBigUInt64LE(uncompressed, 16);
  } else {
    b.writeUInt32LE(Number(compressed), 8);
    b.writeUInt32LE(Number(uncompressed), 12);
  }
  return b;
}

function zip64Extra(values: bigint[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(v, 4 + 8 * i));
  return b;
}

export interface CentralEntry extends EntryHeader {
  crc: number;
  compressedSize: bigint;
  uncompressedSize: bigint;
  localHeaderOffset: bigint;
}

/** Central directory file header, with a ZIP64 extra holding whichever fields overflow. */
export function centralHeader(e: CentralEntry): Buffer {
  const name = Buffer.from(e.name, "utf8");
  const big: bigint[] = [];
  const needs64 = (v: bigint) => e.zip64 || v >= BigInt(MAX32);
  const usize = needs64(e.uncompressedSize) ? (big.push(e.uncompressedSize), MAX32) : Number(e.uncompressedSize);
  const csize = needs64(e.compressedSize) ? (big.push(e.compressedSize), MAX32) : Number(e.compressedSize);
  const offset = e.localHeaderOffset >= BigInt(MAX32) ? (big.push(e.localHeaderOffset), MAX32) : Number(e.localHeaderOffset);
  const extra = big.length ? zip64Extra(big) : Buffer.alloc(0);
  const b = Buffer.alloc(46);
  b.writeUInt32LE(SIG_CENTRAL, 0);
  b.writeUInt16LE(VERSION_MADE_BY, 4);
  b.writeUInt16LE(big.length ? 45 : 20, 6);
  b.writeUInt16LE(flagsOf(name, !e.isDirectory), 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(e.dos.time, 12);
  b.writeUInt16LE(e.dos.date, 14);
  b.writeUInt32LE(e.crc >>> 0, 16);
  b.writeUInt32LE(csize, 20);
  b.writeUInt32LE(usize, 24);
  b.writeUInt16LE(name.length, 28);
  b.writeUInt16LE(extra.length, 30);
  // 32: comment length 0; 34: disk number 0; 36: internal attributes 0
  // External attributes: Unix mode in the high 16 bits, MS-DOS directory bit for directories.
  b.writeUInt32LE(((e.mode & 0xffff) * 0x10000 + (e.isDirectory ? 0x10 : 0)) >>> 0, 38);
  b.writeUInt32LE(offset, 42);
  return Buffer.concat([b, name, extra]);
}

/** End of central directory (plus the ZIP64 end record and locator when anything overflows). */
export function endOfCentralDirectory(entries: number, cdSize: bigint, cdOffset: bigint): Buffer {
  const overflow = entries >= MAX16 || cdSize >= BigInt(MAX32) || cdOffset >= BigInt(MAX32);
  const parts: Buffer[] = [];
  if (overflow) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    z.writeBigUInt64LE(44n, 4); // size of the rest of this record
    z.writeUInt16LE(VERSION_MADE_BY, 12);
    z.writeUInt16LE(45, 14);
    // 16: this disk 0; 20: disk with central directory 0
    z.writeBigUInt64LE(BigInt(entries), 24);
    z.writeBigUInt64LE(BigInt(entries), 32);
    z.writeBigUInt64LE(cdSize, 40);
    z.writeBigUInt64LE(cdOffset, 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    locator.writeBigUInt64LE(cdOffset + cdSize, 8);
    locator.writeUInt32LE(1, 16); // total number of disks
    parts.push(z, locator);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(Math.min(entries, MAX16), 8);
  e.writeUInt16LE(Math.min(entries, MAX16), 10);
  e.writeUInt32LE(cdSize >= BigInt(MAX32) ? MAX32 : Number(cdSize), 12);
  e.writeUInt32LE(cdOffset >= BigInt(MAX32) ? MAX32 : Number(cdOffset), 16);
  parts.push(e);
  return Buffer.concat(parts);
}
