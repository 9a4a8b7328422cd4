/**
 * What the steps of the catalog checks share: one run (paths, policy, report, digests, intake)
 * and the driver folders they walk.
 */
import type Vinyl from "vinyl";
import type { FileDigest } from "../catalog/coverage.js";
import type { CatalogFacts } from "../catalog/facts.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import type { SigningPolicy } from "../manifest/document.js";
import type { DriverSpec } from "../packaging-spec/spec.js";
import type { RuleReport } from "../shared/report.js";
import type { CatalogIntake } from "./catalog-intake.js";
import type { Arch } from "./drivers.js";
import type { ValidateSpecProblem, ValidateSpecRule } from "./rules.js";

/** One spec driver's folder for one arch. */
export interface DriverDir {
  arch: Arch;
  driver: DriverSpec;
  /** lowercased base name → file */
  byName: Map<string, Vinyl>;
  infs: Vinyl[];
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

/** One run of the checks: what every step reads and reports into. */
export interface Run {
  pathOf(file: Vinyl): string;
  policy: SigningPolicy;
  now: Date;
  summary: CatalogSummary;
  rules: RuleReport<ValidateSpecRule>;
  /** An error, or under signing policy "none" a warning. */
  add(p: ValidateSpecProblem): void;
  digestOf(file: Vinyl, group: string, algs: readonly DigestAlgorithm[]): Promise<FileDigest | null>;
  /** Start hashing a file for `algs` now (digestOf gets the result later). */
  ask(file: Vinyl, algs: readonly DigestAlgorithm[]): void;
  intake: CatalogIntake;
  /** Catalogs whose signature was judged (one catalog may serve several INFs). */
  signatureChecked: Set<string>;
}

/** The digest algorithms a catalog's members use (the ones the checks understand). */
export function digestAlgorithms(cat: CatalogFacts): DigestAlgorithm[] {
  return [...new Set(cat.members.map((m) => m.digestAlgorithm).filter((a): a is DigestAlgorithm => a === "sha1" || a === "sha256"))];
}
