/**
 * §4.4 steps 3-7 for one driver directory, one function per check: completeness, expected INFs,
 * AddService directives, hardware IDs and the files the INFs reference. Each reads the same
 * facts about the directory (a DirCheck) and reports through its `add`.
 */
import { parseTokenList, rustTrim } from "../devices-cmd/parse.js";
import { infsDeclareService, infsMatchPattern, missingInfReferences, pciBaseHardwareId } from "../inf/inf.js";
import { compileRustRegex, rustRegexEscape, type RustRegex } from "../packaging-spec/rust-regex.js";
import type { DriverSpec } from "../packaging-spec/spec.js";
import { asciiLower, asciiUpper, compareCodePoints } from "../shared/paths.js";
import type { RuleReport } from "../shared/report.js";
import type { Arch } from "./drivers.js";
import type { ValidateSpecRule } from "./rules.js";

export interface DirEntry {
  /** Packaged files: driver-relative path → INF text (undefined for non-INF files). */
  files: Map<string, string | undefined>;
  /** Driver-relative paths of files the payload policy left out. */
  skipped: Map<string, string>;
  /** Input package paths that belong to this directory (files, dirs, skipped). */
  inputPaths: string[];
}

const isInf = (p: string) => asciiLower(p).endsWith(".inf");
const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const list = (items: Iterable<string>) => [...items].join(", ") || "<none>";

/** What every check of one directory reads. */
interface DirCheck {
  driver: DriverSpec;
  e: DirEntry;
  where: string;
  who: string;
  /** Packaged files, driver-relative. */
  rels: string[];
  /** Packaged INFs: driver-relative path → text. */
  infs: Map<string, string>;
  infList: string;
  add(rule: ValidateSpecRule, message: string, hint: string, path?: string): void;
  /** A devices.cmd variable's value; a missing one is reported. */
  lookup(varName: string, rule: ValidateSpecRule): string | undefined;
}

/** §4.4 steps 3-7 for one driver directory. */
export function checkDriverDir(
  driver: DriverSpec,
  arch: Arch,
  dir: string,
  e: DirEntry,
  vars: ReadonlyMap<string, string>,
  rules: RuleReport<ValidateSpecRule>,
): void {
  const group = `${driver.name} (${arch})`;
  const where = `drivers/${arch}/${dir}`;
  const who = `driver ${driver.name} (${arch})`;
  const infs = new Map<string, string>();
  for (const [rel, text] of e.files) if (isInf(rel)) infs.set(rel, text ?? "");
  const add = (rule: ValidateSpecRule, message: string, hint: string, path = where) => rules.error({ rule, group, path, message, hint });
  const lookup = (varName: string, rule: ValidateSpecRule): string | undefined => {
    const value = vars.get(asciiUpper(varName));
    if (value === undefined) {
      add(
        rule,
        `${who} references missing devices.cmd variable: ${varName}`,
        `set ${varName} in config/devices.cmd (or generate it from the device contract), or fix the variable name in the spec`,
        "config/devices.cmd",
      );
    }
    return value;
  };
  const c: DirCheck = { driver, e, where, who, rels: [...e.files.keys()], infs, infList: list([...infs.keys()].sort(compareCodePoints)), add, lookup };
  checkComplete(c);
  checkExpectedInfs(c);
  checkServices(c);
  checkHardwareIds(c);
  checkReferencedFiles(c);
}

function checkComplete({ who, where, rels, add }: DirCheck): void {
  const missingKinds = [".inf", ".sys", ".cat"].filter((ext) => !rels.some((r) => asciiLower(r).endsWith(ext)));
  if (missingKinds.length) {
    add(
      "driver-incomplete",
      `${who} is incomplete: expected at least one .inf, .sys, and .cat (missing: ${missingKinds.join(", ")}) in ${where}`,
      `add the driver's ${missingKinds.join(", ")} file(s); hidden files, OS metadata and build artifacts (.pdb, .obj, ...) are left out of driver directories`,
    );
  }
}

/** expected_inf_files: missing vs excluded by the payload policy. */
function checkExpectedInfs({ driver, e, who, where, infs, infList, add }: DirCheck): void {
  if (driver.expected_inf_files.length) {
    const packagedNames = new Set([...infs.keys()].map((r) => baseName(r).toLowerCase()));
    const skippedInfs = new Map<string, string>();
    for (const [rel, reason] of e.skipped) if (isInf(rel)) skippedInfs.set(baseName(rel).toLowerCase(), `${rel}: ${reason}`);
    const missing: string[] = [];
    const excluded: string[] = [];
    for (const raw of driver.expected_inf_files) {
      const name = rustTrim(raw);
      const key = name.toLowerCase();
      if (packagedNames.has(key)) continue;
      const why = skippedInfs.get(key);
      if (why !== undefined) excluded.push(`${name} (${why})`);
      else missing.push(name);
    }
    if (missing.length || excluded.length) {
      const allInfs = [...infs.keys(), ...[...e.skipped.keys()].filter(isInf)].sort(compareCodePoints);
      const lines = [`${who} INF file validation failed (${where}):`];
      if (missing.length) lines.push(`- missing expected INF files: ${missing.join(", ")}`);
      if (excluded.length) lines.push(`- expected INF files are present but would be excluded from packaged output: ${excluded.join(", ")}`);
      lines.push(
        `expected_inf_files: ${driver.expected_inf_files.join(", ")}`,
        `scanned packaged INF files: ${infList}`,
        `scanned INF files under driver directory: ${list(allInfs)}`,
      );
      add(
        "expected-inf-files",
        lines.join("\n"),
        excluded.length && !missing.length
          ? "move the INF out of hidden folders (names starting with '.') or __MACOSX so it is packaged"
          : `add the INF file(s) to ${where}/, or fix expected_inf_files in the spec`,
      );
    }
  }
}

