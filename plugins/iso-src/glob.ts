/**
 * A small glob matcher for paths inside an image (node:path's matchesGlob is still experimental
 * on Node 20 and prints a warning). Supported: `*` and `?` within one path segment, `**` as a
 * whole segment for any number of segments, `[abc]` / `[a-z]` / `[!a]` classes, `{a,b}`
 * alternatives, and a leading `!` to exclude. Matching is case-sensitive; `*` also matches
 * names that start with a dot. A leading "/" or "./" is ignored, so "/drivers/**" works.
 */

const MAX_ALTERNATIVES = 1024;

/** Expand `{a,b}` groups (innermost-first, bounded). */
export function expandBraces(glob: string): string[] {
  const out: string[] = [];
  const pending = [glob];
  while (pending.length) {
    const item = pending.pop()!;
    const group = /\{([^{}]*,[^{}]*)\}/.exec(item);
    if (!group) {
      out.push(item);
      continue;
    }
    for (const alt of group[1]!.split(",")) {
      pending.push(item.slice(0, group.index) + alt + item.slice(group.index + group[0].length));
    }
    if (pending.length + out.length > MAX_ALTERNATIVES) throw new Error(`glob ${JSON.stringify(glob)} expands to too many alternatives`);
  }
  return out.reverse();
}

function escapeRegExp(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

function segmentSource(segment: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === "*") {
      while (segment[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (ch === "?") {
      out += "[^/]";
    } else if (ch === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      const chars = body.replace(/[\\\]^]/g, (c) => `\\${c}`);
      out += negate ? `[^/${chars}]` : `[${chars}]`;
      i = close;
    } else {
      out += escapeRegExp(ch);
    }
  }
  return out;
}

/** One glob (no braces, no "!") as an anchored RegExp over "/"-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  const segments = glob.replace(/^(\.\/|\/)+/, "").split("/");
  let source = "";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") source += last ? ".*" : "(?:[^/]+/)*";
    else source += segmentSource(segment) + (last ? "" : "/");
  });
  return new RegExp(`^${source}$`, "s");
}

/** A predicate: included by some positive glob (or by default when all are "!") and by no "!" glob. */
export function createGlobMatcher(globs: string | string[]): (path: string) => boolean {
  const list = typeof globs === "string" ? [globs] : globs;
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const glob of list) {
    if (typeof glob !== "string" || glob === "" || glob === "!") throw new Error(`invalid glob ${JSON.stringify(glob)}`);
    const negative = glob.startsWith("!");
    for (const expanded of expandBraces(negative ? glob.slice(1) : glob)) {
      (negative ? exclude : include).push(globToRegExp(expanded));
    }
  }
  return (path) => (include.length === 0 || include.some((re) => re.test(path))) && !exclude.some((re) => re.test(path));
}
