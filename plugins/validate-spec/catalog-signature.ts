/**
 * The signature verdicts on one catalog under the signing policy (README "Catalogs and
 * signatures"): the signature verifies; under "test" the signer chains to certs/, under
 * "production" it is not self-signed; SHA-256-only and expired signers warn.
 */
import type { CatalogFacts } from "../catalog/facts.js";
import type { SigningPolicy } from "../manifest/document.js";
import type { RuleReport } from "../shared/report.js";
import type { ValidateSpecProblem, ValidateSpecRule } from "./rules.js";

export function checkSignature(
  cat: CatalogFacts,
  catPath: string,
  group: string,
  policy: SigningPolicy,
  now: Date,
  add: (p: ValidateSpecProblem) => void,
  report: RuleReport<ValidateSpecRule>,
  summary: { signers: string[] }, // the build summary's distinct signers
): void {
  if (!cat.signature.valid) {
    add({ rule: "catalog-signature", group, path: catPath, message: `the signature of ${catPath} does not verify: ${cat.signature.reason}`, hint: "sign the catalog again after generating it (signtool sign /fd sha1)" });
    return;
  }
  const signer = cat.signer!;
  const who = `${signer.subject} (issued by ${signer.issuer})`;
  if (!summary.signers.includes(who)) summary.signers.push(who);
  if (policy === "test" && !cat.chainsToTrusted) {
    add({ rule: "catalog-untrusted-signer", group, path: catPath, message: `${catPath} is signed by ${who}, which does not chain to a certificate in certs/, so setup.cmd does not make Windows trust it`, hint: "put the signing certificate (.cer) in the guest-tools certs/ folder, or sign the catalog with the certificate that is there" });
  }
  if (policy === "production" && cat.selfSigned) {
    add({ rule: "catalog-test-signed", group, path: catPath, message: `${catPath} is signed by the self-signed certificate ${signer.subject}: test-signed drivers on production media`, hint: "use the production-signed (WHQL or release-signed) drivers, or build with --signing-policy test" });
  }
  if (policy !== "none" && cat.signatureDigest === "sha256") {
    report.warn({ rule: "catalog-sha256-only", group, path: catPath, message: `${catPath} has only a SHA-256 signature: stock Windows 7 without KB3033929 cannot verify it (Code 52)`, hint: "sign with /fd sha1 (optionally append a SHA-256 signature)" });
  }
  if (signer.notAfter.getTime() < now.getTime()) {
    report.warn({ rule: "catalog-signer-expired", group, path: catPath, message: `${catPath} is signed by ${signer.subject}, whose certificate expired on ${signer.notAfter.toISOString().slice(0, 10)}` });
  }
}
