/**
 * The catalog and signature checks of validateSpec (README "What is checked → Catalogs and
 * signatures"): per driver and arch, each INF's catalog must be a signed Windows catalog whose
 * members cover the INF and every file it references; its signature must satisfy the signing
 * policy. Each catalog is parsed once and each covered file hashed once, for the algorithms its
 * catalogs use. The formats live in plugins/catalog; this file reads the files and words the report.
 */
import type Vinyl from "vinyl";
import * as catalogLib from "../catalog/catalog.js";
import type { ParsedCatalog } from "../catalog/catalog.js";
import {
  catalogCoveredNames,
  coverage,
  displayAlgorithm,
  FileDigester,
  infBootStartBinaries,
  infCatalogFile,
  memberAlgorithms,
  type FileDigest,
} from "../catalog/coverage.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import type { SigningPolicy } from "../manifest/document.js";
import { contentSize, FileContents, materialize, openContents, readAllContents } from "../shared/contents.js";
import { asciiLower, compareCodePoints, packagePath } from "../shared/paths.js";
import type { Problem, ProblemReport } from "../shared/report.js";
import { matchSpecDriver, parseDriverPath, type Arch } from "./drivers.js";
import type { DriverSpec, PackagingSpec } from "./spec.js";

/** Rules a driver can waive with the spec's `waive_checks`. */
export const WAIVABLE_CHECKS = ["catalog-coverage", "catalog-signature", "embedded-signature"] as const;
export type WaivableCheck = (typeof WAIVABLE_CHECKS)[number];

type CatalogModule = typeof catalogLib;
const REGENERATE = "regenerate the catalog after rebuilding the driver (Inf2Cat /driver:<dir> /os:7_X86,7_X64), then sign it";

export interface CatalogCheckOptions {
  /** Decides errors vs warnings and the signature rules. */
  signingPolicy: SigningPolicy;
  /** "Now" for certificate expiry. */
  now?: Date;
}

/** What the checks found that the build summary shows. */
export interface CatalogSummary {
  catalogs: number;
  /** `subject (issuer ...)` of each distinct catalog signer. */
  signers: string[];
  /** Package paths of `.sys` files with / without an embedded Authenticode signature. */
  embeddedSigned: string[];
  embeddedUnsigned: string[];
}

interface DriverDir {
  arch: Arch;
  driver: DriverSpec;
  /** lowercased base name → file */
  byName: Map<string, Vinyl>;
  infs: Vinyl[];
}

