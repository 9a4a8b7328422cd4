/**
 * ECMA-119 volume descriptors: the primary (8.4) and the Joliet supplementary (8.5) one, and the
 * set terminator (8.3). Decoding checks the sector's length and identifier (IsoFormatError).
 */
import { decodeDirRecord, type DecodedDirRecord } from "./directory-records.js";
import {
  asciiField,
  IsoFormatError,
  SECTOR,
  STANDARD_ID,
  ucs2Field,
  unspecifiedVolumeDate,
  VD_PRIMARY,
  VD_SUPPLEMENTARY,
  VD_TERMINATOR,
  writeBoth16,
  writeBoth32,
} from "./fields.js";

const JOLIET_ESCAPES = [0x40, 0x43, 0x45]; // "%/@", "%/C", "%/E": levels 1, 2, 3

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
