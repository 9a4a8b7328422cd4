/**
 * Generating `config/devices.cmd` from a device contract, byte for byte as aero_packager does
 * (aero_packager-behaviors.md §6.4), with the legacy spec-driven service overrides of §6.5.
 *
 * Differences from the Rust generator, all of them rejections of contracts it would turn into a
 * broken script: required entries are looked up by trimmed name (the loader already rejects
 * duplicates by trimmed name); CR/LF in any emitted value and `"` in a service name are errors;
 * all problems are reported together.
 */
import { userError } from "../shared/errors.js";
import { asciiLower } from "../shared/paths.js";
import type { ContractDevice, DeviceContract } from "./contract.js";
import { PLUGIN_NAME } from "./contract.js";
import { rustTrim } from "./parse.js";

/** Service names that replace the contract's `driver_service_name` for the generated variables. */
export interface ServiceOverrides {
  virtioBlk?: string;
  virtioNet?: string;
  virtioInput?: string;
  virtioSnd?: string;
  aeroGpu?: string;
}

export interface GenerateDevicesCmdOptions {
  /** Explicit overrides; they win over the ones derived from `specDriverNames`. */
  serviceOverrides?: ServiceOverrides;
  /** The packaging spec's driver names, for the legacy overrides (§6.5). */
  specDriverNames?: readonly string[];
}

/** The contract name whose services the spec's driver names may override (§6.5). */
export const CANONICAL_CONTRACT_NAME = "aero-windows-pci-device-contract";

const REQUIRED = {
  virtioBlk: "virtio-blk",
  virtioNet: "virtio-net",
  virtioSnd: "virtio-snd",
  virtioInput: "virtio-input",
  aeroGpu: "aero-gpu",
} as const;
type Role = keyof typeof REQUIRED;
/** The order the script names the roles in (and their values are checked in). */
const SCRIPT_ORDER: readonly Role[] = ["virtioBlk", "virtioNet", "virtioInput", "virtioSnd", "aeroGpu"];

/**
 * §6.5: with the canonical contract, a spec that packages the virtio-win drivers (viostor, netkvm,
 * vioinput, viosnd; trimmed, ASCII-case-insensitive) gets their service names. Any other contract
 * name gets no overrides: that contract already names its services.
 */
export function legacyServiceOverrides(contract: Pick<DeviceContract, "contract_name">, specDriverNames: readonly string[]): ServiceOverrides {
  if (asciiLower(rustTrim(contract.contract_name)) !== CANONICAL_CONTRACT_NAME) return {};
  const names = new Set(specDriverNames.map((n) => asciiLower(rustTrim(n))));
  const overrides: ServiceOverrides = {};
  if (names.has("viostor")) overrides.virtioBlk = "viostor";
  if (names.has("netkvm")) overrides.virtioNet = "netkvm";
  if (names.has("vioinput")) overrides.virtioInput = "vioinput";
  if (names.has("viosnd")) overrides.virtioSnd = "viosnd";
  return overrides;
}

/** The bytes of `config/devices.cmd` (UTF-8, CRLF line endings). Throws a PluginError listing every problem. */
export function generateDevicesCmd(contract: DeviceContract, options: GenerateDevicesCmdOptions = {}): Buffer {
  const where = contract.path ?? "(in-memory contract)";
  const problems: string[] = [];
  const values = scriptValues(contract, options, where, problems);
  if (problems.length > 0) {
    const lines = [`cannot generate config/devices.cmd from ${where}:`, ...problems.map((p) => `  - ${p}`)];
    throw userError(PLUGIN_NAME, lines.join("\n"), contract.path);
  }
  return renderDevicesCmd(values);
}

/** What the script writes, each value checked: services and hardware ID patterns per role. */
interface ScriptValues {
  contractName: string;
  contractVersion: string;
  schemaVersion: DeviceContract["schema_version"];
  services: Record<Role, string>;
  patterns: Record<Role, readonly string[]>;
}