export async function checkCatalogs(
  spec: PackagingSpec,
  files: readonly Vinyl[],
  infTexts: ReadonlyMap<string, string>,
  report: ProblemReport,
  options: CatalogCheckOptions,
): Promise<CatalogSummary> {
  const policy = options.signingPolicy;
  const now = options.now ?? new Date();
  const summary: CatalogSummary = { catalogs: 0, signers: [], embeddedSigned: [], embeddedUnsigned: [] };
  // Under "none" nothing here fails the build.
  const strict = policy !== "none";
  const add = (p: Problem) => (strict ? report.error(p) : report.warn(p));

  const certFiles = files.filter((f) => !f.isDirectory() && !f.isNull() && /^certs\/[^/]+\.(cer|crt|p7b)$/i.test(packagePath(f)));
  const hasCatalogs = files.some((f) => !f.isDirectory() && /\.cat$/i.test(f.path) && parseDriverPath(packagePath(f)) !== null);
  const lib = hasCatalogs || certFiles.length ? catalogLib : undefined;
  const trusted = lib ? await certificates(lib, certFiles, report) : []; // parsed whatever the policy: each must be X.509

  const dirs = new Map<string, DriverDir>();
  for (const file of files) {
    if (file.isDirectory() || file.isNull()) continue;
    const p = packagePath(file);
    const parsed = parseDriverPath(p);
    if (!parsed || !parsed.rel) continue;
    const match = matchSpecDriver(spec, parsed.dir);
    if (!match) continue;
    const key = `${parsed.arch}/${match.driver.name}`;
    let d = dirs.get(key);
    if (!d) dirs.set(key, (d = { arch: parsed.arch, driver: match.driver, byName: new Map(), infs: [] }));
    const name = asciiLower(p.slice(p.lastIndexOf("/") + 1));
    if (!d.byName.has(name)) d.byName.set(name, file);
    if (name.endsWith(".inf") && infTexts.has(p)) d.infs.push(file);
  }

  const digests = new Map<string, FileDigest | null>();
  const digestOf = (file: Vinyl, filePath: string, group: string, algs: readonly DigestAlgorithm[]) => fileDigest(file, filePath, digests, group, report, algs);
  const signatureChecked = new Set<string>();

  for (const key of [...dirs.keys()].sort(compareCodePoints)) {
    const d = dirs.get(key)!;
    // Catalogs live in their driver's folder: parsed once here, dropped after (asn1js trees are big).
    const catalogs = new Map<string, ParsedCatalog | null>(); // package path → parsed (null: not a catalog)
    const waived = new Set(d.driver.waive_checks);
    const group = `${d.driver.name} (${d.arch})`;
    const bootStart = new Set<string>();
    for (const inf of d.infs.sort((a, b) => compareCodePoints(packagePath(a), packagePath(b)))) {
      const infPath = packagePath(inf);
      const text = infTexts.get(infPath)!;
      for (const b of infBootStartBinaries(text)) bootStart.add(asciiLower(b));
      if (waived.has("catalog-coverage") && waived.has("catalog-signature")) continue;
      const catName = infCatalogFile(text, d.arch);
      if (!catName) {
        if (!waived.has("catalog-coverage")) {
          add({ rule: "inf-no-catalog", group, path: infPath, message: `${infPath} names no catalog (no CatalogFile= in [Version]), so Windows installs it as unsigned`, hint: "add CatalogFile=<name>.cat to [Version] and generate the catalog with Inf2Cat" });
        }
        continue;
      }
      const catFile = d.byName.get(asciiLower(catName));
      if (!catFile) continue; // the reference check reports a missing catalog
      const catPath = packagePath(catFile);
      let cat = catalogs.get(catPath);
      if (cat === undefined && lib) {
        const { CatalogError, parseCatalog } = lib;
        try {
          await materialize(catFile);
          cat = parseCatalog(await readAllContents(catFile, 64 * 1024 * 1024));
          summary.catalogs++;
        } catch (err) {
          cat = null;
          const why = err instanceof CatalogError ? err.message : (err as Error).message;
          add({ rule: "catalog-invalid", group, path: catPath, message: `${catPath} (the catalog of ${infPath}) is not a Windows catalog: ${why}`, hint: "generate it with Inf2Cat and sign it (signtool sign /fd sha1); a placeholder file is not a catalog" });
        }
        catalogs.set(catPath, cat);
      }
      if (!cat || !lib) continue;

      if (!waived.has("catalog-signature") && !signatureChecked.has(catPath)) {
        signatureChecked.add(catPath);
        await checkSignature(lib, cat, catPath, group, policy, trusted, now, add, report, summary);
      }
      if (waived.has("catalog-coverage")) continue;
      const algs = [...new Set(cat.members.map((m) => m.digestAlgorithm).filter((a): a is DigestAlgorithm => a === "sha1" || a === "sha256"))];
      const infName = infPath.slice(infPath.lastIndexOf("/") + 1);
      for (const name of catalogCoveredNames(infName, text)) {
        const file = d.byName.get(asciiLower(name));
        if (!file) continue; // missing files are the reference check's
        const filePath = packagePath(file);
        const digest = await digestOf(file, filePath, group, algs);
        if (!digest) continue;
        const verdict = coverage(cat, name, digest);
        const how = digest.pe ? "Authenticode image hash" : "file hash";
        if (verdict.status === "missing") {
          add({ rule: "catalog-not-covering", group, path: filePath, message: `${filePath} is not listed in catalog ${catPath} (${memberAlgorithms(cat)}; no member has its ${how})`, hint: REGENERATE });
        } else if (verdict.status === "mismatch") {
          const alg = verdict.member.digestAlgorithm;
          const mine = digest.digests.get(alg as DigestAlgorithm)?.toString("hex") ?? "?";
          add({ rule: "catalog-hash-mismatch", group, path: filePath, message: `${filePath} does not match catalog ${catPath}: its ${displayAlgorithm(alg)} ${how} is ${mine}, the catalog lists ${verdict.member.digest.toString("hex")}`, hint: REGENERATE });
        }
      }
    }

    // Embedded signatures of the driver's .sys files: shown in the summary; required by 64-bit
    // Windows 7 at boot for boot-start (storage) drivers, so their absence warns there.
    for (const [name, file] of d.byName) {
      if (!name.endsWith(".sys")) continue;
      const filePath = packagePath(file);
      const digest = await digestOf(file, filePath, group, []);
      if (!digest || !digest.pe) continue;
      (digest.embeddedSignature ? summary.embeddedSigned : summary.embeddedUnsigned).push(filePath);
      if (!digest.embeddedSignature && d.arch === "amd64" && bootStart.has(name) && !waived.has("embedded-signature") && policy !== "none") {
        report.warn({ rule: "boot-driver-unsigned", group, path: filePath, message: `${filePath} is a boot-start driver without an embedded signature: 64-bit Windows 7 checks boot drivers' own signatures, not the catalog, and will not load it`, hint: "sign the .sys itself too (signtool sign /fd sha1)" });
      }
    }
  }
  summary.signers.sort(compareCodePoints);
  return summary;
}

/**
 * A file's digests for `algs`, streamed (never held in memory), each file read once per set of
 * algorithms; with no algorithm only its PE headers are read (embedded signature present or not).
 */
