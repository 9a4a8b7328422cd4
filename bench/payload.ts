/**
 * Deterministic generator of large, realistic driver + guest-tools payloads, for `npm run bench`
 * and the tests that need a big input (memory, interrupt). A TypeScript port of the generator the
 * issues' figures were measured with (make-payload.py), same flags, same tree, same bytes:
 *
 *   OUT_DIR/
 *     drivers/x86/<drv>/     <drv>.inf <drv>.sys <drv>.cat + extra payload files
 *     drivers/amd64/<drv>/   (same layout, different bytes)
 *     guest-tools/           setup.cmd uninstall.cmd verify.cmd verify.ps1 README.md
 *                            THIRD_PARTY_NOTICES.md config/devices.cmd certs/test.cer
 *     spec.json              {"drivers":[{"name", "required", "expected_hardware_ids", ...}]}
 *     windows-device-contract.json
 *
 *   npx tsx bench/payload.ts OUT_DIR --drivers N --files-per-driver M --total-mb S --seed K
 *     [--random-fraction F] [--spec-style minimal|full] [--force]
 *
 * Binaries look like PE images: a DOS/PE header, then 4 KiB blocks that are random, code-like
 * (a repeated motif with sparse noise), string tables, RVA tables or mostly zero. Bulk bytes come
 * from SHAKE-128 keyed by (seed, path, block), layout decisions from SplitMix64, so every byte is
 * a function of the arguments alone.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BLOCK = 4096;
const MIB = 1024 * 1024;
const MASK64 = (1n << 64n) - 1n;

const ARCHES = ["x86", "amd64"] as const;
type Arch = (typeof ARCHES)[number];
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

const WORDS = (
  "Device Driver Service Interrupt Queue Request Buffer Virtio Storage " +
  "Network Adapter Miniport Filter Registry Parameters Enable Disable " +
  "Failed Success Status Timeout Reset Power Resume Suspend Memory Mapped " +
  "Descriptor Ring Available Used Notify Config Feature Negotiation " +
  "KeAcquireSpinLock KeReleaseSpinLock IoCompleteRequest ExAllocatePoolWithTag " +
  "WdfDeviceCreate WdfRequestComplete NdisMIndicateReceiveNetBufferLists " +
  "StorPortNotification HwStorStartIo DriverEntry AddDevice DispatchPnp " +
  "IRP_MJ_CREATE IRP_MJ_CLOSE IRP_MJ_DEVICE_CONTROL IRP_MN_START_DEVICE " +
  "STATUS_SUCCESS STATUS_INSUFFICIENT_RESOURCES STATUS_INVALID_PARAMETER " +
  "kernel32.dll ntoskrnl.exe hal.dll ndis.sys storport.sys wdf01000.sys " +
  "Microsoft Windows Copyright Corporation Version FileDescription " +
  "ProductName CompanyName LegalCopyright OriginalFilename InternalName"
).split(" ");

const bytes = (s: string) => Buffer.from(s, "latin1");
const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");

/** Small deterministic PRNG for layout decisions (not for bulk bytes); 64-bit, hence BigInt. */
class SplitMix64 {
  private state: bigint;
  constructor(seed: Buffer) {
    this.state = createHash("sha256").update(seed).digest().readBigUInt64LE(0);
  }
  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }
  /** next() & mask, as a number (mask below 2^53). */
  bits(mask: number): number {
    return Number(this.next() & BigInt(mask));
  }
  uniform(): number {
    return Number(this.next() >> 11n) / 2 ** 53;
  }
  below(n: number): number {
    return n > 0 ? Number(this.next() % BigInt(n)) : 0;
  }
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  normal(): number {
    const u1 = Math.max(this.uniform(), 1e-12);
    const u2 = this.uniform();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}

/** Keyed SHAKE-128 stream for bulk pseudo-random bytes: each take hashes key + a counter. */
class ByteSource {
  private counter = 0n;
  constructor(private readonly key: Buffer) {}
  take(n: number): Buffer {
    this.counter += 1n;
    const c = Buffer.alloc(8);
    c.writeBigUInt64LE(this.counter);
    return n === 0 ? Buffer.alloc(0) : createHash("shake128", { outputLength: n }).update(this.key).update(c).digest();
  }
}

interface Corpus {
  ascii: Buffer;
  utf16: Buffer;
}

