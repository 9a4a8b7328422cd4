/**
 * manifest(options): hash every file as it passes (streaming; bytes are never buffered for
 * Buffer or FileContents inputs) and add `manifest.json` listing each file's SHA-256 and size.
 * The manifest does not list itself.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { Transform } from "node:stream";
import Vinyl from "vinyl";
import { contentSize, materialize, openContents } from "../shared/contents.js";
import { clampIsoEpoch, toEpoch } from "../shared/epoch.js";
import { asPluginError, userError } from "../shared/errors.js";
import { packagePath } from "../shared/paths.js";
import { generatedStat } from "../shared/stat.js";
import {
  buildManifestJson,
  type ContractRecord,
  type InputRecord,
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
  for await (const chunk of openContents(file)) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
    onBytes?.(buf.length);
  }
  return { sha256: hash.digest("hex"), size };
}

export function manifest(options: ManifestOptions = {}): Transform {
  const fileName = options.fileName ?? "manifest.json";
  const signingPolicy = options.signingPolicy ?? "test";
  if (!SIGNING_POLICIES.includes(signingPolicy)) {
    throw userError(PLUGIN, `signingPolicy must be one of ${SIGNING_POLICIES.join(", ")}, got ${JSON.stringify(signingPolicy)}`);
  }
  let epoch: bigint;
  try {
    epoch = toEpoch(options.sourceDateEpoch);
  } catch (err) {
    throw userError(PLUGIN, (err as Error).message);
  }
  const entries: ManifestFileEntry[] = [];
  let first: Vinyl | undefined;
  let contract = options.deviceContract;

  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (file.isDirectory() || file.isNull()) {
        cb(null, file);
        return;
      }
      first ??= file;
      const rel = packagePath(file);
      if (rel === fileName) {
        cb(userError(PLUGIN, `the input already contains ${fileName}, which this plugin generates; remove it from the inputs`, file.path));
        return;
      }
      const meta = (file as Vinyl & { aeroDeviceContract?: ContractRecord }).aeroDeviceContract;
      if (meta && !contract) contract = meta;
      (async () => {
        await materialize(file); // foreign streams become Buffers so later writers can re-read them
        const expected = contentSize(file);
        const { sha256, size } = await hashContents(file, options.onBytes);
        if (size !== expected) throw userError(PLUGIN, `${rel}: read ${size} bytes but the file is ${expected} bytes long`, file.path);
        entries.push({ path: rel, sha256, size });
      })().then(() => cb(null, file), (err: unknown) => cb(asPluginError(PLUGIN, err, file.path)));
    },
    flush(cb) {
      const json = buildManifestJson({
        packageVersion: options.packageVersion ?? "0.0.0",
        buildId: options.buildId ?? "local",
        sourceDateEpoch: epoch,
        signingPolicy,
        certsRequired: options.certsRequired ?? signingPolicy === "test",
        packagingSpec: options.packagingSpec,
        deviceContract: contract,
        packager: options.packager ?? PACKAGER,
        files: entries,
      });
      const cwd = first?.cwd ?? process.cwd();
      const base = first?.base ?? cwd;
      const mtime = clampIsoEpoch(epoch);
      const out = new Vinyl({ cwd, base, path: path.join(base, fileName), contents: Buffer.from(json, "utf8") });
      out.stat = generatedStat(out.contents!.length as number, mtime);
      cb(null, out);
    },
  });
}