async function fileDigest(
  file: Vinyl,
  filePath: string,
  cache: Map<string, FileDigest | null>,
  group: string,
  report: ProblemReport,
  algs: readonly DigestAlgorithm[],
): Promise<FileDigest | null> {
  const known = cache.get(filePath);
  if (known === null) return null;
  const missing = algs.filter((a) => !known?.digests.has(a));
  if (known && missing.length === 0) return known;
  try {
    await materialize(file);
    const digester = new FileDigester(filePath, contentSize(file), missing);
    const contents = file.contents;
    if (contents instanceof FileContents) {
      // Read through one reused buffer: no garbage per chunk (the payload is read whole here).
      await contents.forEachChunk((chunk) => digester.update(chunk));
    } else {
      const stream = openContents(file);
      for await (const chunk of stream) {
        digester.update(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
        if (digester.done) {
          stream.destroy();
          break;
        }
      }
    }
    const fresh = digester.digest();
    const merged: FileDigest = known ? { ...known, digests: new Map([...known.digests, ...fresh.digests]) } : fresh;
    cache.set(filePath, merged);
    return merged;
  } catch (err) {
    report.warn({ rule: "catalog-unhashed", group, path: filePath, message: `${filePath} could not be hashed for the catalog check: ${(err as Error).message}` });
    cache.set(filePath, null);
    return null;
  }
}

async function checkSignature(
  lib: CatalogModule,
  cat: ParsedCatalog,
  catPath: string,
  group: string,
  policy: SigningPolicy,
  trusted: ReturnType<CatalogModule["parseCertificate"]>[],
  now: Date,
  add: (p: Problem) => void,
  report: ProblemReport,
  summary: CatalogSummary,
): Promise<void> {
  const { chainsTo, isSelfSigned, verifyCatalogSignature } = lib;
  const verdict = await verifyCatalogSignature(cat);
  if (!verdict.valid) {
    add({ rule: "catalog-signature", group, path: catPath, message: `the signature of ${catPath} does not verify: ${verdict.reason}`, hint: "sign the catalog again after generating it (signtool sign /fd sha1)" });
    return;
  }
  const signer = cat.signer!;
  const who = `${signer.subject} (issued by ${signer.issuer})`;
  if (!summary.signers.includes(who)) summary.signers.push(who);
  if (policy === "test" && !(await chainsTo(cat, trusted))) {
    add({ rule: "catalog-untrusted-signer", group, path: catPath, message: `${catPath} is signed by ${who}, which does not chain to a certificate in certs/, so setup.cmd does not make Windows trust it`, hint: "put the signing certificate (.cer) in the guest-tools certs/ folder, or sign the catalog with the certificate that is there" });
  }
  if (policy === "production" && cat.signerCertificate && (await isSelfSigned(cat.signerCertificate))) {
    add({ rule: "catalog-test-signed", group, path: catPath, message: `${catPath} is signed by the self-signed certificate ${signer.subject}: test-signed drivers on production media`, hint: "use the production-signed (WHQL or release-signed) drivers, or build with --signing-policy test" });
  }
  if (policy !== "none" && cat.signatureDigest === "sha256") {
    report.warn({ rule: "catalog-sha256-only", group, path: catPath, message: `${catPath} has only a SHA-256 signature: stock Windows 7 without KB3033929 cannot verify it (Code 52)`, hint: "sign with /fd sha1 (optionally append a SHA-256 signature)" });
  }
  if (signer.notAfter.getTime() < now.getTime()) {
    report.warn({ rule: "catalog-signer-expired", group, path: catPath, message: `${catPath} is signed by ${signer.subject}, whose certificate expired on ${signer.notAfter.toISOString().slice(0, 10)}` });
  }
}

/** Every certificate in certs/ (DER or PEM .cer/.crt, PKCS#7 .p7b), each of which must parse as X.509. */
async function certificates(lib: CatalogModule, certFiles: readonly Vinyl[], report: ProblemReport): Promise<ReturnType<CatalogModule["parseCertificate"]>[]> {
  const out: ReturnType<CatalogModule["parseCertificate"]>[] = [];
  for (const file of certFiles) {
    const p = packagePath(file);
    try {
      await materialize(file);
      const bytes = await readAllContents(file, 16 * 1024 * 1024);
      if (/\.p7b$/i.test(p)) out.push(...lib.parseCertificateBundle(bytes));
      else out.push(lib.parseCertificate(bytes));
    } catch (err) {
      report.error({ rule: "certificate-invalid", group: "guest-tools", path: p, message: `${p} is not an X.509 certificate (DER or PEM): ${(err as Error).message}`, hint: "export the signing certificate as a .cer file (DER or Base-64)" });
    }
  }
  return out;
}

/** The summary lines a build prints: catalog signers, embedded signatures present/absent. */
export function formatCatalogSummary(s: CatalogSummary): string[] {
  if (s.catalogs === 0 && s.embeddedSigned.length + s.embeddedUnsigned.length === 0) return [];
  const lines = [`catalogs: ${s.catalogs} checked${s.signers.length ? `, signed by ${s.signers.join("; ")}` : ""}`];
  const total = s.embeddedSigned.length + s.embeddedUnsigned.length;
  if (total) {
    const absent = s.embeddedUnsigned.length ? ` (absent: ${s.embeddedUnsigned.join(", ")})` : "";
    lines.push(`embedded signatures: ${s.embeddedSigned.length} of ${total} .sys files signed${absent}`);
  }
  return lines;
}