function buildTextCorpus(seed: number, size = 256 * 1024): Corpus {
  const rng = new SplitMix64(bytes(`corpus\0${seed}`));
  const parts: string[] = [];
  let total = 0;
  while (total < size) {
    const w = WORDS[rng.below(WORDS.length)]!;
    const sep = rng.below(5) === 0 ? "\0" : " ";
    parts.push(w + sep);
    total += w.length + 1;
  }
  const ascii = bytes(parts.join("")).subarray(0, size);
  const utf16 = Buffer.from(ascii.subarray(0, size / 2).toString("latin1"), "utf16le");
  return { ascii, utf16 };
}

/** Bytes `off, off+step, ...` of buf (Python's buf[off::step]) set from src, in order. */
function fillStrided(buf: Buffer, off: number, step: number, src: Buffer): void {
  for (let i = off, k = 0; i < buf.length; i += step, k++) buf[i] = src[k]!;
}

function stridedCount(length: number, off: number, step: number): number {
  return off >= length ? 0 : Math.ceil((length - off) / step);
}

/** A plausible PE prologue (DOS stub, PE/COFF header, optional header, section table), padded to 1 KiB. */
function peHeader(rng: SplitMix64, amd64: boolean, name: string): Buffer {
  const dos = Buffer.alloc(128);
  dos.write("MZ", 0, "latin1");
  [0x90, 3, 0, 4, 0, 0xffff, 0, 0xb8].forEach((v, i) => dos.writeUInt16LE(v, 2 + 2 * i));
  dos.writeUInt32LE(0x80, 0x3c);
  Buffer.concat([Buffer.from("0e1fba0e00b409cd21b8014ccd21", "hex"), bytes("This program cannot be run in DOS mode.\r\r\n$")]).copy(dos, 0x40);
  const optSize = amd64 ? 0xf0 : 0xe0;
  const coff = Buffer.alloc(24);
  coff.write("PE\0\0", 0, "latin1");
  coff.writeUInt16LE(amd64 ? 0x8664 : 0x14c, 4);
  coff.writeUInt16LE(5, 6);
  coff.writeUInt32LE(rng.bits(0xffffffff), 8);
  coff.writeUInt16LE(optSize, 20);
  coff.writeUInt16LE(0x22, 22);
  const opt = Buffer.alloc(optSize);
  opt.writeUInt16LE(amd64 ? 0x20b : 0x10b, 0);
  for (let off = 16; off < optSize - 8; off += 8) {
    if (rng.below(3) === 0) {
      opt.writeUInt32LE(rng.bits(0xfffff), off);
      opt.writeUInt32LE(rng.bits(0xffff), off + 4);
    }
  }
  const sections: Buffer[] = [];
  for (const sec of [".text", ".rdata", ".data", "PAGE", ".rsrc"]) {
    const s = Buffer.alloc(40);
    s.write(sec, 0, "latin1");
    s.writeUInt32LE(rng.bits(0xfffff), 8);
    s.writeUInt32LE(rng.bits(0xfffff), 12);
    s.writeUInt32LE(rng.bits(0xfffff), 16);
    s.writeUInt32LE(rng.bits(0xffff), 20);
    s.writeUInt32LE(0x60000020, 36);
    sections.push(s);
  }
  const hdr = Buffer.concat([dos, coff, opt, ...sections, bytes(`${name}\0`)]);
  return Buffer.concat([hdr, Buffer.alloc((1024 - (hdr.length % 1024)) % 1024)]);
}

/** `size` bytes of PE-like, partly compressible content. */
function genBinary(key: Buffer, size: number, randomFraction: number, corpus: Corpus, isPe: boolean, amd64: boolean, name: string): Buffer {
  const rng = new SplitMix64(Buffer.concat([bytes("ctl\0"), key]));
  const src = new ByteSource(Buffer.concat([bytes("bytes\0"), key]));
  const blocks: Buffer[] = [];
  let length = 0;
  if (isPe && size >= 2048) {
    blocks.push(peHeader(rng, amd64, name));
    length += blocks[0]!.length;
  }
  const rf = randomFraction;
  // The probability left over is split across the structured kinds of block.
  const pCode = rf + (1.0 - rf) * 0.45;
  const pText = pCode + (1.0 - rf) * 0.2;
  const pTable = pText + (1.0 - rf) * 0.15;
  while (length < size) {
    const u = rng.uniform();
    let block: Buffer;
    if (u < rf) {
      block = src.take(BLOCK);
    } else if (u < pCode) {
      const mlen = rng.between(12, 72);
      const motif = src.take(mlen);
      block = Buffer.alloc(BLOCK);
      for (let i = 0; i < BLOCK; i += mlen) motif.copy(block, i);
      const stride = rng.between(9, 23);
      const start = rng.below(stride);
      fillStrided(block, start, stride, src.take(stridedCount(BLOCK, start, stride)));
    } else if (u < pText) {
      const text = rng.below(3) === 0 ? corpus.utf16 : corpus.ascii;
      const off = rng.below(text.length - BLOCK);
      block = text.subarray(off, off + BLOCK);
    } else if (u < pTable) {
      const base = rng.bits(0x00fffff0);
      const step = rng.between(2, 64) * 2;
      const count = BLOCK / 4;
      block = Buffer.alloc(BLOCK);
      for (let i = 0; i < count; i++) block.writeUInt32LE((base + i * step) >>> 0, 4 * i);
      fillStrided(block, 3, 4, src.take(count));
    } else {
      // A mostly zero data section with sparse values.
      block = Buffer.alloc(BLOCK);
      const stride = rng.between(8, 32);
      fillStrided(block, 0, stride, src.take(stridedCount(BLOCK, 0, stride)));
    }
    blocks.push(block);
    length += block.length;
  }
  return Buffer.concat(blocks).subarray(0, size);
}

