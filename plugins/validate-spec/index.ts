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
import { collectThenFinish } from "../shared/barrier.js";
import { DOCUMENT_LIMITS, formatSize, isDocumentRefusal } from "../shared/documents.js";
import { readDocumentFile } from "../shared/document-files.js";
import { userError } from "../shared/errors.js";
import { asciiLower, asciiUpper, packagePath, sortByPackagePath } from "../shared/paths.js";
import { ProblemReport, type RuleReport } from "../shared/report.js";
import type { ValidateSpecRule } from "./rules.js";
import { mediaTargets } from "./media-paths.js";
import { matchSpecDriver, parseDriverPath, validateDrivers, type DriverTreeFile } from "./drivers.js";
import type { SigningPolicy } from "../manifest/document.js";
import { CatalogIntake, checkCatalogs, type CatalogSummary, type CheckCache } from "./catalogs.js";
import { checkConfigDrift } from "./config-drift.js";
import { decodeInfText } from "../inf/inf.js";
import type { PackagingSpec } from "../packaging-spec/spec.js";
import { loadSpec, loadSpecFile } from "../shared/load-spec.js";
import type { SharedReads } from "../shared/shared-reads.js";
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
  /**
   * With deferCatalogChecks: the files' bytes are taken from the reads of a later stage given the
   * same object (mediaImages' `sharedReads`) instead of being read here again, so the bytes the
   * catalog checks judge are the bytes packaged. A file that stage does not read is read here.
   */
  sharedReads?: SharedReads;
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

/** The tree as validateDrivers sees it (the INFs of spec drivers read and decoded), and config/devices.cmd. */
async function driverTree(spec: PackagingSpec, files: Vinyl[], rules: RuleReport<ValidateSpecRule>): Promise<{ entries: DriverTreeFile[]; devicesCmd: Vinyl | undefined }> {
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
  return { entries, devicesCmd };
}

/** Catalog checks still running: their own report and when they end. */
interface DeferredCatalogs {
  report: ProblemReport;
  done: Promise<void>;
}

/** The catalog checks, when a signing policy turns them on: awaited here, or left running (deferCatalogChecks) into a report of their own. */
async function runCatalogChecks(
  spec: PackagingSpec,
  files: Vinyl[],
  infTexts: Map<string, string>,
  report: ProblemReport,
  options: ValidateSpecOptions,
  intake: CatalogIntake | undefined,
): Promise<DeferredCatalogs | undefined> {
  if (options.signingPolicy === undefined) return undefined;
  const into = options.deferCatalogChecks ? new ProblemReport() : report;
  const done = checkCatalogs(spec, files, infTexts, into, {
    signingPolicy: options.signingPolicy,
    ...(intake && { intake }),
    ...(options.cache && { cache: options.cache }),
    ...(options.deferCatalogChecks && options.sharedReads && { sharedReads: options.sharedReads }),
  }).then(
    (summary) => options.onCatalogSummary?.(summary),
  );
  done.catch(() => undefined); // observed by verdict, or by whoever takes the deferred verdict
  if (options.deferCatalogChecks) return { report: into, done };
  await done;
  return undefined;
}

/** Fail with every problem at once, or pass (the deferred catalog checks' verdict handed on). */
async function verdict(report: ProblemReport, catalogs: DeferredCatalogs | undefined, options: ValidateSpecOptions): Promise<void> {
  if (catalogs && !report.ok) {
    // Failing anyway: wait for the catalog checks, so that every problem is reported at once
    // (reading the files themselves: nothing downstream will).
    options.sharedReads?.close();
    await catalogs.done;
    report.absorb(catalogs.report);
    catalogs = undefined;
  }
  if (!report.ok) {
    options.sharedReads?.close();
    throw reportError(report, !options.report);
  }
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
}

async function check(spec: PackagingSpec, files: Vinyl[], options: ValidateSpecOptions, intake: CatalogIntake | undefined): Promise<Vinyl[]> {
  const report = options.report ?? new ProblemReport();
  const { entries, devicesCmd } = await driverTree(spec, files, report);
  const vars = options.devicesCmdVars
    ? new Map([...options.devicesCmdVars].map(([k, v]) => [asciiUpper(k), v]))
    : await devicesCmdVars(devicesCmd);
  const result = validateDrivers(spec, entries, vars, report.skipped);
  report.absorb(result.report);
  const infTexts = new Map(entries.filter((e) => e.infText !== undefined).map((e) => [e.path, e.infText!]));
  checkConfigDrift(spec, vars, infTexts, report, options.devicesCmdVars ? undefined : await contractDrift(devicesCmd));
  const catalogs = await runCatalogChecks(spec, files, infTexts, report, options, intake);
  const kept = mediaTargets(files, result.outputPaths, report, options.generatedFiles ?? []);
  await verdict(report, catalogs, options);
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
