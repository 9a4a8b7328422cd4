/**
 * Every limit the media puts on its paths, as one pure check: what both the ISO writer and
 * validateSpec refuse, so that `validate` and the build cannot disagree.
 */
import { compareCodePoints } from "../shared/paths.js";
import { jolietNameProblem } from "./joliet.js";

/** Longest package path (UTF-16 units, "/" separators included): ISO9660's path limit, kept by Joliet. */
export const MAX_PATH_UNITS = 240;
/** Path table parent numbers are 16-bit. */
export const MAX_DIRECTORIES = 0xffff;

export interface MediaPathProblem {
  /** The package path (or directory) the problem is about; "" for the whole set. */
  path: string;
  rule: "invalid-package-path" | "duplicate-path" | "path-too-long" | "joliet-name" | "file-folder-conflict" | "too-many-directories";
  message: string;
}

/** The rule ids of the media path limits, which validateSpec reports (the writer throws them). */
export type MediaPathRule = MediaPathProblem["rule"];

/** An empty, "." or ".." component (a leading or doubled "/" makes an empty one). */
const BAD_COMPONENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * Why these package paths (the files of one medium) cannot be written, in path order: not a
 * relative path, given twice, longer than 240 UTF-16 units, a component Joliet cannot hold
 * (`jolietNameProblem`; each directory once), a file where another path needs a directory, more
 * directories than a path table can number. The ISO writer refuses exactly these before any
 * output (`planLayout`), and validateSpec reports them with the other problems, so `validate`
 * and the build cannot disagree. The zip holds anything that passes this.
 */
export function checkMediaPaths(paths: Iterable<string>): MediaPathProblem[] {
  const problems: MediaPathProblem[] = [];
  const list = [...paths];
  const files = new Set(list);
  const seen = new Set<string>();
  const dirs = new Set<string>();
  // No sort of the whole list (the writer sorts once, later), and each folder is looked at once:
  // walking up from a file stops at the first folder already seen.
  for (const path of list) {
    if (seen.has(path)) {
      problems.push({ path, rule: "duplicate-path", message: "the same path is given twice" });
      continue;
    }
    seen.add(path);
    if (BAD_COMPONENT.test(path)) {
      problems.push({ path, rule: "invalid-package-path", message: 'not a relative package path (empty, "." or ".." component, or a leading "/")' });
      continue;
    }
    if (path.length > MAX_PATH_UNITS) {
      problems.push({
        path,
        rule: "path-too-long",
        message: `the path is ${path.length} UTF-16 code units long; Joliet paths may be at most ${MAX_PATH_UNITS} (max=${MAX_PATH_UNITS} code units)`,
      });
    }
    let end = path.lastIndexOf("/");
    const fileProblem = jolietNameProblem(path.slice(end + 1));
    if (fileProblem) problems.push({ path, rule: "joliet-name", message: `invalid Joliet file name: ${fileProblem}` });
    while (end > 0) {
      const dir = path.slice(0, end);
      if (dirs.has(dir)) break;
      dirs.add(dir);
      if (files.has(dir)) {
        problems.push({ path: dir, rule: "file-folder-conflict", message: `is a file but "${path}" needs it to be a directory` });
      }
      end = dir.lastIndexOf("/");
      const dirProblem = jolietNameProblem(dir.slice(end + 1));
      if (dirProblem) problems.push({ path: dir, rule: "joliet-name", message: `invalid Joliet directory name: ${dirProblem}` });
    }
  }
  problems.sort((a, b) => compareCodePoints(a.path, b.path)); // stable: one path's problems keep their order
  if (dirs.size + 1 > MAX_DIRECTORIES) {
    problems.push({
      path: "",
      rule: "too-many-directories",
      message: `${dirs.size + 1} directories; an ISO9660 path table can number at most ${MAX_DIRECTORIES}`,
    });
  }
  return problems;
}