/** A .cat is a PKCS#7 SignedData blob: a DER prefix, then high-entropy bytes. */
function genCatalog(key: Buffer, size: number): Buffer {
  const src = new ByteSource(Buffer.concat([bytes("cat\0"), key]));
  const len = Buffer.alloc(2);
  len.writeUInt16BE(Math.max(size - 4, 0) & 0xffff);
  const prefix = Buffer.concat([Buffer.from("3082", "hex"), len, Buffer.from("06092a864886f70d010702a0", "hex")]);
  return Buffer.concat([prefix, src.take(Math.max(size - prefix.length, 0))]).subarray(0, size);
}

interface HardwareIds {
  base: string;
  subsys: string;
  full: string;
  rev: string;
}

function hwidFor(index: number): HardwareIds {
  const vendor = index < 192 ? 0x1af4 : 0x1b36;
  const dev = 0x1040 + (index % 192);
  const subsys = ((((index + 1) & 0xffff) << 16) | vendor) >>> 0;
  const base = `PCI\\VEN_${hex(vendor, 4)}&DEV_${hex(dev, 4)}`;
  return { base, subsys: `${base}&SUBSYS_${hex(subsys, 8)}`, full: `${base}&SUBSYS_${hex(subsys, 8)}&REV_01`, rev: `${base}&REV_01` };
}

function driverNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const gen = Math.floor(i / DRIVER_KINDS.length);
    return `${DRIVER_KINDS[i % DRIVER_KINDS.length]}drv${gen === 0 ? "" : gen + 1}`;
  });
}

function extraFileNames(drv: string, count: number, withCoinstaller: boolean): string[] {
  const names: string[] = [];
  if (withCoinstaller && count > 0) names.push("WdfCoInstaller01011.dll");
  for (let k = 0; names.length < count; k++) {
    const [role, ext] = EXTRA_ROLES[k % EXTRA_ROLES.length]!;
    names.push(`${drv}_${role}${String(Math.floor(k / EXTRA_ROLES.length)).padStart(2, "0")}${ext}`);
  }
  return names;
}

