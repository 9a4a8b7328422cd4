/**
 * payloadPolicy(): every file of the media passes through here. Refused (errors, collected and
 * reported together): symlinks (a link itself, or any symlinked folder on the way to a file),
 * names that are not UTF-8, private-key material, Windows-invalid names and paths that collide
 * when case is ignored. Skipped silently (recorded in `report.skipped`): hidden files and folders,
 * `__MACOSX`, Explorer metadata, and build artifacts in driver directories and `tools/` (a driver's
 * `allow_extensions` / `allow_path_regexes` re-include them). Directories pass through untouched.
 *
 * Files stream through (no barrier). With `options.report` the problems are added there for a
 * later gate (validateSpec) to report; without one the stream fails at the end with all of them.
 */
import { lstat } from "node:fs/promises";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { packagePath } from "../shared/paths.js";
import { ProblemReport } from "../shared/report.js";
import { matchSpecDriver } from "../packaging-spec/match.js";
import type { DriverSpec, PackagingSpec } from "../packaging-spec/spec.js";
import { loadSpec, loadSpecFile } from "../shared/load-spec.js";
import { classifyPath, classifyStagedPath, compileAllowlist, driverTreePath, type Allowlist, type PayloadPolicyProblem } from "./rules.js";
import { backslashProblem, encodingProblem, setProblems, symlinkProblem, type UngroupedProblem } from "./file-checks.js";

export {
  classifyPath,
  classifyStagedPath,
  compileAllowlist,
  findCaseCollisions,
  windowsNameProblem,
  windowsPathProblem,
  PRIVATE_KEY_EXTENSIONS,
  DEFAULT_EXCLUDED_EXTENSIONS,
  OS_METADATA_NAMES,
  type Allowlist,
  type Verdict,
  type CaseCollision,
} from "./rules.js";

const PLUGIN = "payloadPolicy";

export interface PayloadPolicyOptions {
  /** The packaging spec (loaded, an object, or a file path): its drivers' allowlists re-include build artifacts. */
  spec?: PackagingSpec | string | object;
  /** Shared report: problems and skipped files are added here instead of failing the stream. */
  report?: ProblemReport;
  /**
   * "media" (default): every rule above. "staged": for a folder that already is a media tree
   * (the `iso` task): symlinks, non-UTF-8 names, duplicate and case-colliding paths are refused,
   * hidden files and OS metadata skipped, nothing else judged.
   */
  profile?: "media" | "staged";
}

/** The spec's view of a path: its driver's allowlist, and the group its problems are reported under. */
function specLookups(spec: PackagingSpec | undefined): { allowlistFor(dir: string): Allowlist | undefined; groupOf(p: string): string } {
  const allowlists = new Map<DriverSpec, Allowlist>();
  for (const d of spec?.drivers ?? []) allowlists.set(d, compileAllowlist(d));
  return {
    allowlistFor(dir) {
      const match = spec && matchSpecDriver(spec, dir);
      return match ? allowlists.get(match.driver) : undefined;
    },
    groupOf(p) {
      const parts = p.split("/");
      const driver = driverTreePath(p);
      if (!driver) return parts.length > 1 && parts[0] === "drivers" ? "drivers" : "guest-tools";
      const name = (spec && matchSpecDriver(spec, driver.dir)?.driver.name) ?? driver.dir;
      return `${name} (${parts[1]})`;
    },
  };
}

export function payloadPolicy(options: PayloadPolicyOptions = {}): Transform {
  const spec = options.spec === undefined ? undefined : typeof options.spec === "string" ? loadSpecFile(options.spec) : loadSpec(options.spec);
  const { allowlistFor, groupOf } = specLookups(spec);
  const staged = options.profile === "staged";
  const report = options.report ?? new ProblemReport();
  const errors: PayloadPolicyProblem[] = [];
  const fail = (problem: UngroupedProblem) => errors.push({ ...problem, group: groupOf(problem.path ?? "") });
  const kept: string[] = [];
  const seen = new Map<string, number>();
  const symlinkCache = new Map<string, Promise<boolean>>();
  const isSymlink = (p: string) => {
    let r = symlinkCache.get(p);
    if (!r) symlinkCache.set(p, (r = lstat(p).then((s) => s.isSymbolicLink(), () => false)));
    return r;
  };

  /** Keep the file, skip it (recorded) or refuse it (a problem); the first problem found is the one reported. */
  async function decide(file: Vinyl): Promise<boolean> {
    const p = packagePath(file);
    const shown = file.history[0] ?? file.path;
    const problem =
      encodingProblem(file, p, shown) ?? (await symlinkProblem(file, p, shown, isSymlink)) ?? (staged ? undefined : backslashProblem(file, p));
    if (problem) {
      fail(problem);
      return false;
    }
    const verdict = staged ? classifyStagedPath(p) : classifyPath(p, allowlistFor);
    if (verdict.action === "refuse") {
      fail({ rule: verdict.rule, path: p, message: verdict.message, hint: verdict.hint });
      return false;
    }
    if (verdict.action === "skip") {
      report.skipped.push({ path: p, reason: verdict.reason });
      return false;
    }
    seen.set(p, (seen.get(p) ?? 0) + 1);
    kept.push(p);
    return true;
  }

  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      intake(PLUGIN, file, { needs: "paths" })
        .then((f) => (f.isDirectory() ? true : decide(f)))
        .then(
          (keep) => cb(null, keep ? file : undefined),
          (err: unknown) => cb(asPluginError(PLUGIN, err)),
        );
    },
    flush(cb) {
      for (const problem of setProblems(seen, kept)) fail(problem);
      for (const e of errors) report.error(e);
      if (!options.report && !report.ok) {
        cb(userError(PLUGIN, report.formatErrors()));
        return;
      }
      cb();
    },
  });
}
