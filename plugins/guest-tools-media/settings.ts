/**
 * The options of a media build (GuestToolsMediaOptions, as the API takes them) and the settings
 * they resolve to once (MediaSettings): every default applied here, the spec and the device
 * contract read, parsed and hashed before any file is read.
 */
import path from "node:path";
import type { Readable } from "node:stream";
import type { BuildCache } from "../build-cache/index.js";
import { findDeviceContract } from "../devices-cmd/discover.js";
import { loadDeviceContract, type DeviceContract } from "../devices-cmd/contract.js";
import { MANIFEST_DEFAULTS, type ContractRecord, type InputRecord, type SigningPolicy } from "../manifest/index.js";
import { DEFAULT_VOLUME_ID } from "../iso9660/names.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { canonicalJsonSha256 } from "../shared/canonical-json.js";
import { readDocument, readDocumentSync } from "../shared/documents.js";
import { toEpoch, type Epoch } from "../shared/epoch.js";
import { userError } from "../shared/errors.js";
import { loadSpec } from "../shared/load-spec.js";
import type { ProgressSink } from "../shared/progress.js";

const PLUGIN = "guestToolsMedia";

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

/** A JSON input's bytes, read with its cap; a read problem is the user's, named by its flag. */
async function readInput(kind: "spec" | "contract", file: string, options: { label?: string; flag: string }): Promise<Buffer> {
  try {
    return await readDocument(kind, file, options);
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
}

/** The device contract, loaded once: the same bytes are validated, hashed and used to generate devices.cmd. */
async function resolveContract(options: GuestToolsMediaOptions, cwd: string): Promise<MediaSettings["contract"]> {
  const contractPath = deviceContractPath(options);
  if (contractPath === undefined) return undefined;
  const flag = options.windowsDeviceContract !== undefined ? "--windows-device-contract" : "found from --guest-tools-dir; --windows-device-contract overrides";
  const bytes = await readInput("contract", contractPath, { flag });
  const loaded = loadDeviceContract(bytes, { path: contractPath });
  return {
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
  const specBytes = await readInput("spec", specPath, { label: options.spec, flag: "--spec" });
  const spec = loadSpec(specBytes, { path: options.spec });
  const contract = await resolveContract(options, cwd);
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
