/**
 * What a guest-tools tree must hold, and which certificates a signing policy allows. Pure: takes
 * package paths, returns problems and the certs/ files to leave out.
 */
import type { SigningPolicy } from "../manifest/document.js";
import { asciiLower } from "../shared/paths.js";
import type { Problem } from "../shared/report.js";

export const REQUIRED_FILES = ["setup.cmd", "uninstall.cmd", "README.md", "config/devices.cmd"] as const;
export const FOLDERS = ["config", "certs", "licenses", "tools"] as const;

/** Every rule guestToolsLayout reports, with what it checks: the one place a rule id is added. */
export const GUEST_TOOLS_LAYOUT_RULES = {
  "missing-required-file": "setup.cmd, uninstall.cmd, README.md, config/devices.cmd (or verify.ps1 beside verify.cmd) is missing",
  "not-a-directory": "one of the guest-tools folders (config, certs, licenses, tools) is a file",
  "certs-required": "the test signing policy without a certificate in certs/",
  "certificate-not-allowed": "a certificate in certs/ under the production or none signing policy",
  "certificate-too-large": "a file in certs/ over the certificate size cap",
} as const satisfies Record<string, string>;

/** A rule id guestToolsLayout may report. */
export type GuestToolsLayoutRule = keyof typeof GUEST_TOOLS_LAYOUT_RULES;

/** A problem guestToolsLayout reports. */
export type GuestToolsLayoutProblem = Problem & { rule: GuestToolsLayoutRule };

const CERT_EXTENSIONS = [".cer", ".crt", ".p7b"];

/** A certificate setup.cmd can install: *.cer, *.crt, *.p7b (ASCII-case-insensitive). */
export function isCertificate(rel: string): boolean {
  const lower = asciiLower(rel);
  return CERT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export type CertsFileRole = "certificate" | "readme" | "other";

/** Role of a file under certs/ (path relative to certs/). */
export function certsFileRole(relToCerts: string): CertsFileRole {
  if (isCertificate(relToCerts)) return "certificate";
  if (asciiLower(relToCerts) === "readme.md") return "readme";
  return "other";
}

export interface LayoutCheckInput {
  /** Package paths of every regular file in the stream. */
  files: string[];
  signingPolicy: SigningPolicy;
  /** How certificates are handled under production/none: refuse (default) or leave out. */
  certsOutsideTest?: "refuse" | "drop";
}

export interface LayoutCheckResult {
  errors: GuestToolsLayoutProblem[];
  /** Files to leave out of the media, with the reason. */
  dropped: Map<string, string>;
  notes: string[];
}

const GROUP = "guest-tools";

export function checkGuestToolsLayout(input: LayoutCheckInput): LayoutCheckResult {
  const present = new Set(input.files);
  const errors: GuestToolsLayoutProblem[] = [];
  const dropped = new Map<string, string>();
  const notes: string[] = [];

  for (const required of REQUIRED_FILES) {
    if (!present.has(required)) {
      errors.push({
        rule: "missing-required-file",
        group: GROUP,
        path: required,
        message: `guest tools missing required file: ${required}`,
        hint: required === "config/devices.cmd"
          ? "add config/devices.cmd, or pass --windows-device-contract so it is generated"
          : `add ${required} to the guest-tools dir`,
      });
    }
  }
  if (present.has("verify.cmd") && !present.has("verify.ps1")) {
    errors.push({
      rule: "missing-required-file",
      group: GROUP,
      path: "verify.ps1",
      message: "guest tools has verify.cmd but not verify.ps1, which verify.cmd runs",
      hint: "add verify.ps1, or remove verify.cmd",
    });
  }
  for (const folder of FOLDERS) {
    if (present.has(folder)) {
      errors.push({
        rule: "not-a-directory",
        group: GROUP,
        path: folder,
        message: `guest tools ${folder} path exists but is not a directory: ${folder}`,
        hint: `make ${folder} a folder, or remove it`,
      });
    }
  }

  const certs = input.files.filter((f) => f.startsWith("certs/"));
  const certificates: string[] = [];
  for (const file of certs) {
    const role = certsFileRole(file.slice("certs/".length));
    if (role === "certificate") certificates.push(file);
    else if (role === "other") dropped.set(file, "not a certificate (certs/ ships only *.cer, *.crt, *.p7b and README.md)");
  }
  if (input.signingPolicy === "test") {
    const topLevel = certificates.filter((f) => !f.slice("certs/".length).includes("/"));
    if (topLevel.length === 0) {
      errors.push({
        rule: "certs-required",
        group: GROUP,
        path: "certs/",
        message:
          certificates.length === 0
            ? "guest tools certs directory contains no certificate files (*.cer/*.crt/*.p7b), but signing_policy=test requires at least one"
            : `guest tools certs directory has certificates only in subfolders (${certificates.join(", ")}); setup.cmd installs only certs/*.cer|crt|p7b, and signing_policy=test requires at least one there`,
        hint: "put the test-signing certificate in certs/, or build with --signing-policy production or none",
      });
    }
  } else {
    for (const cert of certificates) {
      if (input.certsOutsideTest === "drop") {
        dropped.set(cert, `left out: signing_policy=${input.signingPolicy} media must not ship certificates`);
        notes.push(`left out ${cert} (signing_policy=${input.signingPolicy})`);
        continue;
      }
      errors.push({
        rule: "certificate-not-allowed",
        group: GROUP,
        path: cert,
        message: `refusing to package certificate file for signing_policy=${input.signingPolicy}: ${cert}; Guest Tools media built with signing_policy=production/none must not ship test certificates or other trust anchors`,
        hint: "remove all *.cer/*.crt/*.p7b files from certs/ (keep certs/README.md if needed), or re-run with --signing-policy test",
      });
    }
  }
  return { errors, dropped, notes };
}
