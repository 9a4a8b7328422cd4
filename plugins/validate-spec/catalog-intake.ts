/**
 * The catalogs and certificates validateSpec's catalog checks need, read as they stream past
 * (observe()) and parsed when the checks ask (see catalog/service.ts), and what a CheckCache
 * remembers of them between builds.
 */
import { createHash } from "node:crypto";
import type Vinyl from "vinyl";
import type { CatalogFactsResult, CertificateFacts, CertificateFile } from "../catalog/facts.js";
import { catalogService, type CatalogService } from "../catalog/service.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { materialize, readAllContents } from "../shared/contents.js";
import { readDocumentFile } from "../shared/document-files.js";
import { compareCodePoints, packagePath } from "../shared/paths.js";
import { matchSpecDriver, parseDriverPath } from "./drivers.js";

const CERT_PATH = /^certs\/[^/]+\.(cer|crt|p7b)$/i;
/** Catalogs are read whole; a real one is a few hundred KiB at most. */
const CATALOG_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Results of the checks remembered between builds, by key: gulp watch's BuildCache. `keyOf` is
 * the identity of a file's contents (undefined: not known, nothing is remembered for it).
 */
export interface CheckCache {
  keyOf(file: Vinyl): string | undefined;
  recallCheck(key: string): unknown;
  rememberCheck(key: string, value: unknown): void;
}

type Read<T> = { ok: true; value: T } | { ok: false; error: string };
interface CatalogEntry {
  bytes: Promise<Read<Uint8Array>>;
  facts: Promise<{ key: string; result: CatalogFactsResult }>;
}
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Catalogs and certificates as they stream past validateSpec: each is read at once and handed to
 * the catalog service, which parses them when the checks ask (see service.ts). `facts()` answers
 * for the final set of certificates (a catalog asked about before a certificate arrived is judged
 * again).
 */
export class CatalogIntake {
  readonly #service: CatalogService;
  readonly #cache: CheckCache | undefined;
  readonly #certs = new Map<string, Promise<Read<CertificateFile>>>();
  readonly #catalogs = new Map<Vinyl, CatalogEntry>();

  readonly #spec: PackagingSpec | undefined;

  /** With `spec`, catalogs of drivers it does not list, or whose catalog checks it waives, are left alone. */
  constructor(options: { cache?: CheckCache; service?: CatalogService; spec?: PackagingSpec } = {}) {
    this.#service = options.service ?? catalogService();
    this.#cache = options.cache;
    this.#spec = options.spec;
  }

  #wanted(p: string): boolean {
    const parsed = parseDriverPath(p);
    if (!parsed) return false;
    if (!this.#spec) return true;
    const driver = matchSpecDriver(this.#spec, parsed.dir)?.driver;
    return driver !== undefined && !(driver.waive_checks.includes("catalog-coverage") && driver.waive_checks.includes("catalog-signature"));
  }

  /** A file streaming past: catalogs of driver folders and certificates are read now. */
  observe(file: Vinyl): void {
    if (file.isDirectory() || file.isNull()) return;
    const p = packagePath(file);
    if (CERT_PATH.test(p)) {
      if (!this.#certs.has(p)) this.#certs.set(p, this.#readCertificate(file, p));
    } else if (/\.cat$/i.test(p) && this.#wanted(p) && !this.#catalogs.has(file)) {
      this.#catalogs.set(file, this.#read(file));
    }
  }

  /** Read a catalog and ask for its facts, judged against the certificates seen so far (guest-tools, with certs/, streams first). */
  #read(file: Vinyl): CatalogEntry {
    const bytes = readSettled(file, (f) => readAllContents(f, CATALOG_MAX_BYTES));
    const facts = bytes.then(async (b) => (b.ok ? this.#catalogFacts(b.value, await this.#trusted()) : { key: "", result: { ok: false as const, error: b.error } }));
    return { bytes, facts };
  }

  /** Every certificate file of the tree, read (each one's problem reported by the caller). */
  async certificates(files: readonly Vinyl[]): Promise<Array<{ path: string; read: Read<CertificateFile>; facts?: CertificateFacts }>> {
    for (const f of files) if (!f.isDirectory() && !f.isNull() && CERT_PATH.test(packagePath(f))) this.observe(f);
    const out = [];
    for (const [path, read] of [...this.#certs].sort(([a], [b]) => compareCodePoints(a, b))) {
      const r = await read;
      out.push({ path, read: r, ...(r.ok && { facts: await this.#certificateFacts(r.value) }) });
    }
    return out;
  }

  /** A catalog's facts, judged against all certificates of the tree. */
  async facts(file: Vinyl): Promise<CatalogFactsResult> {
    if (!this.#catalogs.has(file)) this.#catalogs.set(file, this.#read(file));
    this.#service.flush();
    const entry = this.#catalogs.get(file)!;
    const trusted = await this.#trusted();
    const early = await entry.facts;
    if (early.key === "" || early.key.endsWith(`:${trustedKeyOf(trusted)}`)) return early.result;
    const bytes = await entry.bytes;
    if (!bytes.ok) return { ok: false, error: bytes.error };
    const later = this.#catalogFacts(bytes.value, trusted);
    this.#service.flush();
    return (await later).result;
  }

  async #trusted(): Promise<CertificateFile[]> {
    const out: CertificateFile[] = [];
    for (const read of this.#certs.values()) {
      const r = await read;
      if (r.ok) out.push(r.value);
    }
    return out;
  }

  async #catalogFacts(bytes: Uint8Array, trusted: CertificateFile[]): Promise<{ key: string; result: CatalogFactsResult }> {
    const key = `catalog:${sha256(bytes)}:${trustedKeyOf(trusted)}`;
    const known = this.#cache?.recallCheck(key) as CatalogFactsResult | undefined;
    if (known) return { key, result: known };
    const result = await this.#service.catalog(bytes, trusted);
    this.#cache?.rememberCheck(key, result);
    return { key, result };
  }

  async #certificateFacts(file: CertificateFile): Promise<CertificateFacts> {
    const key = `certificate:${file.path}:${sha256(file.bytes)}`;
    const known = this.#cache?.recallCheck(key) as CertificateFacts | undefined;
    if (known) return known;
    const pending = this.#service.certificate(file);
    this.#service.flush();
    const result = await pending;
    this.#cache?.rememberCheck(key, result);
    return result;
  }

  #readCertificate(file: Vinyl, p: string): Promise<Read<CertificateFile>> {
    return readSettled(file, (f) => readDocumentFile("certificate", f, p)).then((r) => (r.ok ? { ok: true, value: { path: p, bytes: r.value } } : r));
  }
}

/** A key for a set of trusted certificates (their paths and bytes). */
function trustedKeyOf(files: readonly CertificateFile[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => compareCodePoints(a.path, b.path))) h.update(`${f.path}\0${f.bytes.byteLength}\0`).update(f.bytes);
  return h.digest("hex");
}

/** Read a file's bytes; a failure is a value (these promises are awaited later, maybe never). */
async function readSettled<T>(file: Vinyl, read: (f: Vinyl) => Promise<T>): Promise<Read<T>> {
  try {
    await materialize(file);
    return { ok: true, value: await read(file) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
