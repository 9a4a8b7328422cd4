/**
 * PE images: recognising one and computing its Authenticode image hash, the digest a catalog
 * member (or an embedded signature) records for a `.sys`, `.dll` or `.exe`. Pure, no I/O.
 *
 * The hash covers the whole file except the optional header's CheckSum field, the
 * certificate-table data-directory entry and the certificate table itself (which sits at the end
 * of a signed image). An unsigned image whose size is not a multiple of 8 is hashed as if padded
 * with zeros to 8 bytes, as signtool pads it before signing and osslsigncode hashes it.
 */
import { createHash } from "node:crypto";

export type DigestAlgorithm = "sha1" | "sha256";

export interface PeLayout {
  /** PE32+ (64-bit) rather than PE32. */
  pe32plus: boolean;
  /** COFF machine: 0x14c (i386), 0x8664 (amd64), ... */
  machine: number;
  /** Offset of the optional header's CheckSum field. */
  checksumOffset: number;
  /** Offset of the certificate-table data-directory entry (8 bytes), or -1 when there is none. */
  certDirOffset: number;
  /** The certificate table (embedded Authenticode signature), when present. */
  certTable?: { offset: number; size: number };
}

export const MACHINE_I386 = 0x14c;
export const MACHINE_AMD64 = 0x8664;

/**
 * The layout of a PE image, or a reason it is not one. `buf` holds at least the headers (the whole
 * file, or its start when `fileSize` is given). Bounds-checked: never throws on bad input.
 */
export function peLayout(buf: Uint8Array, fileSize = buf.length): PeLayout | { error: string } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 64 || buf[0] !== 0x4d || buf[1] !== 0x5a) return { error: "no MZ header" };
  const pe = view.getUint32(0x3c, true);
  if (pe + 24 > buf.length) return { error: "PE header offset beyond the end of the file" };
  if (view.getUint32(pe, true) !== 0x00004550) return { error: "no PE signature" };
  const machine = view.getUint16(pe + 4, true);
  const optSize = view.getUint16(pe + 20, true);
  const opt = pe + 24;
  if (optSize < 2 || opt + optSize > buf.length) return { error: "truncated optional header" };
  const magic = view.getUint16(opt, true);
  if (magic !== 0x10b && magic !== 0x20b) return { error: `unknown optional header magic 0x${magic.toString(16)}` };
  const pe32plus = magic === 0x20b;
  const checksumOffset = opt + 64;
  const rvaCountOffset = opt + (pe32plus ? 108 : 92);
  if (rvaCountOffset + 4 > opt + optSize) return { error: "truncated optional header" };
  const rvaCount = view.getUint32(rvaCountOffset, true);
  const dirs = rvaCountOffset + 4;
  let certDirOffset = -1;
  let certTable: PeLayout["certTable"];
  if (rvaCount > 4 && dirs + 5 * 8 <= opt + optSize) {
    certDirOffset = dirs + 4 * 8;
    const offset = view.getUint32(certDirOffset, true);
    const size = view.getUint32(certDirOffset + 4, true);
    if (size > 0) {
      if (offset < opt + optSize || offset + size > fileSize) return { error: "certificate table outside the file" };
      certTable = { offset, size };
    }
  }
  return { pe32plus, machine, checksumOffset, certDirOffset, ...(certTable ? { certTable } : {}) };
}

export function isPeLayout(x: PeLayout | { error: string }): x is PeLayout {
  return !("error" in x);
}

/** The Authenticode image hash of a PE image, one digest per requested algorithm (one pass). */
export function authenticodeDigests(buf: Uint8Array, layout: PeLayout, algorithms: readonly DigestAlgorithm[]): Map<DigestAlgorithm, Buffer> {
  const h = new AuthenticodeHasher(layout, buf.length, algorithms);
  h.update(buf);
  return h.digest();
}

/**
 * Streaming form: feed the file's bytes in order, in chunks of any size; the excluded ranges
 * (checksum, certificate-table entry, certificate table) are skipped as they pass.
 */
export class AuthenticodeHasher {
  private readonly hashes: Array<[DigestAlgorithm, ReturnType<typeof createHash>]>;
  private readonly skip: Array<[number, number]>;
  private offset = 0;

  constructor(
    private readonly layout: PeLayout,
    private readonly fileSize: number,
    algorithms: readonly DigestAlgorithm[],
  ) {
    this.hashes = algorithms.map((a) => [a, createHash(a)]);
    this.skip = [[layout.checksumOffset, layout.checksumOffset + 4]];
    if (layout.certDirOffset >= 0) this.skip.push([layout.certDirOffset, layout.certDirOffset + 8]);
    const end = layout.certTable ? layout.certTable.offset : fileSize;
    this.skip.push([end, Number.MAX_SAFE_INTEGER]);
  }

  update(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      const at = this.offset + pos;
      const inside = this.skip.find(([from, to]) => at >= from && at < to);
      if (inside) {
        pos = Math.min(chunk.length, inside[1] - this.offset);
        continue;
      }
      const next = Math.min(...this.skip.filter(([from]) => from > at).map(([from]) => from), this.offset + chunk.length);
      const piece = chunk.subarray(pos, next - this.offset);
      for (const [, h] of this.hashes) h.update(piece);
      pos = next - this.offset;
    }
    this.offset += chunk.length;
  }

  digest(): Map<DigestAlgorithm, Buffer> {
    if (!this.layout.certTable && this.fileSize % 8 !== 0) {
      const pad = Buffer.alloc(8 - (this.fileSize % 8));
      for (const [, h] of this.hashes) h.update(pad);
    }
    return new Map(this.hashes.map(([a, h]) => [a, h.digest()]));
  }
}

/** The hash of the whole file, one digest per algorithm: what a catalog records for a non-PE member. */
export function flatDigests(buf: Uint8Array, algorithms: readonly DigestAlgorithm[]): Map<DigestAlgorithm, Buffer> {
  return new Map(algorithms.map((a) => [a, createHash(a).update(buf).digest()]));
}

/** Names Windows hashes as PE images in a catalog. */
export function isPeName(name: string): boolean {
  return /\.(sys|dll|exe)$/i.test(name);
}
