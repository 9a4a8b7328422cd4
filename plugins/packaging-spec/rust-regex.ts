/**
 * Patterns in a packaging spec (`expected_hardware_ids`, `allow_path_regexes`) are written for the
 * Rust `regex` crate. JavaScript's syntax is close but not the same: Rust allows escapes such as
 * `\&`, `\-`, `\~`, `\#` (and `rustRegexEscape` produces them) that a `u`-mode RegExp rejects, and
 * Rust's `\d`, `\w`, `\s`, `\b` and `.` mean something else than in JavaScript.
 *
 * The Translator (rust-regex-translate.ts, over the atoms of rust-regex-reader.ts and the tables
 * of rust-regex-syntax.ts) parses the Rust syntax once and writes two equivalent patterns: a
 * JavaScript one (`translateRustRegex`, always `u` mode) and an RE2 one, which `compileRustRegex`
 * matches with re2js. Matching must not backtrack: the regex crate never does, and a JavaScript
 * RegExp such as `^(a+)+$` takes minutes on a 40-character INF line. Constructs that cannot be
 * expressed faithfully are refused with an error that names the pattern, as are those Rust itself
 * refuses (look-around, backreferences). Supported flags: `i` (only where it does not change case
 * sensitivity mid-pattern: JavaScript has no scoped case flag on Node 20), `m` and `s` (anywhere).
 */
import { re2, RustRegexError } from "./rust-regex-syntax.js";
import { Translator } from "./rust-regex-translate.js";

export { MAX_PATTERN_LENGTH, MAX_PATTERN_NESTING, RustRegexError } from "./rust-regex-syntax.js";

export interface RustRegexOptions {
  /** Match case-insensitively, as the Rust tool compiles spec patterns (`RegexBuilder::case_insensitive`). */
  caseInsensitive?: boolean;
}

/** Characters `regex::escape` escapes (the crate's meta characters). */
const RUST_META = new Set("\\.+*?()|[]{}^$#&-~");

/** Rust's `regex::escape`: a backslash before every meta character. */
export function rustRegexEscape(text: string): string {
  let out = "";
  for (const c of text) out += RUST_META.has(c) ? `\\${c}` : c;
  return out;
}

/** A compiled spec pattern: linear-time, unanchored matching (Rust's `Regex::is_match`). */
export class RustRegex {
  readonly pattern: string;
  readonly caseInsensitive: boolean;
  readonly #re: { test(text: string): boolean };

  constructor(pattern: string, caseInsensitive: boolean, re: { test(text: string): boolean }) {
    this.pattern = pattern;
    this.caseInsensitive = caseInsensitive;
    this.#re = re;
  }

  /** True when the pattern matches somewhere in `text`. */
  test(text: string): boolean {
    return this.#re.test(text);
  }
}

// Spec patterns are few and matched against every INF line and file name: compile each once.
// Bounded so that a long-running `gulp watch` over many edited specs cannot grow without end.
const compiled = new Map<string, RustRegex>();
const MAX_COMPILED = 1024;

/** Compile a Rust regex for linear-time matching (cached per pattern and options), or throw a RustRegexError. */
export function compileRustRegex(pattern: string, options: RustRegexOptions = {}): RustRegex {
  const caseInsensitive = options.caseInsensitive ?? false;
  const key = `${caseInsensitive ? "i" : "-"}${pattern}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const t = new Translator(pattern, caseInsensitive).run();
  let js: RegExp;
  try {
    js = new RegExp(t.source, t.flags); // the JavaScript translation must be valid too: one accepted syntax
  } catch (err) {
    throw new RustRegexError(pattern, `JavaScript cannot compile its translation (${(err as Error).message})`);
  }
  // A pattern with no repetition and no alternation (every hardware ID of the real specs) has no
  // choice point, so a backtracking engine cannot backtrack on it: V8 runs it in O(line x pattern)
  // steps, and its literal search is ten times faster than re2js on case-insensitive text.
  // Everything else goes to re2js, which never backtracks (the property test keeps both agreeing).
  let re: { test(text: string): boolean } = js;
  if (t.choices) {
    try {
      const RE2JS = re2();
      re = RE2JS.compile(t.re2, (t.flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) | (t.lookbehinds ? RE2JS.LOOKBEHINDS : 0));
    } catch (err) {
      throw new RustRegexError(pattern, `the linear-time matcher cannot compile it (${(err as Error).message})`);
    }
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  const result = new RustRegex(pattern, caseInsensitive, re);
  compiled.set(key, result);
  return result;
}

/** The JavaScript source and flags equivalent to a Rust pattern. */
export function translateRustRegex(pattern: string, options: RustRegexOptions = {}): { source: string; flags: string } {
  const { source, flags } = new Translator(pattern, options.caseInsensitive ?? false).run();
  return { source, flags };
}

