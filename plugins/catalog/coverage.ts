/**
 * Which catalog an INF names and which files it must cover, and the comparison of a parsed catalog
 * with the files' digests. Pure: the caller reads the bytes.
 */
import { asciiLower } from "../shared/paths.js";
import { infReferencedFiles, normalizeInfToken, parseInf } from "../inf/inf.js";
import type { CatalogMember } from "./catalog.js";
import { createHash, type Hash } from "node:crypto";
import { AuthenticodeHasher, authenticodeDigests, flatDigests, isPeLayout, isPeName, peLayout, type DigestAlgorithm, type PeLayout } from "./pe.js";

export type CatalogArch = "x86" | "amd64";

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/**
 * The catalog an INF names for an arch: `CatalogFile.NTx86`/`.NTamd64` first, then
 * `CatalogFile.NT`, then `CatalogFile` (the decoration Windows picks on that platform).
 */
export function infCatalogFile(infText: string, arch: CatalogArch): string | undefined {
  const version = parseInf(infText).sections.get("version");
  const found = new Map<string, string>();
  for (const line of version?.lines ?? []) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = asciiLower(line.slice(0, eq).trim());
    if (!key.startsWith("catalogfile")) continue;
    const value = normalizeInfToken(line.slice(eq + 1).split(",")[0]!);
    if (value && !found.has(key)) found.set(key, value);
  }
  const platform = arch === "x86" ? "catalogfile.ntx86" : "catalogfile.ntamd64";
  return found.get(platform) ?? found.get("catalogfile.nt") ?? found.get("catalogfile");
}

/**
 * The files a catalog must cover for one INF: the INF itself and every file it references
 * (catalogs excepted), as base names, first spelling kept, in order.
 */
