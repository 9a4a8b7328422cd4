/**
 * Patterns in a packaging spec (`expected_hardware_ids`, `allow_path_regexes`) are written for the
 * Rust `regex` crate. JavaScript's syntax is close but not the same: Rust allows escapes such as
 * `\&`, `\-`, `\~`, `\#` (and `rustRegexEscape` produces them) that a `u`-mode RegExp rejects, and
 * Rust's `\d`, `\w`, `\s`, `\b` and `.` mean something else than in JavaScript.
 *
 * `compileRustRegex` therefore parses the Rust syntax and writes an equivalent JavaScript pattern
 * (always `u` mode, every literal re-escaped the JavaScript way). Constructs JavaScript cannot express
 * faithfully are refused with an error that names the pattern, as are those Rust itself refuses
 * (look-around, backreferences). Supported flags: `i` (only where it does not change case
 * sensitivity mid-pattern: JavaScript has no scoped case flag on Node 20), `m` and `s` (anywhere).
 */

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

/** Compile a Rust regex into an equivalent JavaScript RegExp, or throw a RustRegexError. */
export function compileRustRegex(pattern: string, options: RustRegexOptions = {}): RegExp {
  const { source, flags } = translateRustRegex(pattern, options);
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new RustRegexError(pattern, `JavaScript cannot compile its translation (${(err as Error).message})`);
  }
}

// Unicode-aware Perl classes, as the regex crate defines them (UTS#18 Annex C).
const WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";
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

type Piece =
  | { kind: "char"; cp: number } // one literal code point
  | { kind: "set"; js: string; inClass: string | null } // a class; inClass = its content inside [...] if it can be inlined
  | { kind: "assertion"; js: string };

/** The JavaScript source and flags equivalent to a Rust pattern. */
export function translateRustRegex(pattern: string, options: RustRegexOptions = {}): { source: string; flags: string } {
  return new Translator(pattern, options.caseInsensitive ?? false).run();
}

class Translator {
  private readonly chars: string[];
  private pos = 0;
  private readonly out: string[] = [];
  private readonly stack: Flags[] = [];
  private flags: Flags;
  private readonly caseInsensitive: boolean;
  /** Whether the previous item can take a quantifier. */
  private quantifiable = false;
  /** True while nothing but flag groups has been read at the top level. */
  private atStart = true;

