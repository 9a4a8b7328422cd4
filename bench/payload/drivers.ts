/** The payload's driver folders: names, hardware IDs, extra file names and the INF of each. */
import { bytes, hex } from "./latin1.js";

export const ARCHES = ["x86", "amd64"] as const;
export type Arch = (typeof ARCHES)[number];
const ARCH_DECOR: Record<Arch, string> = { x86: "NTx86", amd64: "NTamd64" };

const DRIVER_KINDS = ["blk", "net", "snd", "input", "gpu", "serial", "balloon", "rng", "fs", "scsi", "console", "panic", "vsock", "crypto", "mem", "pmem"];

/** [role, extension] of a driver's extra files: user-mode part, service, resources, firmware, ... */
const EXTRA_ROLES: Array<[string, string]> = [
  ["um", ".dll"],
  ["svc", ".exe"],
  ["res", ".dll"],
  ["fw", ".bin"],
  ["cpl", ".cpl"],
  ["ext", ".sys"],
  ["dat", ".dat"],
  ["mui", ".mui"],
];


export interface HardwareIds {
  base: string;
  subsys: string;
  full: string;
  rev: string;
}

export function hwidFor(index: number): HardwareIds {
  const vendor = index < 192 ? 0x1af4 : 0x1b36;
  const dev = 0x1040 + (index % 192);
  const subsys = ((((index + 1) & 0xffff) << 16) | vendor) >>> 0;
  const base = `PCI\\VEN_${hex(vendor, 4)}&DEV_${hex(dev, 4)}`;
  return { base, subsys: `${base}&SUBSYS_${hex(subsys, 8)}`, full: `${base}&SUBSYS_${hex(subsys, 8)}&REV_01`, rev: `${base}&REV_01` };
}

export function driverNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const gen = Math.floor(i / DRIVER_KINDS.length);
    return `${DRIVER_KINDS[i % DRIVER_KINDS.length]}drv${gen === 0 ? "" : gen + 1}`;
  });
}

export function extraFileNames(drv: string, count: number, withCoinstaller: boolean): string[] {
  const names: string[] = [];
  if (withCoinstaller && count > 0) names.push("WdfCoInstaller01011.dll");
  for (let k = 0; names.length < count; k++) {
    const [role, ext] = EXTRA_ROLES[k % EXTRA_ROLES.length]!;
    names.push(`${drv}_${role}${String(Math.floor(k / EXTRA_ROLES.length)).padStart(2, "0")}${ext}`);
  }
  return names;
}

export function makeInf(drv: string, index: number, arch: Arch, sysName: string, extras: string[], hw: HardwareIds): Buffer {
  const decor = ARCH_DECOR[arch];
  const svcInst = `${drv}_Service_Inst`;
  const lines = [
    `; ${drv}.inf - synthetic driver package (${arch})`,
    ";",
    "; Generated test fixture; not a real driver.",
    "",
    "[Version]",
    'Signature="$WINDOWS NT$"',
    "Class=System",
    "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}",
    "Provider=%Provider%",
    `CatalogFile=${drv}.cat`,
    `DriverVer=01/01/2024,1.0.${index + 1}.0`,
    "PnpLockdown=1",
    "",
    "[DestinationDirs]",
    "DefaultDestDir=12",
    `${drv}_CopyFiles=12`,
    `${drv}_UserFiles=11`,
    "",
    "[SourceDisksNames]",
    '1=%DiskName%,,,""',
    "",
    "[SourceDisksFiles]",
    `${sysName}=1`,
    ...extras.map((e) => `${e}=1`),
    "",
    "[Manufacturer]",
    `%Mfg%=Models,${decor}`,
    "",
    `[Models.${decor}]`,
    `%${drv}.DeviceDesc%=${drv}_Install, ${hw.full}`,
    `%${drv}.DeviceDesc%=${drv}_Install, ${hw.subsys}`,
    `%${drv}.DeviceDesc%=${drv}_Install, ${hw.base}`,
    "",
    `[${drv}_Install.NT]`,
    `CopyFiles=${drv}_CopyFiles${extras.length ? `,${drv}_UserFiles` : ""}`,
    "",
    `[${drv}_CopyFiles]`,
    sysName,
    "",
    ...(extras.length ? [`[${drv}_UserFiles]`, ...extras, ""] : []),
    `[${drv}_Install.NT.Services]`,
    `AddService=${drv},0x00000002,${svcInst}`,
    "",
    `[${svcInst}]`,
    `DisplayName=%${drv}.SvcDesc%`,
    "ServiceType=1",
    "StartType=3",
    "ErrorControl=1",
    `ServiceBinary=%12%\\${sysName}`,
    "LoadOrderGroup=Extended Base",
    "",
    "[Strings]",
    'Provider="Aero Synthetic"',
    'Mfg="Aero Synthetic"',
    'DiskName="Aero Synthetic Driver Disk"',
    `${drv}.DeviceDesc="Aero synthetic device ${index} (${drv})"`,
    `${drv}.SvcDesc="Aero synthetic service ${drv}"`,
    "",
  ];
  return bytes(lines.join("\r\n"));
}
