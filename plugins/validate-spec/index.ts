/**
 * validateSpec(): the gate before the media is written. A barrier: it collects every file, runs
 * every driver check of the packaging spec on both arches (driver directories, INF contents,
 * devices.cmd variables), adds the problems earlier plugins put in the shared report, and either
 * fails once with the whole report or emits every file sorted by package path. The report also
 * holds every path the ISO cannot hold (checkMediaPaths, the writer's own check), so a tree this
 * gate passes is one the writers accept.
 *
 * Driver directories are renamed to the spec's spelling (`aero-gpu` → `aerogpu`, `VirtIO-Blk` →
 * `virtio-blk`); files under `drivers/` that belong to no spec driver are left out, as the Rust
 * tool only packages the drivers its spec lists. No payload bytes are hashed; only INF files and
 * `config/devices.cmd` are read.
 */
import path from "node:path";
import type { Transform } from "node:stream";
import log from "../shared/log.js";
import type Vinyl from "vinyl";
import { parseDevicesCmdVars } from "../devices-cmd/parse.js";
import { checkMediaPaths, type MediaPathProblem } from "../iso9660/names.js";
import { collectThenFinish, isRegularFile } from "../shared/barrier.js";
import { DOCUMENT_LIMITS, formatSize, isDocumentRefusal } from "../shared/documents.js";
import { readDocumentFile } from "../shared/document-files.js";
import { userError } from "../shared/errors.js";
import { asciiLower, asciiUpper, compareCodePoints, packagePath, sortByPackagePath } from "../shared/paths.js";
import { ProblemReport, type RuleReport } from "../shared/report.js";
import type { ValidateSpecProblem, ValidateSpecRule } from "./rules.js";
import { matchSpecDriver, parseDriverPath, validateDrivers, type DriverTreeFile } from "./drivers.js";
import type { SigningPolicy } from "../manifest/document.js";
import { CatalogIntake, checkCatalogs, type CatalogSummary, type CheckCache } from "./catalogs.js";
import { checkConfigDrift } from "./config-drift.js";
import { decodeInfText } from "../inf/inf.js";
import { foldCase } from "../packaging-spec/names.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { loadSpec, loadSpecFile } from "../shared/load-spec.js";
import { replacedDevicesCmd } from "../shared/vinyl-fields.js";

// Moved to packaging-spec/, inf/ and shared/load-spec.ts; re-exported for imports of the old place.
export { loadSpec, loadSpecFile } from "../shared/load-spec.js";
export { isLoadedSpec, packagingSpecSchema, compileRustRegex, translateRustRegex, rustRegexEscape, RustRegex, RustRegexError } from "../packaging-spec/index.js";
export { MAX_PATTERN_LENGTH, MAX_PATTERN_NESTING, foldCase, normalizeDriverName, fileExtension, matchSpecDriver } from "../packaging-spec/index.js";
export type { PackagingSpec, DriverSpec, LoadSpecOptions, RustRegexOptions } from "../packaging-spec/index.js";
export { decodeInfText, parseInf, infContentLines, infAddServiceNames, infReferencedFiles, infsDeclareService } from "../inf/index.js";
export { infsMatchPattern, missingInfReferences, pciBaseHardwareId } from "../inf/index.js";
export type { ParsedInf, LineMatcher, InfSection, InfReferences, MissingReference } from "../inf/index.js";
export {
  validateDrivers,
  parseDriverPath,
  ARCHES,
  type Arch,
  type DriverTreeFile,
  type DriverCheckResult,
} from "./drivers.js";
export { checkCatalogs, formatCatalogSummary, WAIVABLE_CHECKS, type CatalogSummary, type CatalogCheckOptions, type CheckCache, type WaivableCheck } from "./catalogs.js";

const PLUGIN = "validateSpec";

export interface ValidateSpecOptions {
  /**
   * Shared report: problems earlier plugins collected are reported together with ours, and ours
   * (errors, warnings, skipped files) are added to it. Without one, warnings are printed here.
   */
  report?: ProblemReport;
  /**
   * The devices.cmd variables (names ASCII-uppercased). When given, `config/devices.cmd` in the
   * stream is not read. Otherwise: the variables of the devices.cmd a generated one replaced
   * (`file.aeroReplacedDevicesCmd`), overridden by those of the `config/devices.cmd` in the stream.
   */
  devicesCmdVars?: ReadonlyMap<string, string>;
  /**
   * Package paths the writers downstream add (the guest-tools build: `manifest.json`): an input at
   * one of them, or at a spelling of one that differs only by case, is an error. Default none.
   */
  generatedFiles?: readonly string[];
  /**
   * The media's signing policy, which turns on the catalog and signature checks: under "test" and
   * "production" their problems are errors, under "none" warnings. Without it they do not run
   * (the guest-tools, watch and validate tasks always give it).
   */
  signingPolicy?: SigningPolicy;
  /** Told what the catalog checks found (catalog signers, embedded signatures), for a summary. */
  onCatalogSummary?: (summary: CatalogSummary) => void;
  /**
   * Where the catalog checks remember their results between builds (gulp watch's BuildCache,
   * placed with its identify() stage before this one): catalogs, certificates and files that did
   * not change are not parsed or hashed again.
   */
  cache?: CheckCache;
  /**
   * Called with the catalog checks' verdict instead of waiting for it: once every other check
   * passes, the files pass on while the catalogs are still being checked, and the verdict
   * rejects with this plugin's error if they fail. Whoever takes it must wait for it before
   * anything is committed (guestToolsPipeline: atomicDest's `gate`). When another check fails,
   * the catalog checks are awaited and all problems reported at once, as without this option.
   */
  deferCatalogChecks?: (verdict: Promise<void>) => void;
}

