/**
 * Reading Windows INF files the way the Rust tool does (aero_packager-behaviors.md §4.5-§4.7):
 * decoding (decode.ts), the comment-stripped line model (lines.ts), the files an INF references
 * (references.ts), and here the AddService and hardware ID line matching. Pure functions, no I/O.
 *
 * The analysis is deliberately heuristic, like the original: no `%strkey%` expansion, no line
 * continuations, `;` starts a comment even inside quotes, and matches are not section-aware.
 */
import { asciiLower } from "../shared/paths.js";
import { infContentLines, keyValue, stripQuotes, trim } from "./lines.js";

// The parts, each in its own module; this one is where consumers import them from.
export { decodeInfText } from "./decode.js";
export { infContentLines, parseInf, type InfSection, type ParsedInf } from "./lines.js";
export { infReferencedFiles, missingInfReferences, normalizeInfToken, type InfReferences, type MissingReference } from "./references.js";

// ---------------------------------------------------------------------------------------------
// AddService and hardware IDs (§4.4 steps 5-6)

/** Service names of every `AddService = <name>, ...` line (any section; comments ignored). */
export function infAddServiceNames(text: string): string[] {
  const names: string[] = [];
  for (const line of infContentLines(text)) {
    const kv = keyValue(line);
    if (!kv || asciiLower(kv.key) !== "addservice") continue;
    const name = stripQuotes(trim(kv.value.split(",")[0]!));
    if (name) names.push(name);
  }
  return names;
}

/** True when some INF has an AddService line for `service` (ASCII case-insensitive). */
export function infsDeclareService(texts: Iterable<string>, service: string): boolean {
  const want = asciiLower(service);
  for (const text of texts) {
    if (infAddServiceNames(text).some((n) => asciiLower(n) === want)) return true;
  }
  return false;
}

/** Anything with an unanchored `test`: a compiled spec pattern (compileRustRegex) or a RegExp. */
export interface LineMatcher {
  test(line: string): boolean;
}

// Every spec pattern of a driver is matched against the same INFs: split each INF once. Small
// (a driver's INFs), so a build never keeps more than a few MiB of lines alive.
const linesCache = new Map<string, string[]>();
let linesCacheChars = 0;
const LINES_CACHE_CHARS = 16 * 1024 * 1024;

function cachedContentLines(text: string): string[] {
  let lines = linesCache.get(text);
  if (lines) return lines;
  lines = infContentLines(text);
  if (text.length <= LINES_CACHE_CHARS) {
    if (linesCacheChars + text.length > LINES_CACHE_CHARS || linesCache.size >= 64) {
      linesCache.clear();
      linesCacheChars = 0;
    }
    linesCache.set(text, lines);
    linesCacheChars += text.length;
  }
  return lines;
}

/** True when `pattern` matches some non-comment line of some INF (comment-only mentions never count). */
export function infsMatchPattern(texts: Iterable<string>, pattern: LineMatcher): boolean {
  for (const text of texts) {
    for (const line of cachedContentLines(text)) {
      if (pattern instanceof RegExp) pattern.lastIndex = 0;
      if (pattern.test(line)) return true;
    }
  }
  return false;
}

/** The `PCI\VEN_xxxx&DEV_yyyy` part of a hardware ID, or the whole ID when it has none. */
export function pciBaseHardwareId(hwid: string): string {
  const m = /PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}/i.exec(hwid);
  return m ? m[0] : hwid;
}
