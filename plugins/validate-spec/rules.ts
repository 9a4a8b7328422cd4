/**
 * Every rule validateSpec reports, with what it checks: the one place a rule id is added. The
 * media path rules (`joliet-name`, `path-too-long`, ...) belong to the ISO9660 format and are
 * registered with it (iso9660/names.ts `MediaPathRule`). The catalog rules of catalogs.ts are not
 * listed yet.
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
  // The media as a whole (index.ts).
  "generated-file-taken": "an input has the name of a file the build generates",
  "case-collision": "two media paths differ only in case",
} as const satisfies Record<string, string>;

/** A rule id validateSpec may report. */
export type ValidateSpecRule = keyof typeof VALIDATE_SPEC_RULES | MediaPathRule;

/** A problem validateSpec reports. */
export type ValidateSpecProblem = Problem & { rule: ValidateSpecRule };
