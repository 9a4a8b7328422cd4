/**
 * Patterns in a packaging spec (`expected_hardware_ids`, `allow_path_regexes`) are written for the
 * Rust `regex` crate. JavaScript's syntax is close but not the same: Rust allows escapes such as
 * `\&`, `\-`, `\~`, `\#` (and `rustRegexEscape` produces them) that a `u`-mode RegExp rejects, and
 * Rust's `\d`, `\w`, `\s`, `\b` and `.` mean something else than in JavaScript.
 *
 * The Translator parses the Rust syntax once and writes two equivalent patterns: a JavaScript one
 * (`translateRustRegex`, always `u` mode) and an RE2 one, which `compileRustRegex` matches with
 * re2js. Matching must not backtrack: the regex crate never does, and a JavaScript RegExp such as
 * `^(a+)+$` takes minutes on a 40-character INF line. Constructs that cannot be expressed
 * faithfully are refused with an error that names the pattern, as are those Rust itself refuses
 * (look-around, backreferences). Supported flags: `i` (only where it does not change case
 * sensitivity mid-pattern: JavaScript has no scoped case flag on Node 20), `m` and `s` (anywhere).
 */
import { createRequire } from "node:module";
import type { RE2JS as RE2JSClass } from "re2js";

// Loaded on first need: a spec of literal hardware IDs never needs it (see compileRustRegex), and
// loading it and building its tables costs about 100 ms, a tenth of a whole `gulp validate`.
let re2jsModule: typeof import("re2js") | undefined;
function re2(): typeof RE2JSClass {
  re2jsModule ??= createRequire(import.meta.url)("re2js") as typeof import("re2js");
  return re2jsModule.RE2JS;
}

/**
 * Longest pattern accepted, in characters (code points). Real hardware-ID and path patterns are
 * under 100; the cap keeps a hostile spec from costing seconds and gigabytes to compile.
 */
export const MAX_PATTERN_LENGTH = 4096;
/** Deepest group nesting accepted: the regex crate's default `nest_limit`. */
export const MAX_PATTERN_NESTING = 250;

