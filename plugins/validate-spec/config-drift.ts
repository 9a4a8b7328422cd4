/**
 * Config drift between the spec, config/devices.cmd, the device contract and the INFs (README
 * "What is checked → Config drift"), after the rules of upstream's own consistency checker:
 * - every hardware ID devices.cmd declares for a driver is matched by that driver's spec patterns;
 * - a modern-only spec (`modern_virtio_only`) refuses transitional virtio IDs in its patterns, in
 *   devices.cmd and in the INFs;
 * - an on-disk devices.cmd that a device contract replaced is compared with the generated one:
 *   each differing service name or hardware-ID list is a warning (the generated file is packaged).
 * Pure: the caller gives the variables and INF texts.
 */
import { parseTokenList } from "../devices-cmd/parse.js";
import { asciiUpper, compareCodePoints } from "../shared/paths.js";
import type { RuleReport } from "../shared/report.js";
import type { ValidateSpecRule } from "./rules.js";
import { infContentLines, pciBaseHardwareId } from "../inf/inf.js";
import { compileRustRegex, rustRegexEscape, type RustRegex } from "../packaging-spec/rust-regex.js";
import type { DriverSpec, PackagingSpec } from "../packaging-spec/spec.js";

const GROUP = "config/devices.cmd";
/** Transitional virtio PCI IDs: 0x1000-0x103F (the modern ID is 0x41 more). */
const TRANSITIONAL = /VEN_1AF4&DEV_(10[0-3][0-9A-F])(?![0-9A-F])/i;
const TRANSITIONAL_ALL = new RegExp(TRANSITIONAL.source, "gi");
/** Representative transitional IDs a pattern must not match (net, blk, input, snd). */
const TRANSITIONAL_SAMPLES = ["1000", "1001", "1011", "1018"].map((d) => `PCI\\VEN_1AF4&DEV_${d}`);

const modernOf = (dev: string) => (parseInt(dev, 16) + 0x41).toString(16).toUpperCase();

/** The devices.cmd variable holding a driver's hardware IDs: the spec's, else by the usual names. */
export function driverHwidsVar(driver: DriverSpec): string | undefined {
  if (driver.expected_hardware_ids_from_devices_cmd_var) return asciiUpper(driver.expected_hardware_ids_from_devices_cmd_var);
  const m = /(?:^|[-_])virtio[-_](blk|net|input|snd)$/i.exec(driver.name);
  if (m) return `AERO_VIRTIO_${asciiUpper(m[1]!)}_HWIDS`;
  if (/^aero-?gpu$/i.test(driver.name)) return "AERO_GPU_HWIDS";
  return undefined;
}

function compile(pattern: string): RustRegex | undefined {
  try {
    return compileRustRegex(pattern, { caseInsensitive: true });
  } catch {
    return undefined; // reported by the hardware-ID check
  }
}

export function checkConfigDrift(
  spec: PackagingSpec,
  vars: ReadonlyMap<string, string>,
  infTexts: ReadonlyMap<string, string>,
  report: RuleReport<ValidateSpecRule>,
  contractDrift?: { onDisk: ReadonlyMap<string, string>; generated: ReadonlyMap<string, string> },
): void {
  for (const driver of spec.drivers) {
    const hwVar = driverHwidsVar(driver);
    const value = hwVar ? vars.get(hwVar) : undefined;
    if (!hwVar || value === undefined || driver.expected_hardware_ids.length === 0) continue;
    const tokens = parseTokenList(value);
    // The driver's effective patterns: its own, plus those it derives from its devices.cmd variable.
    const patterns = [...driver.expected_hardware_ids];
    if (driver.expected_hardware_ids_from_devices_cmd_var) for (const t of tokens) patterns.push(rustRegexEscape(pciBaseHardwareId(t)));
    const compiled = patterns.map(compile).filter((r): r is RustRegex => r !== undefined);
    if (compiled.length === 0) continue;
    const unmatched = tokens.filter((t) => !compiled.some((re) => re.test(t)));
    if (unmatched.length) {
      report.error({
        rule: "devices-cmd-hwid-unmatched",
        group: GROUP,
        path: "config/devices.cmd",
        message: `config/devices.cmd ${hwVar} declares ${unmatched.join(", ")} for ${driver.name}, which no hardware-ID pattern of the spec's ${driver.name} matches (patterns: ${driver.expected_hardware_ids.join(", ")})`,
        hint: `widen the spec pattern (e.g. ${rustRegexEscape(pciBaseHardwareId(unmatched[0]!))} matches every revision and subsystem) or remove the ID from devices.cmd / the device contract`,
      });
    }
  }

  if (spec.modern_virtio_only) modernOnly(spec, vars, infTexts, report);
  if (contractDrift) contractDifferences(contractDrift.onDisk, contractDrift.generated, report);
}

