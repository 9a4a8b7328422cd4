/**
 * The whole media build as one composable unit, so the CLI, `gulp watch` and embedders get the
 * same behaviour: guestToolsSrc → normalizeArch → payloadPolicy → devicesCmd (when a contract is
 * used) → guestToolsLayout → validateSpec → manifest → mediaImages → atomicDest.
 */
import path from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Vinyl from "vinyl";
import { atomicDest, ownOutputFilter } from "../atomic-dest/index.js";
import type { BuildCache } from "../build-cache/index.js";
import { devicesCmd } from "../devices-cmd/index.js";
import { findDeviceContract } from "../devices-cmd/discover.js";
import { loadDeviceContract, type DeviceContract } from "../devices-cmd/contract.js";
import { guestToolsLayout } from "../guest-tools-layout/index.js";
import type { ContractRecord, SigningPolicy } from "../manifest/index.js";
import { MEDIA_NAMES, mediaImages } from "../media-images/index.js";
import { normalizeArch } from "../normalize-arch/index.js";
import { payloadPolicy } from "../payload-policy/index.js";
import { canonicalJsonSha256 } from "../shared/canonical-json.js";
import { readDocument } from "../shared/documents.js";
import { userError } from "../shared/errors.js";
import { silentProgress, type ProgressSink } from "../shared/progress.js";
import { ProblemReport } from "../shared/report.js";
import { guestToolsSrc } from "../tree-src/index.js";
import { loadSpec, type PackagingSpec } from "../validate-spec/spec.js";
import { formatCatalogSummary, validateSpec } from "../validate-spec/index.js";

const PLUGIN = "guestToolsMedia";
/** The file mediaImages adds; validate refuses inputs that take its name, as the build does. */
const MANIFEST_NAME = "manifest.json";

export interface GuestToolsMediaOptions {
  /** `x86/<driver>/**` and `amd64/<driver>/**`. Required unless driversSource is given. */
  driversDir?: string;
  /**
   * Driver files from somewhere else (e.g. virtioWinDrivers() reading an ISO): vinyl files with
   * relative paths `x86/<driver>/...` or `drivers/<arch>/<driver>/...`. Replaces driversDir.
   */
  driversSource?: () => Readable;
  /** More files to package (e.g. licenses/virtio-win/**); they pass the same checks. */
  extraFiles?: () => Readable;
  guestToolsDir: string;
  /** Path of the packaging spec JSON. */
  spec: string;
  outDir: string;
  packageVersion?: string;
  buildId?: string;
  volumeId?: string;
  signingPolicy?: SigningPolicy;
  sourceDateEpoch?: bigint | number;
  /** Device contract path; default: docs/windows-device-contract.json found from guestToolsDir upwards. */
  windowsDeviceContract?: string | undefined;
  /** Under production/none, leave certificates out instead of refusing them. */
  certsOutsideTest?: "refuse" | "drop";
  /** Base for relative paths and for the paths recorded in the manifest. Default process.cwd(). */
  cwd?: string;
  /** Where progress goes (phases and bytes). Default: nowhere. */
  progress?: ProgressSink;
  /**
   * Reuse the hashes and compressed zip entries of files unchanged since an earlier build with the
   * same cache (`gulp watch`); the outputs are byte-identical to a build without it.
   */
  cache?: BuildCache;
  /** Abort the build: the pipeline is destroyed, temp files removed, the out dir left as it was. */
  signal?: AbortSignal;
}

export interface MediaResult {
  /** Final paths of the written outputs. */
  outputs: string[];
  /** Number of files on the media (manifest.json included). */
  fileCount: number;
  warnings: string[];
  /** Catalog signers and embedded signatures found, one line each (for the build summary). */
  signing: string[];
}

/** The path recorded in the manifest: relative to cwd when inside it, else the basename (relocatable). */
export function recordedPath(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) return rel.split(path.sep).join("/");
  return path.basename(abs);
}

/** The device contract a build uses: the one given, else the one found from guestToolsDir upwards. */
export function deviceContractPath(options: Pick<GuestToolsMediaOptions, "windowsDeviceContract" | "guestToolsDir" | "cwd">): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  return options.windowsDeviceContract !== undefined
    ? path.resolve(cwd, options.windowsDeviceContract)
    : findDeviceContract(path.resolve(cwd, options.guestToolsDir));
}

interface Prepared {
  spec: PackagingSpec;
  specRecord: { path: string; sha256: string };
  contract: { contract: DeviceContract; record: ContractRecord } | undefined;
  report: ProblemReport;
  /** Filled by validateSpec's catalog checks. */
  signing: string[];
}

async function prepare(options: GuestToolsMediaOptions): Promise<Prepared> {
  const cwd = options.cwd ?? process.cwd();
  const specPath = path.resolve(cwd, options.spec);
  let specBytes: Buffer;
  try {
    specBytes = await readDocument("spec", specPath, { label: options.spec, flag: "--spec" });
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  const spec = loadSpec(specBytes, { path: options.spec });
  const contractPath = deviceContractPath(options);
  let contract: Prepared["contract"];
  if (contractPath !== undefined) {
    let bytes: Buffer;
    const flag = options.windowsDeviceContract !== undefined ? "--windows-device-contract" : "found from --guest-tools-dir; --windows-device-contract overrides";
    try {
      bytes = await readDocument("contract", contractPath, { flag });
    } catch (err) {
      throw userError(PLUGIN, (err as Error).message);
    }
    // Loaded once: the same bytes are validated, hashed and used to generate devices.cmd.
    const loaded = loadDeviceContract(bytes, { path: contractPath });
    contract = {
      contract: loaded,
      record: {
        path: recordedPath(contractPath, cwd),
        sha256: canonicalJsonSha256(bytes),
        contract_name: loaded.contract_name,
        contract_version: loaded.contract_version,
        schema_version: loaded.schema_version,
      },
    };
  }
  return {
    spec,
    specRecord: { path: recordedPath(specPath, cwd), sha256: canonicalJsonSha256(specBytes) },
    contract,
    report: new ProblemReport(),
    signing: [],
  };
}

/** Count the regular files passing by. */
function countFiles(onCount: (files: number) => void): Transform {
  let count = 0;
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (!file.isDirectory() && !file.isNull()) onCount(++count);
      cb(null, file);
    },
  });
}

