/**
 * payloadPolicy's checks that look at the vinyl file or at the whole set, beside the path rules of
 * rules.ts: names that are not UTF-8, symlinks on the way to a file, backslashes in a POSIX name,
 * and paths fed twice or colliding when case is ignored. Each returns the problem, or nothing.
 */
import path from "node:path";
import type Vinyl from "vinyl";
import { FileContents } from "../shared/contents.js";
import { nonUtf8Path } from "../shared/vinyl-fields.js";
import { findCaseCollisions, rootLabel, type PayloadPolicyProblem } from "./rules.js";

/** A problem before its group (the driver or area it belongs to) is known. */
export type UngroupedProblem = Omit<PayloadPolicyProblem, "group">;

/** A name our tree source could not decode, or one gulp.src decoded lossily. `shown`: the file as the user knows it. */
export function encodingProblem(file: Vinyl, p: string, shown: string): UngroupedProblem | undefined {
  const badName = nonUtf8Path(file);
  if (badName !== undefined) {
    return {
      rule: "non-utf8-name",
      path: p,
      message: `non-UTF8 path component: ${badName}`,
      hint: "rename the file or folder to a valid UTF-8 name",
    };
  }
  // gulp.src reads names as UTF-8 and turns bytes that are not into U+FFFD: the name is lost.
  if (p.includes("\uFFFD")) {
    return {
      rule: "non-utf8-name",
      path: p,
      message: `non-UTF8 path component (undecodable bytes read as U+FFFD): ${shown}`,
      hint: "rename the file or folder to a valid UTF-8 name",
    };
  }
  return undefined;
}

/** The file is a symlink, or a folder on the way to it is. `isSymlink`: lstat, memoised per build. */
export async function symlinkProblem(file: Vinyl, p: string, shown: string, isSymlink: (p: string) => Promise<boolean>): Promise<UngroupedProblem | undefined> {
  const linked = file.isSymbolic() || file.stat?.isSymbolicLink?.() ? shown : await symlinkedComponent(file, isSymlink);
  if (linked === null) return undefined;
  return {
    rule: "symlink",
    path: p,
    message:
      linked === shown
        ? `refusing to package symlink ${shown} (found under ${rootLabel(p)}); replace the symlink with a real file or remove it`
        : `refusing to package ${shown}: its folder ${linked} is a symlink (found under ${rootLabel(p)}); replace the symlink with a real folder or remove it`,
    hint: "copy the real files into the input tree instead of linking to them",
  };
}

/** On POSIX a backslash is an ordinary name character, which packagePath would turn into a separator. */
export function backslashProblem(file: Vinyl, p: string): UngroupedProblem | undefined {
  if (path.sep !== "/") return undefined;
  for (const component of file.relative.split("/")) {
    if (component.includes("\\")) {
      return {
        rule: "windows-invalid-name",
        path: p,
        message: `package path ${JSON.stringify(file.relative)} contains a Windows-invalid component (invalid character '\\'): ${JSON.stringify(component)}`,
        hint: "rename it: Windows cannot create this name",
      };
    }
  }
  return undefined;
}

/** Over every kept file: a package path fed more than once (`seen`: path → count), paths that collide ignoring case. */
export function setProblems(seen: Map<string, number>, kept: string[]): UngroupedProblem[] {
  const problems: UngroupedProblem[] = [];
  for (const [p, n] of seen) {
    if (n > 1) {
      problems.push({
        rule: "duplicate-path",
        path: p,
        message: `${n} input files have the same package path ${p}`,
        hint: "feed each file once (check for overlapping sources or globs)",
      });
    }
  }
  for (const c of findCaseCollisions(kept)) {
    const first = c.spellings[0]!.replace(/\/$/, "");
    problems.push({
      rule: "case-collision",
      path: first,
      message: `case-insensitive path collision: ${c.spellings.join(", ")} (Windows treats these names as the same)`,
      hint: "rename or remove one of the colliding files/directories so that all packaged paths are unique when compared case-insensitively",
    });
  }
  return problems;
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
