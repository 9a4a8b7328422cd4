/**
 * The rules of a device contract (aero_packager-behaviors.md §6.3 steps 2-5), in the Rust order:
 * contract-level fields, then each device in turn. Run on whatever contract-read.ts could read.
 */
import { asciiLower, asciiUpper } from "../shared/paths.js";
import { rustTrim } from "./parse.js";
import type { ContractDevice, ContractProblem } from "./contract.js";
import type { PartialContract } from "./contract-read.js";
import { parseHexU16 } from "./contract-read.js";
import type { ContractRule } from "./rules.js";

const VIRTIO_VENDOR_ID = 0x1af4;
const VIRTIO_MODERN_DEVICE_BASE = 0x1040;
const PCI_HWID = /PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}/i;

/** Report a problem of the device being checked (its label prefixed). */
type AddProblem = (rule: ContractRule, message: string) => void;
/** The device's PCI ids, undefined where they are not 16-bit hex. */
interface PciIds {
  vendorId: number | undefined;
  deviceId: number | undefined;
}

/**
 * Every rule, in one pass, in the Rust tool's order (steps 2 to 5 per device), which the
 * messages' order follows: contract fields, then per device its name and ids (step 3), the
 * virtio rules (step 4), its service, INF and hardware IDs (step 5).
 */
export function validateContract(contract: PartialContract, problems: ContractProblem[]): void {
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
    const add: AddProblem = (rule, message) => problems.push({ rule, index, message: `${label}: ${message}` });
    const ids = checkNameAndIds(device, name, index, seen, add);
    if (device.virtio_device_type !== undefined) checkVirtio(device, device.virtio_device_type, ids, add);
    checkDriverFields(device, ids, add);
  });
}

/** Step 3: name, virtio type presence, uniqueness (`seen`: first index by lowercased name), hex ids. */
function checkNameAndIds(device: ContractDevice, name: string, index: number, seen: Map<string, number>, add: AddProblem): PciIds {
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
  return { vendorId, deviceId };
}

/** Step 4: virtio rules, keyed on the field (not on the name). */
function checkVirtio(device: ContractDevice, type: number, { vendorId, deviceId }: PciIds, add: AddProblem): void {
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
        add("virtio-revision", `unsupported virtio PCI revision ID 0x${rev} in hardware_id_patterns entry ${quote(pattern)} (expected 0x01)`);
      } else {
        hasRev01 = true;
      }
    }
  }
  if (!hasRev01) {
    add("virtio-revision", "hardware_id_patterns is missing a REV_01-qualified entry (virtio devices must match PCI revision 0x01, e.g. \"...&REV_01\")");
  }
}

/** Step 5: service, INF name, hardware ID patterns (which must name the device's ids). */
function checkDriverFields(device: ContractDevice, { vendorId, deviceId }: PciIds, add: AddProblem): void {
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
      add("hardware-id-patterns", `hardware_id_patterns entry ${quote(pattern)} does not match pci_vendor_id/pci_device_id (expected to contain ${ids})`);
    }
  });
}

/** Quote a value for a message: raw between quotes, JSON-escaped only when it holds quotes or controls. */
function quote(s: string): string {
  return /["\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, "0")}`;
}
