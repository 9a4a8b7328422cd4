/**
 * No orphans: when any process of the chain that started this build dies, the build stops with
 * the usual cleanup (it sends itself SIGTERM: temp files and the out dir's lock are removed, a
 * watch is stopped).
 *
 * The chain is not just our parent. `npx gulp` runs npm exec → sh -c gulp → gulp (gulp-cli) →
 * a respawned node when .gulp.cjs sets nodeFlags, and neither npm nor gulp-cli passes on a death
 * it could not see coming: `kill -9` of npm exec leaves sh and gulp-cli running, so watching our
 * own parent misses it. What does change is the dead process's child's parent (it is reparented
 * to init or a subreaper). So at start we note, for each process of the chain, its parent, and
 * poll whether any of those has changed or the process has ended.
 *
 * Where the chain ends: our parent belongs to it when gulp-cli respawned us (--no-respawning) or
 * npm started us (npm_* variables); above that, a process belongs to it while it was itself
 * started by npm (its environment has npm's variables; npm exec's own has not). So the user's
 * shell or the CI runner above npm is never watched, and `nohup npx gulp ... &` outlives its shell.
 * Linux reads the chain from /proc; elsewhere only our own parent is watched.
 */
import { readFileSync } from "node:fs";

/** A process of the chain and the parent it had when we started. */
export interface ChainLink {
  pid: number;
  ppid: number;
}

/** The parent of `pid`, or undefined when it has ended (a zombie has) or cannot be read (no /proc). */
function parentOf(pid: number): number | undefined {
  if (pid === process.pid) return process.ppid;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return state === "Z" ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

const NPM_VARIABLE = /(?:^|\0)npm_(?:command|lifecycle_event)=/;

function startedByNpm(pid: number): boolean {
  try {
    return NPM_VARIABLE.test(readFileSync(`/proc/${pid}/environ`, "latin1"));
  } catch {
    return false;
  }
}

/** The processes to watch, from us upwards (see above). Empty when nothing above us is ours. */
export function parentChain(): ChainLink[] {
  const respawned = process.argv.includes("--no-respawning"); // gulp-cli marks its respawned child so
  if (!respawned && process.env.npm_command === undefined && process.env.npm_lifecycle_event === undefined) return [];
  const links: ChainLink[] = [];
  for (let pid = process.pid; links.length < 16; ) {
    const ppid = parentOf(pid);
    if (ppid === undefined || ppid <= 1) break; // already orphaned, or no /proc to read it from
    links.push({ pid, ppid });
    if (!startedByNpm(ppid)) break;
    pid = ppid;
  }
  return links;
}

/** The first link whose process has ended or changed parent, if any. */
export function brokenLink(links: readonly ChainLink[]): ChainLink | undefined {
  return links.find((link) => parentOf(link.pid) !== link.ppid);
}

export function stopWhenParentDies(intervalMs = 250): void {
  const links = parentChain();
  if (links.length === 0) return;
  const timer = setInterval(() => {
    const broken = brokenLink(links);
    if (!broken) return;
    clearInterval(timer);
    // Best effort: whoever read our output may be gone with the chain.
    process.stderr.once("error", () => undefined);
    const dead = parentOf(broken.pid) === undefined ? broken.pid : broken.ppid;
    process.stderr.write(`process ${dead}, of the chain that started this build, has ended: stopping the build\n`);
    process.kill(process.pid, "SIGTERM");
  }, intervalMs);
  timer.unref();
}
