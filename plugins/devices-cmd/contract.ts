/**
 * Loading and validating the Windows device contract JSON (aero_packager-behaviors.md §6.3).
 *
 * Parsing is lenient like the Rust tool's serde struct (unknown fields ignored, `null` for the
 * optional virtio_device_type means absent, duplicate known keys are errors, a UTF-8 BOM is
 * accepted), and the rules run in the Rust order. Unlike the Rust tool, every problem of the
 * contract is collected and reported in one error, except an unsupported schema_version, after
 * which the other rules are meaningless and are not checked.
 *
 * The bytes are read and parsed once: the canonical hash recorded in the manifest is computed
 * from the same parse (the Rust tool reads the file twice, and fails to hash a BOM file, §12).
 */
import { JsonSyntaxError, parseJsonDocument, sha256OfCanonical, type JsonValue } from "../shared/canonical-json.js";
import { isDocumentRefusal, readDocument } from "../shared/documents.js";
import { userError } from "../shared/errors.js";
import type { PluginError } from "../shared/errors.js";
import type { ContractRule } from "./rules.js";
import { readContract, type PartialContract } from "./contract-read.js";
import { validateContract } from "./contract-rules.js";

export { parseHexU16 } from "./contract-read.js";

export const PLUGIN_NAME = "devicesCmd";

export interface ContractDevice {
  /** Raw (untrimmed) fields as written in the contract. */
  readonly device: string;
  readonly pci_vendor_id: string;
  readonly pci_device_id: string;
  readonly hardware_id_patterns: readonly string[];
  readonly driver_service_name: string;
  readonly inf_name: string;
  /** Absent or `null` in the JSON → undefined. */
  readonly virtio_device_type: number | undefined;
  /** pci_vendor_id / pci_device_id parsed as 16-bit numbers. */
  readonly vendorId: number;
  readonly deviceId: number;
}

export interface DeviceContract {
  /** Where the contract was read from, as given (undefined for in-memory contracts). */
  readonly path: string | undefined;
  /** Lowercase hex SHA-256 of the contract's canonical JSON (BOM ignored). */
  readonly sha256: string;
  readonly schema_version: number;
  /** Untrimmed, as written. */
  readonly contract_name: string;
  readonly contract_version: string;
  readonly devices: readonly ContractDevice[];
}

/** One broken rule. `index` is the position in `devices[]` when the problem is about a device. */
export interface ContractProblem {
  rule: ContractRule;
  message: string;
  index?: number;
}

/** The PluginError thrown for an invalid contract carries the individual problems. */
export type ContractError = PluginError & { problems: ContractProblem[] };

export interface LoadDeviceContractOptions {
  /** Path to name in messages and to keep in `DeviceContract.path`. */
  path?: string;
}

/** Parse and validate a contract from its bytes (or text). Throws a ContractError listing every problem. */
export function loadDeviceContract(input: Buffer | string, options: LoadDeviceContractOptions = {}): DeviceContract {
  const where = options.path;
  let doc: JsonValue;
  try {
    doc = parseJsonDocument(input);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw contractError(where, [{ rule: "json-syntax", message: `not valid JSON: ${err.message}` }]);
    throw err;
  }
  const problems: ContractProblem[] = [];
  const partial = readContract(doc, problems);
  // The rules also run on the parts that could be read, so one pass reports everything.
  if (partial) validateContract(partial, problems);
  if (problems.length > 0 || !partial || !isComplete(partial)) throw contractError(where, problems);
  return {
    path: where,
    sha256: sha256OfCanonical(doc),
    schema_version: partial.schema_version,
    contract_name: partial.contract_name,
    contract_version: partial.contract_version,
    devices: partial.devices,
  };
}

/** Read and load a contract file. */
export async function readDeviceContract(path: string): Promise<DeviceContract> {
  let bytes: Buffer;
  try {
    bytes = await readDocument("contract", path);
  } catch (err) {
    if (isDocumentRefusal(err)) throw userError(PLUGIN_NAME, (err as Error).message, path);
    throw userError(PLUGIN_NAME, `cannot read windows device contract ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path);
  }
  return loadDeviceContract(bytes, { path });
}

function contractError(where: string | undefined, problems: ContractProblem[]): ContractError {
  const name = where ?? "(in-memory contract)";
  const lines = [`invalid windows device contract ${name} (${problems.length} problem${problems.length === 1 ? "" : "s"}):`];
  for (const p of problems) lines.push(`  - ${p.message} [${p.rule}]`);
  const err = userError(PLUGIN_NAME, lines.join("\n"), where) as ContractError;
  err.problems = problems;
  return err;
}

function isComplete(c: PartialContract): c is PartialContract & Omit<DeviceContract, "path" | "sha256" | "devices"> & { devices: ContractDevice[] } {
  return c.schema_version !== undefined && c.contract_name !== undefined && c.contract_version !== undefined && c.devices !== undefined && c.devices.every((d) => d !== undefined);
}

