/**
 * The media paths validateSpec checks: each file's path on the media (driver folders in the
 * spec's spelling, unlisted drivers left out), and what the ISO cannot hold or the build itself
 * generates, checked with the writer's own rules so validate refuses exactly what the build would.
 */
import type Vinyl from "vinyl";
import { checkMediaPaths, type MediaPathProblem } from "../iso9660/names.js";
import { foldCase } from "../packaging-spec/names.js";
import { isRegularFile } from "../shared/barrier.js";
import { compareCodePoints, packagePath } from "../shared/paths.js";
import type { ProblemReport, RuleReport } from "../shared/report.js";
import { parseDriverPath } from "./drivers.js";
import type { ValidateSpecProblem, ValidateSpecRule } from "./rules.js";

/** A file the media keeps and its path there. */
export interface KeptFile {
  file: Vinyl;
  target: string;
}

/**
 * The files the media keeps, at their media paths (`outputPaths` of validateDrivers: null for a
 * driver folder the spec does not list, which is skipped), with every path problem reported.
 */
export function mediaTargets(files: Vinyl[], outputPaths: ReadonlyMap<string, string | null>, report: ProblemReport, generated: readonly string[]): KeptFile[] {
  const rules: RuleReport<ValidateSpecRule> = report;
  const kept: KeptFile[] = [];
  for (const file of files) {
    const p = packagePath(file);
    const target = outputPaths.get(p);
    if (target === null) {
      if (!file.isDirectory()) report.skipped.push({ path: p, reason: "driver directory not listed in the packaging spec" });
      continue;
    }
    kept.push({ file, target: target ?? p });
  }
  const mediaPaths = kept.filter((k) => isRegularFile(k.file)).map((k) => k.target);
  for (const problem of generatedFileClashes(mediaPaths, generated)) rules.error(problem);
  const reported = (p: MediaPathProblem) => report.errors.some((e) => e.rule === p.rule && e.path === p.path);
  const added = generated.filter((g) => !mediaPaths.includes(g)); // one taken is reported above
  for (const problem of checkMediaPaths([...mediaPaths, ...added])) if (!reported(problem)) rules.error(mediaPathError(problem));
  return kept;
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
