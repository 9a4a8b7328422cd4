/**
 * What a schema cannot say about a packaging spec, run on data the schema accepted: driver name
 * rules, case-insensitive duplicate drivers, entry rules, Rust regex syntax; then the legacy
 * `required_drivers` merge (§4.2) and the defaults filled in. Problems are collected, not thrown.
 */
import { rustTrim } from "../devices-cmd/parse.js";
import { asciiLower } from "../shared/paths.js";
import { foldCase, normalizeDriverName } from "./names.js";
import { compileRustRegex, RustRegexError } from "./rust-regex.js";
import type { DriverSpec, PackagingSpec } from "./spec.js";
import type { SpecProblem } from "./spec-problems.js";

interface RawDriver {
  name: string;
  required?: boolean;
  expected_inf_files?: string[];
  expected_add_services?: string[];
  expected_add_services_from_devices_cmd_var?: string | null;
  expected_hardware_ids?: string[];
  expected_hardware_ids_from_devices_cmd_var?: string | null;
  allow_extensions?: string[];
  allow_path_regexes?: string[];
  waive_checks?: string[];
}

export interface RawSpec {
  require_optional_drivers_on_all_arches?: boolean;
  fail_on_unlisted_driver_dirs?: boolean;
  modern_virtio_only?: boolean;
  drivers?: RawDriver[];
  required_drivers?: RawDriver[];
}

type MutableDriver = { -readonly [K in keyof DriverSpec]: DriverSpec[K] extends readonly string[] ? string[] : DriverSpec[K] };

/** The frozen spec of schema-valid `raw`, pushing every problem found into `problems`. */
export function normalize(raw: RawSpec, problems: SpecProblem[]): PackagingSpec {
  const drivers: MutableDriver[] = [];
  const check = (d: RawDriver, pointer: string) => {
    checkName(d.name, `${pointer}/name`, problems);
    checkEntries(d, pointer, problems);
  };
  (raw.drivers ?? []).forEach((d, i) => {
    check(d, `/drivers/${i}`);
    drivers.push({
      name: normalizeDriverName(d.name),
      required: d.required!,
      expected_inf_files: [...(d.expected_inf_files ?? [])],
      expected_add_services: [...(d.expected_add_services ?? [])],
      expected_add_services_from_devices_cmd_var: d.expected_add_services_from_devices_cmd_var ?? null,
      expected_hardware_ids: [...(d.expected_hardware_ids ?? [])],
      expected_hardware_ids_from_devices_cmd_var: d.expected_hardware_ids_from_devices_cmd_var ?? null,
      allow_extensions: [...(d.allow_extensions ?? [])],
      allow_path_regexes: [...(d.allow_path_regexes ?? [])],
      waive_checks: [...(d.waive_checks ?? [])],
    });
  });

  // Duplicates are looked for among `drivers` only: legacy entries merge into a matching driver.
  const seen = new Map<string, number>();
  drivers.forEach((d, i) => {
    const key = foldCase(d.name);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      problems.push({
        pointer: `/drivers/${i}/name`,
        message: `packaging spec lists the same driver multiple times (case-insensitive): ${d.name} (also /drivers/${first})`,
      });
    }
  });

  // Legacy merge (§4.2): matched by ASCII-lowercased normalised name.
  (raw.required_drivers ?? []).forEach((legacy, j) => {
    check(legacy, `/required_drivers/${j}`);
    const name = normalizeDriverName(legacy.name);
    const key = asciiLower(name);
    const hwids = legacy.expected_hardware_ids ?? [];
    const hwidVar = legacy.expected_hardware_ids_from_devices_cmd_var ?? null;
    const existing = drivers.find((d) => asciiLower(d.name) === key);
    if (existing) {
      existing.required = true;
      for (const h of hwids) if (!existing.expected_hardware_ids.includes(h)) existing.expected_hardware_ids.push(h);
      existing.expected_hardware_ids_from_devices_cmd_var ??= hwidVar;
    } else {
      drivers.push({
        name,
        required: true,
        expected_inf_files: [],
        expected_add_services: [],
        expected_add_services_from_devices_cmd_var: null,
        expected_hardware_ids: [...hwids],
        expected_hardware_ids_from_devices_cmd_var: hwidVar,
        allow_extensions: [],
        allow_path_regexes: [],
        waive_checks: [],
      });
    }
  });

  if (drivers.length === 0) {
    problems.push({ pointer: "/drivers", message: "packaging spec contains no drivers (list at least one in \"drivers\")" });
  }
  return deepFreeze({
    require_optional_drivers_on_all_arches: raw.require_optional_drivers_on_all_arches ?? false,
    fail_on_unlisted_driver_dirs: raw.fail_on_unlisted_driver_dirs ?? false,
    modern_virtio_only: raw.modern_virtio_only ?? false,
    drivers,
  });
}

function checkName(name: string, pointer: string, problems: SpecProblem[]): void {
  const trimmed = rustTrim(name);
  if (name !== trimmed) {
    problems.push({ pointer, message: `packaging spec driver name must not contain leading/trailing whitespace: ${JSON.stringify(name)}` });
  } else if (name === "") {
    problems.push({ pointer, message: "packaging spec contains a driver with an empty name" });
  } else if (name === "." || name === "..") {
    problems.push({ pointer, message: `packaging spec contains an invalid driver name: ${name}` });
  } else if (name.includes("/") || name.includes("\\")) {
    problems.push({ pointer, message: `packaging spec contains an invalid driver name containing path separators: ${name}` });
  }
}

function checkEntries(d: RawDriver, pointer: string, problems: SpecProblem[]): void {
  (d.expected_inf_files ?? []).forEach((raw, k) => {
    const p = `${pointer}/expected_inf_files/${k}`;
    const e = rustTrim(raw);
    if (!e) problems.push({ pointer: p, message: "expected_inf_files contains an empty entry" });
    else if (e.includes("/") || e.includes("\\")) {
      problems.push({ pointer: p, message: `expected_inf_files entry must be a filename without paths, got: ${e}` });
    } else if (!asciiLower(e).endsWith(".inf")) {
      problems.push({ pointer: p, message: `expected_inf_files entry must end with .inf, got: ${e}` });
    }
  });
  (d.expected_add_services ?? []).forEach((raw, k) => {
    if (!rustTrim(raw)) problems.push({ pointer: `${pointer}/expected_add_services/${k}`, message: "expected_add_services contains an empty entry" });
  });
  for (const field of ["expected_add_services_from_devices_cmd_var", "expected_hardware_ids_from_devices_cmd_var"] as const) {
    const v = d[field];
    if (typeof v === "string" && (v === "" || rustTrim(v) !== v)) {
      problems.push({
        pointer: `${pointer}/${field}`,
        message: `devices.cmd variable name must be non-empty without surrounding whitespace, got: ${JSON.stringify(v)}`,
      });
    }
  }
  for (const field of ["expected_hardware_ids", "allow_path_regexes"] as const) {
    (d[field] ?? []).forEach((pattern, k) => {
      try {
        compileRustRegex(pattern, { caseInsensitive: true });
      } catch (err) {
        if (!(err instanceof RustRegexError)) throw err;
        problems.push({ pointer: `${pointer}/${field}/${k}`, message: `cannot compile ${field} pattern: ${err.message}` });
      }
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
