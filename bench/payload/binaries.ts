/**
 * The payload's binary files: PE-like images built of 4 KiB blocks of several kinds, catalogs, and
 * the sizes the binaries share the budget by.
 */
import { bytes } from "./latin1.js";
import { ByteSource, SplitMix64 } from "./random.js";

const BLOCK = 4096;

const WORDS = (
  "Device Driver Service Interrupt Queue Request Buffer Virtio Storage " +
  "Network Adapter Miniport Filter Registry Parameters Enable Disable " +
  "Failed Success Status Timeout Reset Power Resume Suspend Memory Mapped " +
  "Descriptor Ring Available Used Notify Config Feature Negotiation " +
  "KeAcquireSpinLock KeReleaseSpinLock IoCompleteRequest ExAllocatePoolWithTag " +
  "WdfDeviceCreate WdfRequestComplete NdisMIndicateReceiveNetBufferLists " +
  "StorPortNotification HwStorStartIo DriverEntry AddDevice DispatchPnp " +
  "IRP_MJ_CREATE IRP_MJ_CLOSE IRP_MJ_DEVICE_CONTROL IRP_MN_START_DEVICE " +
  "STATUS_SUCCESS STATUS_INSUFFICIENT_RESOURCES STATUS_INVALID_PARAMETER " +
  "kernel32.dll ntoskrnl.exe hal.dll ndis.sys storport.sys wdf01000.sys " +
  "Microsoft Windows Copyright Corporation Version FileDescription " +
  "ProductName CompanyName LegalCopyright OriginalFilename InternalName"
).split(" ");

export interface Corpus {
  ascii: Buffer;
  utf16: Buffer;
}

export function buildTextCorpus(seed: number, size = 256 * 1024): Corpus {
  const rng = new SplitMix64(bytes(`corpus\0${seed}`));
  const parts: string[] = [];
  let total = 0;
  while (total < size) {
    const w = WORDS[rng.below(WORDS.length)]!;
    const sep = rng.below(5) === 0 ? "\0" : " ";
    parts.push(w + sep);
    total += w.length + 1;
  }
  const ascii = bytes(parts.join("")).subarray(0, size);
  const utf16 = Buffer.from(ascii.subarray(0, size / 2).toString("latin1"), "utf16le");
  return { ascii, utf16 };
}

/** Bytes `off, off+step, ...` of buf (Python's buf[off::step]) set from src, in order. */
function fillStrided(buf: Buffer, off: number, step: number, src: Buffer): void {
  for (let i = off, k = 0; i < buf.length; i += step, k++) buf[i] = src[k]!;
}

function stridedCount(length: number, off: number, step: number): number {
  return off >= length ? 0 : Math.ceil((length - off) / step);
}

/** A plausible PE prologue (DOS stub, PE/COFF header, optional header, section table), padded to 1 KiB. */
function peHeader(rng: SplitMix64, amd64: boolean, name: string): Buffer {
  const dos = Buffer.alloc(128);
  dos.write("MZ", 0, "latin1");
  [0x90, 3, 0, 4, 0, 0xffff, 0, 0xb8].forEach((v, i) => dos.writeUInt16LE(v, 2 + 2 * i));
  dos.writeUInt32LE(0x80, 0x3c);
  Buffer.concat([Buffer.from("0e1fba0e00b409cd21b8014ccd21", "hex"), bytes("This program cannot be run in DOS mode.\r\r\n$")]).copy(dos, 0x40);
  const optSize = amd64 ? 0xf0 : 0xe0;
  const coff = Buffer.alloc(24);
  coff.write("PE\0\0", 0, "latin1");
  coff.writeUInt16LE(amd64 ? 0x8664 : 0x14c, 4);
  coff.writeUInt16LE(5, 6);
  coff.writeUInt32LE(rng.bits(0xffffffff), 8);
  coff.writeUInt16LE(optSize, 20);
  coff.writeUInt16LE(0x22, 22);
  const opt = Buffer.alloc(optSize);
  opt.writeUInt16LE(amd64 ? 0x20b : 0x10b, 0);
  for (let off = 16; off < optSize - 8; off += 8) {
    if (rng.below(3) === 0) {
      opt.writeUInt32LE(rng.bits(0xfffff), off);
      opt.writeUInt32LE(rng.bits(0xffff), off + 4);
    }
  }
  const sections: Buffer[] = [];
  for (const sec of [".text", ".rdata", ".data", "PAGE", ".rsrc"]) {
    const s = Buffer.alloc(40);
    s.write(sec, 0, "latin1");
    s.writeUInt32LE(rng.bits(0xfffff), 8);
    s.writeUInt32LE(rng.bits(0xfffff), 12);
    s.writeUInt32LE(rng.bits(0xfffff), 16);
    s.writeUInt32LE(rng.bits(0xffff), 20);
    s.writeUInt32LE(0x60000020, 36);
    sections.push(s);
  }
  const hdr = Buffer.concat([dos, coff, opt, ...sections, bytes(`${name}\0`)]);
  return Buffer.concat([hdr, Buffer.alloc((1024 - (hdr.length % 1024)) % 1024)]);
}