function makeInf(drv: string, index: number, arch: Arch, sysName: string, extras: string[], hw: HardwareIds): Buffer {
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

/** Sizes of the binaries: log-normal weights (.sys files heavier) sharing the budget exactly. */
function planSizes(rng: SplitMix64, budget: number, sysFlags: boolean[]): number[] {
  const weights = sysFlags.map((isSys) => Math.exp(0.9 * rng.normal()) * (isSys ? 2.5 : 1));
  // Summed left to right, as the sizes of the reference generator were.
  let totalW = 0;
  for (const w of weights) totalW += w;
  const sizes = weights.map((w) => Math.max(512, Math.floor((budget * w) / totalW)));
  if (sizes.length) {
    const diff = budget - sizes.reduce((a, b) => a + b, 0);
    let biggest = 0;
    sizes.forEach((s, i) => {
      if (s > sizes[biggest]!) biggest = i;
    });
    sizes[biggest] = Math.max(512, sizes[biggest]! + diff);
  }
  return sizes;
}

function guestToolsFiles(names: string[], hwids: HardwareIds[]): Array<[string, Buffer]> {
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
  const setup = [
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
  const uninstall = [
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
  const verifyCmd = ["@echo off", 'powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0verify.ps1" %*', "exit /b %ERRORLEVEL%", ""];
  const verifyPs1 = [
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
  const readme = [
    "# Aero Guest Tools (synthetic payload)",
    "",
    "This tree was produced by `make-payload.py` for packaging benchmarks.",
    "",
    `Drivers: ${names.join(", ")}`,
    "",
    "Run `setup.cmd` as Administrator to install, `verify.cmd` to check media integrity.",
    "",
  ];
  const notices = ["# Third-party notices", "", "No third-party components are included in this synthetic payload.", ""];
  const crlf = (ls: string[]) => bytes(ls.join("\r\n"));
  const lf = (ls: string[]) => Buffer.from(ls.join("\n"), "utf8");
  return [
    ["setup.cmd", crlf(setup)],
    ["uninstall.cmd", crlf(uninstall)],
    ["verify.cmd", crlf(verifyCmd)],
    ["verify.ps1", crlf(verifyPs1)],
    ["README.md", lf(readme)],
    ["THIRD_PARTY_NOTICES.md", lf(notices)],
    ["config/devices.cmd", crlf(devices)],
  ];
}

function deviceContract(): unknown {
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

/** Write a file with mtime 0, so tools that record mtimes see stable input. */
function writeFile(file: string, data: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  utimesSync(file, 0, 0);
}

/** Directories bottom-up, as os.walk(topdown=False) gives them. */
function dirsBottomUp(dir: string): string[] {
  const subs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...subs.flatMap((e) => dirsBottomUp(path.join(dir, e.name))), dir];
}

export interface PayloadOptions {
  drivers: number;
  /** Files in each driver folder per arch, counting the .inf, .sys and .cat (at least 3). */
  filesPerDriver: number;
  /** Approximate total size in MiB, all files. */
  totalMb: number;
  seed: number;
  /** Share of the binaries' 4 KiB blocks that are incompressible (0.28: deflate ratio about 0.5). */
  randomFraction?: number;
  /** `full` also writes expected_inf_files, expected_add_services and the devices.cmd variable per driver. */
  specStyle?: "minimal" | "full";
  /** Delete the out dir first when it exists (otherwise it must be empty or missing). */
  force?: boolean;
}

export interface PayloadSummary {
  out_dir: string;
  drivers: number;
  files_per_driver_per_arch: number;
  seed: number;
  payload_files: number;
  payload_bytes: number;
  payload_mib: number;
}

/** Generate a payload into outDir; every byte is a function of the options. */
export function makePayload(outDir: string, options: PayloadOptions): PayloadSummary {
  const { drivers, filesPerDriver, totalMb, seed, randomFraction = 0.28, specStyle = "minimal", force = false } = options;
  if (!Number.isInteger(drivers) || drivers < 1) throw new Error("--drivers must be an integer >= 1");
  if (!Number.isInteger(filesPerDriver) || filesPerDriver < 3) throw new Error("--files-per-driver must be an integer >= 3 (.inf, .sys, .cat)");
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
  if (!(totalMb >= 0)) throw new Error("--total-mb must be a number >= 0");
  if (!(randomFraction >= 0 && randomFraction <= 1)) throw new Error("--random-fraction must be within [0, 1]");
  if (existsSync(outDir)) {
    if (force) rmSync(outDir, { recursive: true, force: true });
    else if (readdirSync(outDir).length) throw new Error(`${outDir} exists and is not empty (use --force)`);
  }
  mkdirSync(outDir, { recursive: true });

  const seedB = bytes(String(seed));
  const corpus = buildTextCorpus(seed);
  const names = driverNames(drivers);
  const hwids = names.map((_, i) => hwidFor(i));

  // The small files have fixed sizes; the binaries share what is left of the budget.
  const gt = guestToolsFiles(names, hwids);
  const cert = Buffer.concat([Buffer.from("308204ac30820394a003020102", "hex"), new ByteSource(Buffer.concat([bytes("cert\0"), seedB])).take(1200)]);
  const contractBytes = Buffer.from(`${JSON.stringify(deviceContract(), null, 2)}\n`);

  const layout = new SplitMix64(Buffer.concat([bytes("layout\0"), seedB]));
  type Sized = { rel: string; kind: "cat" | "bin"; size: number };
  type Entry = { rel: string; kind: "bytes"; data: Buffer } | Sized;
  const plan: Entry[] = [];
  let fixedTotal = gt.reduce((n, [, d]) => n + d.length, 0) + cert.length + contractBytes.length;
  names.forEach((drv, i) => {
    const extras = extraFileNames(drv, filesPerDriver - 3, i % 3 === 2);
    for (const arch of ARCHES) {
      const sysName = `${drv}.sys`;
      const inf = makeInf(drv, i, arch, sysName, extras, hwids[i]!);
      const catSize = layout.between(6 * 1024, 20 * 1024);
      const base = `drivers/${arch}/${drv}/`;
      plan.push({ rel: `${base}${drv}.inf`, kind: "bytes", data: inf }, { rel: `${base}${drv}.cat`, kind: "cat", size: catSize });
      fixedTotal += inf.length + catSize;
      plan.push({ rel: base + sysName, kind: "bin", size: 0 });
      for (const e of extras) plan.push({ rel: base + e, kind: "bin", size: 0 });
    }
  });

  const budget = Math.max(Math.floor(totalMb * MIB) - fixedTotal, 0);
  const bins = plan.filter((p): p is Sized => p.kind === "bin");
  planSizes(layout, budget, bins.map((b) => b.rel.toLowerCase().endsWith(".sys"))).forEach((size, k) => (bins[k]!.size = size));

  let totalBytes = 0;
  let nFiles = 0;
  const emit = (file: string, data: Buffer) => {
    writeFile(file, data);
    totalBytes += data.length;
    nFiles += 1;
  };
  for (const entry of plan) {
    const key = Buffer.concat([seedB, Buffer.from([0]), Buffer.from(entry.rel, "utf8")]);
    const name = entry.rel.slice(entry.rel.lastIndexOf("/") + 1);
    const data =
      entry.kind === "bytes"
        ? entry.data
        : entry.kind === "cat"
          ? genCatalog(key, entry.size)
          : genBinary(key, entry.size, randomFraction, corpus, /\.(sys|dll|exe|cpl|mui)$/i.test(name), entry.rel.startsWith("drivers/amd64/"), name);
    emit(path.join(outDir, ...entry.rel.split("/")), data);
  }
  for (const [rel, data] of gt) emit(path.join(outDir, "guest-tools", ...rel.split("/")), data);
  emit(path.join(outDir, "guest-tools", "certs", "test.cer"), cert);

  const spec = {
    drivers: names.map((drv, i) => {
      const base = hwids[i]!.base.replaceAll("\\", "\\\\");
      return {
        name: drv,
        required: true,
        expected_hardware_ids: [base, `${base}&SUBSYS_[0-9A-F]{8}`],
        ...(specStyle === "full" && {
          expected_inf_files: [`${drv}.inf`],
          expected_add_services: [drv],
          expected_hardware_ids_from_devices_cmd_var: `AERO_${drv.toUpperCase()}_HWIDS`,
        }),
      };
    }),
  };
  writeFile(path.join(outDir, "spec.json"), Buffer.from(`${JSON.stringify(spec, null, 2)}\n`));
  writeFile(path.join(outDir, "windows-device-contract.json"), contractBytes);
  for (const dir of dirsBottomUp(outDir)) utimesSync(dir, 0, 0);

  return {
    out_dir: outDir,
    drivers,
    files_per_driver_per_arch: filesPerDriver,
    seed,
    payload_files: nFiles,
    payload_bytes: totalBytes,
    payload_mib: Math.round((totalBytes / MIB) * 100) / 100,
  };
}

/** The command line: the same flags as the Python generator; prints the summary as one JSON line. */
function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      drivers: { type: "string" },
      "files-per-driver": { type: "string" },
      "total-mb": { type: "string" },
      seed: { type: "string" },
      "random-fraction": { type: "string", default: "0.28" },
      "spec-style": { type: "string", default: "minimal" },
      force: { type: "boolean", default: false },
    },
  });
  const usage = "usage: payload.ts OUT_DIR --drivers N --files-per-driver M --total-mb S --seed K [--random-fraction F] [--spec-style minimal|full] [--force]";
  const required = ["drivers", "files-per-driver", "total-mb", "seed"] as const;
  const missing = required.filter((k) => values[k] === undefined);
  if (positionals.length !== 1 || missing.length) throw new Error(`${usage}${missing.length ? `\nmissing: ${missing.map((k) => `--${k}`).join(", ")}` : ""}`);
  const num = (flag: string, text: string) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) throw new Error(`--${flag} must be a number, got ${JSON.stringify(text)}`);
    return n;
  };
  const specStyle = values["spec-style"];
  if (specStyle !== "minimal" && specStyle !== "full") throw new Error(`--spec-style must be minimal or full, got ${JSON.stringify(specStyle)}`);
  const summary = makePayload(positionals[0]!, {
    drivers: num("drivers", values.drivers!),
    filesPerDriver: num("files-per-driver", values["files-per-driver"]!),
    totalMb: num("total-mb", values["total-mb"]!),
    seed: num("seed", values.seed!),
    randomFraction: num("random-fraction", values["random-fraction"]!),
    specStyle,
    force: values.force!,
  });
  console.log(JSON.stringify(summary));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`payload: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
