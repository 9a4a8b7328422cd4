/**
 * The driver checks of a packaging spec (aero_packager-behaviors.md §3.1, §4.3-§4.9), as a pure
 * function over package paths and INF texts, so they can be tested without streams.
 *
 * Unlike the Rust tool, which stops at the first problem, every problem of every driver and
 * arch is collected; messages keep the Rust wording's key facts (driver, arch, path, pattern).
 */
import { ProblemReport, type RuleReport, type SkippedFile } from "../shared/report.js";
import type { ValidateSpecRule } from "./rules.js";
import { checkDriverDir, type DirEntry } from "./driver-dir.js";
import { asciiLower, compareCodePoints } from "../shared/paths.js";
import { hasAeroGpuAlias } from "../packaging-spec/names.js";
import { matchSpecDriver } from "../packaging-spec/match.js";
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
  const dirs = collectDirs(files, skipped, outputPaths);
  const { chosen, unlisted } = chooseDirs(spec, dirs, rules, outputPaths);
  if (spec.fail_on_unlisted_driver_dirs && unlisted.size > 0) reportUnlisted(unlisted, rules);
  for (const driver of spec.drivers) {
    const present = chosen.get(driver) ?? {};
    const presentArches = ARCHES.filter((a) => present[a] !== undefined);
    for (const arch of ARCHES) {
      const dir = present[arch];
      if (dir === undefined) reportMissing(spec, driver, arch, presentArches, rules);
      else if (dir !== "") checkDriverDir(driver, arch, dir, dirs[arch].get(dir)!, vars, rules); // "": ambiguous, reported
    }
  }
  return { report, outputPaths };
}

/** The tree's files and skipped files by arch and driver directory; files outside one are left out. */
function collectDirs(files: Iterable<DriverTreeFile>, skipped: readonly SkippedFile[], outputPaths: Map<string, string | null>): Record<Arch, Map<string, DirEntry>> {
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

  return dirs;
}

/**
 * Which directory serves which spec driver, per arch ("" when several do: reported here); the
 * output path of every file of a matched directory, null for the others; unlisted directories.
 */
function chooseDirs(
  spec: PackagingSpec,
  dirs: Record<Arch, Map<string, DirEntry>>,
  rules: RuleReport<ValidateSpecRule>,
  outputPaths: Map<string, string | null>,
): { chosen: Map<DriverSpec, Partial<Record<Arch, string>>>; unlisted: Map<string, Set<Arch>> } {
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

  return { chosen, unlisted };
}

function reportUnlisted(unlisted: Map<string, Set<Arch>>, rules: RuleReport<ValidateSpecRule>): void {
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

/** A spec driver without a directory for `arch`: an error when required, else by the spec's rule. */
function reportMissing(spec: PackagingSpec, driver: DriverSpec, arch: Arch, presentArches: readonly Arch[], rules: RuleReport<ValidateSpecRule>): void {
  const tried = [`drivers/${arch}/${driver.name}`, ...(hasAeroGpuAlias(driver.name) ? [`drivers/${arch}/aero-gpu`] : [])].join(", ");
  const group = `${driver.name} (${arch})`;
  if (driver.required) {
    rules.error({
      rule: "required-driver-missing",
      group,
      path: `drivers/${arch}/${driver.name}`,
      message: `required driver directory missing: ${driver.name} (${arch}); tried: ${tried}`,
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
        `(require_optional_drivers_on_all_arches=true); tried: ${tried}`,
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
}

function isArchDir(f: DriverTreeFile): boolean {
  return !!f.directory && /^drivers(\/[^/]+)?$/.test(f.path);
}
