/**
 * The JSON Schema (draft 2020-12) of a packaging spec: the one definition both the loader (ajv)
 * and editors use. `specs/packaging-spec.schema.json` is this object written out as JSON
 * (a test keeps the two equal), so loading a spec never looks for a file at run time.
 *
 * After editing, regenerate the file:
 *   npx tsx -e 'import { packagingSpecSchema as s } from "./plugins/packaging-spec/schema.ts"; process.stdout.write(JSON.stringify(s, null, 2) + "\n")' > specs/packaging-spec.schema.json
 *
 * Rules a schema cannot say (duplicate keys, driver name rules, case-insensitive duplicates,
 * Rust regex syntax) are checked by `loadSpec` in spec.ts; the descriptions mention them so an
 * editor shows them.
 */
import { MAX_PATTERN_LENGTH, MAX_PATTERN_NESTING } from "./rust-regex.js";

const stringList = (description: string) => ({
  type: "array",
  items: { type: "string" },
  default: [],
  description,
});

/** Rust regex patterns: each at most MAX_PATTERN_LENGTH characters (said in the description too). */
const patternList = (description: string) => ({
  type: "array",
  items: { type: "string", maxLength: MAX_PATTERN_LENGTH },
  default: [],
  description: `${description} At most ${MAX_PATTERN_LENGTH} characters per pattern, groups nested at most ${MAX_PATTERN_NESTING} deep; matched in linear time.`,
});

const devicesCmdVar = (description: string) => ({
  type: ["string", "null"],
  default: null,
  description,
});

const hardwareIds = patternList(
  "Rust regex patterns (regex crate syntax, matched case-insensitively, unanchored). Each must match at " +
    "least one non-comment line of a packaged INF of this driver, for every arch. Write a literal " +
    "backslash as \\\\ in the regex, i.e. \"PCI\\\\\\\\VEN_1AF4&DEV_1042\" in JSON.",
);

const hardwareIdsVar = devicesCmdVar(
  "Name of a config/devices.cmd variable holding a whitespace-separated list of (optionally quoted) " +
    "hardware IDs. Each is reduced to its PCI\\VEN_xxxx&DEV_yyyy part and must then appear in a packaged INF.",
);

export const packagingSpecSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Aero Guest Tools packaging spec",
  description:
    "Which drivers the Aero Guest Tools media must contain and what their INF files must declare. " +
    "Unknown fields and duplicate keys are errors.",
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: {
      type: ["string", "null"],
      description: "Path or URL of this schema, for editors. Ignored by the packager.",
    },
    require_optional_drivers_on_all_arches: {
      type: "boolean",
      default: false,
      description:
        "When true, an optional driver present for one arch (x86 or amd64) must be present for the other too.",
    },
    fail_on_unlisted_driver_dirs: {
      type: "boolean",
      default: false,
      description:
        "When true, a driver directory under drivers/x86 or drivers/amd64 that no entry of `drivers` names is an " +
        "error. When false such directories are left out of the media.",
    },
    modern_virtio_only: {
      type: "boolean",
      default: false,
      description:
        "When true, the media is for modern (virtio 1.0) devices only: a transitional virtio device ID " +
        "(PCI\\VEN_1AF4&DEV_1000 to DEV_103F, e.g. DEV_1000 net, DEV_1001 blk, DEV_1011 input, DEV_1018 snd) in a " +
        "hardware ID pattern (named or matched), in config/devices.cmd or in a packaged INF is an error.",
    },
    drivers: {
      type: "array",
      items: { $ref: "#/$defs/driver" },
      default: [],
      description:
        "The drivers to package, in order. Names must be unique ignoring case. At least one driver is " +
        "required (here or in the legacy `required_drivers`).",
    },
    required_drivers: {
      type: "array",
      items: { $ref: "#/$defs/legacyDriver" },
      default: [],
      description:
        "Legacy list of required drivers, merged into `drivers` by name (ignoring case): a match becomes " +
        "required and gains the hardware IDs; other entries are added as required drivers. Prefer `drivers`.",
    },
  },
  $defs: {
    driverName: {
      type: "string",
      description:
        "Driver directory name under drivers/<arch>/. No leading/trailing whitespace, not \".\" or \"..\", " +
        "no / or \\. \"aero-gpu\" is read as \"aerogpu\".",
      examples: ["aerogpu", "virtio-blk"],
    },
    driver: {
      type: "object",
      additionalProperties: false,
      required: ["name", "required"],
      properties: {
        name: { $ref: "#/$defs/driverName" },
        required: {
          type: "boolean",
          description:
            "true: the driver directory must exist for both arches. false: it may be missing (a warning is printed).",
        },
        expected_inf_files: stringList(
          "INF file names (no folders, ending in .inf) that must be packaged in this driver's directory.",
        ),
        expected_add_services: stringList(
          "Service names that a packaged INF must install with an `AddService = <name>, ...` line (case-insensitive).",
        ),
        expected_add_services_from_devices_cmd_var: devicesCmdVar(
          "Name of a config/devices.cmd variable whose value is one more expected AddService name.",
        ),
        expected_hardware_ids: hardwareIds,
        expected_hardware_ids_from_devices_cmd_var: hardwareIdsVar,
        allow_extensions: stringList(
          "Extensions (e.g. \"pdb\" or \".map\") of build artifacts that are normally left out of driver " +
            "directories but should be packaged for this driver.",
        ),
        allow_path_regexes: patternList(
          "Rust regex patterns (case-insensitive, unanchored) matched against the driver-relative path " +
            "(e.g. \"symbols/.*\\\\.pdb$\") of build artifacts that should be packaged for this driver.",
        ),
        waive_checks: {
          type: "array",
          items: { enum: ["catalog-coverage", "catalog-signature", "embedded-signature"] },
          uniqueItems: true,
          default: [],
          description:
            "Checks not run for this driver: \"catalog-coverage\" (its catalogs list the INF and every file it " +
            "references, with matching hashes), \"catalog-signature\" (each catalog's signature verifies and " +
            "follows the signing policy), \"embedded-signature\" (a 64-bit boot-start .sys carries its own " +
            "signature). For drivers whose catalogs are made after packaging; the media then may not install.",
        },
      },
    },
    legacyDriver: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { $ref: "#/$defs/driverName" },
        expected_hardware_ids: hardwareIds,
        expected_hardware_ids_from_devices_cmd_var: hardwareIdsVar,
      },
    },
  },
} as const;