  constructor(
    private readonly pattern: string,
    caseInsensitive: boolean,
  ) {
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

  run(): { source: string; flags: string } {
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
          this.emitAtom(this.flags.s ? "[\\s\\S]" : "[^\\n]");
          break;
        case "^":
          this.pos++;
          this.emitAssertion(this.flags.m ? "(?<![^\\n])" : "^");
          break;
        case "$":
          this.pos++;
          this.emitAssertion(this.flags.m ? "(?![^\\n])" : "$");
          break;
        case "[":
          this.emitAtom(this.charClass());
          break;
        case "(": {
          const result = this.group(startedAtStart);
          if (result.flagsOnly) this.atStart = startedAtStart;
          if (result.changedCase !== undefined) globalCase = result.changedCase;
          break;
        }
        case ")":
          if (this.stack.length === 0) this.fail("unopened group: ')' without '('");
          this.flags = this.stack.pop()!;
          this.pos++;
          this.out.push(")");
          this.quantifiable = true;
          break;
        case "|":
          this.pos++;
          this.out.push("|");
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
          this.emitAtom(literal(c.codePointAt(0)!, false));
      }
    }
    if (this.stack.length > 0) this.fail("unclosed group: missing ')'");
    return { source: this.out.join(""), flags: globalCase ? "iu" : "u" };
  }

  private emitAtom(js: string): void {
    this.out.push(js);
    this.quantifiable = true;
  }

  private emitAssertion(js: string): void {
    this.out.push(js);
    this.quantifiable = false;
  }

  private emitPiece(piece: Piece): void {
    if (piece.kind === "char") this.emitAtom(literal(piece.cp, false));
    else if (piece.kind === "set") this.emitAtom(piece.js);
    else this.emitAssertion(piece.js);
  }

  private quantifier(op: string): void {
    if (!this.quantifiable) this.fail(`repetition operator '${op}' has nothing to repeat (or repeats an assertion or another repetition)`);
    let q = op;
    if (this.peek() === "?") {
      this.pos++;
      q += "?";
    }
    this.out.push(q);
    this.quantifiable = false;
  }

  private countedRepetition(): void {
    const start = this.pos;
    const rest = this.chars.slice(this.pos).join("");
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
    this.stack.push(this.flags);
    this.flags = inner;
    this.out.push(js);
    this.quantifiable = false;
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
        return { kind: "set", js: DIGIT, inClass: DIGIT };
      case "D":
        return { kind: "set", js: "\\P{Nd}", inClass: "\\P{Nd}" };
      case "s":
        return { kind: "set", js: SPACE, inClass: SPACE };
      case "S":
        return { kind: "set", js: "\\P{White_Space}", inClass: "\\P{White_Space}" };
      case "w":
        return { kind: "set", js: `[${WORD}]`, inClass: WORD };
      case "W":
        return { kind: "set", js: `[^${WORD}]`, inClass: null };
      case "p":
      case "P":
        return this.unicodeClass(c === "P");
    }
    if (!inClass) {
      switch (c) {
        case "A":
          return { kind: "assertion", js: "(?<![\\s\\S])" };
        case "z":
          return { kind: "assertion", js: "(?![\\s\\S])" };
        case "b":
          return { kind: "assertion", js: this.wordBoundary() };
        case "B":
          return { kind: "assertion", js: `(?:${AFTER_WORD}${AT_WORD}|${NOT_AFTER_WORD}${NOT_AT_WORD})` };
        case "<":
          return { kind: "assertion", js: `${NOT_AFTER_WORD}${AT_WORD}` };
        case ">":
          return { kind: "assertion", js: `${AFTER_WORD}${NOT_AT_WORD}` };
      }
    }
    if (/[0-9]/.test(c)) this.fail("backreferences are not supported");
    const cp = c.codePointAt(0)!;
    // Rust allows escaping any ASCII character that is not a letter, digit, '<' or '>'.
    if (cp < 0x80 && !/[0-9A-Za-z<>]/.test(c)) return { kind: "char", cp };
    this.pos--;
    this.fail(`unrecognized escape sequence \\${c}${inClass ? " in a character class" : ""}`);
  }

  private wordBoundary(): string {
    if (this.peek() === "{") {
      const rest = this.chars.slice(this.pos).join("");
      const m = /^\{(start|end|start-half|end-half)\}/.exec(rest);
      if (!m) this.fail("unrecognized word boundary \\b{...} (expected start, end, start-half or end-half)");
      this.pos += m[0].length;
      switch (m[1]) {
        case "start":
          return `${NOT_AFTER_WORD}${AT_WORD}`;
        case "end":
          return `${AFTER_WORD}${NOT_AT_WORD}`;
        case "start-half":
          return NOT_AFTER_WORD;
        default:
          return NOT_AT_WORD;
      }
    }
    return `(?:${AFTER_WORD}${NOT_AT_WORD}|${NOT_AFTER_WORD}${AT_WORD})`;
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
        const js = `\\${p}{${cand}}`;
        return { kind: "set", js, inClass: js };
      } catch {
        /* try the next spelling */
      }
    }
    this.fail(`Unicode class \\${p}{${name}} is not known to JavaScript; use the canonical name (e.g. \\p{Lu}, \\p{Greek})`);
  }

  /** Parse a bracketed class starting at '['; returns JavaScript source. */
  private charClass(): string {
    this.pos++; // '['
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    let body = "";
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
        continue;
      }
      if (item.kind === "char") body += literal(item.cp, true);
      else if (item.kind === "set") {
        if (item.inClass === null) this.fail("\\W inside a character class is not supported (write a negated class instead)");
        body += item.inClass;
      }
    }
    return `[${negated ? "^" : ""}${body}]`;
  }

  private classItem(): Piece {
    const c = this.peek()!;
    if (c === "[") this.fail("nested character classes are not supported (escape '[' as \\[ for a literal bracket)");
    this.pos++;
    if (c !== "\\") return { kind: "char", cp: c.codePointAt(0)! };
    const piece = this.escape(true);
    if (piece.kind === "assertion") this.fail("assertions are not allowed in a character class");
    return piece;
  }
}

/** A code point written as JavaScript `u`-mode pattern source (inside or outside a class). */
function literal(cp: number, inClass: boolean): string {
  const c = String.fromCodePoint(cp);
  const special = inClass ? "\\]^-[" : "^$\\.*+?()[]{}|/";
  if (special.includes(c)) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x2028 && cp <= 0x2029)) return `\\u{${cp.toString(16)}}`;
  return c;
}
