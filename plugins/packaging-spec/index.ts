/**
 * The packaging spec as a format: its JSON Schema, the strict loader (SpecError on any problem),
 * the Rust-regex translation its patterns use, the name rules and the driver-directory match.
 * Pure: no streams and no plugin code, so any tool can load and query a spec.
 * The plugins' loaders, which throw a PluginError instead, are in shared/load-spec.ts.
 */
export { parseSpec, readSpecFile, isLoadedSpec, SpecError, type PackagingSpec, type DriverSpec, type LoadSpecOptions } from "./spec.js";
export { packagingSpecSchema } from "./schema.js";
export {
  compileRustRegex,
  translateRustRegex,
  rustRegexEscape,
  RustRegex,
  RustRegexError,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_NESTING,
  type RustRegexOptions,
} from "./rust-regex.js";
export { foldCase, normalizeDriverName, fileExtension, hasAeroGpuAlias } from "./names.js";
// The spec's JSON is read by shared/json/; these names stay exported here for earlier callers.
export { findDuplicateKeys, jsonSyntaxError, type DuplicateKey } from "../shared/json/index.js";
export { matchSpecDriver } from "./match.js";