/**
 * Check the tree against the packaging spec (a loaded spec, a spec object or the path of a spec
 * file). A bad spec throws a PluginError here, before any file flows.
 */
export function validateSpec(specOrPath: string | PackagingSpec | object, options: ValidateSpecOptions = {}): Transform {
  const spec = typeof specOrPath === "string" ? loadSpecFile(specOrPath) : loadSpec(specOrPath);
  // The catalogs are read as they stream past; they are parsed when the catalog checks run.
  const intake = options.signingPolicy !== undefined ? new CatalogIntake({ spec, ...(options.cache && { cache: options.cache }) }) : undefined;
  const stream = collectThenFinish(
    PLUGIN,
    "bytes",
    (files) => check(spec, files, options, intake),
    (file) => {
      intake?.observe(file);
      return true;
    },
  );
  return stream;
}

async function check(spec: PackagingSpec, files: Vinyl[], options: ValidateSpecOptions, intake: CatalogIntake | undefined): Promise<Vinyl[]> {
  const report = options.report ?? new ProblemReport();
  const rules: RuleReport<ValidateSpecRule> = report;
  const entries: DriverTreeFile[] = [];
  let devicesCmd: Vinyl | undefined;
  for (const file of files) {
    const p = packagePath(file);
    const entry: DriverTreeFile = { path: p };
    if (file.isDirectory()) entry.directory = true;
    else if (asciiLower(p) === "config/devices.cmd") devicesCmd = file;
    else if (!file.isNull() && asciiLower(p).endsWith(".inf")) {
      const parsed = parseDriverPath(p);
      if (parsed && parsed.rel && matchSpecDriver(spec, parsed.dir)) {
        try {
          // Bounded, and a one-shot stream is kept as the Buffer read, readable for later plugins.
          entry.infText = decodeInfText(await readDocumentFile("inf", file, p));
        } catch (err) {
          rules.error({
            rule: "inf-unreadable",
            group: "drivers",
            path: p,
            message: isDocumentRefusal(err) ? (err as Error).message : `cannot read INF ${p}: ${(err as Error).message}`,
            hint: `make sure the file is a readable INF of at most ${formatSize(DOCUMENT_LIMITS.inf.bytes, true)}`,
          });
        }
      }
    }
    entries.push(entry);
  }

  const vars = options.devicesCmdVars
    ? new Map([...options.devicesCmdVars].map(([k, v]) => [asciiUpper(k), v]))
    : await devicesCmdVars(devicesCmd);
  const result = validateDrivers(spec, entries, vars, report.skipped);
  report.absorb(result.report);
  const infTexts = new Map(entries.filter((e) => e.infText !== undefined).map((e) => [e.path, e.infText!]));
  checkConfigDrift(spec, vars, infTexts, report, options.devicesCmdVars ? undefined : await contractDrift(devicesCmd));
  // The catalog checks, into a report of their own when they may be deferred.
  let catalogs: { report: ProblemReport; done: Promise<void> } | undefined;
  if (options.signingPolicy !== undefined) {
    const into = options.deferCatalogChecks ? new ProblemReport() : report;
    const done = checkCatalogs(spec, files, infTexts, into, { signingPolicy: options.signingPolicy, ...(intake && { intake }), ...(options.cache && { cache: options.cache }) }).then(
      (summary) => options.onCatalogSummary?.(summary),
    );
    done.catch(() => undefined); // observed below, or by whoever takes the deferred verdict
    if (options.deferCatalogChecks) catalogs = { report: into, done };
    else await done;
  }

  // The media paths (driver folders in the spec's spelling, unlisted drivers left out) must fit
  // the ISO: the writer's own path check, so validate refuses exactly what the build would.
  const kept: Array<{ file: Vinyl; target: string }> = [];
  for (const file of files) {
    const p = packagePath(file);
    const target = result.outputPaths.get(p);
    if (target === null) {
      if (!file.isDirectory()) report.skipped.push({ path: p, reason: "driver directory not listed in the packaging spec" });
      continue;
    }
    kept.push({ file, target: target ?? p });
  }
  const mediaPaths = kept.filter((k) => isRegularFile(k.file)).map((k) => k.target);
  const generated = options.generatedFiles ?? [];
  for (const problem of generatedFileClashes(mediaPaths, generated)) rules.error(problem);
  const reported = (p: MediaPathProblem) => report.errors.some((e) => e.rule === p.rule && e.path === p.path);
  const added = generated.filter((g) => !mediaPaths.includes(g)); // one taken is reported above
  for (const problem of checkMediaPaths([...mediaPaths, ...added])) if (!reported(problem)) rules.error(mediaPathError(problem));

  if (catalogs && !report.ok) {
    // Failing anyway: wait for the catalog checks, so that every problem is reported at once.
    await catalogs.done;
    report.absorb(catalogs.report);
    catalogs = undefined;
  }
  if (!report.ok) throw reportError(report, !options.report);
  if (catalogs) {
    const { report: own, done } = catalogs;
    options.deferCatalogChecks!(
      done.then(() => {
        report.absorb(own);
        if (!report.ok) throw reportError(report, !options.report);
        if (!options.report) printWarnings(report);
      }),
    );
  } else if (!options.report) printWarnings(report);

  for (const { file, target } of kept) {
    if (target !== packagePath(file)) file.path = path.join(file.base, ...target.split("/"));
  }
  return sortByPackagePath(kept.map((k) => k.file));
}