/** The script's values, pushing every problem into `problems` (in the order they are reported). */
function scriptValues(contract: DeviceContract, options: GenerateDevicesCmdOptions, where: string, problems: string[]): ScriptValues {
  const overrides: ServiceOverrides = {
    ...legacyServiceOverrides(contract, options.specDriverNames ?? []),
    ...definedOnly(options.serviceOverrides ?? {}),
  };
  const roles = Object.keys(REQUIRED) as Role[];
  const entries = {} as Record<Role, ContractDevice | undefined>;
  for (const role of roles) {
    const name = REQUIRED[role];
    entries[role] = contract.devices.find((d) => asciiLower(rustTrim(d.device)) === name);
    if (!entries[role]) problems.push(`${where} is missing required device entry: ${name}`);
  }

  const service = (role: Role): string => {
    const entry = entries[role];
    if (!entry) return "";
    const value = rustTrim(overrides[role] ?? rustTrim(entry.driver_service_name));
    if (value.includes('"')) problems.push(`${REQUIRED[role]} service name must not contain double quotes: ${JSON.stringify(value)}`);
    checkLine(`${REQUIRED[role]} service name`, value, problems);
    return value;
  };
  const patterns = (role: Role): readonly string[] => {
    const list = entries[role]?.hardware_id_patterns ?? [];
    for (const p of list) {
      if (p.includes('"')) problems.push(`hardware_id_patterns entries must not contain double quotes: ${JSON.stringify(p)}`);
      checkLine(`${REQUIRED[role]} hardware_id_patterns entry`, p, problems);
    }
    return list;
  };

  const blkService = service("virtioBlk");
  if (entries.virtioBlk && !blkService) problems.push("virtio-blk entry has empty driver_service_name");
  // The rest in the order the Rust generator checks them: services, then patterns, in script order.
  const services = { virtioBlk: blkService } as Record<Role, string>;
  for (const role of SCRIPT_ORDER) if (role !== "virtioBlk") services[role] = service(role);
  const lists = {} as Record<Role, readonly string[]>;
  for (const role of SCRIPT_ORDER) lists[role] = patterns(role);
  const contractName = rustTrim(contract.contract_name);
  const contractVersion = rustTrim(contract.contract_version);
  checkLine("contract_name", contractName, problems);
  checkLine("contract_version", contractVersion, problems);
  return { contractName, contractVersion, schemaVersion: contract.schema_version, services, patterns: lists };
}

/** The script itself, from checked values. */
function renderDevicesCmd({ contractName, contractVersion, schemaVersion, services, patterns }: ScriptValues): Buffer {
  const quotedList = (list: readonly string[]) => list.map((p) => `"${p}"`).join(" ");
  const lines = [
    "@echo off",
    "rem -----------------------------------------------------------------------------",
    "rem GENERATED FILE - DO NOT EDIT MANUALLY",
    "rem",
    "rem Source of truth: Windows device contract JSON",
    "rem Generator: scripts/generate-guest-tools-devices-cmd.py",
    ...(contractName ? [`rem Contract name: ${contractName}`] : []),
    `rem Contract schema_version: ${schemaVersion}`,
    ...(contractVersion ? [`rem Contract version: ${contractVersion}`] : []),
    "rem -----------------------------------------------------------------------------",
    "",
    "rem This file is sourced by guest-tools\\setup.cmd and guest-tools\\uninstall.cmd.",
    "",
    "rem ---------------------------",
    "rem Boot-critical storage (virtio-blk)",
    "rem ---------------------------",
    "",
    `set "AERO_VIRTIO_BLK_SERVICE=${services.virtioBlk}"`,
    'set "AERO_VIRTIO_BLK_SYS="',
    `set AERO_VIRTIO_BLK_HWIDS=${quotedList(patterns.virtioBlk)}`,
    "",
    "rem ---------------------------",
    "rem Non-boot-critical devices (used by verify.ps1)",
    "rem ---------------------------",
    "",
    `set "AERO_VIRTIO_NET_SERVICE=${services.virtioNet}"`,
    `set AERO_VIRTIO_NET_HWIDS=${quotedList(patterns.virtioNet)}`,
    `set "AERO_VIRTIO_INPUT_SERVICE=${services.virtioInput}"`,
    `set AERO_VIRTIO_INPUT_HWIDS=${quotedList(patterns.virtioInput)}`,
    `set "AERO_VIRTIO_SND_SERVICE=${services.virtioSnd}"`,
    'set "AERO_VIRTIO_SND_SYS="',
    `set AERO_VIRTIO_SND_HWIDS=${quotedList(patterns.virtioSnd)}`,
    "rem",
    "rem AeroGPU HWIDs:",
    ...patterns.aeroGpu.map((p) => `rem   - ${p}`),
    "rem Legacy AeroGPU device models are intentionally out of scope for Guest Tools; use drivers/aerogpu/packaging/win7/legacy with emulator/aerogpu-legacy if needed.",
    `set "AERO_GPU_SERVICE=${services.aeroGpu}"`,
    `set AERO_GPU_HWIDS=${quotedList(patterns.aeroGpu)}`,
    "",
  ];
  return Buffer.from(lines.map((line) => `${line}\r\n`).join(""), "utf8");
}

/** A value written into one line of the script must not break the line structure. */
function checkLine(what: string, value: string, problems: string[]): void {
  if (/[\r\n]/.test(value)) problems.push(`${what} must not contain line breaks: ${JSON.stringify(value)}`);
}

function definedOnly(overrides: ServiceOverrides): ServiceOverrides {
  const out: ServiceOverrides = {};
  for (const role of Object.keys(REQUIRED) as Role[]) {
    const value: unknown = overrides[role];
    if (value === undefined) continue;
    if (typeof value !== "string") throw userError(PLUGIN_NAME, `serviceOverrides.${role} must be a string`);
    out[role] = value;
  }
  return out;
}