export function catalogCoveredNames(infName: string, infText: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of [infName, ...infReferencedFiles(infText).files]) {
    const name = baseName(normalizeInfToken(raw));
    const key = name.toLowerCase();
    if (!name || key.endsWith(".cat") || seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/** A file's digests, as a catalog would record them. */
export interface FileDigest {
  /** Hashed as a PE image (Authenticode) rather than as a flat file. */
  pe: boolean;
  /** sha1 and sha256 digests. */
  digests: Map<DigestAlgorithm, Buffer>;
  /** An embedded Authenticode signature (certificate table) is present. */
  embeddedSignature: boolean;
  /** A `.sys`/`.dll`/`.exe` that is not a PE image: why. */
  notPe?: string;
  machine?: number;
}

/**
 * Hash a file once, for every algorithm asked (default both): the Authenticode image hash for PE
 * images, else the flat hash.
 */
export function digestFile(name: string, bytes: Uint8Array, algs: readonly DigestAlgorithm[] = ["sha1", "sha256"]): FileDigest {
  if (isPeName(name)) {
    const layout = peLayout(bytes);
    if (isPeLayout(layout)) return peDigest(bytes, layout, algs);
    return { pe: false, digests: flatDigests(bytes, algs), embeddedSignature: false, notPe: layout.error };
  }
  return { pe: false, digests: flatDigests(bytes, algs), embeddedSignature: false };
}

function peDigest(bytes: Uint8Array, layout: PeLayout, algs: readonly DigestAlgorithm[]): FileDigest {
  return { pe: true, digests: authenticodeDigests(bytes, layout, algs), embeddedSignature: layout.certTable !== undefined, machine: layout.machine };
}

/** PE headers are looked for in this much of a file's start. */
const HEAD_BYTES = 64 * 1024;

/**
 * digestFile() over a stream: feed the file's chunks in order, then digest(). Holds at most the
 * first 64 KiB (to read the PE headers), never the whole file. With no algorithm it only reads the
 * layout: `done` turns true once the headers are seen, and the rest need not be read.
 */
export class FileDigester {
  private head: Buffer[] = [];
  private headLength = 0;
  private pe: AuthenticodeHasher | undefined;
  private flat: Array<[DigestAlgorithm, Hash]> | undefined;
  private result: Omit<FileDigest, "digests"> | undefined;

  constructor(
    private readonly name: string,
    private readonly size: number,
    private readonly algs: readonly DigestAlgorithm[],
  ) {}

  get done(): boolean {
    return this.result !== undefined && this.algs.length === 0;
  }

  update(chunk: Uint8Array): void {
    if (this.result) return this.feed(chunk);
    const needed = Math.min(HEAD_BYTES, this.size);
    // The headers in the first chunk (the media feed's chunks are up to 4 MiB): used as it is.
    if (this.headLength === 0 && chunk.byteLength >= needed) return this.start(chunk);
    // A copy: callers may hand every chunk in one reused buffer (FileContents.forEachChunk).
    this.head.push(Buffer.from(chunk));
    this.headLength += chunk.byteLength;
    if (this.headLength >= needed) this.start();
  }

  digest(): FileDigest {
    if (!this.result) this.start();
    const digests = this.pe ? this.pe.digest() : new Map((this.flat ?? []).map(([a, h]) => [a, h.digest()] as const));
    return { ...this.result!, digests };
  }

  /** Judge the layout from the file's start (`first`, or the copies kept so far) and hash it. */
  private start(first?: Uint8Array): void {
    const head = first ?? Buffer.concat(this.head, this.headLength);
    this.head = [];
    const layout = isPeName(this.name) ? peLayout(head, this.size) : undefined;
    if (layout && isPeLayout(layout)) {
      this.pe = new AuthenticodeHasher(layout, this.size, this.algs);
      this.result = { pe: true, embeddedSignature: layout.certTable !== undefined, machine: layout.machine };
    } else {
      this.flat = this.algs.map((a) => [a, createHash(a)]);
      this.result = { pe: false, embeddedSignature: false, ...(layout ? { notPe: (layout as { error: string }).error } : {}) };
    }
    this.feed(head);
  }

  private feed(chunk: Uint8Array): void {
    if (this.pe) this.pe.update(chunk);
    else for (const [, h] of this.flat!) h.update(chunk);
  }
}

export type CoverageVerdict =
  | { status: "covered"; member: CatalogMember }
  /** The catalog lists a member of this name whose digest differs. */
  | { status: "mismatch"; member: CatalogMember }
  | { status: "missing" };

/**
 * Is the file covered by the catalog? As Windows and osslsigncode decide it: some member's
 * SPC_INDIRECT_DATA digest equals the file's hash under that member's algorithm.
 */
export function coverage(cat: { members: readonly CatalogMember[] }, name: string, file: FileDigest): CoverageVerdict {
  for (const m of cat.members) {
    const mine = file.digests.get(m.digestAlgorithm as DigestAlgorithm);
    if (mine && mine.equals(m.digest)) return { status: "covered", member: m };
  }
  const named = cat.members.find((m) => m.name !== undefined && m.name.toLowerCase() === name.toLowerCase());
  return named ? { status: "mismatch", member: named } : { status: "missing" };
}

/** The digest algorithms a catalog's members use (for messages), e.g. "SHA-1". */
export function memberAlgorithms(cat: { members: readonly CatalogMember[] }): string {
  const algs = [...new Set(cat.members.map((m) => displayAlgorithm(m.digestAlgorithm)))];
  return algs.length ? algs.join("+") : "no members";
}

export function displayAlgorithm(alg: string): string {
  return alg === "sha1" ? "SHA-1" : alg === "sha256" ? "SHA-256" : alg;
}

/**
 * Binaries of the boot-start services an INF installs (`StartType = 0`, SERVICE_BOOT_START,
 * `%strkey%` resolved from [Strings]): storage drivers Windows loads before PnP, whose embedded
 * signature 64-bit Windows checks at boot.
 */
export function infBootStartBinaries(infText: string): string[] {
  const { sections } = parseInf(infText);
  const strings = new Map<string, string>();
  for (const line of sections.get("strings")?.lines ?? []) {
    const eq = line.indexOf("=");
    if (eq > 0) strings.set(asciiLower(line.slice(0, eq).trim()), line.slice(eq + 1).trim().replace(/^"|"$/g, ""));
  }
  const resolve = (v: string) => v.replace(/^%([^%]+)%$/, (_m, k: string) => strings.get(asciiLower(k)) ?? _m);
  const out: string[] = [];
  for (const section of sections.values()) {
    for (const line of section.lines) {
      const eq = line.indexOf("=");
      if (eq < 0 || asciiLower(line.slice(0, eq).trim()) !== "addservice") continue;
      const install = line.slice(eq + 1).split(",")[2]?.trim().replace(/^"|"$/g, "");
      if (!install) continue;
      let start: string | undefined;
      let binary: string | undefined;
      for (const l of sections.get(asciiLower(install))?.lines ?? []) {
        const e = l.indexOf("=");
        if (e < 0) continue;
        const key = asciiLower(l.slice(0, e).trim());
        const value = l.slice(e + 1).trim();
        if (key === "starttype") start = resolve(value);
        if (key === "servicebinary") binary = baseName(normalizeInfToken(value.split(",")[0]!));
      }
      if (binary && start !== undefined && /^(0x0*|0+)$/i.test(start.trim())) out.push(binary);
    }
  }
  return out;
}
