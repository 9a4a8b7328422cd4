/**
 * The INF line model of the Rust tool (aero_packager-behaviors.md §4.6): lines, `;` comments
 * stripped (even inside quotes), `key = value` pairs and sections. Deliberately heuristic, like
 * the original: no `%strkey%` expansion and no line continuations. Pure.
 */
import { asciiLower } from "../shared/paths.js";

/** Rust's str::trim (Unicode White_Space; unlike String.prototype.trim it keeps U+FEFF). */
export function trim(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, "");
}

export function splitLines(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** Cut a line at its first `;` (INF comment). */
export function stripComment(line: string): string {
  const i = line.indexOf(";");
  return i < 0 ? line : line.slice(0, i);
}

/** Every non-empty line with its comment removed and trimmed: what HWID patterns are matched against. */
export function infContentLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of splitLines(text)) {
    const line = trim(stripComment(trim(raw)));
    if (line) lines.push(line);
  }
  return lines;
}

/** Split `key = value` at the first `=`; both sides trimmed. */
export function keyValue(line: string): { key: string; value: string } | null {
  const eq = line.indexOf("=");
  if (eq < 0) return null;
  return { key: trim(line.slice(0, eq)), value: trim(line.slice(eq + 1)) };
}

/** Strip any number of leading/trailing `"` and `'`. */
export function stripQuotes(s: string): string {
  return s.replace(/^["']+|["']+$/g, "");
}

export interface InfSection {
  /** Name as written (inner text of `[...]`, trimmed). */
  name: string;
  /** Content lines (comment-stripped, trimmed, non-empty), in order; repeated sections append. */
  lines: string[];
}

export interface ParsedInf {
  /** Sections keyed by ASCII-lowercased name, in first-appearance order. */
  sections: Map<string, InfSection>;
}

/** Parse INF text into sections. Lines before the first section header are ignored; `[]` ends the current section. */
export function parseInf(text: string): ParsedInf {
  const sections = new Map<string, InfSection>();
  let current: InfSection | null = null;
  for (const line of infContentLines(text)) {
    if (line.startsWith("[") && line.endsWith("]") && line.length >= 2) {
      const name = trim(line.slice(1, -1));
      if (!name) {
        current = null;
        continue;
      }
      const key = asciiLower(name);
      current = sections.get(key) ?? null;
      if (!current) sections.set(key, (current = { name, lines: [] }));
      continue;
    }
    current?.lines.push(line);
  }
  return { sections };
}
