/**
 * Loading a packaging spec strictly (aero_packager-behaviors.md §4.1-§4.3): JSON Schema
 * (schema.ts, draft 2020-12) for shapes and unknown fields, plus what a schema cannot say:
 * duplicate keys, driver name rules, case-insensitive duplicate drivers, Rust regex syntax.
 * Every problem is reported at once, each with the JSON pointer it is about. This file reads and
 * gates; spec-normalize.ts holds the rules past the schema and the legacy merge,
 * spec-problems.ts how a schema error reads.
 */
import type { ValidateFunction } from "ajv";
import { readDocumentSync } from "../shared/documents.js";
import { JsonSyntaxError, jsonText, readJsonWithDuplicates, type JsonRead } from "../shared/json/index.js";
import { normalize, type RawSpec } from "./spec-normalize.js";
import { describeSchemaError, type SpecProblem } from "./spec-problems.js";
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
