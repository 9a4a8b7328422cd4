/**
 * The structure of a device contract, read like the Rust tool's serde struct: known fields typed,
 * unknown ones ignored, `null` virtio_device_type absent, duplicate known keys refused. Problems
 * are collected and whatever could be read is returned, so the rules (contract-rules.ts) run too.
 */
import type { JsonEntry, JsonValue } from "../shared/json/index.js";
import { rustTrim } from "./parse.js";
import type { ContractDevice, ContractProblem } from "./contract.js";

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

/** What could be read; a field that is missing or of the wrong type is undefined (and reported). */
export interface PartialContract {
  schema_version: number | undefined;
  contract_name: string | undefined;
  contract_version: string | undefined;
  /** undefined when `devices` is missing or not an array. */
  devices: (ContractDevice | undefined)[] | undefined;
}

export function readContract(doc: JsonValue, problems: ContractProblem[]): PartialContract | undefined {
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


/** Rust's u16 hex parse as the tool does it: trim, optional 0x/0X, 1-4 hex digits (no sign). */
export function parseHexU16(text: string): number | undefined {
  let digits = rustTrim(text);
  if (digits.startsWith("0x") || digits.startsWith("0X")) digits = digits.slice(2);
  if (!/^[0-9A-Fa-f]{1,4}$/.test(digits)) return undefined;
  return parseInt(digits, 16);
}
