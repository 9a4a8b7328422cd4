/**
 * The manifest.json document: pure construction and serialisation (fixed key order, 2-space
 * indent, no trailing newline, like the Rust tool), so the guest's setup.cmd and verify.ps1 can
 * read it.
 */
import type { Epoch } from "../shared/epoch.js";
import { compareCodePoints } from "../shared/paths.js";

export type SigningPolicy = "test" | "production" | "none";

/** The name of the manifest file; the image writers pass a file of this name on by default. */
export const DEFAULT_MANIFEST_NAME = "manifest.json";

/** The manifest's defaults, used by the manifest plugin, resolveMediaSettings and the CLI flags (the one place they are written). */
export const MANIFEST_DEFAULTS = { packageVersion: "0.0.0", buildId: "local", signingPolicy: "test" } as const satisfies {
  packageVersion: string;
  buildId: string;
  signingPolicy: SigningPolicy;
};

export interface ManifestFileEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface InputRecord {
  /** Path recorded for the input (relative to the working directory, else the basename). */
  path: string;
  /** SHA-256 of the input's canonical JSON. */
  sha256: string;
}

export interface ContractRecord extends Omit<InputRecord, "path"> {
  /** Undefined for a contract given in memory: the manifest then records no path. */
  path: string | undefined;
  contract_name: string;
  contract_version: string;
  schema_version: number;
}

export interface ManifestDocumentInput {
  packageVersion: string;
  buildId: string;
  sourceDateEpoch: Epoch;
  signingPolicy: SigningPolicy;
  certsRequired: boolean;
  packagingSpec?: InputRecord | undefined;
  deviceContract?: ContractRecord | undefined;
  packager: { name: string; version: string };
  files: ManifestFileEntry[];
}

export const MANIFEST_SCHEMA_VERSION = 4;

export function buildManifestJson(input: ManifestDocumentInput): string {
  const files = [...input.files].sort((a, b) => compareCodePoints(a.path, b.path));
  const inputs: Record<string, unknown> = {};
  if (input.packagingSpec) inputs.packaging_spec = { path: input.packagingSpec.path, sha256: input.packagingSpec.sha256 };
  if (input.deviceContract) {
    const c = input.deviceContract;
    inputs.windows_device_contract = {
      path: c.path,
      sha256: c.sha256,
      contract_name: c.contract_name,
      contract_version: c.contract_version,
      schema_version: c.schema_version,
    };
  }
  // We are not aero_packager, so we say who we are in a field of our own (verify.ps1 ignores
  // unknown fields). Not `version`: setup.cmd's fallback parser takes the last line holding
  // `"version":` as the media version, so package.version must be the only such key.
  inputs.packager = { name: input.packager.name, packager_version: input.packager.version };
  const doc = {
    schema_version: MANIFEST_SCHEMA_VERSION,
    package: {
      name: "aero-guest-tools",
      version: input.packageVersion,
      build_id: input.buildId,
      source_date_epoch: input.sourceDateEpoch,
    },
    inputs,
    signing_policy: input.signingPolicy,
    certs_required: input.certsRequired,
    provenance: {
      packaging_spec_path: input.packagingSpec?.path ?? null,
      packaging_spec_sha256: input.packagingSpec?.sha256 ?? null,
      windows_device_contract_path: input.deviceContract?.path ?? null,
      windows_device_contract_sha256: input.deviceContract?.sha256 ?? null,
    },
    files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
  };
  return stringifyWithBigInt(doc);
}

/** JSON.stringify with 2-space indent that writes bigints as exact integers. */
export function stringifyWithBigInt(value: unknown): string {
  const marker = "\u0000bigint:";
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${marker}${v.toString()}` : v), 2);
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, "$1");
}
