/**
 * Fuzz target: the config/devices.cmd reader (plugins/devices-cmd/parse.ts) as validation uses
 * it (devicesCmdVariables: lossy UTF-8, then the `set` lines). Pure: it must never throw.
 */
import { devicesCmdVariables } from "../../plugins/devices-cmd/index.js";
import { parseTokenList, rustTrim } from "../../plugins/devices-cmd/parse.js";
import { boundedSync, invariant } from "./guard.js";

export function fuzz(data: Buffer): void {
  boundedSync(() => check(data));
}

function check(data: Buffer): void {
  const half = data.length >> 1;
  const vars = devicesCmdVariables(data.subarray(half), data.subarray(0, half));
  for (const [name, value] of vars) {
    invariant(name !== "" && name === rustTrim(name), `variable name ${JSON.stringify(name)} is empty or padded`);
    invariant(name === name.replace(/[a-z]/g, (c) => c.toUpperCase()), `variable name ${name} not uppercased`);
    // An unquoted token keeps any `"` after its first character (§6.2); none is ever empty.
    for (const token of parseTokenList(value)) invariant(token !== "", "an empty token");
  }
}
