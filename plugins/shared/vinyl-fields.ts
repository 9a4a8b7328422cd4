/**
 * The extra fields plugins put on vinyl files for a later plugin: the one declaration of each,
 * with who sets it and who reads it. Plugins use the getters and setters below, never the field
 * names: a getter checks the type, so a field of the same name set by someone else's plugin is
 * ignored rather than trusted. The field names are part of the documented API (a gulpfile may
 * set or read them), so they stay as they are.
 */
import type Vinyl from "vinyl";

/** What the manifest records about the device contract (`inputs.windows_device_contract`). */
export interface DeviceContractInfo {
  /** The contract path as given to the plugin (undefined for in-memory contracts). */
  path: string | undefined;
  /** Lowercase hex SHA-256 of the contract's canonical JSON. */
  sha256: string;
  /** Untrimmed, as written in the contract. */
  contract_name: string;
  contract_version: string;
  schema_version: number;
}

/** Every extra field, by name. */
export interface VinylFields {
  /**
   * Set by treeSrc on a file or folder whose name is not valid UTF-8 (contents null): the path as
   * shown to the user, bytes escaped. payloadPolicy refuses every such file in one report.
   */
  nonUtf8Path?: string;
  /**
   * Set by devicesCmd on the config/devices.cmd it generates when one was in the stream: that
   * file's bytes. validateSpec reads its variables and checks the generated file against them.
   */
  aeroReplacedDevicesCmd?: Buffer;
  /** Set by devicesCmd on the config/devices.cmd it generates; manifest records it. */
  aeroDeviceContract?: DeviceContractInfo;
}

export const VINYL_FIELDS = ["nonUtf8Path", "aeroReplacedDevicesCmd", "aeroDeviceContract"] as const satisfies readonly (keyof VinylFields)[];

const fields = (file: Vinyl): VinylFields => file as Vinyl & VinylFields;

export function nonUtf8Path(file: Vinyl): string | undefined {
  const v: unknown = fields(file).nonUtf8Path;
  return typeof v === "string" ? v : undefined;
}

export function setNonUtf8Path(file: Vinyl, shown: string): void {
  fields(file).nonUtf8Path = shown;
}

export function replacedDevicesCmd(file: Vinyl): Buffer | undefined {
  const v: unknown = fields(file).aeroReplacedDevicesCmd;
  return Buffer.isBuffer(v) ? v : undefined;
}

export function setReplacedDevicesCmd<T extends Vinyl>(file: T, bytes: Buffer): T & Required<Pick<VinylFields, "aeroReplacedDevicesCmd">> {
  const typed = file as T & VinylFields;
  typed.aeroReplacedDevicesCmd = bytes;
  return typed as T & Required<Pick<VinylFields, "aeroReplacedDevicesCmd">>;
}

export function deviceContractInfo(file: Vinyl): DeviceContractInfo | undefined {
  const v: unknown = fields(file).aeroDeviceContract;
  return typeof v === "object" && v !== null && typeof (v as DeviceContractInfo).sha256 === "string" ? (v as DeviceContractInfo) : undefined;
}

export function setDeviceContractInfo<T extends Vinyl>(file: T, info: DeviceContractInfo): T & Required<Pick<VinylFields, "aeroDeviceContract">> {
  const typed = file as T & VinylFields;
  typed.aeroDeviceContract = info;
  return typed as T & Required<Pick<VinylFields, "aeroDeviceContract">>;
}