/** A pattern that is not valid Rust regex syntax or that cannot be translated faithfully. */
export class RustRegexError extends Error {
  readonly pattern: string;
  readonly reason: string;
  constructor(pattern: string, reason: string) {
    super(`invalid regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = "RustRegexError";
    this.pattern = pattern;
    this.reason = reason;
  }
}

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

// Unicode-aware Perl classes, as the regex crate defines them (UTS#18 Annex C).
const WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";
// The same for RE2, which has no Join_Control (U+200C, U+200D) and only ASCII \w and \b.
const RE2_WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";
const RE2_AFTER_WORD = `(?<=[${RE2_WORD}])`;
const RE2_NOT_AFTER_WORD = `(?<![${RE2_WORD}])`;
const DIGIT = "\\p{Nd}";
const SPACE = "\\p{White_Space}";
const AT_WORD = `(?=[${WORD}])`;
const NOT_AT_WORD = `(?![${WORD}])`;
const AFTER_WORD = `(?<=[${WORD}])`;
const NOT_AFTER_WORD = `(?<![${WORD}])`;

const ASCII_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\u{0}-\\u{7F}",
  blank: "\\t ",
  cntrl: "\\u{0}-\\u{1F}\\u{7F}",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\u{B}\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/**
 * A word-boundary assertion as the cases it accepts: [previous character is a word character,
 * next one is]; `undefined` means either. The text's edges count as non-word.
 */
type Boundary = readonly (readonly [boolean | undefined, boolean | undefined])[];

type Piece =
  | { kind: "char"; cp: number } // one literal code point
  // a class; inClass = its content inside [...] if it can be inlined (JavaScript, then RE2)
  | { kind: "set"; js: string; inClass: string | null; re2: string; re2InClass: string | null }
  | { kind: "assertion"; js: string; re2: string; nextIsNotWord?: boolean }
  | { kind: "boundary"; js: string; cases: Boundary };

/** What a translation yields: the JavaScript pattern and the RE2 one. */
interface Translation {
  source: string;
  flags: string;
  re2: string;
  /** The RE2 pattern uses look-behind (re2js's linear-time LOOKBEHINDS mode). */
  lookbehinds: boolean;
  /** The pattern has a repetition or an alternation: a backtracking engine could backtrack on it. */
  choices: boolean;
}

/** The JavaScript source and flags equivalent to a Rust pattern. */
export function translateRustRegex(pattern: string, options: RustRegexOptions = {}): { source: string; flags: string } {
  const { source, flags } = new Translator(pattern, options.caseInsensitive ?? false).run();
  return { source, flags };
}

/**
 * RE2 has no look-ahead, so a Unicode word boundary cannot be written as one assertion: its
 * "next character" half is checked by the character that follows, with a look-behind once that
 * character is consumed. A boundary therefore waits for the next atom (or the end of the
 * pattern) and is written together with it.
 */
interface PendingBoundary {
  cases: Boundary;
}

class Translator {
  private readonly chars: string[];
  private pos = 0;
  private readonly out: string[] = [];
  private readonly re2: string[] = [];
  private readonly stack: Flags[] = [];
  private flags: Flags;
  private readonly caseInsensitive: boolean;
  /** Whether the previous item can take a quantifier. */
  private quantifiable = false;
  /** True while nothing but flag groups has been read at the top level. */
  private atStart = true;
  private lookbehinds = false;
  private choices = false;
  private pending: PendingBoundary | undefined;
  /** The last atom was written with a boundary before it: its RE2 source alone, for a quantifier. */
  private boundAtom: string | undefined;

  constructor(
    private readonly pattern: string,
    caseInsensitive: boolean,
  ) {
    // Checked before splitting, so a 50 MB pattern costs nothing; the message shows its start only.
    if (pattern.length > MAX_PATTERN_LENGTH && [...pattern.slice(0, 2 * MAX_PATTERN_LENGTH + 2)].length > MAX_PATTERN_LENGTH) {
      throw new RustRegexError(`${pattern.slice(0, 40)}…`, `the pattern is longer than ${MAX_PATTERN_LENGTH} characters, the limit for a spec pattern`);
    }
    this.chars = [...pattern];
    this.caseInsensitive = caseInsensitive;
    this.flags = { i: caseInsensitive, m: false, s: false };
  }

  private fail(reason: string): never {
    throw new RustRegexError(this.pattern, `${reason} (at character ${this.pos + 1})`);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  run(): Translation {
    let globalCase = this.caseInsensitive;
    while (this.pos < this.chars.length) {
      const c = this.chars[this.pos]!;
      const startedAtStart = this.atStart;
      this.atStart = false;
      switch (c) {
        case "\\": {
          this.pos++;
          this.emitPiece(this.escape(false));
          break;
        }
        case ".":
          this.pos++;
          this.emitAtom(this.flags.s ? "[\\s\\S]" : "[^\\n]", this.flags.s ? "(?s:.)" : "[^\\x{A}]");
          break;
        case "^":
          this.pos++;
          this.emitAssertion({ kind: "assertion", js: this.flags.m ? "(?<![^\\n])" : "^", re2: this.flags.m ? "(?m:^)" : "\\A" });
          break;
        case "$":
          this.pos++;
          this.emitAssertion({ kind: "assertion", js: this.flags.m ? "(?![^\\n])" : "$", re2: this.flags.m ? "(?m:$)" : "\\z", nextIsNotWord: true });
          break;
        case "[": {
          const cls = this.charClass();
          this.emitAtom(cls.js, cls.re2);
          break;
        }
        case "(": {
          this.notPending("a group");
          const result = this.group(startedAtStart);
          if (result.flagsOnly) this.atStart = startedAtStart;
          if (result.changedCase !== undefined) globalCase = result.changedCase;
          break;
        }
        case ")":
          if (this.stack.length === 0) this.fail("unopened group: ')' without '('");
          this.notPending("the end of a group");
          this.flags = this.stack.pop()!;
          this.pos++;
          this.out.push(")");
          this.re2.push(")");
          this.quantifiable = true;
          this.boundAtom = undefined;
          break;
        case "|":
          if (this.stack.length === 0) this.endPending();
          else this.notPending("'|' inside a group");
          this.pos++;
          this.choices = true;
          this.out.push("|");
          this.re2.push("|");
          this.quantifiable = false;
          break;
        case "*":
        case "+":
        case "?":
          this.pos++;
          this.quantifier(c);
          break;
        case "{":
          this.countedRepetition();
          break;
        default:
          this.pos++;
          this.emitPiece({ kind: "char", cp: c.codePointAt(0)! });
      }
    }
    if (this.stack.length > 0) this.fail("unclosed group: missing ')'");
    this.endPending();
    return { source: this.out.join(""), flags: globalCase ? "iu" : "u", re2: this.re2.join(""), lookbehinds: this.lookbehinds, choices: this.choices };
  }

  private emitAtom(js: string, re2: string): void {
    this.out.push(js);
    this.boundAtom = undefined;
    if (this.pending) {
      // (?:prev-check atom next-check | ...): the next-check looks back at the atom just consumed.
      const alternatives = this.pending.cases.map(([prev, next]) => `${prevCheck(prev)}${re2}${prevCheck(next)}`);
      this.re2.push(`(?:${alternatives.join("|")})`);
      this.boundAtom = re2;
      this.pending = undefined;
    } else {
      this.re2.push(re2);
    }
    this.quantifiable = true;
  }

  private emitAssertion(piece: Extract<Piece, { kind: "assertion" | "boundary" }>): void {
    this.out.push(piece.js);
    this.boundAtom = undefined;
    if (piece.kind === "boundary") {
      this.notPending("another word boundary");
      this.lookbehinds = true;
      // A boundary that does not care about the next character is a plain look-behind.
      if (piece.cases.every(([, next]) => next === undefined)) this.re2.push(alternation(piece.cases.map(([prev]) => prevCheck(prev))));
      else this.pending = { cases: piece.cases };
    } else {
      if (this.pending) {
        // At the end of the text (or of a line) the next character is no word character.
        if (!piece.nextIsNotWord) this.notPending("an assertion");
        this.re2.push(alternation(this.pending.cases.filter(([, next]) => next !== true).map(([prev]) => prevCheck(prev)), true));
        this.pending = undefined;
      }
      this.re2.push(piece.re2);
    }
    this.quantifiable = false;
  }

  /** A boundary still waiting at the end of a top-level alternative: the next character is anything or nothing. */
  private endPending(): void {
    if (!this.pending) return;
    const next = (want: boolean | undefined): string => {
      if (want === undefined) return "";
      return want ? `(?s:.)${RE2_AFTER_WORD}` : `(?:\\z|(?s:.)${RE2_NOT_AFTER_WORD})`;
    };
    this.re2.push(alternation(this.pending.cases.map(([prev, n]) => `${prevCheck(prev)}${next(n)}`), true));
    this.pending = undefined;
  }

  private notPending(what: string): void {
    if (this.pending) {
      this.fail(
        `a word boundary followed by ${what} is not supported (the linear-time matcher has no look-ahead): follow it by a character or a class, or end the pattern with it`,
      );
    }
  }

  private emitPiece(piece: Piece): void {
    if (piece.kind === "char") this.emitAtom(literal(piece.cp, false), re2Literal(piece.cp));
    else if (piece.kind === "set") this.emitAtom(piece.js, piece.re2);
    else this.emitAssertion(piece);
  }

  private quantifier(op: string): void {
    if (!this.quantifiable) this.fail(`repetition operator '${op}' has nothing to repeat (or repeats an assertion or another repetition)`);
    this.choices = true;
    let q = op;
    if (this.peek() === "?") {
      this.pos++;
      q += "?";
    }
    this.out.push(q);
    if (this.boundAtom !== undefined) {
      // The boundary was written with the first repetition; the rest follow it.
      const m = /^(?:([*+?])|\{(\d+)(?:(,)(\d*))?\})(\??)$/.exec(q)!;
      const min = m[1] ? (m[1] === "+" ? 1 : 0) : Number(m[2]);
      if (min === 0) this.fail("a word boundary before an optional item is not supported (the linear-time matcher has no look-ahead)");
      let rest: string;
      if (m[1]) rest = "*";
      else if (!m[3]) rest = `{${min - 1}}`;
      else rest = m[4] ? `{${min - 1},${Number(m[4]) - 1}}` : `{${min - 1},}`;
      this.re2.push(`(?:${this.boundAtom})${rest}${m[5]}`);
      this.boundAtom = undefined;
    } else {
      this.re2.push(q);
    }
    this.quantifiable = false;
  }

  private countedRepetition(): void {
    const start = this.pos;
    const rest = this.chars.slice(this.pos, this.pos + 64).join("");
    const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    if (!m) this.fail("'{' does not start a valid counted repetition such as {2}, {2,} or {2,5} (write \\{ for a literal brace)");
    const min = Number(m[1]);
    const max = m[3] ? Number(m[3]) : undefined;
    if (max !== undefined && max < min) this.fail(`invalid counted repetition ${m[0]}: minimum is greater than maximum`);
    this.pos = start + [...m[0]].length;
    this.quantifier(m[0]);
  }

  /** After '(': flagsOnly for `(?flags)`, changedCase when a leading one switches case sensitivity. */
  private group(atStart: boolean): { flagsOnly: boolean; changedCase?: boolean } {
    this.pos++; // '('
    if (this.peek() !== "?") {
      this.openGroup("(", this.flags);
      return { flagsOnly: false };
    }
    this.pos++; // '?'
    const c = this.peek();
    if (c === "=" || c === "!" || (c === "<" && (this.peek(1) === "=" || this.peek(1) === "!"))) {
      this.fail("look-around ((?=, (?!, (?<=, (?<!) is not supported by the Rust regex crate");
    }
    if (c === "P" && this.peek(1) === "<") {
      this.pos += 2;
      this.groupName();
      return { flagsOnly: false };
    }
    if (c === "<") {
      this.pos++;
      this.groupName();
      return { flagsOnly: false };
    }
    // Flags: (?flags) or (?flags:...)
    const next: Flags = { ...this.flags };
    let negate = false;
    let sawFlag = false;
    const seen = new Set<string>();
    for (;;) {
      const f = this.peek();
      if (f === undefined) this.fail("unclosed group: missing ')'");
      if (f === ")" || f === ":") break;
      if (f === "-") {
        if (negate) this.fail("repeated '-' in flag group");
        negate = true;
        sawFlag = false;
        this.pos++;
        continue;
      }
      if (seen.has(f)) this.fail(`duplicate flag '${f}'`);
      seen.add(f);
      sawFlag = true;
      switch (f) {
        case "i":
        case "m":
        case "s":
          next[f] = !negate;
          break;
        case "u":
          if (negate) this.fail("(?-u) (ASCII-only classes) is not supported");
          break;
        case "U":
        case "x":
        case "R":
          if (!negate) this.fail(`inline flag '${f}' is not supported (only i, m and s are)`);
          break;
        default:
          this.fail(`unrecognized inline flag '${f}'`);
      }
      this.pos++;
    }
    if (negate && !sawFlag) this.fail("'-' in flag group must be followed by a flag");
    const close = this.peek();
    this.pos++;
    if (close === ":") {
      if (next.i !== this.flags.i) {
        this.fail("a scoped case flag ((?i:...) or (?-i:...)) that changes case sensitivity is not supported; put (?i) at the very start instead");
      }
      this.openGroup("(?:", next);
      return { flagsOnly: false };
    }
    // (?flags): applies to the rest of the enclosing group.
    let changedCase: boolean | undefined;
    if (next.i !== this.flags.i) {
      if (!atStart || this.stack.length > 0) {
        this.fail("an inline flag that changes case sensitivity is only supported at the very start of the pattern");
      }
      changedCase = next.i;
    }
    this.flags = next;
    this.quantifiable = false;
    this.boundAtom = undefined;
    return changedCase === undefined ? { flagsOnly: true } : { flagsOnly: true, changedCase };
  }

  private groupName(): void {
    let name = "";
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unclosed capture group name");
      this.pos++;
      if (c === ">") break;
      if (!/[_0-9A-Za-z.[\]]/.test(c)) this.fail(`invalid character ${JSON.stringify(c)} in capture group name`);
      name += c;
    }
    if (!name) this.fail("empty capture group name");
    // The name only matters for extracting captures, which we never do: a plain group matches the same.
    this.openGroup("(", this.flags);
  }

  private openGroup(js: string, inner: Flags): void {
    if (this.stack.length >= MAX_PATTERN_NESTING) this.fail(`groups nested more than ${MAX_PATTERN_NESTING} deep (the Rust regex crate's nest limit)`);
    this.stack.push(this.flags);
    this.flags = inner;
    this.out.push(js);
    this.re2.push("(?:"); // captures are never read: non-capturing groups keep RE2 on its DFA
    this.quantifiable = false;
    this.boundAtom = undefined;
  }

  /** Parse an escape after the backslash. */
  private escape(inClass: boolean): Piece {
    const c = this.peek();
    if (c === undefined) this.fail("incomplete escape sequence at end of pattern");
    this.pos++;
    switch (c) {
      case "a":
        return { kind: "char", cp: 7 };
      case "f":
        return { kind: "char", cp: 12 };
      case "t":
        return { kind: "char", cp: 9 };
      case "n":
        return { kind: "char", cp: 10 };
      case "r":
        return { kind: "char", cp: 13 };
      case "v":
        return { kind: "char", cp: 11 };
      case "x":
        return { kind: "char", cp: this.hexEscape(2) };
      case "u":
        return { kind: "char", cp: this.hexEscape(4) };
      case "U":
        return { kind: "char", cp: this.hexEscape(8) };
      case "d":
        return set(DIGIT, DIGIT, "\\p{Nd}", "\\p{Nd}");
      case "D":
        return set("\\P{Nd}", "\\P{Nd}", "\\P{Nd}", "\\P{Nd}");
      case "s":
        return set(SPACE, SPACE, "\\p{White_Space}", "\\p{White_Space}");
      case "S":
        return set("\\P{White_Space}", "\\P{White_Space}", "\\P{White_Space}", "\\P{White_Space}");
      case "w":
        return set(`[${WORD}]`, WORD, `[${RE2_WORD}]`, RE2_WORD);
      case "W":
        return set(`[^${WORD}]`, null, `[^${RE2_WORD}]`, null);
      case "p":
      case "P":
        return this.unicodeClass(c === "P");
    }
    if (!inClass) {
      switch (c) {
        case "A":
          return { kind: "assertion", js: "(?<![\\s\\S])", re2: "\\A" };
        case "z":
          return { kind: "assertion", js: "(?![\\s\\S])", re2: "\\z", nextIsNotWord: true };
        case "b":
          return this.wordBoundary();
        case "B":
          return { kind: "boundary", js: `(?:${AFTER_WORD}${AT_WORD}|${NOT_AFTER_WORD}${NOT_AT_WORD})`, cases: [[true, true], [false, false]] };
        case "<":
          return { kind: "boundary", js: `${NOT_AFTER_WORD}${AT_WORD}`, cases: [[false, true]] };
        case ">":
          return { kind: "boundary", js: `${AFTER_WORD}${NOT_AT_WORD}`, cases: [[true, false]] };
      }
    }
    if (/[0-9]/.test(c)) this.fail("backreferences are not supported");
    const cp = c.codePointAt(0)!;
    // Rust allows escaping any ASCII character that is not a letter, digit, '<' or '>'.
    if (cp < 0x80 && !/[0-9A-Za-z<>]/.test(c)) return { kind: "char", cp };
    this.pos--;
    this.fail(`unrecognized escape sequence \\${c}${inClass ? " in a character class" : ""}`);
  }

  private wordBoundary(): Piece {
    if (this.peek() === "{") {
      const rest = this.chars.slice(this.pos, this.pos + 16).join("");
      const m = /^\{(start|end|start-half|end-half)\}/.exec(rest);
      if (!m) this.fail("unrecognized word boundary \\b{...} (expected start, end, start-half or end-half)");
      this.pos += m[0].length;
      switch (m[1]) {
        case "start":
          return { kind: "boundary", js: `${NOT_AFTER_WORD}${AT_WORD}`, cases: [[false, true]] };
        case "end":
          return { kind: "boundary", js: `${AFTER_WORD}${NOT_AT_WORD}`, cases: [[true, false]] };
        case "start-half":
          return { kind: "boundary", js: NOT_AFTER_WORD, cases: [[false, undefined]] };
        default:
          return { kind: "boundary", js: NOT_AT_WORD, cases: [[undefined, false]] };
      }
    }
    return { kind: "boundary", js: `(?:${AFTER_WORD}${NOT_AT_WORD}|${NOT_AFTER_WORD}${AT_WORD})`, cases: [[true, false], [false, true]] };
  }

  private hexEscape(fixed: number): number {
    let digits: string;
    if (this.peek() === "{") {
      const end = this.chars.indexOf("}", this.pos);
      if (end < 0) this.fail("unclosed hex escape: missing '}'");
      digits = this.chars.slice(this.pos + 1, end).join("");
      if (!/^[0-9A-Fa-f]{1,8}$/.test(digits)) this.fail(`invalid hex escape {${digits}}`);
      this.pos = end + 1;
    } else {
      digits = this.chars.slice(this.pos, this.pos + fixed).join("");
      if (digits.length !== fixed || !/^[0-9A-Fa-f]+$/.test(digits)) this.fail(`hex escape needs exactly ${fixed} hex digits`);
      this.pos += fixed;
    }
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail(`hex escape ${digits} is not a Unicode scalar value`);
    return cp;
  }

  private unicodeClass(negated: boolean): Piece {
    let name: string;
    if (this.peek() === "{") {
      const end = this.chars.indexOf("}", this.pos);
      if (end < 0) this.fail("unclosed Unicode class: missing '}'");
      name = this.chars.slice(this.pos + 1, end).join("");
      this.pos = end + 1;
      if (name.startsWith("^")) {
        name = name.slice(1);
        negated = !negated;
      }
    } else {
      const c = this.peek();
      if (c === undefined) this.fail("incomplete Unicode class \\p");
      name = c;
      this.pos++;
    }
    const p = negated ? "P" : "p";
    const m = /^\s*([A-Za-z_]+)\s*(?:[=:]|!=)\s*(.+?)\s*$/.exec(name);
    const keys: Record<string, string> = {
      sc: "Script",
      script: "Script",
      scx: "Script_Extensions",
      script_extensions: "Script_Extensions",
      gc: "General_Category",
      general_category: "General_Category",
    };
    const candidates = m
      ? [`${keys[m[1]!.toLowerCase()] ?? m[1]}=${m[2]}`]
      : [name, `Script=${name}`];
    if (m && name.includes("!=")) this.fail(`negated property comparison \\p{${name}} is not supported; use \\P{...}`);
    for (const cand of candidates) {
      try {
        new RegExp(`\\p{${cand}}`, "u");
      } catch {
        continue; // try the next spelling
      }
      const js = `\\${p}{${cand}}`;
      const re2Name = re2PropertyName(cand);
      if (re2Name === undefined) this.fail(`Unicode class \\${p}{${name}} is not supported by the linear-time matcher; use a general category or a script (e.g. \\p{Lu}, \\p{Greek})`);
      const re2 = `\\${p}{${re2Name}}`;
      return set(js, js, re2, re2);
    }
    this.fail(`Unicode class \\${p}{${name}} is not known to JavaScript; use the canonical name (e.g. \\p{Lu}, \\p{Greek})`);
  }

  /** Parse a bracketed class starting at '['; returns JavaScript and RE2 source. */
  private charClass(): { js: string; re2: string } {
    this.pos++; // '['
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    let body = "";
    let re2 = "";
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unclosed character class: missing ']'");
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === "[") {
        const ascii = /^\[:(\^?)([a-z]+):\]/.exec(this.chars.slice(this.pos, this.pos + 12).join(""));
        if (ascii && ASCII_CLASSES[ascii[2]!] !== undefined) {
          if (ascii[1]) this.fail(`negated ASCII class [:^${ascii[2]}:] inside a class is not supported`);
          body += ASCII_CLASSES[ascii[2]!];
          re2 += `[:${ascii[2]}:]`;
          this.pos += ascii[0].length;
          continue;
        }
        this.fail("nested character classes are not supported (escape '[' as \\[ for a literal bracket)");
      }
      const n = this.peek(1);
      if ((c === "&" && n === "&") || (c === "-" && n === "-") || (c === "~" && n === "~")) {
        this.fail(`character class set operations (${c}${n}) are not supported`);
      }
      const item = this.classItem();
      if (item.kind === "char" && this.peek() === "-" && this.peek(1) !== undefined && this.peek(1) !== "]") {
        this.pos++; // '-'
        const end = this.classItem();
        if (end.kind !== "char") this.fail("invalid range in character class: the end must be a single character");
        if (end.cp < item.cp) this.fail("invalid range in character class: start is greater than end");
        body += `${literal(item.cp, true)}-${literal(end.cp, true)}`;
        re2 += `${re2Literal(item.cp)}-${re2Literal(end.cp)}`;
        continue;
      }
      if (item.kind === "char") {
        body += literal(item.cp, true);
        re2 += re2Literal(item.cp);
      } else if (item.kind === "set") {
        if (item.inClass === null || item.re2InClass === null) this.fail("\\W inside a character class is not supported (write a negated class instead)");
        body += item.inClass;
        re2 += item.re2InClass;
      }
    }
    return { js: `[${negated ? "^" : ""}${body}]`, re2: `[${negated ? "^" : ""}${re2}]` };
  }

