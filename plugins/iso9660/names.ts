/**
 * Identifiers of both trees and the order ECMA-119 keeps them in.
 *
 * ISO9660 tree (interchange level 2): d-characters only (A-Z 0-9 _), directories at most 31
 * characters, files "NAME.EXT;1" with exactly one "." and at most 31 characters in all (so name
 * + extension <= 28, inside level 2's 30). A name that is too long or that collides with a
 * sibling gets a suffix "_" + 8 hex digits of SHA-256(full package path); the suffixed name is
 * re-checked and re-hashed until it is unique in its directory.
 *
 * Joliet tree: the original names, UCS-2 big-endian, no ";1". Names are validated first
 * (64 UTF-16 units, BMP only, none of the characters Joliet reserves) by `jolietNameProblem`
 * (joliet.ts), and whole paths by `checkMediaPaths` (media-paths.ts), the one check both the
 * writer and validate run; both are re-exported here, their old home.
 */
import { createHash } from "node:crypto";
import { asciiUpper, compareCodePoints } from "../shared/paths.js";

export { decodeUcs2, encodeUcs2, JOLIET_NAME_MAX, jolietNameProblem } from "./joliet.js";
export { checkMediaPaths, MAX_DIRECTORIES, MAX_PATH_UNITS, type MediaPathProblem, type MediaPathRule } from "./media-paths.js";

/** Longest ISO9660 identifier we record (level 2 directory identifier; file identifier in all). */
export const ISO_ID_MAX = 31;
/** The extension a suffixed file identifier keeps, so the name part keeps >= 11 characters. */
const SUFFIXED_EXT_MAX = 8;
const SUFFIX_LENGTH = 9; // "_" + 8 hex digits

/** Map every character to a d-character: ASCII uppercase, A-Z 0-9 _ kept, anything else "_". */
export function toDCharacters(text: string): string {
  let out = "";
  for (const ch of asciiUpper(text)) out += /^[A-Z0-9_]$/.test(ch) ? ch : "_";
  return out;
}

/** The identifier a directory gets when it fits (31 characters) and collides with no sibling. */
export function isoDirectoryCandidate(name: string): string {
  return toDCharacters(name);
}

/** Name and extension of a file: split at the last ".", each part mapped to d-characters. */
export function isoFileParts(name: string): { base: string; ext: string } {
  const dot = name.lastIndexOf(".");
  const base = toDCharacters(dot < 0 ? name : name.slice(0, dot));
  const ext = dot < 0 ? "" : toDCharacters(name.slice(dot + 1));
  // ECMA-119 7.5.1: the name and the extension may not both be empty.
  return base === "" && ext === "" ? { base: "_", ext } : { base, ext };
}

export function isoFileIdentifier(base: string, ext: string): string {
  return `${base}.${ext};1`;
}

/** 8 uppercase hex digits of SHA-256 over the path; attempt > 0 re-hashes to resolve a clash. */
export function pathHashSuffix(fullPath: string, attempt = 0): string {
  const input = attempt === 0 ? fullPath : `${fullPath}\u0000${attempt}`;
  return "_" + createHash("sha256").update(input, "utf8").digest("hex").slice(0, 8).toUpperCase();
}

function suffixedIdentifier(name: string, isDirectory: boolean, suffix: string): string {
  if (isDirectory) return isoDirectoryCandidate(name).slice(0, ISO_ID_MAX - SUFFIX_LENGTH) + suffix;
  const { base, ext } = isoFileParts(name);
  const keptExt = ext.slice(0, SUFFIXED_EXT_MAX);
  const keptBase = base.slice(0, ISO_ID_MAX - SUFFIX_LENGTH - keptExt.length - 3);
  return isoFileIdentifier(keptBase + suffix, keptExt);
}

export interface IsoNameRequest {
  /** The original name (one path component). */
  name: string;
  /** The full package path, hashed for the suffix. */
  path: string;
  isDirectory: boolean;
}

/**
 * ISO9660 identifiers for the children of one directory, in the order given. The result does
 * not depend on that order: candidates are resolved in code-point order of the original names,
 * every fitting, first-come candidate keeps its plain identifier, and only then are the others
 * suffixed (so a suffix can never take a name a later sibling needs plainly).
 */
