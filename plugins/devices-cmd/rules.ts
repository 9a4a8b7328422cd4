/**
 * Every rule a windows device contract is checked against (contract.ts), with what it checks:
 * the one place a rule id is added. Each appears in the error's message as `[rule]`.
 */
export const CONTRACT_RULES = {
  // Structure (step 1-2): what can be read at all.
  "json-syntax": "the contract is not valid JSON",
  "duplicate-field": "a key appears twice in one object",
  "wrong-type": "a field of the wrong JSON type (or an integer out of range)",
  "missing-field": "a required field is absent",
  "schema-version": "a schema_version other than 1 (the other rules are then not run)",
  // The contract as a whole.
  "contract-name": "contract_name is empty",
  "contract-version": "contract_version is empty",
  "no-devices": "devices is an empty list",
  // Each device (step 3-5).
  "device-name": "a device name is empty",
  "duplicate-device": "two devices with the same name, ignoring case",
  "hex-id": "pci_vendor_id or pci_device_id is not a 16-bit hex value",
  "virtio-type-missing": "a virtio-* device without virtio_device_type",
  "virtio-vendor": "a virtio device whose vendor is not 0x1AF4",
  "virtio-device-id": "a virtio device whose pci_device_id is not 0x1040 + virtio_device_type",
  "virtio-revision": "a virtio device's hardware ID patterns lack REV_01 or name another revision",
  "service-name": "driver_service_name is empty",
  "inf-name": "inf_name is empty or does not end with .inf",
  "hardware-id-patterns": "hardware_id_patterns is empty, holds an empty or non-PCI entry, or one without the device's PCI IDs",
} as const satisfies Record<string, string>;

/** A rule id of the device contract. */
export type ContractRule = keyof typeof CONTRACT_RULES;
