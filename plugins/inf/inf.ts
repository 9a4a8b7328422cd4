/**
 * Reading Windows INF files the way the Rust tool does (aero_packager-behaviors.md §4.5-§4.7):
 * decoding (UTF-8, UTF-16 with or without BOM), the comment-stripped line model, the AddService
 * and hardware ID line matching, and the files an INF references. Pure functions, no I/O.
 *
 * The analysis is deliberately heuristic, like the original: no `%strkey%` expansion, no line
 * continuations, `;` starts a comment even inside quotes, and matches are not section-aware.
 */
import { asciiLower, compareCodePoints } from "../shared/paths.js";

// ---------------------------------------------------------------------------------------------
// Decoding (§4.5)

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const utf16le = new TextDecoder("utf-16le", { ignoreBOM: true });

function decodeUtf16(bytes: Uint8Array, bigEndian: boolean): string {
  // Whole code units only; a dangling odd byte is dropped.
  const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
  if (!bigEndian) return utf16le.decode(even);
  const swapped = Buffer.from(even);
  swapped.swap16();
  return utf16le.decode(swapped);
}

type Vote = "le" | "be" | null;

function voteWindow(bytes: Uint8Array, windowSize: number): Vote {
  let len = Math.min(windowSize, bytes.length);
  len -= len % 2;
  if (len < 4) return null;
  let nulEven = 0;
  let nulOdd = 0;
  for (let i = 0; i < len; i++) {
    if (bytes[i] === 0) {
      if (i % 2 === 0) nulEven++;
      else nulOdd++;
    }
  }
  const half = len / 2;
  const ratioEven = nulEven / half;
  const ratioOdd = nulOdd / half;
  if (ratioOdd >= 0.3 && ratioOdd - ratioEven >= 0.2) return "le";
  if (ratioEven >= 0.3 && ratioEven - ratioOdd >= 0.2) return "be";
  return null;
}

/** (replacement chars, NULs, non-ASCII chars, non-newline chars): smaller is a more plausible decode. */
function decodeScore(text: string): number[] {
  let replacement = 0;
  let nul = 0;
  let nonAscii = 0;
  let nonNewline = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfffd) replacement++;
    if (cp === 0) nul++;
    if (cp > 0x7f) nonAscii++;
    if (cp !== 0x0a) nonNewline++;
  }
  return [replacement, nul, nonAscii, nonNewline];
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  }
  return false;
}

/**
 * Decode INF bytes to text: UTF-16LE/BE after a BOM; BOM-less UTF-16 detected by the share of NUL
 * bytes at even/odd offsets in the first 128, 512 and 2048 bytes; otherwise UTF-8 (invalid bytes
 * become U+FFFD). Leading U+FEFF characters are removed.
 */
export function decodeInfText(bytes: Uint8Array): string {
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = decodeUtf16(bytes.subarray(2), false);
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = decodeUtf16(bytes.subarray(2), true);
  } else if (bytes.length >= 4 && bytes.length % 2 === 0) {
    let le = 0;
    let be = 0;
    for (const size of [128, 512, 2048]) {
      const vote = voteWindow(bytes, size);
      if (vote === "le") le++;
      else if (vote === "be") be++;
    }
    if (le === 0 && be === 0) text = utf8.decode(bytes);
    else if (le > be) text = decodeUtf16(bytes, false);
    else if (be > le) text = decodeUtf16(bytes, true);
    else {
      const asLe = decodeUtf16(bytes, false);
      const asBe = decodeUtf16(bytes, true);
      text = lexLess(decodeScore(asBe), decodeScore(asLe)) ? asBe : asLe;
    }
  } else {
    text = utf8.decode(bytes);
  }
  let start = 0;
  while (text.charCodeAt(start) === 0xfeff) start++;
  return text.slice(start);
}

// ---------------------------------------------------------------------------------------------
// Line model (§4.6)

/** Rust's str::trim (Unicode White_Space; unlike String.prototype.trim it keeps U+FEFF). */
function trim(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, "");
}