  private classItem(): Piece {
    const c = this.peek()!;
    if (c === "[") this.fail("nested character classes are not supported (escape '[' as \\[ for a literal bracket)");
    this.pos++;
    if (c !== "\\") return { kind: "char", cp: c.codePointAt(0)! };
    const piece = this.escape(true);
    if (piece.kind === "assertion" || piece.kind === "boundary") this.fail("assertions are not allowed in a character class");
    return piece;
  }
}

function set(js: string, inClass: string | null, re2: string, re2InClass: string | null): Piece {
  return { kind: "set", js, inClass, re2, re2InClass };
}

/** The RE2 look-behind that checks the character before the current position: word, not word, or nothing to check. */
function prevCheck(want: boolean | undefined): string {
  if (want === undefined) return "";
  return want ? RE2_AFTER_WORD : RE2_NOT_AFTER_WORD;
}

/** `(?:a|b)`; an empty alternative list never matches (`[^\x{0}-\x{10FFFF}]`) when `orNever`. */
function alternation(alternatives: string[], orNever = false): string {
  if (alternatives.length === 0) return orNever ? "[^\\x{0}-\\x{10FFFF}]" : "";
  if (alternatives.includes("")) return "";
  return alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join("|")})`;
}

// General categories by their long names (JavaScript accepts both, RE2 only the short ones).
const GENERAL_CATEGORIES: Record<string, string> = {
  Letter: "L", Cased_Letter: "LC", Uppercase_Letter: "Lu", Lowercase_Letter: "Ll", Titlecase_Letter: "Lt",
  Modifier_Letter: "Lm", Other_Letter: "Lo", Mark: "M", Combining_Mark: "M", Nonspacing_Mark: "Mn",
  Spacing_Mark: "Mc", Enclosing_Mark: "Me", Number: "N", Decimal_Number: "Nd", digit: "Nd", Letter_Number: "Nl",
  Other_Number: "No", Punctuation: "P", punct: "P", Connector_Punctuation: "Pc", Dash_Punctuation: "Pd",
  Open_Punctuation: "Ps", Close_Punctuation: "Pe", Initial_Punctuation: "Pi", Final_Punctuation: "Pf",
  Other_Punctuation: "Po", Symbol: "S", Math_Symbol: "Sm", Currency_Symbol: "Sc", Modifier_Symbol: "Sk",
  Other_Symbol: "So", Separator: "Z", Space_Separator: "Zs", Line_Separator: "Zl", Paragraph_Separator: "Zp",
  Other: "C", Control: "Cc", cntrl: "Cc", Format: "Cf", Surrogate: "Cs", Private_Use: "Co", Unassigned: "Cn",
};

const re2Names = new Map<string, string | undefined>();

/** The RE2 spelling of a JavaScript property name (`Script=Greek` → `Greek`), if re2js knows it. */
function re2PropertyName(jsName: string): string | undefined {
  if (re2Names.has(jsName)) return re2Names.get(jsName);
  const eq = jsName.indexOf("=");
  const value = eq < 0 ? jsName : jsName.slice(eq + 1);
  const key = eq < 0 ? "" : jsName.slice(0, eq);
  let result: string | undefined;
  if (key !== "Script_Extensions") {
    const name = GENERAL_CATEGORIES[value] ?? value;
    try {
      re2().compile(`\\p{${name}}`);
      result = name;
    } catch {
      result = undefined;
    }
  }
  re2Names.set(jsName, result);
  return result;
}

/** A code point written as JavaScript `u`-mode pattern source (inside or outside a class). */
function literal(cp: number, inClass: boolean): string {
  const c = String.fromCodePoint(cp);
  const special = inClass ? "\\]^-[" : "^$\\.*+?()[]{}|/";
  if (special.includes(c)) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x2028 && cp <= 0x2029)) return `\\u{${cp.toString(16)}}`;
  return c;
}

/** A code point as RE2 source, inside or outside a class: letters and digits as they are, the rest as \x{...}. */
function re2Literal(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /^[0-9A-Za-z_]$/.test(c) ? c : `\\x{${cp.toString(16).toUpperCase()}}`;
}
