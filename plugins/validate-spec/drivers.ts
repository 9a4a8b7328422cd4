/**
 * The driver checks of a packaging spec (aero_packager-behaviors.md §3.1, §4.3-§4.9), as a pure
 * function over package paths and INF texts, so they can be tested without streams.
 *
 * Unlike the Rust tool, which stops at the first problem, every problem of every driver and
 * arch is collected; messages keep the Rust wording's key facts (driver, arch, path, pattern).
 */
import { parseTokenList, rustTrim } from "../devices-cmd/parse.js";
import { ProblemReport, type RuleReport, type SkippedFile } from "../shared/report.js";
import type { ValidateSpecRule } from "./rules.js";
import { asciiLower, asciiUpper, compareCodePoints } from "../shared/paths.js";
import {
  infsDeclareService,
  infsMatchPattern,
  missingInfReferences,
  pciBaseHardwareId,
} from "../inf/inf.js";
import { hasAeroGpuAlias } from "../packaging-spec/names.js";
import { matchSpecDriver } from "../packaging-spec/match.js";
import { compileRustRegex, rustRegexEscape, type RustRegex } from "../packaging-spec/rust-regex.js";
import type { DriverSpec, PackagingSpec } from "../packaging-spec/spec.js";

// Where catalogs.ts (and older callers) look for it.
export { matchSpecDriver };

export const ARCHES = ["x86", "amd64"] as const;
export type Arch = (typeof ARCHES)[number];

/** One entry of the tree being checked. */
export interface DriverTreeFile {
  /** Package path, e.g. `drivers/amd64/virtio-blk/aero_virtio_blk.inf`. */
  path: string;
  /** Decoded text of a packaged `.inf` file (see decodeInfText). */
  infText?: string;
  /** A directory entry: shows that a driver directory exists, is not itself a packaged file. */
  directory?: boolean;
}

export interface DriverCheckResult {
  report: ProblemReport;
  /**
   * For every input path under `drivers/` (files, directories and skipped paths): the output path
   * (driver directory renamed to the spec's spelling), or null when it is left out of the media.
   */
  outputPaths: Map<string, string | null>;
}

/** `drivers/<x86|amd64>/<dir>[/<rel>]` split up, or null for any other path. */
export function parseDriverPath(path: string): { arch: Arch; dir: string; rel: string } | null {
  const parts = path.split("/");
  if (parts.length < 3 || parts[0] !== "drivers") return null;
  const arch = parts[1] as Arch;
  if (!ARCHES.includes(arch)) return null;
  return { arch, dir: parts[2]!, rel: parts.slice(3).join("/") };
}

