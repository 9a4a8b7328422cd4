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
import { JsonSyntaxError, parseJsonDocument, sha256OfCanonical, type JsonEntry, type JsonValue } from "../shared/canonical-json.js";
import { isDocumentRefusal, readDocument } from "../shared/documents.js";
import { userError } from "../shared/errors.js";
import type { PluginError } from "../shared/errors.js";
import { asciiLower, asciiUpper } from "../shared/paths.js";
import { rustTrim } from "./parse.js";
import type { ContractRule } from "./rules.js";

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

const CONTRACT_FIELDS = ["schema_version", "contract_name", "contract_version", "devices"] as const;
const DEVICE_FIELDS = [
  "device",
  "pci_vendor_id",
  "pci_device_id",
  "hardware_id_patterns",
  "driver_service_name",
  "inf_name",
  "virtio_device_type",
] as const;

const VIRTIO_VENDOR_ID = 0x1af4;
const VIRTIO_MODERN_DEVICE_BASE = 0x1040;
const PCI_HWID = /PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}/i;

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

/** What could be read; a field that is missing or of the wrong type is undefined (and reported). */
interface PartialContract {
  schema_version: number | undefined;
  contract_name: string | undefined;
  contract_version: string | undefined;
  /** undefined when `devices` is missing or not an array. */
  devices: (ContractDevice | undefined)[] | undefined;
}

