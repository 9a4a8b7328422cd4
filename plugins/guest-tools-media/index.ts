/**
 * The whole media build as one composable unit, so the CLI, `gulp watch` and embedders get the
 * same behaviour: guestToolsSrc → normalizeArch → payloadPolicy → devicesCmd (when a contract is
 * used) → guestToolsLayout → validateSpec → manifest → mediaImages → atomicDest.
 */
import path from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Vinyl from "vinyl";
import { atomicDest, ownOutputFilter, type WrittenOutput } from "../atomic-dest/index.js";
import { CHECKSUMS_NAME, sha256Sums } from "../checksums/index.js";
import { DEFAULT_SBOM_NAME, sbomWriter } from "../sbom/index.js";
import { referenceBuild } from "./self-check.js";
import type { BuildCache } from "../build-cache/index.js";
import { devicesCmd } from "../devices-cmd/index.js";
import { findDeviceContract } from "../devices-cmd/discover.js";
import { loadDeviceContract, type DeviceContract } from "../devices-cmd/contract.js";
import { guestToolsLayout } from "../guest-tools-layout/index.js";
import { MANIFEST_DEFAULTS, type ContractRecord, type InputRecord, type SigningPolicy } from "../manifest/index.js";
import { DEFAULT_VOLUME_ID } from "../iso9660/names.js";
import { toEpoch, type Epoch } from "../shared/epoch.js";
import { MEDIA_NAMES, mediaImages } from "../media-images/index.js";
import { normalizeArch } from "../normalize-arch/index.js";
import { payloadPolicy } from "../payload-policy/index.js";
import { canonicalJsonSha256 } from "../shared/canonical-json.js";
import { readDocument, readDocumentSync } from "../shared/documents.js";
import { userError } from "../shared/errors.js";
import { silentProgress, type ProgressSink } from "../shared/progress.js";
import { ProblemReport } from "../shared/report.js";
import { guestToolsSrc } from "../tree-src/index.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { loadSpec } from "../shared/load-spec.js";
import { formatCatalogSummary, validateSpec } from "../validate-spec/index.js";

const PLUGIN = "guestToolsMedia";

/** Every file a build may write into its out dir: never read back as an input. */
const OWN_OUTPUT_NAMES = [...Object.values(MEDIA_NAMES), DEFAULT_SBOM_NAME, CHECKSUMS_NAME];

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
  /** Also write SHA256SUMS over the outputs, in the same atomic step. Default false. */
  checksums?: boolean;
  /** Also write the CycloneDX SBOM aero-guest-tools.cdx.json. Default false. */
  sbom?: boolean;
  /** Build twice and fail, writing nothing, if any output byte differs (see self-check.ts). Default false. */
  selfCheck?: boolean;
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

/**
 * What the manifest records about a JSON input (e.g. `manifest({ packagingSpec: inputRecord(spec) })`):
 * its path as recordedPath() gives it and the SHA-256 of its canonical JSON, as the CLI records it.
 */
export function inputRecord(file: string, options: { cwd?: string } = {}): { path: string; sha256: string } {
  const cwd = options.cwd ?? process.cwd();
  let bytes: Buffer;
  try {
    bytes = readDocumentSync("spec", path.resolve(cwd, file), { label: file }); // capped, as the CLI reads it
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  return { path: recordedPath(file, cwd), sha256: canonicalJsonSha256(bytes) };
}

/** The device contract a build uses: the one given, else the one found from guestToolsDir upwards. */
export function deviceContractPath(options: Pick<GuestToolsMediaOptions, "windowsDeviceContract" | "guestToolsDir" | "cwd">): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  return options.windowsDeviceContract !== undefined
    ? path.resolve(cwd, options.windowsDeviceContract)
    : findDeviceContract(path.resolve(cwd, options.guestToolsDir));
}

/** Every setting of one media build, each default applied here and nowhere else in the build. */
export interface MediaSettings {
  cwd: string;
  guestToolsDir: string;
  driversDir: string | undefined;
  driversSource: (() => Readable) | undefined;
  extraFiles: (() => Readable) | undefined;
  spec: PackagingSpec;
  /** What the manifest records about the spec (path relative to cwd, canonical SHA-256). */
  specRecord: InputRecord;
  /** The device contract that generates config/devices.cmd, loaded once, and its manifest record. */
  contract: { contract: DeviceContract; record: ContractRecord } | undefined;
  outDir: string;
  volumeId: string;
  sourceDateEpoch: Epoch;
  packageVersion: string;
  buildId: string;
  signingPolicy: SigningPolicy;
  certsOutsideTest: "refuse" | "drop";
  checksums: boolean;
  sbom: boolean;
}

