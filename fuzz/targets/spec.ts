/**
 * Fuzz target: the packaging spec loader (loadSpec). It may only end with one clear error naming
 * the spec; a spec it accepts must be usable: every pattern compiles (payload policy and the INF
 * checks compile them again later), matches in linear time, and names are non-empty.
 */
import { compileAllowlist } from "../../plugins/payload-policy/rules.js";
import { compileRustRegex } from "../../plugins/packaging-spec/rust-regex.js";
import { loadSpec } from "../../plugins/shared/load-spec.js";
import { boundedSync, expectClearErrorsSync, invariant } from "./guard.js";

export const LABEL = "fuzz-spec.json";

const HOSTILE_LINES = [`${"a".repeat(64)}!`, "x".repeat(64)];

export function fuzz(data: Buffer): void {
  boundedSync(() => check(data));
}

function check(data: Buffer): void {
  const spec = expectClearErrorsSync(LABEL, () => loadSpec(data, { path: LABEL }));
  if (!spec) return;
  invariant(spec.drivers.length > 0, "a loaded spec has no drivers");
  for (const driver of spec.drivers) {
    invariant(driver.name !== "" && !/[\\/]/.test(driver.name), `driver name ${JSON.stringify(driver.name)}`);
    // The long lines take a backtracking engine minutes on ^(a+)+$ or (x+x+)+y: matching must be linear.
    for (const pattern of driver.expected_hardware_ids) {
      const re = compileRustRegex(pattern, { caseInsensitive: true });
      for (const line of ["PCI\\VEN_1AF4&DEV_1041", ...HOSTILE_LINES]) re.test(line);
    }
    for (const re of compileAllowlist(driver).patterns) for (const name of ["x/y.pdb", ...HOSTILE_LINES]) re.test(name);
  }
}