function isComplete(c: PartialContract): c is PartialContract & Omit<DeviceContract, "path" | "sha256" | "devices"> & { devices: ContractDevice[] } {
  return c.schema_version !== undefined && c.contract_name !== undefined && c.contract_version !== undefined && c.devices !== undefined && c.devices.every((d) => d !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Structure: the serde part (types, missing and duplicate fields). Problems are collected and
// whatever could be read is returned for the rules.

function readContract(doc: JsonValue, problems: ContractProblem[]): PartialContract | undefined {
  if (doc.kind !== "object") {
    problems.push({ rule: "wrong-type", message: `the contract must be a JSON object, found ${describe(doc)}` });
    return undefined;
  }
  const fields = knownFields(doc.entries, CONTRACT_FIELDS, "", problems);
  const schemaVersion = readU32(fields, "schema_version", "", problems, false);
  // An unsupported schema version makes the other rules meaningless: report it alone.
  if (schemaVersion !== undefined && schemaVersion !== 1) {
    problems.length = 0;
    problems.push({
      rule: "schema-version",
      message: `unsupported windows-device-contract schema_version ${schemaVersion} (expected 1)`,
    });
    return undefined;
  }
  const contractName = readString(fields, "contract_name", "", problems);
  const contractVersion = readString(fields, "contract_version", "", problems);
  const devicesValue = required(fields, "devices", "", problems);
  let devices: (ContractDevice | undefined)[] | undefined;
  if (devicesValue && devicesValue.kind !== "array") {
    problems.push({ rule: "wrong-type", message: `devices: expected an array of device objects, found ${describe(devicesValue)}` });
  } else if (devicesValue) {
    devices = devicesValue.items.map((item, index) => readDevice(item, index, problems));
  }
  return { schema_version: schemaVersion, contract_name: contractName, contract_version: contractVersion, devices };
}

function readDevice(value: JsonValue, index: number, problems: ContractProblem[]): ContractDevice | undefined {
  const at = `devices[${index}]`;
  if (value.kind !== "object") {
    problems.push({ rule: "wrong-type", index, message: `${at}: expected a device object, found ${describe(value)}` });
    return undefined;
  }
  const before = problems.length;
  const fields = knownFields(value.entries, DEVICE_FIELDS, at, problems, index);
  const device = readString(fields, "device", at, problems, index);
  const vendor = readString(fields, "pci_vendor_id", at, problems, index);
  const deviceIdText = readString(fields, "pci_device_id", at, problems, index);
  const patterns = readStringArray(fields, "hardware_id_patterns", at, problems, index);
  const service = readString(fields, "driver_service_name", at, problems, index);
  const inf = readString(fields, "inf_name", at, problems, index);
  const virtioType = readU32(fields, "virtio_device_type", at, problems, true, index);
  if (problems.length > before) return undefined;
  return {
    device: device!,
    pci_vendor_id: vendor!,
    pci_device_id: deviceIdText!,
    hardware_id_patterns: patterns!,
    driver_service_name: service!,
    inf_name: inf!,
    virtio_device_type: virtioType,
    // Invalid ids are reported by the validation rules (step 3), not here.
    vendorId: parseHexU16(vendor!) ?? NaN,
    deviceId: parseHexU16(deviceIdText!) ?? NaN,
  };
}

/** Known fields by name; a known key given twice is a problem (serde: "duplicate field"). */
function knownFields(
  entries: JsonEntry[],
  known: readonly string[],
  at: string,
  problems: ContractProblem[],
  index?: number,
): Map<string, JsonValue> {
  const fields = new Map<string, JsonValue>();
  for (const entry of entries) {
    if (!known.includes(entry.key)) continue;
    if (fields.has(entry.key)) {
      problems.push({
        rule: "duplicate-field",
        index,
        message: `${prefix(at)}duplicate field \`${entry.key}\` (line ${entry.line} column ${entry.column})`,
      });
      continue;
    }
    fields.set(entry.key, entry.value);
  }
  return fields;
}

function prefix(at: string): string {
  return at ? `${at}: ` : "";
}

function required(fields: Map<string, JsonValue>, name: string, at: string, problems: ContractProblem[], index?: number): JsonValue | undefined {
  const value = fields.get(name);
  if (value === undefined) problems.push({ rule: "missing-field", index, message: `${prefix(at)}missing field \`${name}\`` });
  return value;
}

function readString(fields: Map<string, JsonValue>, name: string, at: string, problems: ContractProblem[], index?: number): string | undefined {
  const value = required(fields, name, at, problems, index);
  if (value === undefined) return undefined;
  if (value.kind === "string") return value.value;
  problems.push({ rule: "wrong-type", index, message: `${prefix(at)}${name}: expected a string, found ${describe(value)}` });
  return undefined;
}

function readStringArray(fields: Map<string, JsonValue>, name: string, at: string, problems: ContractProblem[], index?: number): string[] | undefined {
  const value = required(fields, name, at, problems, index);
  if (value === undefined) return undefined;
  if (value.kind === "array" && value.items.every((item) => item.kind === "string")) {
    return value.items.map((item) => (item as { value: string }).value);
  }
  const found = value.kind === "array" ? `an array containing ${describe(value.items.find((i) => i.kind !== "string")!)}` : describe(value);
  problems.push({ rule: "wrong-type", index, message: `${prefix(at)}${name}: expected an array of strings, found ${found}` });
  return undefined;
}

/** A u32 field; with `optional`, a missing field or `null` reads as undefined (serde Option<u32>). */
function readU32(
  fields: Map<string, JsonValue>,
  name: string,
  at: string,
  problems: ContractProblem[],
  optional: boolean,
  index?: number,
): number | undefined {
  const value = optional ? fields.get(name) : required(fields, name, at, problems, index);
  if (value === undefined || (optional && value.kind === "null")) return undefined;
  if (value.kind === "number" && /^-?[0-9]+$/.test(value.text) && value.text !== "-0") {
    const n = BigInt(value.text);
    if (n >= 0n && n <= 0xffffffffn) return Number(n);
    problems.push({ rule: "wrong-type", index, message: `${prefix(at)}${name}: ${value.text} is out of range (expected an integer from 0 to 4294967295)` });
    return undefined;
  }
  problems.push({ rule: "wrong-type", index, message: `${prefix(at)}${name}: expected an unsigned integer, found ${describe(value)}` });
  return undefined;
}

function describe(value: JsonValue): string {
  switch (value.kind) {
    case "null":
      return "null";
    case "bool":
      return `boolean \`${value.value}\``;
    case "number":
      return `number \`${value.text}\``;
    case "string":
      return `string ${JSON.stringify(value.value)}`;
    case "array":
      return "an array";
    case "object":
      return "an object";
  }
}

// ---------------------------------------------------------------------------------------------
// Rules (§6.3 steps 2-5), in the Rust order: contract-level fields, then each device in turn.

function validateContract(contract: PartialContract, problems: ContractProblem[]): void {
  if (contract.contract_name !== undefined && !rustTrim(contract.contract_name)) {
    problems.push({ rule: "contract-name", message: "contract_name is empty" });
  }
  if (contract.contract_version !== undefined && !rustTrim(contract.contract_version)) {
    problems.push({ rule: "contract-version", message: "contract_version is empty" });
  }
  const devices = contract.devices ?? [];
  if (contract.devices?.length === 0) problems.push({ rule: "no-devices", message: "the contract contains no devices" });

  const seen = new Map<string, number>();
  devices.forEach((device, index) => {
    if (!device) return; // its structure problems are already listed
    const name = rustTrim(device.device);
    const label = name ? `device ${quote(name)} (devices[${index}])` : `devices[${index}]`;
    const add = (rule: ContractRule, message: string) => problems.push({ rule, index, message: `${label}: ${message}` });

    // Step 3: name, virtio type presence, uniqueness, hex ids.
    if (!name) add("device-name", "device name is empty");
    if (asciiLower(name).startsWith("virtio-") && device.virtio_device_type === undefined) {
      add("virtio-type-missing", "missing virtio_device_type (required for virtio-* devices)");
    }
    if (name) {
      const key = asciiLower(name);
      const first = seen.get(key);
      if (first !== undefined) add("duplicate-device", `duplicate device name (case-insensitive; also devices[${first}])`);
      else seen.set(key, index);
    }
    const vendorId = Number.isNaN(device.vendorId) ? undefined : device.vendorId;
    const deviceId = Number.isNaN(device.deviceId) ? undefined : device.deviceId;
    if (vendorId === undefined) add("hex-id", `pci_vendor_id ${quote(device.pci_vendor_id)} is not a 16-bit hex value (expected e.g. "0x1AF4")`);
    if (deviceId === undefined) add("hex-id", `pci_device_id ${quote(device.pci_device_id)} is not a 16-bit hex value (expected e.g. "0x1042")`);

    // Step 4: virtio rules, keyed on the field (not on the name).
    const type = device.virtio_device_type;
    if (type !== undefined) {
      if (vendorId !== undefined && vendorId !== VIRTIO_VENDOR_ID) {
        add("virtio-vendor", `virtio devices must use pci_vendor_id 0x1AF4, found ${hex4(vendorId)}`);
      }
      const expected = VIRTIO_MODERN_DEVICE_BASE + type;
      if (expected > 0xffff) {
        add("virtio-device-id", `virtio_device_type ${type} is too large (0x1040 + virtio_device_type must fit in 16 bits)`);
      } else if (deviceId !== undefined && deviceId !== expected) {
        add(
          "virtio-device-id",
          `pci_device_id ${hex4(deviceId)} does not match virtio_device_type ${type} (expected ${hex4(expected)} = 0x1040 + virtio_device_type)`,
        );
      }
      let hasRev01 = false;
      for (const pattern of device.hardware_id_patterns) {
        const upper = asciiUpper(rustTrim(pattern));
        for (let at = upper.indexOf("&REV_"); at >= 0; at = upper.indexOf("&REV_", at + 1)) {
          const rev = upper.slice(at + 5, at + 7);
          if (rev.length < 2) {
            add("virtio-revision", `malformed hardware_id_patterns entry ${quote(pattern)} (truncated REV_ qualifier)`);
          } else if (rev !== "01") {
            add(
              "virtio-revision",
              `unsupported virtio PCI revision ID 0x${rev} in hardware_id_patterns entry ${quote(pattern)} (expected 0x01)`,
            );
          } else {
            hasRev01 = true;
          }
        }
      }
      if (!hasRev01) {
        add("virtio-revision", "hardware_id_patterns is missing a REV_01-qualified entry (virtio devices must match PCI revision 0x01, e.g. \"...&REV_01\")");
      }
    }

    // Step 5: service, INF name, hardware ID patterns.
    if (!rustTrim(device.driver_service_name)) add("service-name", "driver_service_name is empty");
    const inf = rustTrim(device.inf_name);
    if (!inf) add("inf-name", "inf_name is empty");
    else if (!asciiLower(inf).endsWith(".inf")) add("inf-name", `inf_name ${quote(device.inf_name)} must end with .inf`);
    if (device.hardware_id_patterns.length === 0) add("hardware-id-patterns", "hardware_id_patterns is empty");
    const ids = vendorId !== undefined && deviceId !== undefined ? `VEN_${hex4(vendorId).slice(2)}&DEV_${hex4(deviceId).slice(2)}` : undefined;
    device.hardware_id_patterns.forEach((pattern, i) => {
      const trimmed = rustTrim(pattern);
      if (!trimmed) {
        add("hardware-id-patterns", `hardware_id_patterns[${i}] is empty`);
      } else if (!PCI_HWID.test(trimmed)) {
        add("hardware-id-patterns", `invalid PCI hardware_id_patterns entry ${quote(pattern)} (expected PCI\\VEN_XXXX&DEV_YYYY...)`);
      } else if (ids !== undefined && !asciiUpper(trimmed).includes(ids)) {
        add(
          "hardware-id-patterns",
          `hardware_id_patterns entry ${quote(pattern)} does not match pci_vendor_id/pci_device_id (expected to contain ${ids})`,
        );
      }
    });
  });
}

/** Rust's u16 hex parse as the tool does it: trim, optional 0x/0X, 1-4 hex digits (no sign). */
export function parseHexU16(text: string): number | undefined {
  let digits = rustTrim(text);
  if (digits.startsWith("0x") || digits.startsWith("0X")) digits = digits.slice(2);
  if (!/^[0-9A-Fa-f]{1,4}$/.test(digits)) return undefined;
  return parseInt(digits, 16);
}

/** Quote a value for a message: raw between quotes, JSON-escaped only when it holds quotes or controls. */
function quote(s: string): string {
  return /["\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, "0")}`;
}
