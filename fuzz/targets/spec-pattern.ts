/**
 * Fuzz target: one spec pattern (the input's first line) compiled as loadSpec compiles it and
 * matched, as the INF and file-name checks match, against the other lines and against lines a
 * backtracking engine takes minutes on. It may only refuse the pattern with a RustRegexError;
 * matching must stay within the per-input time bound whatever the pattern (linear time).
 */
import { compileRustRegex, RustRegexError } from "../../plugins/packaging-spec/rust-regex.js";
import { boundedSync, FuzzFinding } from "./guard.js";

const HOSTILE_LINES = [`${"a".repeat(4096)}!`, "x".repeat(4096), `${"PCI\\VEN_1AF4&".repeat(300)}`, "é".repeat(2048)];

export function fuzz(data: Buffer): void {
  boundedSync(() => check(data));
}

function check(data: Buffer): void {
  const text = new TextDecoder("utf-8").decode(data);
  const newline = text.indexOf("\n");
  const pattern = newline < 0 ? text : text.slice(0, newline);
  const lines = newline < 0 ? [] : text.slice(newline + 1).split("\n");
  for (const caseInsensitive of [true, false]) {
    let re;
    try {
      re = compileRustRegex(pattern, { caseInsensitive });
    } catch (err) {
      if (err instanceof RustRegexError) return;
      throw new FuzzFinding(`compiling ${JSON.stringify(pattern.slice(0, 200))} threw ${(err as Error).stack}`);
    }
    for (const line of [...lines, ...HOSTILE_LINES]) re.test(line);
  }
}