/** Every stage between the source and the writers, for the checks (validate) and the build. */
function checkStages(options: GuestToolsMediaOptions, p: Prepared): Transform[] {
  return [
    normalizeArch(),
    payloadPolicy({ spec: p.spec, report: p.report }),
    ...(p.contract ? [devicesCmd(p.contract.contract, { specDriverNames: p.spec.drivers.map((d) => d.name) })] : []),
    guestToolsLayout({
      signingPolicy: options.signingPolicy ?? "test",
      certsOutsideTest: options.certsOutsideTest ?? "refuse",
      report: p.report,
    }),
    validateSpec(p.spec, {
      report: p.report,
      generatedFiles: [MANIFEST_NAME],
      signingPolicy: options.signingPolicy ?? "test",
      onCatalogSummary: (s) => p.signing.splice(0, Infinity, ...formatCatalogSummary(s)),
    }),
  ];
}

/**
 * The guest-tools tree, then the drivers (from driversDir or driversSource), then extraFiles.
 * An out dir inside one of the trees must not feed a build its previous outputs (each build would
 * grow): this build's outputs and temp files there are left out, with one warning naming them.
 */
function source(options: GuestToolsMediaOptions, report: ProblemReport): Readable {
  if (options.driversSource === undefined && options.driversDir === undefined) {
    throw userError(PLUGIN, "no drivers: give driversDir (a folder with x86/ and amd64/) or driversSource");
  }
  const cwd = options.cwd ?? process.cwd();
  const leftOut: string[] = [];
  const exclude = ownOutputFilter(path.resolve(cwd, options.outDir), Object.values(MEDIA_NAMES), (p) => leftOut.push(p));
  const parts: Array<() => Readable> = [
    () =>
      guestToolsSrc({
        ...(options.driversSource === undefined && { driversDir: options.driversDir! }),
        guestToolsDir: options.guestToolsDir,
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        exclude,
      }),
  ];
  if (options.driversSource) parts.push(options.driversSource);
  if (options.extraFiles) parts.push(options.extraFiles);
  return Readable.from(
    (async function* () {
      for (const part of parts) yield* part();
      if (leftOut.length > 0) {
        const shown = leftOut.map((p) => (path.relative(cwd, p).startsWith("..") ? p : path.relative(cwd, p)));
        report.warn({
          rule: "own-output-left-out",
          message: `left out of the media: ${shown.join(", ")} (this build's own outputs: the out dir ${options.outDir} is inside an input folder)`,
        });
      }
    })(),
    { objectMode: true },
  );
}

/** Run every check and write nothing. Resolves with the number of files that would be packaged. */
export async function validateGuestToolsMedia(options: GuestToolsMediaOptions): Promise<{ fileCount: number; warnings: string[]; signing: string[] }> {
  const p = await prepare(options);
  let fileCount = 0;
  await pipeline([
    source(options, p.report),
    ...checkStages(options, p),
    new Writable({
      objectMode: true,
      write(file: Vinyl, _enc, cb) {
        if (!file.isDirectory()) fileCount++;
        cb();
      },
    }),
  ]);
  return { fileCount, warnings: p.report.warnings.map((w) => w.message), signing: p.signing };
}

/** Build aero-guest-tools.iso, aero-guest-tools.zip and manifest.json into options.outDir, atomically. */
export async function buildGuestToolsMedia(options: GuestToolsMediaOptions): Promise<MediaResult> {
  const progress = options.progress ?? silentProgress;
  try {
    return await build(options, progress);
  } finally {
    progress.end();
  }
}

async function build(options: GuestToolsMediaOptions, progress: ProgressSink): Promise<MediaResult> {
  options.signal?.throwIfAborted();
  progress.phase("checking inputs");
  const p = await prepare(options);
  const outputs: string[] = [];
  let fileCount = 0;
  const signingPolicy = options.signingPolicy ?? "test";
  const cache = options.cache;
  cache?.begin();
  await pipeline([
    source(options, p.report),
    ...checkStages(options, p),
    countFiles((n) => (fileCount = n + 1)), // + manifest.json
    ...(cache ? [cache.identify()] : []),
    mediaImages({
      volumeId: options.volumeId ?? "AERO_GUEST_TOOLS",
      sourceDateEpoch: options.sourceDateEpoch ?? 0n,
      // Hashed while the ISO and the zip are written: the manifest's size is known up front.
      manifest: {
        packageVersion: options.packageVersion ?? "0.0.0",
        buildId: options.buildId ?? "local",
        sourceDateEpoch: options.sourceDateEpoch ?? 0n,
        signingPolicy,
        packagingSpec: p.specRecord,
        ...(p.contract && { deviceContract: p.contract.record }),
      },
      progress,
      ...(cache && { cache }),
    }),
    atomicDest(options.outDir, {
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      onWritten: (paths) => outputs.push(...paths),
    }),
  ], ...(options.signal ? [{ signal: options.signal }] : []));
  cache?.commit();
  return { outputs, fileCount, warnings: p.report.warnings.map((w) => w.message), signing: p.signing };
}
