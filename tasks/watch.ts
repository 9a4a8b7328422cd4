/**
 * `gulp watch [guest-tools flags]`: build the media once, then rebuild it whenever the
 * guest-tools dir, the drivers dir, the spec or the device contract change.
 *
 * - Changes are debounced (saving ten files starts one rebuild); a change during a rebuild
 *   queues exactly one more (RebuildLoop).
 * - Rebuilds are incremental and byte-identical to a cold build: a BuildCache keeps each
 *   unchanged file's hash in memory, and the ISO and zip are updated from the previous ones in
 *   the out dir, rewriting only what changed (plugins/build-cache, shared/output-update.ts).
 * - A failed rebuild is logged as the one-shot build reports it and the watch goes on; the out
 *   dir keeps the last good media (atomicDest renames only complete outputs).
 * - Ctrl-C (SIGINT) or SIGTERM aborts a running build (its temp files are removed), closes the
 *   watcher and ends the task; once gulp has printed its last line, the process ends by that same
 *   signal (status 130 / 143, as any interrupted command, and as npx reports it anyway). A second
 *   Ctrl-C exits at once (130).
 *
 * Files are watched with gulp.watch (chokidar): whole folders, filtered by a path predicate.
 * Single files (spec, contract) are watched through their folder, since chokidar loses a lone
 * file's watch once it is deleted (an editor's save-by-rename, a `git checkout`).
 */
