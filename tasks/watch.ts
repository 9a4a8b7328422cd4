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
 * Files are watched with gulp.watch (chokidar): whole folders, filtered by a path predicate
 * (watch-plan.ts). The debounce and queue are watch-loop.ts, the log lines watch-report.ts; their
 * names are re-exported here.
 */
import { stat } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import path from "node:path";
import type { TaskFunction } from "gulp";
import gulp from "gulp";
import log from "gulplog";
import { BuildCache } from "../plugins/build-cache/index.js";
import { buildGuestToolsMedia, deviceContractPath, type GuestToolsMediaOptions } from "../plugins/guest-tools-media/index.js";
import { userError } from "../plugins/shared/errors.js";
import type { ProgressSink } from "../plugins/shared/progress.js";
import { FlagError, GUEST_TOOLS_FLAGS, flagDocs, parseGuestToolsFlags, type GuestToolsFlags } from "./flags.js";
import { reportingErrors } from "./cli-output.js";
import { cliProgressSink, formatBytes } from "./progress.js";
import { RebuildLoop, type ChangeKind, type Changes } from "./watch-loop.js";
import { watchPlan, type WatchPlan } from "./watch-plan.js";
import { builtLine, describeChanges, displayPath, formatBuildError, seconds } from "./watch-report.js";

export { RebuildLoop, type ChangeKind, type Changes, type RebuildLoopOptions } from "./watch-loop.js";
export { watchPlan, type WatchPlan, type WatchTarget } from "./watch-plan.js";
export { describeChanges, formatBuildError } from "./watch-report.js";

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

interface RunnerContext {
  cwd: string;
  logger: WatchLogger;
  info(line: string): void;
  options: WatchOptions;
  buildOptions: GuestToolsMediaOptions;
  cache: BuildCache;
  /** Set at Ctrl-C: atomicDest may fail the running build before the loop aborts it. */
  stopRequested(): boolean;
}

/** The loop's build: one guestToolsMedia build with the shared cache, reported in one line. */
function buildRunner(ctx: RunnerContext): (changes: Changes, signal: AbortSignal) => Promise<void> {
  const { cwd, logger, info, options, cache } = ctx;
  const outShown = displayPath(path.resolve(cwd, options.outDir), cwd);
  let lastWarnings = "";
  let lastGood = false;
  return async (changes, signal) => {
    const first = changes.size === 0;
    const cause = first ? "" : ` after ${describeChanges(changes, cwd)}`;
    const started = performance.now();
    try {
      const result = await buildGuestToolsMedia({
        ...ctx.buildOptions,
        cache,
        signal,
        ...(first && options.progress && { progress: options.progress }),
      });
      const took = performance.now() - started;
      const sizes = await Promise.all(result.outputs.map(async (o) => `${path.basename(o)} ${formatBytes((await stat(o)).size)}`));
      // Warnings as the one-shot build prints them, but only when they change (one line per rebuild).
      const warnings = result.warnings.join("\n");
      if (warnings !== lastWarnings && !options.quiet) for (const w of result.warnings) logger.warn(`warning: ${w}`);
      lastWarnings = warnings;
      lastGood = true;
      info(builtLine({ first, cause, took, sizes, files: result.fileCount - 1 /* manifest.json is made, not read */, stats: cache.stats }));
    } catch (err) {
      if (signal.aborted || ctx.stopRequested()) {
        info(`${first ? "build" : `rebuild${cause}`} stopped; ${outShown} is as it was`);
        return;
      }
      const keeps = lastGood ? `${outShown} keeps the last good media` : "nothing was written";
      logger.error(`${first ? "build" : `rebuild${cause}`} failed in ${seconds(performance.now() - started)}; ${keeps}; watching for a fix:`);
      logger.error(formatBuildError(err));
    }
  };
}

/** gulp.watch over the plan's folders, each relevant change told to the loop. */
function startWatcher(plan: WatchPlan, cwd: string, loop: RebuildLoop, logger: WatchLogger): ReturnType<typeof gulp.watch> {
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
  return watcher;
}

/**
 * What stops the watch: the caller's signal, or SIGINT/SIGTERM. The listeners stay until the
 * stop is complete (`release`): while one is there, atomicDest leaves the exit to us (see
 * plugins/atomic-dest). A second signal exits at once.
 */
function stopTrigger(options: WatchOptions, logger: WatchLogger): { stopped: Promise<string>; requested(): boolean; release(): void } {
  let requested = false;
  let signalled = false;
  let stopNow: (reason: string) => void = () => undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      logger.error(`${sig} again: exiting now`);
      process.exit(128 + (osConstants.signals[sig] ?? 0));
    }
    signalled = true;
    stopNow(sig);
  };
  const stopped = new Promise<string>((resolve) => {
    stopNow = (reason) => {
      requested = true;
      resolve(reason);
    };
    if (options.handleSignals) {
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    }
    options.stop?.addEventListener("abort", () => stopNow("stop"), { once: true });
    if (options.stop?.aborted) stopNow("stop");
  });
  return {
    stopped,
    requested: () => requested,
    release() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

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
  const trigger = stopTrigger(options, logger);
  const run = buildRunner({ cwd, logger, info, options, buildOptions, cache, stopRequested: trigger.requested });
  const loop = new RebuildLoop({ debounceMs: options.debounceMs ?? 200, run });
  const watcher = startWatcher(plan, cwd, loop, logger);

  let reason = "stop";
  try {
    // Watch before the first build, so an edit made while it runs queues a rebuild.
    const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    const readyOrStop = await Promise.race([ready.then(() => "ready"), trigger.stopped]);
    if (readyOrStop === "ready") {
      loop.start();
      const firstDone = loop.idle().then(() => "built");
      if ((await Promise.race([firstDone, trigger.stopped])) === "built") {
        const watched = [options.guestToolsDir, options.driversDir, options.spec, ...(contract !== undefined ? [displayPath(contract, cwd)] : [])];
        info(`watching ${watched.join(", ")} for changes (Ctrl-C to stop)`);
        options.onReady?.();
      }
    }
    reason = await trigger.stopped;
    if (reason !== "stop") info(`${reason}: stopping`);
  } finally {
    await loop.stop();
    await watcher.close();
    trigger.release();
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
