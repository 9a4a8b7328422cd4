/**
 * manifest(options): hash every file as it passes (streaming; bytes are never buffered for
 * Buffer or FileContents inputs) and add `manifest.json` listing each file's SHA-256 and size.
 * The manifest does not list itself.
 *
 * `startManifest(files, options)` is the same work for a known list of files: it returns the
 * manifest's exact size at once (every SHA-256 is 64 hex digits, so the JSON's length is known
 * before any hashing) and its bytes when hashing is done. mediaImages uses that to write the ISO
 * and the zip while the files are still being hashed.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { Transform } from "node:stream";
import Vinyl from "vinyl";
import { contentSize, FileContents, materialize, openContents } from "../shared/contents.js";
import { clampIsoEpoch, toEpoch, type Epoch } from "../shared/epoch.js";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { packagePath } from "../shared/paths.js";
import { generatedStat } from "../shared/stat.js";
import { deviceContractInfo } from "../shared/vinyl-fields.js";
import {
  buildManifestJson,
  DEFAULT_MANIFEST_NAME,
  MANIFEST_DEFAULTS,
  type ContractRecord,
  type InputRecord,
  type ManifestDocumentInput,
  type ManifestFileEntry,
  type SigningPolicy,
} from "./document.js";

export * from "./document.js";

const PLUGIN = "manifest";

export const SIGNING_POLICIES: readonly SigningPolicy[] = ["test", "production", "none"];

export interface ManifestOptions {
  /** `package.version`. Default "0.0.0". */
  packageVersion?: string;
  /** `package.build_id`. Default "local". */
  buildId?: string;
  /** `package.source_date_epoch` (recorded as given) and the manifest file's mtime. Default 0. */
  sourceDateEpoch?: number | bigint | string;
  /** Default "test". */
  signingPolicy?: SigningPolicy;
  /** Default: true for the "test" policy. */
  certsRequired?: boolean;
  /** The packaging spec the media was validated against (path recorded, canonical SHA-256). */
  packagingSpec?: InputRecord;
  /** The Windows device contract used; default: taken from a generated config/devices.cmd. */
  deviceContract?: ContractRecord;
  /** Who built the media. Default: this package's name and version. */
  packager?: { name: string; version: string };
  /** Default "manifest.json". */
  fileName?: string;
  /** Told about every byte hashed (for a progress display). */
  onBytes?: (bytes: number) => void;
  /** Reuse the hashes of unchanged files (incremental rebuilds; see plugins/build-cache). */
  cache?: HashCache;
  /**
   * A file's hash computed elsewhere, from the bytes the images get (mediaImages' one read per
   * file), or undefined to hash the file here.
   */
  hashOf?: (file: Vinyl) => Promise<FileHash> | undefined;
}

/** A file's SHA-256 (hex) and size. */
export interface FileHash {
  sha256: string;
  size: number;
}

/** Hashes remembered between builds, keyed by the identity of a file's contents. */
export interface HashCache {
  /** A key for the file's current bytes, or undefined when they cannot be identified. */
  keyOf(file: Vinyl): string | undefined;
  getHash(key: string): FileHash | undefined;
  /** Whether getHash(key) would answer (without counting it as reused). */
  hasHash?(key: string): boolean;
  setHash(key: string, hash: FileHash): void;
}

/** This package's name and version, read from its package.json (two levels up in src and lib). */
export const PACKAGER: { name: string; version: string } = (() => {
  const pkg = createRequire(import.meta.url)("../../package.json") as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
})();

/** Hash a file's bytes as a stream; returns sha256 hex and the byte count. */
export async function hashContents(file: Vinyl, onBytes?: (bytes: number) => void): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  if (file.contents instanceof FileContents) {
    size = await file.contents.forEachChunk((chunk) => {
      hash.update(chunk);
      onBytes?.(chunk.length);
    });
    return { sha256: hash.digest("hex"), size };
  }
  for await (const chunk of openContents(file)) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
    onBytes?.(buf.length);
  }
  return { sha256: hash.digest("hex"), size };
}

/** Options checked once, shared by the plugin and startManifest. */
interface Resolved {
  fileName: string;
  epoch: Epoch;
  document: Omit<ManifestDocumentInput, "files" | "deviceContract">;
  deviceContract: ContractRecord | undefined;
}