/** `size` bytes of PE-like, partly compressible content. */
export function genBinary(key: Buffer, size: number, randomFraction: number, corpus: Corpus, isPe: boolean, amd64: boolean, name: string): Buffer {
  const rng = new SplitMix64(Buffer.concat([bytes("ctl\0"), key]));
  const src = new ByteSource(Buffer.concat([bytes("bytes\0"), key]));
  const blocks: Buffer[] = [];
  let length = 0;
  if (isPe && size >= 2048) {
    blocks.push(peHeader(rng, amd64, name));
    length += blocks[0]!.length;
  }
  const rf = randomFraction;
  // The probability left over is split across the structured kinds of block.
  const pCode = rf + (1.0 - rf) * 0.45;
  const pText = pCode + (1.0 - rf) * 0.2;
  const pTable = pText + (1.0 - rf) * 0.15;
  while (length < size) {
    const u = rng.uniform();
    let block: Buffer;
    if (u < rf) {
      block = src.take(BLOCK);
    } else if (u < pCode) {
      const mlen = rng.between(12, 72);
      const motif = src.take(mlen);
      block = Buffer.alloc(BLOCK);
      for (let i = 0; i < BLOCK; i += mlen) motif.copy(block, i);
      const stride = rng.between(9, 23);
      const start = rng.below(stride);
      fillStrided(block, start, stride, src.take(stridedCount(BLOCK, start, stride)));
    } else if (u < pText) {
      const text = rng.below(3) === 0 ? corpus.utf16 : corpus.ascii;
      const off = rng.below(text.length - BLOCK);
      block = text.subarray(off, off + BLOCK);
    } else if (u < pTable) {
      const base = rng.bits(0x00fffff0);
      const step = rng.between(2, 64) * 2;
      const count = BLOCK / 4;
      block = Buffer.alloc(BLOCK);
      for (let i = 0; i < count; i++) block.writeUInt32LE((base + i * step) >>> 0, 4 * i);
      fillStrided(block, 3, 4, src.take(count));
    } else {
      // A mostly zero data section with sparse values.
      block = Buffer.alloc(BLOCK);
      const stride = rng.between(8, 32);
      fillStrided(block, 0, stride, src.take(stridedCount(BLOCK, 0, stride)));
    }
    blocks.push(block);
    length += block.length;
  }
  return Buffer.concat(blocks).subarray(0, size);
}

/** A .cat is a PKCS#7 SignedData blob: a DER prefix, then high-entropy bytes. */
export function genCatalog(key: Buffer, size: number): Buffer {
  const src = new ByteSource(Buffer.concat([bytes("cat\0"), key]));
  const len = Buffer.alloc(2);
  len.writeUInt16BE(Math.max(size - 4, 0) & 0xffff);
  const prefix = Buffer.concat([Buffer.from("3082", "hex"), len, Buffer.from("06092a864886f70d010702a0", "hex")]);
  return Buffer.concat([prefix, src.take(Math.max(size - prefix.length, 0))]).subarray(0, size);
}

/** Sizes of the binaries: log-normal weights (.sys files heavier) sharing the budget exactly. */
export function planSizes(rng: SplitMix64, budget: number, sysFlags: boolean[]): number[] {
  const weights = sysFlags.map((isSys) => Math.exp(0.9 * rng.normal()) * (isSys ? 2.5 : 1));
  // Summed left to right, as the sizes of the reference generator were.
  let totalW = 0;
  for (const w of weights) totalW += w;
  const sizes = weights.map((w) => Math.max(512, Math.floor((budget * w) / totalW)));
  if (sizes.length) {
    const diff = budget - sizes.reduce((a, b) => a + b, 0);
    let biggest = 0;
    sizes.forEach((s, i) => {
      if (s > sizes[biggest]!) biggest = i;
    });
    sizes[biggest] = Math.max(512, sizes[biggest]! + diff);
  }
  return sizes;
}
