/**
 * Loading a packaging spec strictly (aero_packager-behaviors.md §4.1-§4.3): JSON Schema
 * (schema.ts, draft 2020-12) for shapes and unknown fields, plus what a schema cannot say:
 * duplicate keys, driver name rules, case-insensitive duplicate drivers, Rust regex syntax.
 * Every problem is reported at once, each with the JSON pointer it is about.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { readDocumentSync } from "../shared/documents.js";
import { rustTrim } from "../devices-cmd/parse.js";
import { asciiLower } from "../shared/paths.js";
import { JsonSyntaxError, jsonText, pointerSegment, readJsonWithDuplicates, type JsonRead } from "../shared/json/index.js";
import { foldCase, normalizeDriverName } from "./names.js";
import { compileRustRegex, RustRegexError } from "./rust-regex.js";
import { validatePackagingSpec } from "./spec-validator.generated.js";

/**
 * A spec that cannot be read or is invalid: a user mistake, with a `code` and the file it is about.
 * Plugins report it as a PluginError without a stack (shared/load-spec.ts); this module stays free
 * of plugin code so any tool can load a spec.
 */
export class SpecError extends Error {
  readonly code = "ESPEC";
  readonly fileName: string | undefined;
  constructor(message: string, fileName?: string) {
    super(message);
    this.name = "SpecError";
    this.fileName = fileName;
  }
}

/** One driver of a loaded spec; every field present (defaults filled in). */
export interface DriverSpec {
  readonly name: string;
  readonly required: boolean;
  readonly expected_inf_files: readonly string[];
  readonly expected_add_services: readonly string[];
  readonly expected_add_services_from_devices_cmd_var: string | null;
  /** Rust regex patterns, as written. */
  readonly expected_hardware_ids: readonly string[];
  readonly expected_hardware_ids_from_devices_cmd_var: string | null;
  readonly allow_extensions: readonly string[];
  /** Rust regex patterns, as written. */
  readonly allow_path_regexes: readonly string[];
  /** Checks waived for this driver (see WAIVABLE_CHECKS in catalogs.ts). */
  readonly waive_checks: readonly string[];
}

/** A loaded, validated spec: legacy `required_drivers` merged in, names normalised. Frozen. */
export interface PackagingSpec {
  readonly require_optional_drivers_on_all_arches: boolean;
  readonly fail_on_unlisted_driver_dirs: boolean;
  /** Modern (virtio 1.0) devices only: transitional virtio IDs are refused everywhere. */
  readonly modern_virtio_only: boolean;
  readonly drivers: readonly DriverSpec[];
}

export interface LoadSpecOptions {
  /** The spec file's path, named in error messages. */
  path?: string;
}

const loaded = new WeakSet<object>();

/** True for an object returned by parseSpec (or loadSpec) (so it need not be validated again). */
export function isLoadedSpec(value: unknown): value is PackagingSpec {
  return typeof value === "object" && value !== null && loaded.has(value);
}

/** schema.ts compiled ahead of time (spec-validator-source.ts): no ajv compiler at run time. */
function schemaValidator(): ValidateFunction {
  return validatePackagingSpec;
}

interface SpecProblem {
  pointer: string;
  message: string;
}

/** Read and load a spec file (a regular file of at most 4 MiB: see shared/documents.ts). */
export function readSpecFile(file: string): PackagingSpec {
  let bytes: Buffer;
  try {
    bytes = readDocumentSync("spec", file);
  } catch (err) {
    throw new SpecError((err as Error).message, file);
  }
  return parseSpec(bytes, { path: file });
}

/**
 * Load a packaging spec from JSON text, JSON bytes (a UTF-8 BOM is tolerated) or an already
 * parsed object. Throws one SpecError listing every problem, each with its JSON pointer.
 */
export function parseSpec(input: string | Buffer | object, options: LoadSpecOptions = {}): PackagingSpec {
  if (isLoadedSpec(input)) return input;
  const label = options.path ?? "(inline spec)";
  const fail = (problems: SpecProblem[]): never => {
    const lines = problems.map((p) => `  - ${p.pointer || "(top level)"}: ${p.message}`);
    const n = problems.length;
    throw new SpecError(
      `packaging spec ${label} is invalid (${n} problem${n === 1 ? "" : "s"}):\n${lines.join("\n")}`,
      options.path,
    );
  };

  let data: unknown;
  const problems: SpecProblem[] = [];
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    let text: string;
    try {
      text = jsonText(input);
    } catch {
      return fail([{ pointer: "", message: "the file is not valid UTF-8 text" }]);
    }
    let read: JsonRead;
    try {
      read = readJsonWithDuplicates(text);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      const hint = typeof input === "string" && !/^\s*[{[]/.test(text) ? " (loadSpec takes JSON text; use loadSpecFile(path) to read a file)" : "";
      return fail([{ pointer: "", message: `not valid JSON at line ${err.line}, column ${err.column}: ${err.reason}${hint}` }]);
    }
    data = read.value;
    for (const dup of read.duplicates) {
      problems.push({ pointer: dup.pointer, message: `duplicate field "${dup.key}" (each key may appear only once per object)` });
    }
  } else if (typeof input === "object" && input !== null) {
    try {
      data = structuredClone(input);
    } catch {
      return fail([{ pointer: "", message: "the spec object is not plain JSON data" }]);
    }
  } else {
    return fail([{ pointer: "", message: "a packaging spec must be JSON text, JSON bytes or an object" }]);
  }

  const validate = schemaValidator();
  if (!validate(data)) {
    for (const e of validate.errors ?? []) problems.push(describeSchemaError(e));
  }
  if (problems.length) return fail(problems);

  const spec = normalize(data as RawSpec, problems);
  if (problems.length) return fail(problems);
  loaded.add(spec);
  return spec;
}

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

interface RawSpec {
  require_optional_drivers_on_all_arches?: boolean;
  fail_on_unlisted_driver_dirs?: boolean;
  modern_virtio_only?: boolean;
  drivers?: RawDriver[];
  required_drivers?: RawDriver[];
}

type MutableDriver = { -readonly [K in keyof DriverSpec]: DriverSpec[K] extends readonly string[] ? string[] : DriverSpec[K] };

function normalize(raw: RawSpec, problems: SpecProblem[]): PackagingSpec {
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

function describeSchemaError(e: ErrorObject): SpecProblem {
  const at = e.instancePath;
  switch (e.keyword) {
    case "additionalProperties": {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        pointer: `${at}/${pointerSegment(field)}`,
        message: `unknown field "${field}", expected one of: ${allowed.join(", ")}`,
      };
    }
    case "required":
      return { pointer: at, message: `missing field "${(e.params as { missingProperty: string }).missingProperty}"` };
    case "type": {
      const want = ([] as string[]).concat((e.params as { type: string | string[] }).type).join(" or ");
      return { pointer: at, message: `must be ${want}, got ${jsonType(e.data)}` };
    }
    default:
      return { pointer: at, message: e.message ?? e.keyword };
  }
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
