/**
 * devicesCmd(contract): replaces the guest tools' `config/devices.cmd` with the one generated from
 * the Windows device contract (aero_packager-behaviors.md §6.3-§6.6).
 *
 * Every file passes through except an existing `config/devices.cmd` (ASCII-case-insensitive package
 * path), which is dropped; at the end the generated file is emitted. It carries:
 * - `aeroReplacedDevicesCmd`: the bytes of the file it replaced (when there was one), so spec
 *   validation can merge those variables under the generated ones (`devicesCmdVariables`, §6.6);
 * - `aeroDeviceContract`: what the manifest records about the contract (path, canonical sha256,
 *   contract_name, contract_version, schema_version).
 * The contract is loaded before the first file is passed on, so a bad contract stops the build
 * before anything downstream has done work.
 */
import { Stats } from "node:fs";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import Vinyl from "vinyl";
import { readDocumentFile } from "../shared/document-files.js";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { asciiLower, packagePath } from "../shared/paths.js";
import { loadDeviceContract, PLUGIN_NAME, readDeviceContract, type DeviceContract } from "./contract.js";
import { generateDevicesCmd, type ServiceOverrides } from "./generate.js";
import { parseDevicesCmdVars } from "./parse.js";
import { setDeviceContractInfo, setReplacedDevicesCmd, type DeviceContractInfo, type VinylFields } from "../shared/vinyl-fields.js";

export {
  loadDeviceContract,
  readDeviceContract,
  parseHexU16,
  type ContractDevice,
  type ContractError,
  type ContractProblem,
  type DeviceContract,
  type LoadDeviceContractOptions,
} from "./contract.js";
export {
  generateDevicesCmd,
  legacyServiceOverrides,
  CANONICAL_CONTRACT_NAME,
  type GenerateDevicesCmdOptions,
  type ServiceOverrides,
} from "./generate.js";
export { findDeviceContract, CONTRACT_RELATIVE_PATH, CONTRACT_SEARCH_LEVELS } from "./discover.js";
export { parseDevicesCmdVars, parseTokenList } from "./parse.js";

/** The package path of the generated file. */
export const DEVICES_CMD_PATH = "config/devices.cmd";

// Declared with the other vinyl fields (shared/vinyl-fields.ts); exported here as before.
export type { DeviceContractInfo };

/** The vinyl file devicesCmd emits (its fields: shared/vinyl-fields.ts). */
export type GeneratedDevicesCmdFile = Vinyl & { contents: Buffer } & Required<Pick<VinylFields, "aeroDeviceContract">> & Pick<VinylFields, "aeroReplacedDevicesCmd">;

export interface DevicesCmdOptions {
  /** The packaging spec's driver names: drive the legacy service overrides (§6.5). */
  specDriverNames?: readonly string[];
  /** Explicit service names; they win over the contract and the legacy overrides. */
  serviceOverrides?: ServiceOverrides;
}

export function devicesCmd(contract: DeviceContract | string | Buffer, options: DevicesCmdOptions = {}): Transform {
  checkOptions(contract, options);
  // Start loading now; awaited before the first file passes (errors go through the callback).
  const loaded = loadContract(contract);
  loaded.catch(() => undefined); // handled where awaited; avoid an unhandled rejection meanwhile

  let cwd: string | undefined;
  let base: string | undefined;
  /** Bytes of the on-disk devices.cmd; the exact-case path wins over case variants. */
  let replaced: { bytes: Buffer; exact: boolean } | undefined;

  const ensureLoaded = (): Promise<DeviceContract> => loaded;

  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _encoding: BufferEncoding, callback: TransformCallback): void {
      cwd ??= file.cwd;
      base ??= file.base;
      const handle = async (): Promise<Vinyl | undefined> => {
        await intake(PLUGIN_NAME, file, { needs: "paths" });
        await ensureLoaded();
        const rel = packagePath(file);
        if (file.isDirectory() || asciiLower(rel) !== DEVICES_CMD_PATH) return file;
        const exact = rel === DEVICES_CMD_PATH;
        // Null or symlink entries have no bytes to merge; they are dropped all the same.
        if (file.isBuffer() || file.isStream()) {
          const bytes = await readDocumentFile("devicesCmd", file, rel);
          if (!replaced || (exact && !replaced.exact)) replaced = { bytes, exact };
        }
        return undefined;
      };
      handle().then(
        (out) => callback(null, out),
        (err: unknown) => callback(asPluginError(PLUGIN_NAME, err, file.path)),
      );
    },
    flush(callback: TransformCallback): void {
      const finish = async (): Promise<GeneratedDevicesCmdFile> => {
        const loadedContract = await ensureLoaded();
        const bytes = generateDevicesCmd(loadedContract, {
          specDriverNames: options.specDriverNames,
          serviceOverrides: options.serviceOverrides,
        });
        const fileCwd = cwd ?? process.cwd();
        const fileBase = base ?? fileCwd;
        const file = new Vinyl({
          cwd: fileCwd,
          base: fileBase,
          path: join(fileBase, ...DEVICES_CMD_PATH.split("/")),
          contents: bytes,
          stat: generatedStat(bytes.length),
        });
        const out = setDeviceContractInfo(file, contractInfo(loadedContract));
        if (replaced) setReplacedDevicesCmd(out, replaced.bytes);
        return out;
      };
      finish().then(
        (out) => callback(null, out),
        (err: unknown) => callback(asPluginError(PLUGIN_NAME, err)),
      );
    },
  });
}