export function assignIsoIdentifiers(children: IsoNameRequest[]): string[] {
  const order = children.map((_, i) => i).sort((a, b) => compareCodePoints(children[a]!.name, children[b]!.name));
  const result: string[] = new Array(children.length);
  const used = new Set<string>();
  const pending: number[] = [];
  for (const i of order) {
    const child = children[i]!;
    const parts = child.isDirectory ? undefined : isoFileParts(child.name);
    const candidate = parts ? isoFileIdentifier(parts.base, parts.ext) : isoDirectoryCandidate(child.name);
    if (candidate.length <= ISO_ID_MAX && !used.has(candidate)) {
      used.add(candidate);
      result[i] = candidate;
    } else {
      pending.push(i);
    }
  }
  for (const i of pending) {
    const child = children[i]!;
    for (let attempt = 0; ; attempt++) {
      const id = suffixedIdentifier(child.name, child.isDirectory, pathHashSuffix(child.path, attempt));
      if (!used.has(id)) {
        used.add(id);
        result[i] = id;
        break;
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Ordering (ECMA-119 9.3 for directory records, 6.9.1 for path tables)

/** Split an ISO9660 identifier into name, extension and version ("DIR" → name only). */
function splitIsoIdentifier(id: string): { name: string; ext: string; version: number } {
  const semi = id.indexOf(";");
  const body = semi < 0 ? id : id.slice(0, semi);
  const version = semi < 0 ? 0 : Number.parseInt(id.slice(semi + 1), 10) || 0;
  const dot = body.indexOf(".");
  return dot < 0 ? { name: body, ext: "", version } : { name: body.slice(0, dot), ext: body.slice(dot + 1), version };
}

/** Compare two sequences as if the shorter were padded with `pad` (ECMA-119 9.3 a/b). */
function comparePadded(a: ArrayLike<number>, b: ArrayLike<number>, pad: number): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? a[i]! : pad;
    const y = i < b.length ? b[i]! : pad;
    if (x !== y) return x - y;
  }
  return 0;
}

function codeUnits(text: string): number[] {
  const out = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * ECMA-119 9.3: by file name (space-padded), then extension (space-padded), then version
 * number descending. Directory identifiers are names without extension.
 */
export function compareIsoIdentifiers(a: string, b: string): number {
  const x = splitIsoIdentifier(a);
  const y = splitIsoIdentifier(b);
  return (
    comparePadded(codeUnits(x.name), codeUnits(y.name), 0x20) ||
    comparePadded(codeUnits(x.ext), codeUnits(y.ext), 0x20) ||
    y.version - x.version ||
    (a < b ? -1 : a > b ? 1 : 0)
  );
}

/**
 * The same rule over UCS-2 code units (the Joliet specification keeps ECMA-119's ordering with
 * 16-bit characters). A Joliet name may hold several dots; the last one separates the
 * extension, as Windows reads it. Names that differ only by trailing spaces compare equal under
 * padding; plain code-unit order breaks that tie so the order stays total.
 */
export function compareJolietNames(a: string, b: string): number {
  const split = (s: string) => {
    const dot = s.lastIndexOf(".");
    return dot < 0 ? { name: s, ext: "" } : { name: s.slice(0, dot), ext: s.slice(dot + 1) };
  };
  const x = split(a);
  const y = split(b);
  return (
    comparePadded(codeUnits(x.name), codeUnits(y.name), 0x20) ||
    comparePadded(codeUnits(x.ext), codeUnits(y.ext), 0x20) ||
    (a < b ? -1 : a > b ? 1 : 0)
  );
}

// ---------------------------------------------------------------------------------------------
// Volume identifier

export const DEFAULT_VOLUME_ID = "AERO_GUEST_TOOLS";
export const VOLUME_ID_MAX = 32;

/**
 * The PVD volume identifier: ASCII-uppercased, A-Z 0-9 _ and space kept, every other character
 * "_", at most 32 characters; empty → AERO_GUEST_TOOLS. The Joliet SVD records the first 16 of
 * these characters in UCS-2 (its field holds 32 bytes).
 */
export function normalizeVolumeId(volumeId: string | undefined): string {
  let out = "";
  for (const ch of asciiUpper(volumeId ?? "")) out += /^[A-Z0-9_ ]$/.test(ch) ? ch : "_";
  out = out.slice(0, VOLUME_ID_MAX);
  return out === "" ? DEFAULT_VOLUME_ID : out;
}
