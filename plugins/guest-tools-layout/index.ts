/**
 * guestToolsLayout(options): a barrier that checks the guest-tools part of the media (required
 * scripts, verify.cmd → verify.ps1, config/devices.cmd) and applies the signing policy to certs/.
 * Problems go to options.report when given (a later gate fails once with everything), else this
 * plugin fails the stream itself.
 */
import type { Transform } from "node:stream";
import log from "../shared/log.js";
import type { SigningPolicy } from "../manifest/document.js";
import { MANIFEST_DEFAULTS } from "../manifest/index.js";
import { collectThenFinish } from "../shared/barrier.js";
import { contentSize } from "../shared/contents.js";
import { checkDocumentSize } from "../shared/documents.js";
import { userError } from "../shared/errors.js";
import { packagePath } from "../shared/paths.js";
import { ProblemReport, type RuleReport } from "../shared/report.js";
import { certsFileRole, checkGuestToolsLayout, type GuestToolsLayoutRule } from "./rules.js";

export { checkGuestToolsLayout, certsFileRole, isCertificate, REQUIRED_FILES } from "./rules.js";

const PLUGIN = "guestToolsLayout";

export interface GuestToolsLayoutOptions {
  /** Default "test": needs a certificate in certs/; production and none refuse certificates. */
  signingPolicy?: SigningPolicy;
  /** Under production/none, leave certificates out instead of refusing them. Default "refuse". */
  certsOutsideTest?: "refuse" | "drop";
  /** Shared report; without one this plugin fails the stream on problems. */
  report?: ProblemReport;
}

export function guestToolsLayout(options: GuestToolsLayoutOptions = {}): Transform {
  const signingPolicy = options.signingPolicy ?? MANIFEST_DEFAULTS.signingPolicy;
  return collectThenFinish(PLUGIN, "paths", (files) => {
    const result = checkGuestToolsLayout({
      files: files.filter((f) => !f.isDirectory()).map(packagePath),
      signingPolicy,
      certsOutsideTest: options.certsOutsideTest ?? "refuse",
    });
    for (const note of result.notes) log.info(note);
    const report = new ProblemReport();
    const rules: RuleReport<GuestToolsLayoutRule> = report;
    for (const problem of result.errors) rules.error(problem);
    // setup.cmd imports every certificate it ships: one too big to be a certificate is a mistake.
    for (const file of files) {
      const p = packagePath(file);
      if (file.isDirectory() || file.isNull() || !p.startsWith("certs/") || certsFileRole(p.slice("certs/".length)) !== "certificate") continue;
      try {
        checkDocumentSize("certificate", contentSize(file), p);
      } catch (err) {
        rules.error({ rule: "certificate-too-large", group: "guest tools", path: p, message: (err as Error).message, hint: "certs/ holds the test-signing certificate (.cer, .crt or .p7b), a few KiB" });
      }
    }
    for (const [path, reason] of result.dropped) report.skipped.push({ path, reason });
    if (options.report) options.report.absorb(report);
    else if (!report.ok) throw userError(PLUGIN, report.formatErrors());
    return files.filter((file) => !result.dropped.has(packagePath(file)));
  });
}