/** The manifest's view of a loaded contract. */
export function contractInfo(contract: DeviceContract): DeviceContractInfo {
  return {
    path: contract.path,
    sha256: contract.sha256,
    contract_name: contract.contract_name,
    contract_version: contract.contract_version,
    schema_version: contract.schema_version,
  };
}

/**
 * The variables spec validation reads (§6.6): the replaced on-disk file's `set` variables,
 * overridden by the generated file's. Both are decoded as lossy UTF-8 (a BOM is kept, as in Rust).
 */
export function devicesCmdVariables(generated: Buffer, replaced?: Buffer): Map<string, string> {
  const decode = (b: Buffer) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(b);
  const vars = replaced ? parseDevicesCmdVars(decode(replaced)) : new Map<string, string>();
  for (const [name, value] of parseDevicesCmdVars(decode(generated))) vars.set(name, value);
  return vars;
}

async function loadContract(contract: DeviceContract | string | Buffer): Promise<DeviceContract> {
  if (typeof contract === "string") return readDeviceContract(contract);
  if (Buffer.isBuffer(contract)) return loadDeviceContract(contract);
  return contract;
}

function checkOptions(contract: unknown, options: DevicesCmdOptions): void {
  const bad = (message: string) => userError(PLUGIN_NAME, message);
  const isContractObject =
    typeof contract === "object" && contract !== null && Array.isArray((contract as DeviceContract).devices) && typeof (contract as DeviceContract).sha256 === "string";
  if (!(typeof contract === "string" && contract !== "") && !Buffer.isBuffer(contract) && !isContractObject) {
    throw bad("devicesCmd(contract): contract must be a path, a Buffer of contract JSON, or a contract from loadDeviceContract()");
  }
  if (typeof options !== "object" || options === null) throw bad("devicesCmd options must be an object");
  const names: unknown = options.specDriverNames;
  if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === "string"))) {
    throw bad("devicesCmd options.specDriverNames must be an array of strings");
  }
  const overrides: unknown = options.serviceOverrides;
  if (overrides !== undefined) {
    if (typeof overrides !== "object" || overrides === null) throw bad("devicesCmd options.serviceOverrides must be an object");
    for (const [key, value] of Object.entries(overrides)) {
      if (!["virtioBlk", "virtioNet", "virtioInput", "virtioSnd", "aeroGpu"].includes(key)) {
        throw bad(`devicesCmd options.serviceOverrides has an unknown key ${JSON.stringify(key)}`);
      }
      if (value !== undefined && typeof value !== "string") throw bad(`devicesCmd options.serviceOverrides.${key} must be a string`);
    }
  }
}

/** fs.Stats of a generated regular file: mode 0644, all times at the Unix epoch (deterministic). */
function generatedStat(size: number): Stats {
  const epoch = new Date(0);
  return Object.assign(Object.create(Stats.prototype) as Stats, {
    mode: 0o100644,
    size,
    mtime: epoch,
    atime: epoch,
    ctime: epoch,
    birthtime: epoch,
    mtimeMs: 0,
    atimeMs: 0,
    ctimeMs: 0,
    birthtimeMs: 0,
  });
}
