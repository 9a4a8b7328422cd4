/** The payload's guest-tools folder (scripts, README, devices.cmd) and its device contract. */
import type { HardwareIds } from "./drivers.js";
import { bytes, hex } from "./latin1.js";

// The scripts do not depend on the drivers: devices.cmd carries the list they loop over.
const SETUP_CMD = [
  "@echo off",
  "setlocal EnableExtensions EnableDelayedExpansion",
  "rem Installs the drivers shipped on this media (synthetic fixture).",
  'set "ROOT=%~dp0"',
  'call "%ROOT%config\\devices.cmd" || exit /b 1',
  'set "ARCH=x86"',
  'if /i "%PROCESSOR_ARCHITECTURE%"=="AMD64" set "ARCH=amd64"',
  'for %%C in ("%ROOT%certs\\*.cer") do certutil -addstore -f Root "%%~fC" >nul',
  "for %%D in (%AERO_DRIVER_LIST%) do (",
  '  pnputil -i -a "%ROOT%drivers\\%ARCH%\\%%D\\%%D.inf" || set "FAILED=1"',
  ")",
  "if defined FAILED (echo One or more drivers failed to install. & exit /b 2)",
  "echo Done.",
  "exit /b 0",
  "",
];
const UNINSTALL_CMD = [
  "@echo off",
  "setlocal EnableExtensions",
  'set "ROOT=%~dp0"',
  'call "%ROOT%config\\devices.cmd" || exit /b 1',
  "for %%D in (%AERO_DRIVER_LIST%) do (",
  "  sc.exe stop %%D >nul 2>&1",
  "  sc.exe delete %%D >nul 2>&1",
  ")",
  "echo Uninstalled.",
  "exit /b 0",
  "",
];
const VERIFY_CMD = ["@echo off", 'powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0verify.ps1" %*', "exit /b %ERRORLEVEL%", ""];
const VERIFY_PS1 = [
  "#Requires -Version 2",
  "param([string]$Root = $PSScriptRoot)",
  "$ErrorActionPreference = 'Stop'",
  "$manifest = Get-Content -Raw (Join-Path $Root 'manifest.json') | ConvertFrom-Json",
  "$bad = 0",
  "foreach ($f in $manifest.files) {",
  "  $p = Join-Path $Root ($f.path -replace '/', '\\')",
  '  if (-not (Test-Path $p)) { Write-Host "MISSING $($f.path)"; $bad++; continue }',
  "  $h = (Get-FileHash -Algorithm SHA256 $p).Hash.ToLower()",
  '  if ($h -ne $f.sha256) { Write-Host "MISMATCH $($f.path)"; $bad++ }',
  "}",
  "if ($bad) { exit 1 } else { Write-Host 'OK'; exit 0 }",
  "",
];

const NOTICES = ["# Third-party notices", "", "No third-party components are included in this synthetic payload.", ""];

/** config/devices.cmd: the driver list, then each driver's service name and hardware IDs. */
function devicesCmdLines(names: string[], hwids: HardwareIds[]): string[] {
  const devices = [
    "@echo off",
    "rem Device configuration sourced by setup.cmd / uninstall.cmd / verify.cmd.",
    "rem Synthetic payload fixture.",
    "",
    'set "AERO_GUEST_TOOLS_VERSION=0.0.0"',
    `set "AERO_DRIVER_LIST=${names.join(" ")}"`,
  ];
  names.forEach((drv, i) => {
    const hw = hwids[i]!;
    const v = drv.toUpperCase();
    devices.push(`set "AERO_${v}_SERVICE=${drv}"`, `set AERO_${v}_HWIDS="${hw.full}" "${hw.subsys}" "${hw.base}"`);
  });
  devices.push("");
  return devices;
}

function readmeLines(names: string[]): string[] {
  return [
    "# Aero Guest Tools (synthetic payload)",
    "",
    "This tree was produced by `make-payload.py` for packaging benchmarks.",
    "",
    `Drivers: ${names.join(", ")}`,
    "",
    "Run `setup.cmd` as Administrator to install, `verify.cmd` to check media integrity.",
    "",
  ];
}

/** The guest-tools folder's files in the order they are written, paths relative to it. */
export function guestToolsFiles(names: string[], hwids: HardwareIds[]): Array<[string, Buffer]> {
  const crlf = (ls: string[]) => bytes(ls.join("\r\n"));
  const lf = (ls: string[]) => Buffer.from(ls.join("\n"), "utf8");
  return [
    ["setup.cmd", crlf(SETUP_CMD)],
    ["uninstall.cmd", crlf(UNINSTALL_CMD)],
    ["verify.cmd", crlf(VERIFY_CMD)],
    ["verify.ps1", crlf(VERIFY_PS1)],
    ["README.md", lf(readmeLines(names))],
    ["THIRD_PARTY_NOTICES.md", lf(NOTICES)],
    ["config/devices.cmd", crlf(devicesCmdLines(names, hwids))],
  ];
}

export function deviceContract(): unknown {
  const virtio = (device: string, dtype: number, subsysId: number, svc: string) => {
    const dev = 0x1040 + dtype;
    const base = `PCI\\VEN_1AF4&DEV_${hex(dev, 4)}`;
    const sub = `${base}&SUBSYS_${hex(subsysId, 4)}1AF4`;
    return {
      device,
      pci_vendor_id: "0x1AF4",
      pci_device_id: `0x${hex(dev, 4)}`,
      hardware_id_patterns: [`${sub}&REV_01`, sub, `${base}&REV_01`, base],
      driver_service_name: svc,
      inf_name: `${svc}.inf`,
      virtio_device_type: dtype,
    };
  };
  return {
    schema_version: 1,
    contract_name: "synthetic-payload-device-contract",
    contract_version: "1.0.0",
    devices: [
      virtio("virtio-blk", 2, 0x0002, "aero_blk"),
      virtio("virtio-net", 1, 0x0001, "aero_net"),
      virtio("virtio-snd", 25, 0x0019, "aero_snd"),
      virtio("virtio-input", 18, 0x0010, "aero_input"),
      {
        device: "aero-gpu",
        pci_vendor_id: "0xA3A0",
        pci_device_id: "0x0001",
        hardware_id_patterns: ["PCI\\VEN_A3A0&DEV_0001&SUBSYS_0001A3A0", "PCI\\VEN_A3A0&DEV_0001"],
        driver_service_name: "aero_gpu",
        inf_name: "aero_gpu.inf",
      },
    ],
  };
}
