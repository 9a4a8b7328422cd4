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
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildTextCorpus, genBinary, genCatalog, planSizes, type Corpus } from "./payload/binaries.js";
import { ARCHES, driverNames, extraFileNames, hwidFor, makeInf, type HardwareIds } from "./payload/drivers.js";
import { deviceContract, guestToolsFiles } from "./payload/guest-tools.js";
import { bytes } from "./payload/latin1.js";
import { ByteSource, SplitMix64 } from "./payload/random.js";

const MIB = 1024 * 1024;

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

function checkOptions(o: Required<PayloadOptions>): void {
  if (!Number.isInteger(o.drivers) || o.drivers < 1) throw new Error("--drivers must be an integer >= 1");
  if (!Number.isInteger(o.filesPerDriver) || o.filesPerDriver < 3) throw new Error("--files-per-driver must be an integer >= 3 (.inf, .sys, .cat)");
  if (!Number.isInteger(o.seed)) throw new Error("--seed must be an integer");
  if (!(o.totalMb >= 0)) throw new Error("--total-mb must be a number >= 0");
  if (!(o.randomFraction >= 0 && o.randomFraction <= 1)) throw new Error("--random-fraction must be within [0, 1]");
}

function prepareOutDir(outDir: string, force: boolean): void {
  if (existsSync(outDir)) {
    if (force) rmSync(outDir, { recursive: true, force: true });
    else if (readdirSync(outDir).length) throw new Error(`${outDir} exists and is not empty (use --force)`);
  }
  mkdirSync(outDir, { recursive: true });
}

type Sized = { rel: string; kind: "cat" | "bin"; size: number };
type PlanEntry = { rel: string; kind: "bytes"; data: Buffer } | Sized;

/**
 * Every driver file in write order, with the bytes of the INFs and the sizes of the catalogs (the
 * binaries' sizes are planned after, from what the fixed-size files leave of the budget).
 */
function planDrivers(names: string[], hwids: HardwareIds[], filesPerDriver: number, layout: SplitMix64): { plan: PlanEntry[]; fixedBytes: number } {
  const plan: PlanEntry[] = [];
  let fixedBytes = 0;
  names.forEach((drv, i) => {
    const extras = extraFileNames(drv, filesPerDriver - 3, i % 3 === 2);
    for (const arch of ARCHES) {
      const sysName = `${drv}.sys`;
      const inf = makeInf(drv, i, arch, sysName, extras, hwids[i]!);
      const catSize = layout.between(6 * 1024, 20 * 1024);
      const base = `drivers/${arch}/${drv}/`;
      plan.push({ rel: `${base}${drv}.inf`, kind: "bytes", data: inf }, { rel: `${base}${drv}.cat`, kind: "cat", size: catSize });
      fixedBytes += inf.length + catSize;
      plan.push({ rel: base + sysName, kind: "bin", size: 0 });
      for (const e of extras) plan.push({ rel: base + e, kind: "bin", size: 0 });
    }
  });
  return { plan, fixedBytes };
}

/** A planned file's bytes, keyed by (seed, path) so that no file depends on another. */
function entryBytes(entry: PlanEntry, seedB: Buffer, randomFraction: number, corpus: Corpus): Buffer {
  if (entry.kind === "bytes") return entry.data;
  const key = Buffer.concat([seedB, Buffer.from([0]), Buffer.from(entry.rel, "utf8")]);
  if (entry.kind === "cat") return genCatalog(key, entry.size);
  const name = entry.rel.slice(entry.rel.lastIndexOf("/") + 1);
  return genBinary(key, entry.size, randomFraction, corpus, /\.(sys|dll|exe|cpl|mui)$/i.test(name), entry.rel.startsWith("drivers/amd64/"), name);
}

/** spec.json: each driver required with its hardware IDs; `full` adds the INF, service and devices.cmd variable. */
function packagingSpec(names: string[], hwids: HardwareIds[], specStyle: "minimal" | "full"): unknown {
  return {
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
}

/** Generate a payload into outDir; every byte is a function of the options. */
export function makePayload(outDir: string, options: PayloadOptions): PayloadSummary {
  const { randomFraction = 0.28, specStyle = "minimal", force = false } = options;
  const o: Required<PayloadOptions> = { ...options, randomFraction, specStyle, force };
  checkOptions(o);
  prepareOutDir(outDir, o.force);

  const seedB = bytes(String(o.seed));
  const corpus = buildTextCorpus(o.seed);
  const names = driverNames(o.drivers);
  const hwids = names.map((_, i) => hwidFor(i));

  // The small files have fixed sizes; the binaries share what is left of the budget.
  const gt = guestToolsFiles(names, hwids);
  const cert = Buffer.concat([Buffer.from("308204ac30820394a003020102", "hex"), new ByteSource(Buffer.concat([bytes("cert\0"), seedB])).take(1200)]);
  const contractBytes = Buffer.from(`${JSON.stringify(deviceContract(), null, 2)}\n`);

  const layout = new SplitMix64(Buffer.concat([bytes("layout\0"), seedB]));
  const { plan, fixedBytes } = planDrivers(names, hwids, o.filesPerDriver, layout);
  const fixedTotal = gt.reduce((n, [, d]) => n + d.length, 0) + cert.length + contractBytes.length + fixedBytes;
  const budget = Math.max(Math.floor(o.totalMb * MIB) - fixedTotal, 0);
  const bins = plan.filter((p): p is Sized => p.kind === "bin");
  planSizes(layout, budget, bins.map((b) => b.rel.toLowerCase().endsWith(".sys"))).forEach((size, k) => (bins[k]!.size = size));

  let totalBytes = 0;
  let nFiles = 0;
  const emit = (file: string, data: Buffer) => {
    writeFile(file, data);
    totalBytes += data.length;
    nFiles += 1;
  };
  for (const entry of plan) emit(path.join(outDir, ...entry.rel.split("/")), entryBytes(entry, seedB, o.randomFraction, corpus));
  for (const [rel, data] of gt) emit(path.join(outDir, "guest-tools", ...rel.split("/")), data);
  emit(path.join(outDir, "guest-tools", "certs", "test.cer"), cert);
  writeFile(path.join(outDir, "spec.json"), Buffer.from(`${JSON.stringify(packagingSpec(names, hwids, o.specStyle), null, 2)}\n`));
  writeFile(path.join(outDir, "windows-device-contract.json"), contractBytes);
  for (const dir of dirsBottomUp(outDir)) utimesSync(dir, 0, 0);

  return {
    out_dir: outDir,
    drivers: o.drivers,
    files_per_driver_per_arch: o.filesPerDriver,
    seed: o.seed,
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