function splitLines(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** Cut a line at its first `;` (INF comment). */
function stripComment(line: string): string {
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
function keyValue(line: string): { key: string; value: string } | null {
  const eq = line.indexOf("=");
  if (eq < 0) return null;
  return { key: trim(line.slice(0, eq)), value: trim(line.slice(eq + 1)) };
}

/** Strip any number of leading/trailing `"` and `'`. */
function stripQuotes(s: string): string {
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

// ---------------------------------------------------------------------------------------------
// Referenced files (§4.7)

/** Normalise a file token: trim, drop quotes and leading `.\`, use `/`. */
export function normalizeInfToken(token: string): string {
  let t = stripQuotes(trim(token));
  while (t.startsWith(".\\") || t.startsWith("./")) t = t.slice(2);
  return trim(t.replace(/\\/g, "/"));
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

export interface InfReferences {
  /** Referenced file tokens (normalised, as written), in discovery order, possibly repeated. */
  files: string[];
  /** The INF mentions a KMDF coinstaller without naming a WdfCoInstaller*.dll: any one must be present. */
  needsAnyWdfCoInstaller: boolean;
}

/**
 * The files an INF expects beside it: CatalogFile*, SourceDisksFiles*, CopyFiles (direct and via
 * file-list sections), CopyINF, ServiceBinary (via AddService and any `ServiceBinary=` line) and
 * WdfCoInstaller*.dll. Tokens with `%` (string substitutions) are left out.
 */
export function infReferencedFiles(text: string): InfReferences {
  const { sections } = parseInf(text);
  const files: string[] = [];
  const add = (token: string) => {
    if (token && !token.includes("%")) files.push(token);
  };

  const version = sections.get("version");
  for (const line of version?.lines ?? []) {
    const kv = keyValue(line);
    if (!kv || !asciiLower(kv.key).startsWith("catalogfile")) continue;
    const cat = normalizeInfToken(kv.value.split(",")[0]!);
    if (asciiLower(cat).endsWith(".cat")) add(cat);
  }

  const serviceSections = new Set<string>();
  for (const [key, section] of sections) {
    if (key.startsWith("sourcedisksfiles")) {
      for (const line of section.lines) {
        const eq = line.indexOf("=");
        if (eq >= 0) add(normalizeInfToken(line.slice(0, eq)));
      }
    }
    for (const line of section.lines) {
      const kv = keyValue(line);
      if (!kv) continue;
      const k = asciiLower(kv.key);
      if (k === "copyfiles") {
        for (const raw of kv.value.split(",")) {
          const t = trim(raw);
          if (t.startsWith("@")) {
            add(normalizeInfToken(t.slice(1)));
            continue;
          }
          const tok = normalizeInfToken(t);
          if (!tok || tok.includes("%")) continue;
          const list = sections.get(asciiLower(tok));
          if (!list) {
            add(tok);
            continue;
          }
          for (const entry of list.lines) {
            const f = normalizeInfToken(entry.split(",")[0]!).replace(/^@/, "");
            if (f.includes(".") || f.includes("/")) add(f);
          }
        }
      } else if (k === "copyinf") {
        for (const raw of kv.value.split(",")) {
          const f = normalizeInfToken(raw).replace(/^@/, "");
          if (asciiLower(f).endsWith(".inf")) add(f);
        }
      } else if (k === "addservice") {
        const installSection = kv.value.split(",")[2];
        if (installSection !== undefined) serviceSections.add(asciiLower(stripQuotes(trim(installSection))));
      }
    }
  }
  for (const key of serviceSections) {
    for (const line of sections.get(key)?.lines ?? []) {
      const kv = keyValue(line);
      if (!kv || asciiLower(kv.key) !== "servicebinary") continue;
      const bin = trim(basename(normalizeInfToken(kv.value.split(",")[0]!)));
      if (asciiLower(bin).endsWith(".sys")) add(bin);
    }
  }

  // Line patterns over the whole text (not section-aware), as the original also applies them.
  const lines = splitLines(text).map(stripComment);
  for (const line of lines) {
    const m =
      /^\s*CatalogFile(?:\.[^=]+)?\s*=\s*([^\s;]+)/iu.exec(line) ?? /^\s*ServiceBinary\s*=\s*([^\s;]+)/iu.exec(line);
    if (!m) continue;
    // Only the first comma field names the file (`CatalogFile=a.cat,x` means a.cat; the Rust tool
    // required a file literally named "a.cat,x").
    add(basename(normalizeInfToken(m[1]!.split(",")[0]!)));
  }

  let needsAnyWdfCoInstaller = false;
  const stripped = lines.join("\n");
  if (/wdfcoinstaller/i.test(stripped)) {
    const named = stripped.match(/wdfcoinstaller[0-9a-z_]*\.dll/gi) ?? [];
    for (const dll of named) add(dll);
    needsAnyWdfCoInstaller = named.length === 0;
  }
  return { files, needsAnyWdfCoInstaller };
}

/** A referenced file that is not among the packaged files. */
export interface MissingReference {
  /** As first written in an INF (or `WdfCoInstaller*.dll`). */
  display: string;
  /** Driver-relative paths of the INFs referring to it, sorted. */
  referencedBy: string[];
}

/**
 * Check the references of every INF against the packaged files of one driver directory.
 * `infs` maps driver-relative INF path → text; `packagedFiles` are driver-relative paths.
 * A reference is satisfied by a packaged file of the same name anywhere in the driver directory
 * (names compared ignoring case), or by the exact relative path when it has folders.
 */
export function missingInfReferences(infs: Map<string, string>, packagedFiles: Iterable<string>): MissingReference[] {
  const paths = new Set<string>();
  const names = new Set<string>();
  for (const p of packagedFiles) {
    const lower = p.toLowerCase();
    paths.add(lower);
    names.add(basename(lower));
  }
  const misses = new Map<string, { display: string; by: Set<string> }>();
  const miss = (key: string, display: string, inf: string) => {
    let m = misses.get(key);
    if (!m) misses.set(key, (m = { display, by: new Set() }));
    m.by.add(inf);
  };
  for (const [infPath, text] of infs) {
    const refs = infReferencedFiles(text);
    for (const raw of refs.files) {
      const token = normalizeInfToken(raw);
      if (!token || token.includes("%")) continue;
      const key = token.toLowerCase();
      const ok = (key.includes("/") && paths.has(key)) || names.has(basename(key));
      if (!ok) miss(key, token, infPath);
    }
    if (refs.needsAnyWdfCoInstaller) {
      const any = [...names].some((n) => n.startsWith("wdfcoinstaller") && n.endsWith(".dll"));
      if (!any) miss("wdfcoinstaller*.dll", "WdfCoInstaller*.dll", infPath);
    }
  }
  return [...misses.keys()]
    .sort(compareCodePoints)
    .map((k) => ({ display: misses.get(k)!.display, referencedBy: [...misses.get(k)!.by].sort(compareCodePoints) }));
}
