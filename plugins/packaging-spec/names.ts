/**
 * Name helpers shared by the spec loader, the driver checks and the payload policy.
 */
import { asciiLower, asciiUpper } from "../shared/paths.js";

/**
 * Case-fold a name or path the way Windows compares file names, approximately: every code point
 * is replaced by its simple uppercase (`toUpperCase` when that is a single code point; `ß` stays
 * `ß`, as Windows does not expand it to `SS`). NTFS uses an upcase table built from the same
 * Unicode data, so `Ä.txt`/`ä.txt` and `ı`/`i`/`I` compare equal here as they do there.
 */
export function foldCase(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return asciiUpper(s);
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

/** The legacy spelling `aero-gpu` (any ASCII case) is the driver `aerogpu`. */
export function normalizeDriverName(name: string): string {
  return asciiLower(name) === "aero-gpu" ? "aerogpu" : name;
}

/** True for the driver whose input directory may also be called `aero-gpu`. */
export function hasAeroGpuAlias(specName: string): boolean {
  return asciiLower(specName) === "aerogpu";
}

/** Rust `Path::extension` of a file name, ASCII-lowercased: text after the last dot, unless that dot starts the name. */
export function fileExtension(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return asciiLower(name.slice(dot + 1));
}
