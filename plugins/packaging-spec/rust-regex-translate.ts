/**
 * The translator: parses a Rust pattern once (groups, flags, alternation, quantifiers, the
 * atoms PatternReader reads) and writes the equivalent JavaScript (`u` mode) and RE2 patterns.
 */
import {
  alternation,
  literal,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_NESTING,
  prevCheck,
  RE2_AFTER_WORD,
  RE2_NOT_AFTER_WORD,
  re2Literal,
  RustRegexError,
  type Boundary,
  type Flags,
  type Piece,
} from "./rust-regex-syntax.js";
import { readGroupHead, type FailAt } from "./rust-regex-groups.js";
import { PatternReader } from "./rust-regex-reader.js";

/** What a translation yields: the JavaScript pattern and the RE2 one. */
export interface Translation {
  source: string;
  flags: string;
  re2: string;
  /** The RE2 pattern uses look-behind (re2js's linear-time LOOKBEHINDS mode). */
  lookbehinds: boolean;
  /** The pattern has a repetition or an alternation: a backtracking engine could backtrack on it. */
  choices: boolean;
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

export class Translator extends PatternReader {
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

  constructor(pattern: string, caseInsensitive: boolean) {
    // Checked before splitting, so a 50 MB pattern costs nothing; the message shows its start only.
    if (pattern.length > MAX_PATTERN_LENGTH && [...pattern.slice(0, 2 * MAX_PATTERN_LENGTH + 2)].length > MAX_PATTERN_LENGTH) {
      throw new RustRegexError(`${pattern.slice(0, 40)}…`, `the pattern is longer than ${MAX_PATTERN_LENGTH} characters, the limit for a spec pattern`);
    }
    super(pattern);
    this.caseInsensitive = caseInsensitive;
    this.flags = { i: caseInsensitive, m: false, s: false };
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
    const head = readGroupHead(this.chars, this.pos + 1, this.flags, this.failAt);
    this.pos = head.end;
    if (head.kind === "group") {
      this.openGroup("(", this.flags);
      return { flagsOnly: false };
    }
    const next = head.flags;
    if (head.scoped) {
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

  /** The reader's error at another position than the current one (the group head's). */
  private readonly failAt: FailAt = (reason, pos) => {
    this.pos = pos;
    return this.fail(reason);
  };

  private openGroup(js: string, inner: Flags): void {
    if (this.stack.length >= MAX_PATTERN_NESTING) this.fail(`groups nested more than ${MAX_PATTERN_NESTING} deep (the Rust regex crate's nest limit)`);
    this.stack.push(this.flags);
    this.flags = inner;
    this.out.push(js);
    this.re2.push("(?:"); // captures are never read: non-capturing groups keep RE2 on its DFA
    this.quantifiable = false;
    this.boundAtom = undefined;
  }
}
