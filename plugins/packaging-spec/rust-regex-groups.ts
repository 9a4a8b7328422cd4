/**
 * What follows a '(' in a Rust pattern: a plain group, a named group, or a flag group
 * (`(?flags)`, `(?flags:...)`), read as a pure function of the characters. The translator
 * (rust-regex-translate.ts) decides what each means for the output.
 */
import type { Flags } from "./rust-regex-syntax.js";

/** Throws the pattern error `reason` at character index `pos`. */
export type FailAt = (reason: string, pos: number) => never;

export type GroupHead =
  | { kind: "group"; end: number } // a capturing or named group: its body starts at `end`
  | { kind: "flags"; flags: Flags; scoped: boolean; end: number }; // scoped: `(?flags:...)`

/** The group head starting just after the '(' at `pos`; `end` is just past it (after `)`, `:` or `>`). */
export function readGroupHead(chars: readonly string[], pos: number, current: Flags, fail: FailAt): GroupHead {
  if (chars[pos] !== "?") return { kind: "group", end: pos };
  pos++; // '?'
  const c = chars[pos];
  const n = chars[pos + 1];
  if (c === "=" || c === "!" || (c === "<" && (n === "=" || n === "!"))) {
    fail("look-around ((?=, (?!, (?<=, (?<!) is not supported by the Rust regex crate", pos);
  }
  if (c === "P" && n === "<") return { kind: "group", end: groupNameEnd(chars, pos + 2, fail) };
  if (c === "<") return { kind: "group", end: groupNameEnd(chars, pos + 1, fail) };
  const { flags, end } = readFlags(chars, pos, current, fail);
  return { kind: "flags", flags, scoped: chars[end] === ":", end: end + 1 };
}

/** Flags up to the `)` or `:` that ends them (its index is `end`), applied over `current`. */
function readFlags(chars: readonly string[], pos: number, current: Flags, fail: FailAt): { flags: Flags; end: number } {
  const next: Flags = { ...current };
  let negate = false;
  let sawFlag = false;
  const seen = new Set<string>();
  for (;;) {
    const f = chars[pos];
    if (f === undefined) fail("unclosed group: missing ')'", pos);
    if (f === ")" || f === ":") break;
    if (f === "-") {
      if (negate) fail("repeated '-' in flag group", pos);
      negate = true;
      sawFlag = false;
      pos++;
      continue;
    }
    if (seen.has(f)) fail(`duplicate flag '${f}'`, pos);
    seen.add(f);
    sawFlag = true;
    switch (f) {
      case "i":
      case "m":
      case "s":
        next[f] = !negate;
        break;
      case "u":
        if (negate) fail("(?-u) (ASCII-only classes) is not supported", pos);
        break;
      case "U":
      case "x":
      case "R":
        if (!negate) fail(`inline flag '${f}' is not supported (only i, m and s are)`, pos);
        break;
      default:
        fail(`unrecognized inline flag '${f}'`, pos);
    }
    pos++;
  }
  if (negate && !sawFlag) fail("'-' in flag group must be followed by a flag", pos);
  return { flags: next, end: pos };
}

/**
 * Past a capture group's name and its '>'. The name only matters for extracting captures,
 * which we never do: a plain group matches the same.
 */
function groupNameEnd(chars: readonly string[], pos: number, fail: FailAt): number {
  let name = "";
  for (;;) {
    const c = chars[pos];
    if (c === undefined) fail("unclosed capture group name", pos);
    pos++;
    if (c === ">") break;
    if (!/[_0-9A-Za-z.[\]]/.test(c)) fail(`invalid character ${JSON.stringify(c)} in capture group name`, pos);
    name += c;
  }
  if (!name) fail("empty capture group name", pos);
  return pos;
}