/** With a shared report its owner prints the warnings (the gulp tasks do); otherwise we do. */
function printWarnings(report: ProblemReport): void {
  for (const w of report.warnings) log.warn(`warning: ${w.message}${w.hint ? ` (${w.hint})` : ""}`);
}

/** The one error of a failed check: every problem, grouped (see ProblemReport.formatErrors). */
function reportError(report: ProblemReport, printWarningsFirst: boolean): Error {
  if (printWarningsFirst) printWarnings(report);
  const err = userError(PLUGIN, report.formatErrors());
  Object.defineProperty(err, "report", { value: report, enumerable: false });
  return err;
}

const MEDIA_PATH_HINTS: Record<MediaPathProblem["rule"], string> = {
  "joliet-name": "rename it: names on the ISO (Joliet) are at most 64 UTF-16 units, characters of the Basic Multilingual Plane only (no emoji), without control characters or * / : ; ? \\",
  "path-too-long": "shorten the folder or file names: paths on the media are at most 240 UTF-16 units",
  "file-folder-conflict": "rename the file or the folder: one path cannot be both",
  "duplicate-path": "feed each file once (check for overlapping sources or globs)",
  "invalid-package-path": "give the file a relative path without empty, \".\" or \"..\" parts",
  "too-many-directories": "put the files into fewer folders",
};

/** Inputs that take the path of a file the build generates, exactly or ignoring case (Windows). */
function generatedFileClashes(paths: string[], generated: readonly string[]): ValidateSpecProblem[] {
  const problems: ValidateSpecProblem[] = [];
  for (const name of generated) {
    for (const p of paths) {
      if (p === name) {
        problems.push({
          rule: "generated-file-taken",
          group: "guest-tools",
          path: p,
          message: `the input already contains ${name}, which the build generates`,
          hint: `remove ${p} from the inputs (or rename it)`,
        });
      } else if (foldCase(p) === foldCase(name)) {
        problems.push({
          rule: "case-collision",
          group: "guest-tools",
          path: p,
          message: `case-insensitive path collision: ${[p, name].sort(compareCodePoints).join(", ")} (Windows treats these names as the same; the build generates ${name})`,
          hint: `rename or remove ${p}`,
        });
      }
    }
  }
  return problems;
}

function mediaPathError(problem: MediaPathProblem): ValidateSpecProblem {
  const parsed = parseDriverPath(problem.path);
  return {
    rule: problem.rule,
    group: parsed ? `${parsed.dir} (${parsed.arch})` : problem.path.startsWith("drivers/") ? "drivers" : "guest-tools",
    path: problem.path,
    message: problem.path === "" ? problem.message : `"${problem.path}": ${problem.message}`,
    hint: MEDIA_PATH_HINTS[problem.rule],
  };
}

/** The on-disk devices.cmd a generated one replaced, and the generated one, when both exist. */
async function contractDrift(file: Vinyl | undefined): Promise<{ onDisk: Map<string, string>; generated: Map<string, string> } | undefined> {
  const replaced = file && replacedDevicesCmd(file);
  if (!file || !replaced || file.isNull() || file.isDirectory()) return undefined;
  const decode = (bytes: Buffer) => new TextDecoder("utf-8").decode(bytes);
  const generated = await readDocumentFile("devicesCmd", file, packagePath(file));
  return { onDisk: parseDevicesCmdVars(decode(replaced)), generated: parseDevicesCmdVars(decode(generated)) };
}

async function devicesCmdVars(file: Vinyl | undefined): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  if (!file) return vars;
  const decode = (bytes: Buffer) => new TextDecoder("utf-8").decode(bytes); // lossy, BOM dropped
  const replaced = replacedDevicesCmd(file);
  if (replaced) {
    for (const [k, v] of parseDevicesCmdVars(decode(replaced))) vars.set(k, v);
  }
  if (!file.isNull() && !file.isDirectory()) {
    for (const [k, v] of parseDevicesCmdVars(decode(await readDocumentFile("devicesCmd", file, packagePath(file))))) vars.set(k, v);
  }
  return vars;
}
