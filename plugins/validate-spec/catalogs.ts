/**
 * The catalog and signature checks of validateSpec (README "What is checked → Catalogs and
 * signatures"): per driver and arch, each INF's catalog must be a signed Windows catalog whose
 * members cover the INF and every file it references; its signature must satisfy the signing
 * policy. Each catalog is read as it streams past (CatalogIntake) and parsed once, when the
 * checks run (catalog/service.ts), and each covered file hashed once (catalog-digests.ts); with
 * a CheckCache (gulp watch's BuildCache) none of it is redone for unchanged files. The formats
 * live in plugins/catalog; this file walks the driver folders and words the coverage report, the
 * signature verdicts are in catalog-signature.ts, a build's early asks in catalog-asks.ts.
 */
import type Vinyl from "vinyl";
import { catalogCoveredNames, coverage, displayAlgorithm, infBootStartBinaries, infCatalogFile, memberAlgorithms } from "../catalog/coverage.js";
import type { CatalogFacts } from "../catalog/facts.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import type { SigningPolicy } from "../manifest/document.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { asciiLower, compareCodePoints, packagePath } from "../shared/paths.js";
import type { SharedReads } from "../shared/shared-reads.js";
import type { ProblemReport, RuleReport } from "../shared/report.js";
import { fileDigest, Limiter, type DigestRun } from "./catalog-digests.js";
import { askDigests } from "./catalog-asks.js";
import { CatalogIntake, type CheckCache } from "./catalog-intake.js";
import { digestAlgorithms, type CatalogSummary, type DriverDir, type Run } from "./catalog-run.js";
import { checkSignature } from "./catalog-signature.js";
import { matchSpecDriver, parseDriverPath } from "./drivers.js";
import type { ValidateSpecRule } from "./rules.js";

export { CatalogIntake, type CheckCache } from "./catalog-intake.js";
export type { CatalogSummary } from "./catalog-run.js";

/** Rules a driver can waive with the spec's `waive_checks`. */
export const WAIVABLE_CHECKS = ["catalog-coverage", "catalog-signature", "embedded-signature"] as const;
export type WaivableCheck = (typeof WAIVABLE_CHECKS)[number];

const REGENERATE = "regenerate the catalog after rebuilding the driver (Inf2Cat /driver:<dir> /os:7_X86,7_X64), then sign it";

export interface CatalogCheckOptions {
  /** Decides errors vs warnings and the signature rules. */
  signingPolicy: SigningPolicy;
  /** "Now" for certificate expiry. */
  now?: Date;
  /** The catalogs and certificates read as they streamed past. */
  intake?: CatalogIntake;
  cache?: CheckCache;
  /** A later stage's reads of the files to follow rather than reading them again (see shared-reads.ts). */
  sharedReads?: SharedReads;
}

export async function checkCatalogs(
  spec: PackagingSpec,
  files: readonly Vinyl[],
  infTexts: ReadonlyMap<string, string>,
  report: ProblemReport,
  options: CatalogCheckOptions,
): Promise<CatalogSummary> {
  const intake = options.intake ?? new CatalogIntake(options.cache ? { cache: options.cache } : {});
  // The package paths as they are now: validateSpec renames driver folders to the spec's spelling
  // once its checks pass, maybe while these still run (deferred until the commit, see index.ts).
  const paths = new Map(files.map((f) => [f, packagePath(f)]));
  const rules: RuleReport<ValidateSpecRule> = report;
  const strict = options.signingPolicy !== "none"; // under "none" nothing here fails the build
  const digests: DigestRun = {
    memo: new Map(),
    cache: options.cache,
    sharedReads: options.sharedReads,
    reading: new Limiter(2),
  };
  const unhashed = new Set<string>();
  const run: Run = {
    pathOf: (f) => paths.get(f) ?? packagePath(f),
    policy: options.signingPolicy,
    now: options.now ?? new Date(),
    summary: { catalogs: 0, signers: [], embeddedSigned: [], embeddedUnsigned: [] },
    rules,
    add: (p) => (strict ? rules.error(p) : rules.warn(p)),
    digestOf: async (file, group, algs) => {
      const filePath = run.pathOf(file);
      const d = await fileDigest(file, filePath, algs, digests);
      if (!("error" in d)) return d;
      if (!unhashed.has(filePath)) rules.warn({ rule: "catalog-unhashed", group, path: filePath, message: `${filePath} could not be hashed for the catalog check: ${d.error}` });
      unhashed.add(filePath);
      return null;
    },
    ask: (file, algs) => void fileDigest(file, run.pathOf(file), algs, digests),
    intake,
    signatureChecked: new Set(),
  };

  const dirs = driverDirs(spec, files, infTexts, run.pathOf);
  const order = [...dirs.keys()].sort(compareCodePoints);
  // Following a later stage's reads (a build): each folder says now, before that stage reads
  // anything, which files it may follow, and asks for their digests as its catalog is parsed.
  const sharedReads = options.sharedReads;
  if (sharedReads) for (const key of order) void askDigests(dirs.get(key)!, infTexts, run, sharedReads);

  // Each file in certs/ must be X.509, whatever the policy.
  for (const cert of await intake.certificates(files)) {
    const why = !cert.read.ok ? cert.read.error : cert.facts && !cert.facts.ok ? cert.facts.error : undefined;
    if (why === undefined) continue;
    rules.error({ rule: "certificate-invalid", group: "guest-tools", path: cert.path, message: `${cert.path} is not an X.509 certificate (DER or PEM): ${why}`, hint: "export the signing certificate as a .cer file (DER or Base-64)" });
  }
  for (const key of order) await checkDriver(dirs.get(key)!, infTexts, run);
  run.summary.signers.sort(compareCodePoints);
  return run.summary;
}

