/**
 * The Rust regex syntax as the translator reads it: the limits, the error, the Unicode tables of
 * the regex crate's Perl classes (and their RE2 spellings), and PatternReader, which reads a
 * pattern's atoms. Split from the translator so each file holds one concern.
 */
import { createRequire } from "node:module";
import type { RE2JS as RE2JSClass } from "re2js";

// Loaded on first need: a spec of literal hardware IDs never needs it (see compileRustRegex), and
// loading it and building its tables costs about 100 ms, a tenth of a whole `gulp validate`.
let re2jsModule: typeof import("re2js") | undefined;
export function re2(): typeof RE2JSClass {
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

// Unicode-aware Perl classes, as the regex crate defines them (UTS#18 Annex C).
export const WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";
// The same for RE2, which has no Join_Control (U+200C, U+200D) and only ASCII \w and \b.
export const RE2_WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";
export const RE2_AFTER_WORD = `(?<=[${RE2_WORD}])`;
export const RE2_NOT_AFTER_WORD = `(?<![${RE2_WORD}])`;
export const DIGIT = "\\p{Nd}";
export const SPACE = "\\p{White_Space}";
export const AT_WORD = `(?=[${WORD}])`;
export const NOT_AT_WORD = `(?![${WORD}])`;
export const AFTER_WORD = `(?<=[${WORD}])`;
export const NOT_AFTER_WORD = `(?<![${WORD}])`;

export const ASCII_CLASSES: Record<string, string> = {
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

export interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/**
 * A word-boundary assertion as the cases it accepts: [previous character is a word character,
 * next one is]; `undefined` means either. The text's edges count as non-word.
 */
export type Boundary = readonly (readonly [boolean | undefined, boolean | undefined])[];

export type Piece =
  | { kind: "char"; cp: number } // one literal code point
  // a class; inClass = its content inside [...] if it can be inlined (JavaScript, then RE2)
  | { kind: "set"; js: string; inClass: string | null; re2: string; re2InClass: string | null }
  | { kind: "assertion"; js: string; re2: string; nextIsNotWord?: boolean }
  | { kind: "boundary"; js: string; cases: Boundary };

export function set(js: string, inClass: string | null, re2: string, re2InClass: string | null): Piece {
  return { kind: "set", js, inClass, re2, re2InClass };
}

/** The RE2 look-behind that checks the character before the current position: word, not word, or nothing to check. */
export function prevCheck(want: boolean | undefined): string {
  if (want === undefined) return "";
  return want ? RE2_AFTER_WORD : RE2_NOT_AFTER_WORD;
}

/** `(?:a|b)`; an empty alternative list never matches (`[^\x{0}-\x{10FFFF}]`) when `orNever`. */
export function alternation(alternatives: string[], orNever = false): string {
  if (alternatives.length === 0) return orNever ? "[^\\x{0}-\\x{10FFFF}]" : "";
  if (alternatives.includes("")) return "";
  return alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join("|")})`;
}

// General categories by their long names (JavaScript accepts both, RE2 only the short ones).
export const GENERAL_CATEGORIES: Record<string, string> = {
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
export function re2PropertyName(jsName: string): string | undefined {
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
export function literal(cp: number, inClass: boolean): string {
  const c = String.fromCodePoint(cp);
  const special = inClass ? "\\]^-[" : "^$\\.*+?()[]{}|/";
  if (special.includes(c)) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x2028 && cp <= 0x2029)) return `\\u{${cp.toString(16)}}`;
  return c;
}

/** A code point as RE2 source, inside or outside a class: letters and digits as they are, the rest as \x{...}. */
export function re2Literal(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /^[0-9A-Za-z_]$/.test(c) ? c : `\\x{${cp.toString(16).toUpperCase()}}`;
}

/**
 * Reading a pattern's characters, and the atoms both the translator and a class body are made of:
 * escapes, word boundaries, Unicode and Perl classes, bracketed classes. Each yields a Piece with
 * its JavaScript and RE2 spellings; the translator (rust-regex-translate.ts) assembles them.
 */
export abstract class PatternReader {
  protected readonly chars: string[];
  protected pos = 0;

  constructor(protected readonly pattern: string) {
    this.chars = [...pattern];
  }

  protected fail(reason: string): never {
    throw new RustRegexError(this.pattern, `${reason} (at character ${this.pos + 1})`);
  }

  protected peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  /** Parse an escape after the backslash. */
  protected escape(inClass: boolean): Piece {
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

  protected wordBoundary(): Piece {
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

  protected hexEscape(fixed: number): number {
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

  protected unicodeClass(negated: boolean): Piece {
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
  protected charClass(): { js: string; re2: string } {
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

  protected classItem(): Piece {
    const c = this.peek()!;
    if (c === "[") this.fail("nested character classes are not supported (escape '[' as \\[ for a literal bracket)");
    this.pos++;
    if (c !== "\\") return { kind: "char", cp: c.codePointAt(0)! };
    const piece = this.escape(true);
    if (piece.kind === "assertion" || piece.kind === "boundary") this.fail("assertions are not allowed in a character class");
    return piece;
  }
}

