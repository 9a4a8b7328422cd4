/**
 * The packaging-spec loaders as the plugins and the public API throw them: a SpecError (a user
 * mistake) becomes validateSpec's PluginError without a stack, as it always was; the pure loaders
 * stay in packaging-spec/ so that module imports no plugin code.
 */
import { parseSpec, readSpecFile, SpecError, type LoadSpecOptions, type PackagingSpec } from "../packaging-spec/spec.js";
import { userError } from "./errors.js";

/** The plugin a spec problem is reported under, whichever plugin loaded the spec. */
export const SPEC_PLUGIN = "validateSpec";

function asPluginErrors<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof SpecError) throw userError(SPEC_PLUGIN, err.message, err.fileName);
    throw err;
  }
}

/** Read and load a spec file (a regular file of at most 4 MiB: see shared/documents.ts). */
export function loadSpecFile(file: string): PackagingSpec {
  return asPluginErrors(() => readSpecFile(file));
}

/**
 * Load a packaging spec from JSON text, JSON bytes (a UTF-8 BOM is tolerated) or an already
 * parsed object. Throws one PluginError listing every problem, each with its JSON pointer.
 */
export function loadSpec(input: string | Buffer | object, options: LoadSpecOptions = {}): PackagingSpec {
  return asPluginErrors(() => parseSpec(input, options));
}