interface DirEntry {
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

/**
 * Check every spec driver on both arches against the tree. `vars` are the devices.cmd variables
 * (ASCII-uppercased names); `skipped` are the files earlier filters left out (to tell an excluded
 * expected INF from a missing one).
 */
export function validateDrivers(
  spec: PackagingSpec,
  files: Iterable<DriverTreeFile>,
  vars: ReadonlyMap<string, string>,
  skipped: readonly SkippedFile[] = [],
): DriverCheckResult {
  const report = new ProblemReport();
  const rules: RuleReport<ValidateSpecRule> = report;
  const outputPaths = new Map<string, string | null>();
  const dirs: Record<Arch, Map<string, DirEntry>> = { x86: new Map(), amd64: new Map() };
  const entry = (arch: Arch, dir: string): DirEntry => {
    let e = dirs[arch].get(dir);
    if (!e) dirs[arch].set(dir, (e = { files: new Map(), skipped: new Map(), inputPaths: [] }));
    return e;
  };

  for (const f of files) {
    const parsed = parseDriverPath(f.path);
    if (!parsed || (parsed.rel === "" && !f.directory)) {
      // drivers/README.md stays; other files under drivers/ outside a driver directory are not packaged.
      if (f.path.startsWith("drivers/") && f.path !== "drivers/README.md" && !isArchDir(f)) outputPaths.set(f.path, null);
      continue;
    }
    const e = entry(parsed.arch, parsed.dir);
    e.inputPaths.push(f.path);
    if (!f.directory) e.files.set(parsed.rel, f.infText);
  }
  for (const s of skipped) {
    const parsed = parseDriverPath(s.path);
    if (!parsed || parsed.rel === "") continue;
    entry(parsed.arch, parsed.dir).skipped.set(parsed.rel, s.reason);
  }

  // Which directory serves which spec driver, per arch.
  const chosen = new Map<DriverSpec, Partial<Record<Arch, string>>>();
  const unlisted = new Map<string, Set<Arch>>();
  for (const arch of ARCHES) {
    const byDriver = new Map<DriverSpec, { dir: string; alias: boolean }[]>();
    for (const [dir, e] of dirs[arch]) {
      const match = matchSpecDriver(spec, dir);
      if (!match) {
        for (const p of e.inputPaths) outputPaths.set(p, null);
        if (!dir.startsWith(".") && asciiLower(dir) !== "__macosx") {
          const key = asciiLower(dir);
          if (!unlisted.has(key)) unlisted.set(key, new Set());
          unlisted.get(key)!.add(arch);
        }
        continue;
      }
      if (!byDriver.has(match.driver)) byDriver.set(match.driver, []);
      byDriver.get(match.driver)!.push({ dir, alias: match.alias });
    }
    for (const [driver, candidates] of byDriver) {
      const group = `${driver.name} (${arch})`;
      if (candidates.length > 1) {
        const names = candidates
          .map((c) => `drivers/${arch}/${c.dir}${c.alias ? " (legacy alias)" : ""}`)
          .sort(compareCodePoints);
        rules.error({
          rule: "multiple-driver-dirs",
          group,
          path: `drivers/${arch}/${driver.name}`,
          message: `multiple driver directories found for ${driver.name} (${arch}); remove/rename one of: ${names.join(", ")}`,
          hint: `keep exactly one directory for ${driver.name}, named ${driver.name}`,
        });
        for (const c of candidates) for (const p of dirs[arch].get(c.dir)!.inputPaths) outputPaths.set(p, null);
        chosen.set(driver, { ...chosen.get(driver), [arch]: "" }); // present, but not checked further
        continue;
      }
      const only = candidates[0]!;
      if (only.alias) {
        rules.warn({
          rule: "legacy-driver-dir-alias",
          group,
          path: `drivers/${arch}/${only.dir}`,
          message: `using legacy driver directory name '${only.dir}' for '${driver.name}' (${arch})`,
          hint: `rename drivers/${arch}/${only.dir} to drivers/${arch}/${driver.name}`,
        });
      }
      chosen.set(driver, { ...chosen.get(driver), [arch]: only.dir });
      const prefix = `drivers/${arch}/${only.dir}`;
      for (const p of dirs[arch].get(only.dir)!.inputPaths) {
        outputPaths.set(p, `drivers/${arch}/${driver.name}${p.slice(prefix.length)}`);
      }
    }
  }

  if (spec.fail_on_unlisted_driver_dirs && unlisted.size > 0) {
    const lines = [...unlisted.keys()]
      .sort(compareCodePoints)
      .map((name) => `- ${name} (found under: ${[...unlisted.get(name)!].sort().join(", ")})`);
    rules.error({
      rule: "unlisted-driver-dirs",
      group: "drivers",
      path: "drivers",
      message:
        "drivers_dir contains driver directories that are not listed in the packaging spec (fail_on_unlisted_driver_dirs=true).\n" +
        `Unlisted driver directories:\n${lines.join("\n")}`,
      hint: "remove these directories from the drivers input, list them in the spec's \"drivers\", or set fail_on_unlisted_driver_dirs to false to leave them out silently",
    });
  }

  for (const driver of spec.drivers) {
    const present = chosen.get(driver) ?? {};
    const tried = (arch: Arch) =>
      [`drivers/${arch}/${driver.name}`, ...(hasAeroGpuAlias(driver.name) ? [`drivers/${arch}/aero-gpu`] : [])].join(", ");
    const presentArches = ARCHES.filter((a) => present[a] !== undefined);
    for (const arch of ARCHES) {
      const dir = present[arch];
      const group = `${driver.name} (${arch})`;
      if (dir === undefined) {
        if (driver.required) {
          rules.error({
            rule: "required-driver-missing",
            group,
            path: `drivers/${arch}/${driver.name}`,
            message: `required driver directory missing: ${driver.name} (${arch}); tried: ${tried(arch)}`,
            hint: `add the ${arch} build of ${driver.name} as drivers/${arch}/${driver.name}/ (or mark it "required": false in the spec)`,
          });
        } else if (spec.require_optional_drivers_on_all_arches && presentArches.length === 1) {
          const other = presentArches[0]!;
          rules.error({
            rule: "optional-driver-one-arch",
            group,
            path: `drivers/${arch}/${driver.name}`,
            message:
              `optional driver directory is present for ${other} but missing for ${arch}: ${driver.name} ` +
              `(require_optional_drivers_on_all_arches=true); tried: ${tried(arch)}`,
            hint: `add the ${arch} build of ${driver.name}, or remove drivers/${other}/${driver.name}`,
          });
        } else {
          rules.warn({
            rule: "optional-driver-missing",
            group,
            path: `drivers/${arch}/${driver.name}`,
            message: `optional driver directory missing: ${driver.name} (${arch})`,
          });
        }
        continue;
      }
      if (dir === "") continue; // ambiguous directories, reported above
      checkDriverDir(driver, arch, dir, dirs[arch].get(dir)!, vars, rules);
    }
  }
  return { report, outputPaths };
}

function isArchDir(f: DriverTreeFile): boolean {
  return !!f.directory && /^drivers(\/[^/]+)?$/.test(f.path);
}

/** §4.4 steps 3-7 for one driver directory. */
function checkDriverDir(
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
  const rels = [...e.files.keys()];
  const infs = new Map<string, string>();
  for (const [rel, text] of e.files) if (isInf(rel)) infs.set(rel, text ?? "");
  const infList = list([...infs.keys()].sort(compareCodePoints));
  const add = (rule: ValidateSpecRule, message: string, hint: string, path = where) =>
    rules.error({ rule, group, path, message, hint });

  // Completeness.
  const missingKinds = [".inf", ".sys", ".cat"].filter((ext) => !rels.some((r) => asciiLower(r).endsWith(ext)));
  if (missingKinds.length) {
    add(
      "driver-incomplete",
      `${who} is incomplete: expected at least one .inf, .sys, and .cat (missing: ${missingKinds.join(", ")}) in ${where}`,
      `add the driver's ${missingKinds.join(", ")} file(s); hidden files, OS metadata and build artifacts (.pdb, .obj, ...) are left out of driver directories`,
    );
  }

  // expected_inf_files: missing vs excluded by the payload policy.
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

  // Variables from devices.cmd.
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

  // expected_add_services (+ from a devices.cmd variable).
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

  // Hardware IDs: spec patterns, then the variable's IDs reduced to PCI\VEN_xxxx&DEV_yyyy.
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

  // Files the INFs reference.
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
