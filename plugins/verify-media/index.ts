/**
 * verifyMedia(options): is this ISO (and zip) exactly what its manifest says? Reads the images in
 * place (no mounting, no extraction), re-hashes every file and reports every problem at once:
 * missing, extra (manifest.json exempt), size or hash mismatch, an ISO and a zip that do not hold
 * the same tree, a side-car manifest that differs from the one inside the images, primary
 * ISO9660 names that do not map onto the Joliet tree, unreadable files.
 *
 * verifyMediaFiles(options): the same as a gulp plugin, for pipelines that end with the media on
 * disk: it passes every file through and, once the stream ends, verifies the .iso/.zip/
 * manifest.json files it saw (by their paths on disk).
 */
import path from "node:path";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { readDocument } from "../shared/documents.js";
import { asPluginError, userError } from "../shared/errors.js";
import type { ProgressSink } from "../shared/progress.js";
import { compareImages, compareWithManifest, MANIFEST_NAME, parseManifestFiles } from "./compare.js";
import { readIsoMedia, readZipMedia, type MediaListing } from "./read.js";

const PLUGIN = "verifyMedia";

export interface VerifyMediaOptions {
  /** The ISO image to check. */
  iso?: string | undefined;
  /** The zip to check (against the manifest, and against the ISO when both are given). */
  zip?: string | undefined;
  /** A side-car manifest.json; default: the one inside the ISO (else the zip). */
  manifest?: string | undefined;
  progress?: ProgressSink | undefined;
}

export interface VerifyReport {
  /** One line per problem; empty when the media is what the manifest says. */
  problems: string[];
  /** Files the manifest lists. */
  fileCount: number;
  /** Where the manifest that was checked against came from. */
  manifestSource: string;
}

export async function verifyMedia(options: VerifyMediaOptions): Promise<VerifyReport> {
  if (!options.iso && !options.zip) throw userError(PLUGIN, "nothing to verify: give an ISO (--iso) and/or a zip (--zip)");
  const problems: string[] = [];
  const listings: MediaListing[] = [];
  try {
    if (options.iso) listings.push(await readIsoMedia(options.iso, { progress: options.progress }));
    if (options.zip) listings.push(await readZipMedia(options.zip, { progress: options.progress }));
  } catch (err) {
    throw asPluginError(PLUGIN, err);
  } finally {
    options.progress?.end();
  }
  for (const l of listings) problems.push(...l.problems);

  let manifestBytes: Buffer | undefined;
  let manifestSource: string;
  if (options.manifest) {
    manifestBytes = await readSideCar(options.manifest);
    manifestSource = options.manifest;
    for (const l of listings) {
      if (!l.manifest) continue;
      if (!l.manifest.equals(manifestBytes)) problems.push(`side-car manifest ${options.manifest} differs from the ${MANIFEST_NAME} inside ${l.source}`);
    }
  } else {
    const holder = listings.find((l) => l.manifest);
    manifestBytes = holder?.manifest;
    manifestSource = holder ? `${MANIFEST_NAME} inside ${holder.source}` : "none";
    const [a, b] = listings;
    if (a?.manifest && b?.manifest && !a.manifest.equals(b.manifest)) problems.push(`the ${MANIFEST_NAME} inside ${a.source} differs from the one inside ${b.source}`);
  }
  for (const l of listings) if (!l.files.has(MANIFEST_NAME)) problems.push(`missing: ${l.source} holds no ${MANIFEST_NAME} (the guest's setup.cmd needs it)`);
  if (!manifestBytes) {
    problems.push(`no manifest to verify against: the images hold no ${MANIFEST_NAME}; give one with --manifest`);
    return { problems, fileCount: 0, manifestSource };
  }
  const manifest = parseManifestFiles(manifestBytes, manifestSource);
  problems.push(...manifest.problems);
  for (const l of listings) problems.push(...compareWithManifest(manifest, l));
  const iso = listings.find((l) => l.kind === "iso");
  const zip = listings.find((l) => l.kind === "zip");
  if (iso && zip) problems.push(...compareImages(iso, zip));
  return { problems, fileCount: manifest.files.size, manifestSource };
}

async function readSideCar(file: string): Promise<Buffer> {
  try {
    return await readDocument("manifest", file, { flag: "--manifest" });
  } catch (err) {
    throw asPluginError(PLUGIN, err, file);
  }
}

/** The problems as one PluginError (one line each), or nothing when there are none. */
export function verifyError(report: VerifyReport): Error | undefined {
  if (report.problems.length === 0) return undefined;
  const n = report.problems.length;
  return userError(PLUGIN, `${n} problem${n === 1 ? "" : "s"} found:\n${report.problems.map((p) => `- ${p}`).join("\n")}`);
}

export interface VerifyMediaFilesOptions {
  /** File names to treat as the ISO, the zip and the manifest. Defaults: *.iso, *.zip, manifest.json. */
  isoName?: string;
  zipName?: string;
  manifestName?: string;
}

export function verifyMediaFiles(options: VerifyMediaFilesOptions = {}): Transform {
  const seen: { iso?: string; zip?: string; manifest?: string } = {};
  const is = (file: Vinyl, name: string | undefined, ext: string) => (name ? file.basename === name : path.extname(file.path).toLowerCase() === ext);
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (!file.isDirectory()) {
        if (is(file, options.isoName, ".iso")) seen.iso = file.path;
        else if (is(file, options.zipName, ".zip")) seen.zip = file.path;
        else if (file.basename === (options.manifestName ?? MANIFEST_NAME)) seen.manifest = file.path;
      }
      cb(null, file);
    },
    flush(cb) {
      verifyMedia(seen).then(
        (report) => cb(verifyError(report) ?? null),
        (err: unknown) => cb(asPluginError(PLUGIN, err)),
      );
    },
  });
}

export { compareImages, compareWithManifest, parseManifestFiles } from "./compare.js";
export { readIsoMedia, readMedia, readZipMedia, sniffMediaKind, type MediaFile, type MediaListing } from "./read.js";
