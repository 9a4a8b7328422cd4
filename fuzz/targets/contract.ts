/**
 * Fuzz target: the Windows device contract loader (loadDeviceContract) and, for a contract it
 * accepts, the devices.cmd generator. Only clear errors naming the contract may escape; a
 * generated devices.cmd must read back (as validation reads it) with the contract's services and
 * hardware ID patterns.
 */
import { loadDeviceContract, type DeviceContract } from "../../plugins/devices-cmd/contract.js";
import { generateDevicesCmd } from "../../plugins/devices-cmd/generate.js";
import { devicesCmdVariables } from "../../plugins/devices-cmd/index.js";
import { parseTokenList, rustTrim } from "../../plugins/devices-cmd/parse.js";
import { asciiLower } from "../../plugins/shared/paths.js";
import { boundedSync, expectClearErrorsSync, invariant } from "./guard.js";

export const LABEL = "fuzz-contract.json";

const ROLES = [
  ["virtio-blk", "AERO_VIRTIO_BLK"],
  ["virtio-net", "AERO_VIRTIO_NET"],
  ["virtio-input", "AERO_VIRTIO_INPUT"],
  ["virtio-snd", "AERO_VIRTIO_SND"],
  ["aero-gpu", "AERO_GPU"],
] as const;

function checkRoundTrip(contract: DeviceContract, generated: Buffer): void {
  const vars = devicesCmdVariables(generated);
  for (const [device, prefix] of ROLES) {
    const entry = contract.devices.find((d) => asciiLower(rustTrim(d.device)) === device)!;
    invariant(vars.get(`${prefix}_SERVICE`) === rustTrim(entry.driver_service_name), `${prefix}_SERVICE does not read back`);
    const tokens = parseTokenList(vars.get(`${prefix}_HWIDS`) ?? "");
    invariant(JSON.stringify(tokens) === JSON.stringify(entry.hardware_id_patterns), `${prefix}_HWIDS does not read back: ${JSON.stringify(tokens)}`);
  }
}

export function fuzz(data: Buffer): void {
  boundedSync(() => check(data));
}

function check(data: Buffer): void {
  const contract = expectClearErrorsSync(LABEL, () => loadDeviceContract(data, { path: LABEL }));
  if (!contract) return;
  invariant(/^[0-9a-f]{64}$/.test(contract.sha256), "contract hash is not hex SHA-256");
  const generated = expectClearErrorsSync(LABEL, () => generateDevicesCmd(contract));
  if (generated) checkRoundTrip(contract, generated);
}
