/**
 * Every rule validateSpec reports, with what it checks: the one place a rule id is added. The
 * media path rules (`joliet-name`, `path-too-long`, ...) belong to the ISO9660 format and are
 * registered with it (iso9660/names.ts `MediaPathRule`).
 */
import type { MediaPathRule } from "../iso9660/names.js";
import type { Problem } from "../shared/report.js";

export const VALIDATE_SPEC_RULES = {
  // The driver folders against the spec (drivers.ts).
  "required-driver-missing": "a required driver has no folder for one of the arches",
  "optional-driver-missing": "an optional driver has no folder while the spec asks for optional drivers on every arch",
  "optional-driver-one-arch": "an optional driver is packaged for one arch only",
  "multiple-driver-dirs": "two folders of one arch match the same spec driver (case or the aero-gpu alias)",
  "legacy-driver-dir-alias": "the legacy folder name aero-gpu is used for aerogpu",
  "unlisted-driver-dirs": "a driver folder the spec does not list (with fail_on_unlisted_driver_dirs)",
  "driver-incomplete": "a driver folder lacks an .inf, a .sys or a .cat",
  "expected-inf-files": "an INF the spec expects is not packaged",
  "expected-add-services": "no packaged INF installs the service the spec expects (AddService)",
  "expected-hardware-ids": "no packaged INF names a hardware ID matching the spec's pattern",
  "inf-referenced-files": "a file an INF copies or names is not packaged",
  "inf-unreadable": "a driver's INF cannot be read or decoded",
  "devices-cmd-var-missing": "config/devices.cmd lacks the variable a driver's service or hardware IDs come from",
  "devices-cmd-var-empty": "a config/devices.cmd variable a driver needs is empty",
  // config/devices.cmd against the drivers and the contract (config-drift.ts).
  "devices-cmd-hwid-unmatched": "config/devices.cmd declares a hardware ID no pattern of the spec matches",
  "devices-cmd-contract-drift": "the config/devices.cmd in the inputs differs from the one the contract generates",
  "transitional-virtio-id": "a transitional virtio ID where the spec asks for modern devices only",
  // Catalogs and signatures (catalogs.ts).
  "inf-no-catalog": "an INF names no catalog (no CatalogFile= in [Version])",
  "catalog-invalid": "the catalog an INF names is not a DER PKCS#7 signed certificate trust list",
  "catalog-not-covering": "a file the INF installs has no member in its catalog",
  "catalog-hash-mismatch": "a catalog member of the file's name lists another hash than the file's",
  "catalog-unhashed": "a file the catalog must cover could not be read for its hash",
  "catalog-signature": "a catalog's signature does not verify",
  "catalog-untrusted-signer": "under test signing, a catalog's signer does not chain to a certificate in certs/",
  "catalog-test-signed": "under production signing, a catalog is signed by a self-signed certificate",
  "catalog-sha256-only": "a catalog has only a SHA-256 signature (stock Windows 7 cannot verify it)",
  "catalog-signer-expired": "a catalog's signer certificate expired before the build",
  "certificate-invalid": "a file in certs/ is not an X.509 certificate",
  "boot-driver-unsigned": "an amd64 boot-start driver's .sys carries no embedded signature",
  // The media as a whole (index.ts).
  "generated-file-taken": "an input has the name of a file the build generates",
  "case-collision": "two media paths differ only in case",
} as const satisfies Record<string, string>;

/** A rule id validateSpec may report. */
export type ValidateSpecRule = keyof typeof VALIDATE_SPEC_RULES | MediaPathRule;

/** A problem validateSpec reports. */
export type ValidateSpecProblem = Problem & { rule: ValidateSpecRule };
