/**
 * Reading `config/devices.cmd`: the `set` lines the guest scripts source, as the Rust tool reads
 * them (aero_packager-behaviors.md §6.1-§6.2). Pure functions, no I/O.
 */
import { asciiLower, asciiUpper } from "../shared/paths.js";

/** Variables set by `set NAME=value` / `set "NAME=value"` lines, keyed by ASCII-uppercased name. */
export function parseDevicesCmdVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const rawLine of text.split("\n")) {
    const line = rustTrim(rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine);
    if (!line) continue;
    const lower = asciiLower(line);
    if (lower === "rem" || lower.startsWith("rem ") || lower.startsWith("::") || lower.startsWith("@echo")) continue;
    if (!(lower === "set" || lower.startsWith("set ") || lower.startsWith("set\t"))) continue;
    const rest = line.slice(3).replace(/^\p{White_Space}+/u, "");
    if (!rest) continue;
    let name: string;
    let value: string;
    if (rest.startsWith('"')) {
      const close = rest.indexOf('"', 1);
      if (close < 0) continue;
      const inner = rest.slice(1, close);
      const eq = inner.indexOf("=");
      if (eq < 0) continue;
      name = rustTrim(inner.slice(0, eq));
      value = inner.slice(eq + 1);
    } else {
      const eq = rest.indexOf("=");
      if (eq < 0) continue;
      name = rustTrim(rest.slice(0, eq));
      value = rustTrim(rest.slice(eq + 1));
    }
    if (!name) continue;
    vars.set(asciiUpper(name), value);
  }
  return vars;
}

/** Split a devices.cmd value into tokens: whitespace-separated, `"quoted tokens"` unquoted. */
export function parseTokenList(value: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
  while (i < value.length) {
    while (i < value.length && isSpace(value[i]!)) i++;
    if (i >= value.length) break;
    let token: string;
    if (value[i] === '"') {
      const close = value.indexOf('"', i + 1);
      const end = close < 0 ? value.length : close;
      token = value.slice(i + 1, end);
      i = close < 0 ? value.length : close + 1;
    } else {
      let j = i;
      while (j < value.length && !isSpace(value[j]!)) j++;
      token = value.slice(i, j);
      i = j;
    }
    if (token) tokens.push(token);
  }
  return tokens;
}

/** Rust's str::trim: Unicode White_Space, which (unlike JS trim) keeps U+FEFF. */
export function rustTrim(s: string): string {
  return s.replace(/^[\p{White_Space}]+|[\p{White_Space}]+$/gu, "");
}