/** The files of each spec driver's folder per arch, by lowercased base name, and its INFs. */
function driverDirs(spec: PackagingSpec, files: readonly Vinyl[], infTexts: ReadonlyMap<string, string>, pathOf: (f: Vinyl) => string): Map<string, DriverDir> {
  const dirs = new Map<string, DriverDir>();
  for (const file of files) {
    if (file.isDirectory() || file.isNull()) continue;
    const p = pathOf(file);
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
  return dirs;
}

/** One driver folder: each INF's catalog (signature, coverage), then the .sys files' embedded signatures. */
async function checkDriver(d: DriverDir, infTexts: ReadonlyMap<string, string>, run: Run): Promise<void> {
  const catalogs = new Map<string, CatalogFacts | null>(); // package path → facts (null: not a catalog)
  const waived = new Set(d.driver.waive_checks);
  const group = `${d.driver.name} (${d.arch})`;
  const bootStart = new Set<string>();
  for (const inf of d.infs.sort((a, b) => compareCodePoints(run.pathOf(a), run.pathOf(b)))) {
    const infPath = run.pathOf(inf);
    const text = infTexts.get(infPath)!;
    for (const b of infBootStartBinaries(text)) bootStart.add(asciiLower(b));
    if (waived.has("catalog-coverage") && waived.has("catalog-signature")) continue;
    const catName = infCatalogFile(text, d.arch);
    if (!catName) {
      if (!waived.has("catalog-coverage")) {
        run.add({ rule: "inf-no-catalog", group, path: infPath, message: `${infPath} names no catalog (no CatalogFile= in [Version]), so Windows installs it as unsigned`, hint: "add CatalogFile=<name>.cat to [Version] and generate the catalog with Inf2Cat" });
      }
      continue;
    }
    const catFile = d.byName.get(asciiLower(catName));
    if (!catFile) continue; // the reference check reports a missing catalog
    const catPath = run.pathOf(catFile);
    let cat = catalogs.get(catPath);
    if (cat === undefined) {
      const result = await run.intake.facts(catFile);
      cat = result.ok ? result.facts : null;
      if (result.ok) run.summary.catalogs++;
      else run.add({ rule: "catalog-invalid", group, path: catPath, message: `${catPath} (the catalog of ${infPath}) is not a Windows catalog: ${result.error}`, hint: "generate it with Inf2Cat and sign it (signtool sign /fd sha1); a placeholder file is not a catalog" });
      catalogs.set(catPath, cat);
    }
    if (!cat) continue;
    if (!waived.has("catalog-signature") && !run.signatureChecked.has(catPath)) {
      run.signatureChecked.add(catPath);
      checkSignature(cat, catPath, group, run.policy, run.now, run.add, run.rules, run.summary);
    }
    if (!waived.has("catalog-coverage")) await checkCoverage(d, cat, catPath, infPath, text, group, run);
  }
  await embeddedSignatures(d, bootStart, waived, group, run);
}

/** The INF and every file it references must be covered by its catalog. */
async function checkCoverage(d: DriverDir, cat: CatalogFacts, catPath: string, infPath: string, text: string, group: string, run: Run): Promise<void> {
  const algs = digestAlgorithms(cat);
  const infName = infPath.slice(infPath.lastIndexOf("/") + 1);
  for (const name of catalogCoveredNames(infName, text)) {
    const file = d.byName.get(asciiLower(name));
    if (!file) continue; // missing files are the reference check's
    const filePath = run.pathOf(file);
    const digest = await run.digestOf(file, group, algs);
    if (!digest) continue;
    const verdict = coverage(cat, name, digest);
    const how = digest.pe ? "Authenticode image hash" : "file hash";
    if (verdict.status === "missing") {
      run.add({ rule: "catalog-not-covering", group, path: filePath, message: `${filePath} is not listed in catalog ${catPath} (${memberAlgorithms(cat)}; no member has its ${how})`, hint: REGENERATE });
    } else if (verdict.status === "mismatch") {
      const alg = verdict.member.digestAlgorithm;
      const mine = digest.digests.get(alg as DigestAlgorithm)?.toString("hex") ?? "?";
      run.add({ rule: "catalog-hash-mismatch", group, path: filePath, message: `${filePath} does not match catalog ${catPath}: its ${displayAlgorithm(alg)} ${how} is ${mine}, the catalog lists ${verdict.member.digest.toString("hex")}`, hint: REGENERATE });
    }
  }
}

/**
 * Embedded signatures of the driver's .sys files: shown in the summary; required by 64-bit
 * Windows 7 at boot for boot-start (storage) drivers, so their absence warns there.
 */
async function embeddedSignatures(d: DriverDir, bootStart: ReadonlySet<string>, waived: ReadonlySet<string>, group: string, run: Run): Promise<void> {
  for (const [name, file] of d.byName) {
    if (!name.endsWith(".sys")) continue;
    const filePath = run.pathOf(file);
    const digest = await run.digestOf(file, group, []);
    if (!digest || !digest.pe) continue;
    (digest.embeddedSignature ? run.summary.embeddedSigned : run.summary.embeddedUnsigned).push(filePath);
    if (!digest.embeddedSignature && d.arch === "amd64" && bootStart.has(name) && !waived.has("embedded-signature") && run.policy !== "none") {
      run.rules.warn({ rule: "boot-driver-unsigned", group, path: filePath, message: `${filePath} is a boot-start driver without an embedded signature: 64-bit Windows 7 checks boot drivers' own signatures, not the catalog, and will not load it`, hint: "sign the .sys itself too (signtool sign /fd sha1)" });
    }
  }
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
