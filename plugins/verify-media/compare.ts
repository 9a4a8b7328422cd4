/**
 * Pure checks of finished media against a manifest: what `gulp verify` reports. Every problem is
 * one line; the caller decides how to show them.
 */
import { readJson } from "../shared/json/index.js";
import { compareCodePoints } from "../shared/paths.js";
import { DEFAULT_MANIFEST_NAME } from "../manifest/document.js";
import type { MediaFile, MediaListing } from "./read.js";

// The name verify looks for in an image (the manifest plugin's default).
export const MANIFEST_NAME = DEFAULT_MANIFEST_NAME;

export interface ManifestFiles {
  /** Every listed file by path. */
  files: Map<string, { size: number; sha256: string }>;
  /** Problems with the manifest itself (bad JSON, bad entries). */
  problems: string[];
  /** The parsed document, for callers that show package fields. */
  document: Record<string, unknown> | undefined;
}

/** The `files` of a manifest.json, with every malformed or unsafe entry reported. */
export function parseManifestFiles(bytes: Buffer, label: string): ManifestFiles {
  const files = new Map<string, { size: number; sha256: string }>();
  const problems: string[] = [];
  let document: unknown;
  try {
    document = readJson(bytes);
  } catch (err) {
    return { files, problems: [`${label} is not valid JSON: ${(err as Error).message}`], document: undefined };
  }
  if (!isObject(document) || !Array.isArray(document.files)) {
    return { files, problems: [`${label} has no "files" list`], document: isObject(document) ? document : undefined };
  }
  document.files.forEach((entry: unknown, i: number) => {
    const where = `${label} files[${i}]`;
    if (!isObject(entry) || typeof entry.path !== "string" || typeof entry.sha256 !== "string" || typeof entry.size !== "number") {
      problems.push(`${where} needs a string path, a string sha256 and a number size`);
      return;
    }
    const p = entry.path;
    if (p === "" || p.startsWith("/") || p.includes("\\") || /^[A-Za-z]:/.test(p) || p.split("/").some((s) => s === ".." || s === "." || s === "")) {
      problems.push(`${where}: unsafe path "${p}" (absolute, empty or with . or .. parts)`);
      return;
    }
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) problems.push(`${where}: "${p}" has a malformed sha256 "${entry.sha256}"`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) problems.push(`${where}: "${p}" has a bad size ${entry.size}`);
    if (files.has(p)) problems.push(`${where}: "${p}" is listed twice`);
    files.set(p, { size: entry.size, sha256: entry.sha256 });
  });
  return { files, problems, document };
}

/** Files of an image against the manifest: missing, extra (manifest.json exempt), size and hash. */
export function compareWithManifest(manifest: ManifestFiles, media: MediaListing): string[] {
  const problems: string[] = [];
  const where = `the ${media.kind === "iso" ? "ISO" : "zip"} ${media.source}`;
  for (const [p, want] of manifest.files) {
    const got = media.files.get(p);
    if (!got) {
      problems.push(`missing: ${p} is in the manifest but not in ${where}`);
      continue;
    }
    if (got.size !== want.size) problems.push(`size mismatch: ${p} is ${got.size} bytes in ${where}, ${want.size} in the manifest`);
    else if (got.sha256 !== undefined && got.sha256 !== want.sha256) {
      problems.push(`hash mismatch: ${p} in ${where} has SHA-256 ${got.sha256}, the manifest says ${want.sha256}`);
    }
  }
  for (const p of media.files.keys()) {
    if (p !== MANIFEST_NAME && !manifest.files.has(p)) problems.push(`extra: ${p} is in ${where} but not in the manifest`);
  }
  return problems;
}

/** An ISO and a zip that must hold the same tree, byte for byte. */
export function compareImages(iso: MediaListing, zip: MediaListing): string[] {
  const problems: string[] = [];
  const paths = [...new Set([...iso.files.keys(), ...zip.files.keys()])].sort(compareCodePoints);
  for (const p of paths) {
    const a = iso.files.get(p);
    const b = zip.files.get(p);
    if (!a) problems.push(`ISO and zip differ: ${p} is in the zip but not in the ISO`);
    else if (!b) problems.push(`ISO and zip differ: ${p} is in the ISO but not in the zip`);
    else if (!sameBytes(a, b)) problems.push(`ISO and zip differ: ${p} is ${describe(a)} in the ISO, ${describe(b)} in the zip`);
  }
  return problems;
}

const sameBytes = (a: MediaFile, b: MediaFile) => a.size === b.size && (a.sha256 === undefined || b.sha256 === undefined || a.sha256 === b.sha256);
const describe = (f: MediaFile) => `${f.size} bytes${f.sha256 ? ` (SHA-256 ${f.sha256.slice(0, 12)}…)` : ""}`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