/**
 * Resolve the options of a build once: defaults applied, the spec and the device contract read,
 * parsed and hashed. A bad spec, contract or option fails here, before any file is read.
 */
export async function resolveMediaSettings(options: GuestToolsMediaOptions): Promise<MediaSettings> {
  const cwd = options.cwd ?? process.cwd();
  if (options.driversSource === undefined && options.driversDir === undefined) {
    throw userError(PLUGIN, "no drivers: give driversDir (a folder with x86/ and amd64/) or driversSource");
  }
  const specPath = path.resolve(cwd, options.spec);
  let specBytes: Buffer;
  try {
    specBytes = await readDocument("spec", specPath, { label: options.spec, flag: "--spec" });
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  const spec = loadSpec(specBytes, { path: options.spec });
  const contractPath = deviceContractPath(options);
  let contract: MediaSettings["contract"];
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
  let sourceDateEpoch: Epoch;
  try {
    sourceDateEpoch = toEpoch(options.sourceDateEpoch);
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  return {
    cwd,
    guestToolsDir: options.guestToolsDir,
    driversDir: options.driversDir,
    driversSource: options.driversSource,
    extraFiles: options.extraFiles,
    spec,
    specRecord: { path: recordedPath(specPath, cwd), sha256: canonicalJsonSha256(specBytes) },
    contract,
    outDir: options.outDir,
    volumeId: options.volumeId ?? DEFAULT_VOLUME_ID,
    sourceDateEpoch,
    packageVersion: options.packageVersion ?? MANIFEST_DEFAULTS.packageVersion,
    buildId: options.buildId ?? MANIFEST_DEFAULTS.buildId,
    signingPolicy: options.signingPolicy ?? MANIFEST_DEFAULTS.signingPolicy,
    certsOutsideTest: options.certsOutsideTest ?? "refuse",
    checksums: options.checksums ?? false,
    sbom: options.sbom ?? false,
  };
}

export interface GuestToolsPipelineOptions {
  /** true: write the ISO, the zip and manifest.json into settings.outDir; false: check only (validate). */
  write: boolean;
  /** Last look at the outputs' digests before they are renamed into place (see atomicDest). */
  beforeCommit?: (outputs: WrittenOutput[]) => void | Promise<void>;
  progress?: ProgressSink;
  cache?: BuildCache;
}

/** A composed build: its stages for `pipeline(...)`, and what it found once they have run. */
export interface GuestToolsPipeline {
  stages: Array<Readable | Transform | Writable>;
  /** After the pipeline resolved: outputs written (none when checking only), files, warnings. */
  result(): MediaResult;
}

/**
 * The guest-tools build, source to destination, as the gulpfile's tasks, gulp watch and
 * buildGuestToolsMedia all run it. Every check sees every file; with a shared report the problems
 * of all of them are reported once, by validateSpec.
 */
export function guestToolsPipeline(s: MediaSettings, options: GuestToolsPipelineOptions): GuestToolsPipeline {
  const report = new ProblemReport();
  const outputs: string[] = [];
  let signing: string[] = [];
  let fileCount = 0;
  let catalogVerdict: Promise<void> = Promise.resolve();
  const stages = [
    mediaSource(s, report), //                          guest-tools dir, then the drivers, then extras
    ...(options.cache ? [options.cache.identify()] : []), // identities for the checks' and writers' memory
    normalizeArch(), //                                 x64/... → drivers/amd64/...
    payloadPolicy({ spec: s.spec, report }), //         refuse symlinks, keys, bad names; drop junk
    ...(s.contract ? [devicesCmd(s.contract.contract, { specDriverNames: s.spec.drivers.map((d) => d.name) })] : []),
    guestToolsLayout({ signingPolicy: s.signingPolicy, certsOutsideTest: s.certsOutsideTest, report }),
    // The gate: all problems at once, else every file sorted; an input named manifest.json is
    // refused in validate as in the build.
    validateSpec(s.spec, {
      report,
      generatedFiles: [MEDIA_NAMES.manifest],
      signingPolicy: s.signingPolicy, // catalogs and signatures are checked per this policy
      onCatalogSummary: (summary) => (signing = formatCatalogSummary(summary)),
      ...(options.cache && { cache: options.cache }),
      // A build lets the catalog checks run alongside the writing; atomicDest waits for them.
      ...(options.write && { deferCatalogChecks: (verdict: Promise<void>) => {
        verdict.catch(() => undefined); // observed by atomicDest; a build failing before it must not leave it unhandled
        catalogVerdict = verdict;
      } }),
    }),
    countFiles((n) => (fileCount = n)),
    ...(options.write ? writeStages(s, options, outputs, () => catalogVerdict) : [discard()]),
  ];
  return {
    stages,
    result: () => ({
      outputs,
      fileCount: options.write ? fileCount + 1 : fileCount, // + manifest.json
      warnings: report.warnings.map((w) => w.message),
      signing,
    }),
  };
}

/** The writers: ISO + zip + manifest.json (hashed while the images are written), then the atomic write. */
function writeStages(s: MediaSettings, options: GuestToolsPipelineOptions, outputs: string[], gate: () => Promise<void>): Transform[] {
  const cache = options.cache;
  return [
    mediaImages({
      volumeId: s.volumeId,
      sourceDateEpoch: s.sourceDateEpoch,
      manifest: {
        packageVersion: s.packageVersion,
        buildId: s.buildId,
        sourceDateEpoch: s.sourceDateEpoch,
        signingPolicy: s.signingPolicy,
        packagingSpec: s.specRecord,
        ...(s.contract && { deviceContract: s.contract.record }),
      },
      ...(options.progress && { progress: options.progress }),
      ...(cache && { cache }),
      writers: s.sbom ? [sbomWriter()] : [], // further outputs: one line each
    }),
    atomicDest(s.outDir, {
      cwd: s.cwd,
      onWritten: (paths) => outputs.push(...paths),
      derived: s.checksums ? [sha256Sums()] : [],
      gate,
      ...(options.beforeCommit && { beforeCommit: options.beforeCommit }),
    }),
  ];
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

/** The end of a check-only run: files are looked at, nothing is written. */
function discard(): Writable {
  return new Writable({ objectMode: true, write: (_file, _enc, cb) => cb() });
}

/**
 * The guest-tools tree, then the drivers (from driversDir or driversSource), then extraFiles.
 * An out dir inside one of the trees must not feed a build its previous outputs (each build would
 * grow): this build's outputs and temp files there are left out, with one warning naming them.
 */
function mediaSource(s: MediaSettings, report: ProblemReport): Readable {
  const cwd = s.cwd;
  const leftOut: string[] = [];
  const exclude = ownOutputFilter(path.resolve(cwd, s.outDir), OWN_OUTPUT_NAMES, (p) => leftOut.push(p));
  const parts: Array<() => Readable> = [
    () =>
      guestToolsSrc({
        ...(s.driversSource === undefined && { driversDir: s.driversDir! }),
        guestToolsDir: s.guestToolsDir,
        cwd,
        exclude,
      }),
  ];
  if (s.driversSource) parts.push(s.driversSource);
  if (s.extraFiles) parts.push(s.extraFiles);
  return Readable.from(
    (async function* () {
      for (const part of parts) yield* part();
      if (leftOut.length > 0) {
        const shown = leftOut.map((p) => (path.relative(cwd, p).startsWith("..") ? p : path.relative(cwd, p)));
        report.warn({
          rule: "own-output-left-out",
          message: `left out of the media: ${shown.join(", ")} (this build's own outputs: the out dir ${s.outDir} is inside an input folder)`,
        });
      }
    })(),
    { objectMode: true },
  );
}

/** Run every check and write nothing. Resolves with the number of files that would be packaged. */
export async function validateGuestToolsMedia(options: GuestToolsMediaOptions): Promise<{ fileCount: number; warnings: string[]; signing: string[] }> {
  const media = guestToolsPipeline(await resolveMediaSettings(options), { write: false });
  await pipeline(media.stages);
  const { fileCount, warnings, signing } = media.result();
  return { fileCount, warnings, signing };
}

/** Build aero-guest-tools.iso, aero-guest-tools.zip and manifest.json into options.outDir, atomically. */
export async function buildGuestToolsMedia(options: GuestToolsMediaOptions): Promise<MediaResult> {
  const progress = options.progress ?? silentProgress;
  try {
    options.signal?.throwIfAborted();
    progress.phase("checking inputs");
    const settings = await resolveMediaSettings(options);
    const cache = options.cache;
    const beforeCommit = options.selfCheck ? await referenceBuild(guestToolsPipeline, settings) : undefined;
    const media = guestToolsPipeline(settings, { write: true, progress, ...(cache && { cache }), ...(beforeCommit && { beforeCommit }) });
    cache?.begin();
    await pipeline(media.stages, ...(options.signal ? [{ signal: options.signal }] : []));
    cache?.commit();
    return media.result();
  } finally {
    progress.end();
  }
}

export { referenceBuild } from "./self-check.js";