function resolveOptions(options: ManifestOptions): Resolved {
  const signingPolicy = options.signingPolicy ?? MANIFEST_DEFAULTS.signingPolicy;
  if (!SIGNING_POLICIES.includes(signingPolicy)) {
    throw userError(PLUGIN, `signingPolicy must be one of ${SIGNING_POLICIES.join(", ")}, got ${JSON.stringify(signingPolicy)}`);
  }
  let epoch: Epoch;
  try {
    epoch = toEpoch(options.sourceDateEpoch);
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  return {
    fileName: options.fileName ?? DEFAULT_MANIFEST_NAME,
    epoch,
    deviceContract: options.deviceContract,
    document: {
      packageVersion: options.packageVersion ?? MANIFEST_DEFAULTS.packageVersion,
      buildId: options.buildId ?? MANIFEST_DEFAULTS.buildId,
      sourceDateEpoch: epoch,
      signingPolicy,
      certsRequired: options.certsRequired ?? signingPolicy === "test",
      packagingSpec: options.packagingSpec,
      packager: options.packager ?? PACKAGER,
    },
  };
}

function render(r: Resolved, entries: ManifestFileEntry[], contract: ContractRecord | undefined): Buffer {
  return Buffer.from(buildManifestJson({ ...r.document, deviceContract: contract, files: entries }), "utf8");
}

function manifestVinyl(r: Resolved, like: Vinyl | undefined, contents: Buffer): Vinyl {
  const cwd = like?.cwd ?? process.cwd();
  const base = like?.base ?? cwd;
  const out = new Vinyl({ cwd, base, path: path.join(base, r.fileName), contents });
  out.stat = generatedStat(contents.length, clampIsoEpoch(r.epoch));
  return out;
}

/** The contract a generated config/devices.cmd carries (set by devicesCmd). */
function contractOf(file: Vinyl): ContractRecord | undefined {
  return deviceContractInfo(file);
}

/** Hash one file (making a foreign stream re-readable first) and check its size; or reuse a remembered hash. */
async function entryFor(file: Vinyl, onBytes?: (bytes: number) => void, cache?: HashCache, hashOf?: ManifestOptions["hashOf"]): Promise<ManifestFileEntry> {
  const rel = packagePath(file);
  await materialize(file);
  const expected = contentSize(file);
  const key = cache?.keyOf(file);
  const known = key !== undefined ? cache!.getHash(key) : undefined;
  if (known && known.size === expected) {
    onBytes?.(expected);
    return { path: rel, sha256: known.sha256, size: expected };
  }
  const shared = hashOf?.(file);
  const { sha256, size } = shared ? await shared : await hashContents(file, onBytes);
  if (size !== expected) throw userError(PLUGIN, `${rel}: read ${size} bytes but the file is ${expected} bytes long`, file.path);
  if (key !== undefined) cache!.setHash(key, { sha256, size });
  return { path: rel, sha256, size };
}

export interface StartedManifest {
  /** The manifest's exact size in bytes, known before hashing. */
  size: number;
  /** The manifest vinyl file, once every file is hashed. */
  file: Promise<Vinyl>;
}

/**
 * Hash a known list of files (regular files; directories and null files are ignored) into a
 * manifest. The size is exact up front; the bytes come when hashing ends.
 */
export function startManifest(files: Vinyl[], options: ManifestOptions = {}): StartedManifest {
  const r = resolveOptions(options);
  const regular = files.filter((f) => !f.isDirectory() && !f.isNull());
  const clash = regular.find((f) => packagePath(f) === r.fileName);
  if (clash) throw userError(PLUGIN, `the input already contains ${r.fileName}, which this plugin generates; remove it from the inputs`, clash.path);
  const contract = r.deviceContract ?? regular.map(contractOf).find((c) => c !== undefined);
  const placeholder = regular.map((f) => ({ path: packagePath(f), sha256: "0".repeat(64), size: contentSize(f) }));
  const size = render(r, placeholder, contract).length;
  const file = (async () => {
    const entries: ManifestFileEntry[] = [];
    for (const f of regular) entries.push(await entryFor(f, options.onBytes, options.cache, options.hashOf));
    const json = render(r, entries, contract);
    if (json.length !== size) throw new Error(`internal error: manifest is ${json.length} bytes, predicted ${size}`);
    return manifestVinyl(r, regular[0], json);
  })();
  file.catch(() => undefined); // the caller observes it
  return { size, file };
}

export function manifest(options: ManifestOptions = {}): Transform {
  const r = resolveOptions(options);
  const entries: ManifestFileEntry[] = [];
  let first: Vinyl | undefined;
  let contract = r.deviceContract;

  return new Transform({
    objectMode: true,
    transform(incoming: Vinyl, _enc, cb) {
      intake(PLUGIN, incoming, { needs: "bytes" }).then((file) => add(file, cb), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
    flush(cb) {
      cb(null, manifestVinyl(r, first, render(r, entries, contract)));
    },
  });

  function add(file: Vinyl, cb: (err?: Error | null, file?: Vinyl) => void): void {
    if (file.isDirectory()) {
      cb(null, file);
      return;
    }
    first ??= file;
    if (packagePath(file) === r.fileName) {
      cb(userError(PLUGIN, `the input already contains ${r.fileName}, which this plugin generates; remove it from the inputs`, file.path));
      return;
    }
    contract ??= contractOf(file);
    entryFor(file, options.onBytes, options.cache).then(
      (entry) => {
        entries.push(entry);
        cb(null, file);
      },
      (err: unknown) => cb(asPluginError(PLUGIN, err, file.path)),
    );
  }
}
