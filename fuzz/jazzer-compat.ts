/**
 * Making Jazzer.js's native addon load on older Linux systems.
 *
 * @jazzer.js/fuzzer 4.0.0 ships one prebuilt addon per platform (there is no source to rebuild,
 * and 2.1.0's installer downloads its prebuilds from a host npm cannot reach). The linux-x64
 * addon was linked against glibc 2.38 and libstdc++ 13, so on Debian 12 (glibc 2.36, libstdc++
 * 12) it fails to load with "version `GLIBC_2.38' not found". What it needs from those versions
 * is small: `__isoc23_strtol` / `__isoc23_strtoul` (C23 variants that also accept "0b" numbers;
 * libFuzzer only parses its own decimal flags with them) and `std::ios_base_library_init`, a
 * symbol GCC 13 headers reference only to pull in iostream initialisation (no relocation uses it).
 *
 * So, when loading fails for exactly that reason, we write a patched copy under .cache/:
 * the missing version requirement is pointed at the library's base version, `__isoc23_x`
 * symbols are renamed to their C99 `x` (the name is a suffix of the same string, so only an
 * offset changes), and any other symbol needing a missing version makes us give up with a clear
 * message. The original file in node_modules is never modified; fuzz/preload.cjs redirects the
 * addon's dlopen to the copy.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Base version per library: what a too-new requirement is pointed at. */
const BASE_VERSION: Record<string, string> = {
  "libc.so.6": "GLIBC_2.2.5",
  "libm.so.6": "GLIBC_2.2.5",
  "libstdc++.so.6": "GLIBCXX_3.4",
};
/** Symbols that are only referenced, never called (no relocation): any version will do. */
const REFERENCE_ONLY = new Set(["_ZSt21ios_base_library_initv"]);
const C23_PREFIX = "__isoc23_";

export class JazzerCompatError extends Error {}

/** Try to load `addon` in a child process; the dlopen error message when it fails. */
export function loadError(addon: string, preload?: string): string | undefined {
  const args = preload ? ["--require", preload] : [];
  const r = spawnSync(process.execPath, [...args, "-e", `require(${JSON.stringify(addon)})`], { encoding: "utf8" });
  if (r.status === 0) return undefined;
  return r.stderr;
}

/**
 * The addon to load: `original` when it loads as is, else a patched copy in `cacheDir`.
 * Throws JazzerCompatError when it cannot be made to load.
 */
export function loadableAddon(original: string, cacheDir: string): string {
  let error = loadError(original);
  if (error === undefined) return original;
  let bytes: Buffer = readFileSync(original);
  const patched = path.join(cacheDir, `fuzzer-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.node`);
  if (existsSync(patched) && loadError(patched) === undefined) return patched;
  for (let round = 0; round < 8 && error !== undefined; round++) {
    const m = /version `([^']+)' not found \(required by/.exec(error);
    if (!m) throw new JazzerCompatError(`Jazzer.js's native addon does not load here, for a reason we cannot patch:\n${error}`);
    bytes = retargetVersion(bytes, m[1]!);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(patched, bytes);
    error = loadError(patched);
  }
  if (error !== undefined) throw new JazzerCompatError(`the patched Jazzer.js addon still does not load:\n${error}`);
  return patched;
}

// ---------------------------------------------------------------------------------------------
// A minimal ELF64 little-endian editor: section headers, .dynsym, .dynstr, .gnu.version(_r).

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
}

const SHT_DYNSYM = 11;
const SHT_GNU_VERSYM = 0x6fffffff;
const SHT_GNU_VERNEED = 0x6ffffffe;

function sections(b: Buffer): Section[] {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new JazzerCompatError("the addon is not a 64-bit little-endian ELF file");
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    out.push({ type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)), link: b.readUInt32LE(o + 0x28) });
  }
  return out;
}

/** The SysV ELF hash of a version name (vna_hash). */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, "latin1")) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

/** Point the requirement of `version` at its library's base version; fix the symbols that need it. */
export function retargetVersion(input: Buffer, version: string): Buffer {
  const b = Buffer.from(input);
  const secs = sections(b);
  const find = (type: number) => {
    const s = secs.find((x) => x.type === type);
    if (!s) throw new JazzerCompatError(`the addon has no section of type 0x${type.toString(16)}`);
    return s;
  };
  const dynsym = find(SHT_DYNSYM);
  const dynstr = secs[dynsym.link]!;
  const versym = find(SHT_GNU_VERSYM);
  const verneed = find(SHT_GNU_VERNEED);
  const str = (off: number) => b.toString("latin1", dynstr.offset + off, b.indexOf(0, dynstr.offset + off));
  const strOffset = (s: string) => {
    const at = b.indexOf(Buffer.from(`\0${s}\0`, "latin1"), dynstr.offset);
    if (at < 0 || at >= dynstr.offset + dynstr.size) throw new JazzerCompatError(`"${s}" is not in the addon's string table`);
    return at + 1 - dynstr.offset;
  };

  // Find the vernaux entry of `version` and the index (vna_other) of its library's base version.
  let target: { at: number; other: number; file: string } | undefined;
  let base: { name: number; other: number } | undefined;
  for (let vn = verneed.offset; ; ) {
    const count = b.readUInt16LE(vn + 2);
    const file = str(b.readUInt32LE(vn + 4));
    let aux = vn + b.readUInt32LE(vn + 8);
    const entries: { at: number; name: string; other: number }[] = [];
    for (let i = 0; i < count; i++) {
      entries.push({ at: aux, name: str(b.readUInt32LE(aux + 8)), other: b.readUInt16LE(aux + 6) });
      aux += b.readUInt32LE(aux + 12);
    }
    const hit = entries.find((e) => e.name === version);
    if (hit) {
      const baseName = BASE_VERSION[file];
      const baseEntry = entries.find((e) => e.name === baseName);
      if (!baseName || !baseEntry) throw new JazzerCompatError(`no base version known for ${file} (needed for ${version})`);
      target = { at: hit.at, other: hit.other, file };
      base = { name: strOffset(baseName), other: baseEntry.other };
      b.writeUInt32LE(elfHash(baseName), hit.at);
      b.writeUInt16LE(0, hit.at + 4); // flags
      b.writeUInt32LE(base.name, hit.at + 8);
      break;
    }
    const next = b.readUInt32LE(vn + 12);
    if (!next) break;
    vn += next;
  }
  if (!target || !base) throw new JazzerCompatError(`the addon does not require ${version}`);

  const symbols = dynsym.size / 24;
  for (let i = 0; i < symbols; i++) {
    const v = versym.offset + 2 * i;
    if ((b.readUInt16LE(v) & 0x7fff) !== target.other) continue;
    const sym = dynsym.offset + 24 * i;
    const nameOff = b.readUInt32LE(sym);
    const name = str(nameOff);
    if (name.startsWith(C23_PREFIX)) b.writeUInt32LE(nameOff + C23_PREFIX.length, sym);
    else if (!REFERENCE_ONLY.has(name)) throw new JazzerCompatError(`${name}@${version} (${target.file}) has no older equivalent we know of`);
    b.writeUInt16LE(base.other, v);
  }
  return b;
}