function modernOnly(spec: PackagingSpec, vars: ReadonlyMap<string, string>, infTexts: ReadonlyMap<string, string>, report: RuleReport<ValidateSpecRule>): void {
  const fix = (dev: string) => `a modern-only spec allows modern virtio IDs only: use DEV_${modernOf(dev)} (the transitional ID + 0x41), or drop modern_virtio_only`;
  for (const driver of spec.drivers) {
    for (const pattern of driver.expected_hardware_ids) {
      const named = TRANSITIONAL.exec(pattern.replace(/\\\\/g, "\\").replace(/\\&/g, "&"));
      const re = compile(pattern);
      const matched = re ? TRANSITIONAL_SAMPLES.find((id) => re.test(id)) : undefined;
      if (!named && !matched) continue;
      const dev = named ? named[1]! : matched!.slice(-4);
      report.error({
        rule: "transitional-virtio-id",
        group: GROUP,
        message: `spec driver ${driver.name}: hardware-ID pattern ${pattern} ${named ? "names" : "matches"} the transitional virtio ID DEV_${asciiUpper(dev)}`,
        hint: fix(dev),
      });
    }
  }
  for (const [name, value] of [...vars].sort(([a], [b]) => compareCodePoints(a, b))) {
    if (!name.endsWith("_HWIDS")) continue;
    for (const token of parseTokenList(value)) {
      const m = TRANSITIONAL.exec(token);
      if (!m) continue;
      report.error({ rule: "transitional-virtio-id", group: GROUP, path: "config/devices.cmd", message: `config/devices.cmd ${name} lists the transitional virtio ID ${token}`, hint: fix(m[1]!) });
    }
  }
  for (const [infPath, text] of [...infTexts].sort(([a], [b]) => compareCodePoints(a, b))) {
    const ids = new Set<string>();
    for (const line of infContentLines(text)) for (const m of line.matchAll(TRANSITIONAL_ALL)) ids.add(asciiUpper(m[1]!));
    if (ids.size === 0) continue;
    const first = [...ids][0]!;
    report.error({ rule: "transitional-virtio-id", group: GROUP, path: infPath, message: `${infPath} names the transitional virtio ID${ids.size > 1 ? "s" : ""} ${[...ids].map((d) => `DEV_${d}`).join(", ")}`, hint: fix(first) });
  }
}

function contractDifferences(onDisk: ReadonlyMap<string, string>, generated: ReadonlyMap<string, string>, report: RuleReport<ValidateSpecRule>): void {
  const names = [...new Set([...onDisk.keys(), ...generated.keys()])].filter((n) => /_(SERVICE|HWIDS)$/.test(n)).sort(compareCodePoints);
  for (const name of names) {
    const mine = onDisk.get(name);
    const theirs = generated.get(name);
    let difference: string | undefined;
    if (mine === undefined) difference = `does not set ${name}; the contract generates ${theirs}`;
    else if (theirs === undefined) difference = `sets ${name}, which the contract does not generate (it is dropped)`;
    else if (name.endsWith("_SERVICE")) {
      if (mine.trim().toLowerCase() !== theirs.trim().toLowerCase()) difference = `sets ${name}=${mine.trim()}, the contract generates ${theirs.trim()}`;
    } else {
      const a = parseTokenList(mine).map(asciiUpper);
      const b = parseTokenList(theirs).map(asciiUpper);
      const missing = b.filter((t) => !a.includes(t));
      const extra = a.filter((t) => !b.includes(t));
      if (missing.length || extra.length) {
        difference = `sets ${name} ${[extra.length ? `with ${extra.join(", ")} that the contract lacks` : "", missing.length ? `without ${missing.join(", ")} that the contract lists` : ""].filter(Boolean).join(" and ")}`;
      }
    }
    if (!difference) continue;
    report.warn({
      rule: "devices-cmd-contract-drift",
      group: GROUP,
      path: "config/devices.cmd",
      message: `the guest-tools dir's config/devices.cmd ${difference}; the generated file is packaged`,
      hint: "regenerate config/devices.cmd from the device contract (or fix the contract) so that the two agree",
    });
  }
}
