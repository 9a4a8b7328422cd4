/**
 * What `gulp watch` watches (pure): the folders handed to the watcher, and which changed paths
 * can affect the media. Single files (spec, contract) are watched through their folder, since
 * chokidar loses a lone file's watch once it is deleted (an editor's save-by-rename).
 */
import path from "node:path";
import { TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { GUEST_TOOLS_FOLDERS, GUEST_TOOLS_ROOT_FILES } from "../plugins/tree-src/index.js";

/** One watched place: a folder, and which paths under it matter ("/"-separated, relative). */
export interface WatchTarget {
  root: string;
  accepts(rel: string): boolean;
}

export interface WatchPlan {
  /** Folders handed to the watcher. */
  roots: string[];
  /** Whether a changed path (absolute) can affect the media; the watcher ignores the rest. */
  relevant(absPath: string): boolean;
}

const ROOT_FILES = new Set<string>(GUEST_TOOLS_ROOT_FILES);
const FOLDERS = new Set<string>(GUEST_TOOLS_FOLDERS);

/** The packaged parts of a guest-tools dir (what guestToolsSrc reads), folders leading to them included. */
function guestToolsAccepts(rel: string): boolean {
  const [first, ...rest] = rel.split("/");
  if (ROOT_FILES.has(first!)) return rest.length === 0;
  if (FOLDERS.has(first!)) return true;
  if (first === "drivers") return rest.length === 0 || (rest.length === 1 && rest[0] === "README.md");
  return false;
}

/** `child` relative to `parent`, "/"-separated; "" for the folder itself, undefined outside it. */
export function inside(child: string, parent: string): string | undefined {
  const rel = path.relative(parent, child);
  if (rel === "") return "";
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join("/");
}

/**
 * The watch plan for a build: the guest-tools dir (its packaged parts), the drivers dir (all of
 * it), and the spec and contract files (through their folders). Paths under the out dir and
 * atomicDest's temp files never count, so writing the media cannot trigger a rebuild.
 */
export function watchPlan(options: { guestToolsDir: string; driversDir: string; spec: string; contract?: string | undefined; outDir: string }): WatchPlan {
  const file = (p: string): WatchTarget => ({ root: path.dirname(p), accepts: (rel) => rel === path.basename(p) });
  const targets: WatchTarget[] = [
    { root: options.guestToolsDir, accepts: guestToolsAccepts },
    { root: options.driversDir, accepts: () => true },
    file(options.spec),
    ...(options.contract !== undefined ? [file(options.contract)] : []),
  ];
  const roots = [...new Set(targets.map((t) => t.root))];
  return {
    roots,
    relevant(absPath) {
      if (path.basename(absPath).startsWith(TEMP_PREFIX)) return false;
      if (inside(absPath, options.outDir) !== undefined) return false;
      if (roots.includes(absPath)) return true;
      return targets.some((t) => {
        const rel = inside(absPath, t.root);
        return rel !== undefined && rel !== "" && t.accepts(rel);
      });
    },
  };
}
