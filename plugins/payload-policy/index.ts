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
import path from "node:path";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { FileContents } from "../shared/contents.js";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { packagePath } from "../shared/paths.js";
import { ProblemReport } from "../shared/report.js";
import { matchSpecDriver } from "../packaging-spec/match.js";
import type { DriverSpec, PackagingSpec } from "../packaging-spec/spec.js";
import { loadSpec, loadSpecFile } from "../shared/load-spec.js";
import { classifyPath, classifyStagedPath, compileAllowlist, driverTreePath, findCaseCollisions, rootLabel, type Allowlist, type PayloadPolicyProblem } from "./rules.js";
import { nonUtf8Path } from "../shared/vinyl-fields.js";

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

/** A vinyl file with the extra fields our tree source may set. */

export function payloadPolicy(options: PayloadPolicyOptions = {}): Transform {
  const spec = options.spec === undefined ? undefined : typeof options.spec === "string" ? loadSpecFile(options.spec) : loadSpec(options.spec);
  const allowlists = new Map<DriverSpec, Allowlist>();
  for (const d of spec?.drivers ?? []) allowlists.set(d, compileAllowlist(d));
  const allowlistFor = (dir: string) => {
    const match = spec && matchSpecDriver(spec, dir);
    return match ? allowlists.get(match.driver) : undefined;
  };
  const groupOf = (p: string) => {
    const parts = p.split("/");
    const driver = driverTreePath(p);
    if (!driver) return parts.length > 1 && parts[0] === "drivers" ? "drivers" : "guest-tools";
    const name = (spec && matchSpecDriver(spec, driver.dir)?.driver.name) ?? driver.dir;
    return `${name} (${parts[1]})`;
  };

  const staged = options.profile === "staged";
  const report = options.report ?? new ProblemReport();
  const errors: PayloadPolicyProblem[] = [];
  const fail = (problem: Omit<PayloadPolicyProblem, "group">) => errors.push({ ...problem, group: groupOf(problem.path ?? "") });
  const kept: string[] = [];
  const seen = new Map<string, number>();
  const symlinkCache = new Map<string, Promise<boolean>>();
  const isSymlink = (p: string) => {
    let r = symlinkCache.get(p);
    if (!r) symlinkCache.set(p, (r = lstat(p).then((s) => s.isSymbolicLink(), () => false)));
    return r;
  };

  async function decide(file: Vinyl): Promise<boolean> {
    const p = packagePath(file);
    const shown = file.history[0] ?? file.path;
    const badName = nonUtf8Path(file);
    if (badName !== undefined) {
      fail({
        rule: "non-utf8-name",
        path: p,
        message: `non-UTF8 path component: ${badName}`,
        hint: "rename the file or folder to a valid UTF-8 name",
      });
      return false;
    }
    // gulp.src reads names as UTF-8 and turns bytes that are not into U+FFFD: the name is lost.
    if (p.includes("\uFFFD")) {
      fail({
        rule: "non-utf8-name",
        path: p,
        message: `non-UTF8 path component (undecodable bytes read as U+FFFD): ${shown}`,
        hint: "rename the file or folder to a valid UTF-8 name",
      });
      return false;
    }
    const linked = file.isSymbolic() || file.stat?.isSymbolicLink?.() ? shown : await symlinkedComponent(file, isSymlink);
    if (linked !== null) {
      fail({
        rule: "symlink",
        path: p,
        message:
          linked === shown
            ? `refusing to package symlink ${shown} (found under ${rootLabel(p)}); replace the symlink with a real file or remove it`
            : `refusing to package ${shown}: its folder ${linked} is a symlink (found under ${rootLabel(p)}); replace the symlink with a real folder or remove it`,
        hint: "copy the real files into the input tree instead of linking to them",
      });
      return false;
    }
    // On POSIX a backslash is an ordinary name character, which packagePath would turn into a separator.
    if (path.sep === "/" && !staged) {
      for (const component of file.relative.split("/")) {
        if (component.includes("\\")) {
          fail({
            rule: "windows-invalid-name",
            path: p,
            message: `package path ${JSON.stringify(file.relative)} contains a Windows-invalid component (invalid character '\\'): ${JSON.stringify(component)}`,
            hint: "rename it: Windows cannot create this name",
          });
          return false;
        }
      }
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
      for (const [p, n] of seen) {
        if (n > 1) {
          fail({
            rule: "duplicate-path",
            path: p,
            message: `${n} input files have the same package path ${p}`,
            hint: "feed each file once (check for overlapping sources or globs)",
          });
        }
      }
      for (const c of findCaseCollisions(kept)) {
        const first = c.spellings[0]!.replace(/\/$/, "");
        fail({
          rule: "case-collision",
          path: first,
          message: `case-insensitive path collision: ${c.spellings.join(", ")} (Windows treats these names as the same)`,
          hint: "rename or remove one of the colliding files/directories so that all packaged paths are unique when compared case-insensitively",
        });
      }
      for (const e of errors) report.error(e);
      if (!options.report && !report.ok) {
        cb(userError(PLUGIN, report.formatErrors()));
        return;
      }
      cb();
    },
  });
}

/**
 * For files read by gulp.src (which follows links): the first symlinked folder or file between
 * file.base and the file's original path. Our own tree source reports links itself, so its
 * files (FileContents) and in-memory files (no stat) are not looked at.
 */
async function symlinkedComponent(file: Vinyl, isSymlink: (p: string) => Promise<boolean>): Promise<string | null> {
  if (file.contents instanceof FileContents || !file.stat) return null;
  const original = file.history[0];
  if (!original || !file.base) return null;
  const rel = path.relative(file.base, original);
  if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) return null;
  let current = file.base;
  for (const part of rel.split(path.sep)) {
    current = path.join(current, part);
    if (await isSymlink(current)) return current;
  }
  return null;
}
