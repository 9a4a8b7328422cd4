/**
 * PatternReader: the atoms of a Rust pattern (escapes, word boundaries, Unicode and Perl classes,
 * bracketed classes), each read into a Piece with its JavaScript and RE2 spellings.
 */
import {
  AFTER_WORD,
  ASCII_CLASSES,
  AT_WORD,
  DIGIT,
  literal,
  NOT_AFTER_WORD,
  NOT_AT_WORD,
  RE2_WORD,
  re2Literal,
  re2PropertyName,
  RustRegexError,
  set,
  SPACE,
  WORD,
  type Piece,
} from "./rust-regex-syntax.js";

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