/** expected_add_services (+ from a devices.cmd variable). */
function checkServices({ driver, who, where, infs, infList, add, lookup }: DirCheck): void {
  const services: string[] = [];
  const addService = (s: string) => {
    if (s && !services.some((x) => asciiLower(x) === asciiLower(s))) services.push(s);
  };
  for (const s of driver.expected_add_services) addService(rustTrim(s));
  const svcVar = driver.expected_add_services_from_devices_cmd_var;
  let svcVarNote = "";
  if (svcVar !== null) {
    const value = lookup(svcVar, "devices-cmd-var-missing");
    if (value !== undefined) {
      const svc = rustTrim(value);
      if (!svc) {
        add("devices-cmd-var-empty", `${who} devices.cmd variable ${svcVar} is empty`, `give ${svcVar} a service name in config/devices.cmd`, "config/devices.cmd");
      } else {
        addService(svc);
        svcVarNote = `${svcVar}=${svc}`;
      }
    }
  }
  if (services.length && infs.size) {
    const missingServices = services.filter((s) => !infsDeclareService(infs.values(), s));
    if (missingServices.length) {
      const lines = [
        `${who} INF files missing expected AddService directive(s): ${missingServices.join(", ")}`,
        `expected_add_services: ${list(driver.expected_add_services)}`,
      ];
      if (svcVarNote) lines.push(`expected_add_services_from_devices_cmd_var: ${svcVarNote}`);
      lines.push(`scanned packaged INF files: ${infList}`, `driver directory: ${where}`);
      add(
        "expected-add-services",
        lines.join("\n"),
        "a packaged INF needs a (non-comment) line `AddService = <service>, ...`; check that the right INF is packaged or fix the expected service name",
      );
    }
  }
}

/** Hardware IDs: spec patterns, then the variable's IDs reduced to PCI\VEN_xxxx&DEV_yyyy. */
function checkHardwareIds({ driver, who, infs, infList, add, lookup }: DirCheck): void {
  const patterns = [...driver.expected_hardware_ids];
  const hwVar = driver.expected_hardware_ids_from_devices_cmd_var;
  if (hwVar !== null) {
    const value = lookup(hwVar, "devices-cmd-var-missing");
    if (value !== undefined) {
      const tokens = parseTokenList(value);
      if (tokens.length === 0) {
        add("devices-cmd-var-empty", `${who} devices.cmd variable ${hwVar} is empty`, `list the device's hardware IDs in ${hwVar} in config/devices.cmd`, "config/devices.cmd");
      }
      for (const t of tokens) {
        const p = rustRegexEscape(pciBaseHardwareId(t));
        if (!patterns.includes(p)) patterns.push(p);
      }
    }
  }
  if (infs.size) {
    for (const pattern of patterns) {
      let re: RustRegex;
      try {
        re = compileRustRegex(pattern, { caseInsensitive: true });
      } catch (err) {
        add("expected-hardware-ids", `${who} compile regex for hardware ID: ${pattern}: ${(err as Error).message}`, "fix the pattern in the spec");
        continue;
      }
      if (!infsMatchPattern(infs.values(), re)) {
        add(
          "expected-hardware-ids",
          `${who} INF files missing expected hardware ID pattern: ${pattern}\nscanned packaged INF files: ${infList}`,
          "a packaged INF must have a (non-comment) line matching the pattern, e.g. a models line `%Desc% = Install, PCI\\VEN_...&DEV_...`; check that the INF targets this device",
        );
      }
    }
  }
}

/** Files the INFs reference. */
function checkReferencedFiles({ who, where, rels, infs, add }: DirCheck): void {
  const misses = missingInfReferences(infs, rels);
  if (misses.length) {
    const lines = [`${who} INF referenced files are missing from the packaged driver directory (${where}):`];
    for (const m of misses) lines.push(`- ${m.display} (referenced by: ${m.referencedBy.join(", ")})`);
    const kmdf = misses.some((m) => /^wdfcoinstaller.*\.dll$/i.test(baseName(m.display)));
    if (kmdf) lines.push("", "KMDF drivers often require the KMDF coinstaller DLL (WdfCoInstaller*.dll) to be present alongside the INF.");
    add(
      "inf-referenced-files",
      lines.join("\n"),
      `add the listed files to ${where}/ (build artifacts such as .pdb are left out unless allow_extensions / allow_path_regexes re-include them), or fix the INF`,
    );
  }
}
