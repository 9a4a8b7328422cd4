/**
 * The Rust regex syntax's vocabulary: the limits, the error, the Unicode tables of the regex
 * crate's Perl classes (and their RE2 spellings), the Piece an atom becomes and how literals are
 * spelled. PatternReader (rust-regex-reader.ts) reads atoms into Pieces; the translator
 * (rust-regex-translate.ts) assembles them.
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