import { stat } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import path from "node:path";
import type { TaskFunction } from "gulp";
import gulp from "gulp";
import log from "gulplog";
import { TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { BuildCache } from "../plugins/build-cache/index.js";
import { buildGuestToolsMedia, deviceContractPath, type GuestToolsMediaOptions } from "../plugins/guest-tools-media/index.js";
import { userError, PluginError } from "../plugins/shared/errors.js";
import type { ProgressSink } from "../plugins/shared/progress.js";
import { GUEST_TOOLS_FOLDERS, GUEST_TOOLS_ROOT_FILES } from "../plugins/tree-src/index.js";
import { FlagError, GUEST_TOOLS_FLAGS, flagDocs, parseGuestToolsFlags, type GuestToolsFlags } from "./flags.js";
import { reportingErrors } from "./cli-output.js";
import { cliProgressSink, formatBytes } from "./progress.js";

// ---------------------------------------------------------------------------------------------
// What to watch (pure)

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

function inside(child: string, parent: string): string | undefined {
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

// ---------------------------------------------------------------------------------------------
// Debounce and queue (pure timing logic; the build is a callback)

export type ChangeKind = "added" | "changed" | "deleted";

/** Changed paths and what happened to each last. */
export type Changes = Map<string, ChangeKind>;

export interface RebuildLoopOptions {
  /** Quiet time after the last change before a rebuild starts. */
  debounceMs: number;
  /** One build. `changes` is empty for the first. Must not throw (report problems itself). */
  run(changes: Changes, signal: AbortSignal): Promise<void>;
}

/**
 * Runs builds one at a time: changes arriving while idle start a rebuild once they have been
 * quiet for debounceMs; changes arriving during a build are kept and give exactly one more
 * rebuild after it (again debounced).
 */
export class RebuildLoop {
  readonly #options: RebuildLoopOptions;
  #pending: Changes = new Map();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  /** Builds started so far. */
  builds = 0;

  constructor(options: RebuildLoopOptions) {
    this.#options = options;
  }

  /** Start a build now (the first one), unless one is running. */
  start(): void {
    if (!this.#stopped && !this.#running) this.#begin(new Map());
  }

  /** A path changed. */
  notify(kind: ChangeKind, absPath: string): void {
    if (this.#stopped) return;
    this.#pending.set(absPath, kind);
    if (!this.#running) this.#schedule();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves once no build runs and none is scheduled. */
  async idle(): Promise<void> {
    while (this.#running || this.#timer) {
      if (this.#running) await this.#running;
      else await new Promise((r) => setTimeout(r, this.#options.debounceMs));
    }
  }

  /** Stop: cancel a scheduled rebuild, abort a running one and wait until it has cleaned up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    await this.#running;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const changes = this.#pending;
      this.#pending = new Map();
      this.#begin(changes);
    }, this.#options.debounceMs);
  }

  #begin(changes: Changes): void {
    this.builds++;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#options
      .run(changes, abort.signal)
      .catch(() => undefined) // run reports its own problems
      .finally(() => {
        this.#running = undefined;
        this.#abort = undefined;
        if (!this.#stopped && this.#pending.size > 0) this.#schedule();
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Log lines (pure)

/** "guest-tools/setup.cmd changed", "setup.cmd changed, verify.ps1 added", "5 changes (…, +3 more)". */
export function describeChanges(changes: Changes, cwd: string): string {
  const shown = [...changes].map(([p, kind]) => `${displayPath(p, cwd)} ${kind}`);
  if (shown.length <= 3) return shown.join(", ");
  return `${shown.length} changes (${shown.slice(0, 2).join(", ")}, +${shown.length - 2} more)`;
}

function displayPath(p: string, cwd: string): string {
  const rel = inside(p, cwd);
  return rel === undefined || rel === "" ? p : rel;
}

/** An error as gulp-cli prints a failed task's: a PluginError's own text, else the stack. */
export function formatBuildError(err: unknown): string {
  if (err instanceof PluginError || (err instanceof Error && typeof (err as { showStack?: unknown }).showStack === "boolean")) return String(err);
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ---------------------------------------------------------------------------------------------
// The watch itself

export interface WatchLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface WatchOptions extends Omit<GuestToolsMediaOptions, "cache" | "signal" | "progress" | "driversDir" | "driversSource"> {
  /** Watched and read (a watch needs a folder: driversSource is not offered here). */
  driversDir: string;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Ends the watch (in-process use); the task uses SIGINT/SIGTERM. */
  stop?: AbortSignal;
  /** Stop on SIGINT and SIGTERM. Default false. */
  handleSignals?: boolean;
  /** Default 200 ms (as gulp.watch). */
  debounceMs?: number;
  /** Progress of the first (cold) build. */
  progress?: ProgressSink;
  logger?: WatchLogger;
  /** Told when the first build is done and the watcher is ready (tests). */
  onReady?: () => void;
  cacheOptions?: ConstructorParameters<typeof BuildCache>[0];
}

/** gulp-cli prints gulplog lines as --silent and --log-level allow. */
const gulpLogger: WatchLogger = { info: (l) => log.info(l), warn: (l) => log.warn(l), error: (l) => log.error(l) };

/**
 * Build, then rebuild on every change until stopped. Resolves once stopped and cleaned up, with
 * what stopped it: the signal's name, or "stop" (options.stop).
 */
export async function watchGuestTools(options: WatchOptions): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? gulpLogger;
  const info = (line: string) => {
    if (!options.quiet) logger.info(line);
  };
  const { quiet: _q, stop: _s, handleSignals: _h, debounceMs: _d, progress: _p, logger: _l, onReady: _r, cacheOptions: _c, ...buildOptions } = options;
  const contract = deviceContractPath(options);
  const plan = watchPlan({
    guestToolsDir: path.resolve(cwd, options.guestToolsDir),
    driversDir: path.resolve(cwd, options.driversDir),
    spec: path.resolve(cwd, options.spec),
    contract,
    outDir: path.resolve(cwd, options.outDir),
  });
  const cache = new BuildCache(options.cacheOptions);
  const outShown = displayPath(path.resolve(cwd, options.outDir), cwd);
  let lastWarnings = "";
  let lastGood = false;
  /** Set at Ctrl-C: atomicDest may fail the running build before the loop aborts it. */
  let stopRequested = false;

  const runBuild = async (changes: Changes, signal: AbortSignal): Promise<void> => {
    const first = changes.size === 0;
    const cause = first ? "" : ` after ${describeChanges(changes, cwd)}`;
    const started = performance.now();
    try {
      const result = await buildGuestToolsMedia({
        ...buildOptions,
        cache,
        signal,
        ...(first && options.progress && { progress: options.progress }),
      });
      const took = performance.now() - started;
      const sizes = await Promise.all(result.outputs.map(async (o) => `${path.basename(o)} ${formatBytes((await stat(o)).size)}`));
      const files = result.fileCount - 1; // manifest.json is made, not read
      const { zipEntriesReused, hashesReused, outputsUpdated, bytesUpdated, writtenInFull } = cache.stats;
      // Files whose earlier results served again (a zip written in full still reused the hashes).
      const reused = Math.max(zipEntriesReused, hashesReused);
      // The ISO and the zip are updated rather than rewritten unless something else changed them.
      const full = writtenInFull.map((p) => path.basename(p));
      const images = [
        ...(full.length ? [`${full.join(" and ")} written in full`] : []),
        ...(outputsUpdated ? [`${formatBytes(bytesUpdated)} of ${full.length ? "the other image" : "the images"} rewritten`] : []),
      ].join(", ");
      // Warnings as the one-shot build prints them, but only when they change (one line per rebuild).
      const warnings = result.warnings.join("\n");
      if (warnings !== lastWarnings && !options.quiet) for (const w of result.warnings) logger.warn(`warning: ${w}`);
      lastWarnings = warnings;
      lastGood = true;
      info(`${first ? "built" : `rebuilt${cause}`} in ${seconds(took)}: ${sizes.join(", ")} (${first ? `${files} files` : `${reused} of ${files} files reused; ${images}`})`);
    } catch (err) {
      if (signal.aborted || stopRequested) {
        info(`${first ? "build" : `rebuild${cause}`} stopped; ${outShown} is as it was`);
        return;
      }
      const keeps = lastGood ? `${outShown} keeps the last good media` : "nothing was written";
      logger.error(`${first ? "build" : `rebuild${cause}`} failed in ${seconds(performance.now() - started)}; ${keeps}; watching for a fix:`);
      logger.error(formatBuildError(err));
    }
  };

  const loop = new RebuildLoop({ debounceMs: options.debounceMs ?? 200, run: runBuild });
  const watcher = gulp.watch(plan.roots, {
    ignoreInitial: true,
    // Paths are literal: a folder named "drivers [old]" is not a glob.
    disableGlobbing: true,
    ignored: (p: string) => !plan.relevant(path.resolve(p)),
  } as Parameters<typeof gulp.watch>[1]);
  const kinds: Record<string, ChangeKind> = { add: "added", addDir: "added", change: "changed", unlink: "deleted", unlinkDir: "deleted" };
  watcher.on("all", (event: string, p: string) => {
    const kind = kinds[event];
    if (kind) loop.notify(kind, path.resolve(cwd, p));
  });
  watcher.on("error", (err: unknown) => logger.warn(`watcher: ${err instanceof Error ? err.message : String(err)}`));

  // Stop on the caller's signal, or on SIGINT/SIGTERM. The listeners stay until the stop is
  // complete: while one is there, atomicDest leaves the exit to us (see plugins/atomic-dest).
  // A second signal exits at once.
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      logger.error(`${sig} again: exiting now`);
      process.exit(128 + (osConstants.signals[sig] ?? 0));
    }
    signalled = true;
    stopNow(sig);
  };
  let stopNow: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stopNow = (reason) => {
      stopRequested = true;
      resolve(reason);
    };
    if (options.handleSignals) {
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    }
    options.stop?.addEventListener("abort", () => stopNow("stop"), { once: true });
    if (options.stop?.aborted) stopNow("stop");
  });

  let reason = "stop";
  try {
    // Watch before the first build, so an edit made while it runs queues a rebuild.
    const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    const readyOrStop = await Promise.race([ready.then(() => "ready"), stopped]);
    if (readyOrStop === "ready") {
      loop.start();
      const firstDone = loop.idle().then(() => "built");
      if ((await Promise.race([firstDone, stopped])) === "built") {
        const watched = [options.guestToolsDir, options.driversDir, options.spec, ...(contract !== undefined ? [displayPath(contract, cwd)] : [])];
        info(`watching ${watched.join(", ")} for changes (Ctrl-C to stop)`);
        options.onReady?.();
      }
    }
    reason = await stopped;
    if (reason !== "stop") info(`${reason}: stopping`);
  } finally {
    await loop.stop();
    await watcher.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  info("stopped watching");
  return reason;
}

export const watch: TaskFunction = reportingErrors(async () => {
  let flags: GuestToolsFlags;
  try {
    flags = parseGuestToolsFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof FlagError) throw userError("watch", err.message);
    throw err;
  }
  const reason = await watchGuestTools({ ...flags, progress: cliProgressSink({ quiet: flags.quiet }), handleSignals: true });
  if (reason === "SIGINT" || reason === "SIGTERM") {
    // Die of the signal once gulp-cli has printed "Finished 'watch'" and nothing is left to run
    // (stdout and stderr are synchronous on Linux, so every line is out), with no handler left.
    process.once("beforeExit", () => process.kill(process.pid, reason));
  }
});
watch.displayName = "watch";
watch.description = "Build like guest-tools, then rebuild incrementally whenever the guest-tools dir, the drivers dir, the spec or the device contract change (Ctrl-C stops)";
watch.flags = flagDocs(GUEST_TOOLS_FLAGS);
