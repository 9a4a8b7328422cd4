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
 * (64 UTF-16 units, BMP only, none of the characters Joliet reserves) by `jolietNameProblem`,
 * and whole paths by `checkMediaPaths`, the one check both the writer and validate run.
 */
import { createHash } from "node:crypto";
import { asciiUpper, compareCodePoints } from "../shared/paths.js";

/** Longest ISO9660 identifier we record (level 2 directory identifier; file identifier in all). */
export const ISO_ID_MAX = 31;
/** Joliet names: 64 UCS-2 characters (128 bytes), per the Joliet specification. */
export const JOLIET_NAME_MAX = 64;
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
// Joliet

/** Characters Joliet reserves (control characters and * / : ; ? \). */
const JOLIET_FORBIDDEN = /[\u0000-\u001f*/:;?\\]/;
/** A name with none of the problems below: 1-64 units, no reserved character, no surrogate. */
const JOLIET_SAFE = /^[^\u0000-\u001f*/:;?\\\ud800-\udfff]{1,64}$/;

/**
 * Why a name cannot be a Joliet identifier, or undefined when it can. The message names the
 * rule and its limit; callers add the path.
 */
export function jolietNameProblem(name: string): string | undefined {
  if (JOLIET_SAFE.test(name)) return undefined; // the common case, in one linear scan
  if (name.length > JOLIET_NAME_MAX) {
    return `the name is ${name.length} UTF-16 code units long; Joliet allows at most ${JOLIET_NAME_MAX} (max=${JOLIET_NAME_MAX} code units)`;
  }
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const cp = name.codePointAt(i)!;
      const isPair = cp > 0xffff;
      const shown = isPair ? `'${String.fromCodePoint(cp)}' ` : "";
      return isPair
        ? `character ${shown}(U+${cp.toString(16).toUpperCase()}) is outside the Basic Multilingual Plane; Joliet UCS-2 can only encode U+0000..U+FFFF`
        : `the name contains an unpaired surrogate (U+${unit.toString(16).toUpperCase()}), which is not valid Unicode`;
    }
  }
  const bad = JOLIET_FORBIDDEN.exec(name);
  if (bad) {
    const cp = bad[0].charCodeAt(0);
    const shown = cp < 0x20 ? `control character U+${cp.toString(16).toUpperCase().padStart(4, "0")}` : `'${bad[0]}'`;
    return `the name contains ${shown}, which Joliet does not allow in names (control characters and * / : ; ? \\)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Every limit the media puts on its paths, as one pure check

/** Longest package path (UTF-16 units, "/" separators included): ISO9660's path limit, kept by Joliet. */
export const MAX_PATH_UNITS = 240;
/** Path table parent numbers are 16-bit. */
export const MAX_DIRECTORIES = 0xffff;

export interface MediaPathProblem {
  /** The package path (or directory) the problem is about; "" for the whole set. */
  path: string;
  rule: "invalid-package-path" | "duplicate-path" | "path-too-long" | "joliet-name" | "file-folder-conflict" | "too-many-directories";
  message: string;
}

/** The rule ids of the media path limits, which validateSpec reports (the writer throws them). */
export type MediaPathRule = MediaPathProblem["rule"];

/** An empty, "." or ".." component (a leading or doubled "/" makes an empty one). */
const BAD_COMPONENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * Why these package paths (the files of one medium) cannot be written, in path order: not a
 * relative path, given twice, longer than 240 UTF-16 units, a component Joliet cannot hold
 * (`jolietNameProblem`; each directory once), a file where another path needs a directory, more
 * directories than a path table can number. The ISO writer refuses exactly these before any
 * output (`planLayout`), and validateSpec reports them with the other problems, so `validate`
 * and the build cannot disagree. The zip holds anything that passes this.
 */
export function checkMediaPaths(paths: Iterable<string>): MediaPathProblem[] {
  const problems: MediaPathProblem[] = [];
  const list = [...paths];
  const files = new Set(list);
  const seen = new Set<string>();
  const dirs = new Set<string>();
  // No sort of the whole list (the writer sorts once, later), and each folder is looked at once:
  // walking up from a file stops at the first folder already seen.
  for (const path of list) {
    if (seen.has(path)) {
      problems.push({ path, rule: "duplicate-path", message: "the same path is given twice" });
      continue;
    }
    seen.add(path);
    if (BAD_COMPONENT.test(path)) {
      problems.push({ path, rule: "invalid-package-path", message: 'not a relative package path (empty, "." or ".." component, or a leading "/")' });
      continue;
    }
    if (path.length > MAX_PATH_UNITS) {
      problems.push({
        path,
        rule: "path-too-long",
        message: `the path is ${path.length} UTF-16 code units long; Joliet paths may be at most ${MAX_PATH_UNITS} (max=${MAX_PATH_UNITS} code units)`,
      });
    }
    let end = path.lastIndexOf("/");
    const fileProblem = jolietNameProblem(path.slice(end + 1));
    if (fileProblem) problems.push({ path, rule: "joliet-name", message: `invalid Joliet file name: ${fileProblem}` });
    while (end > 0) {
      const dir = path.slice(0, end);
      if (dirs.has(dir)) break;
      dirs.add(dir);
      if (files.has(dir)) {
        problems.push({ path: dir, rule: "file-folder-conflict", message: `is a file but "${path}" needs it to be a directory` });
      }
      end = dir.lastIndexOf("/");
      const dirProblem = jolietNameProblem(dir.slice(end + 1));
      if (dirProblem) problems.push({ path: dir, rule: "joliet-name", message: `invalid Joliet directory name: ${dirProblem}` });
    }
  }
  problems.sort((a, b) => compareCodePoints(a.path, b.path)); // stable: one path's problems keep their order
  if (dirs.size + 1 > MAX_DIRECTORIES) {
    problems.push({
      path: "",
      rule: "too-many-directories",
      message: `${dirs.size + 1} directories; an ISO9660 path table can number at most ${MAX_DIRECTORIES}`,
    });
  }
  return problems;
}

/** UCS-2 big-endian bytes of a name that passed `jolietNameProblem`. */
export function encodeUcs2(text: string): Buffer {
  const buf = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buf.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buf;
}

/** Decode UCS-2BE (UTF-16BE) bytes; an odd trailing byte is ignored. */
export function decodeUcs2(bytes: Buffer): string {
  const even = bytes.length & ~1;
  const swapped = Buffer.from(bytes.subarray(0, even));
  swapped.swap16();
  return swapped.toString("utf16le");
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
