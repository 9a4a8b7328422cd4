/**
 * The state of one atomicDest (the contract is in index.ts): its pending writes, the out dir made
 * and locked once (prepare), the undo record the signal handlers use (signals.ts), the derived
 * outputs, the commit (every rename in one synchronous step) and the cleanup. index.ts is only
 * the stream around it; one output's temp file is write-output.ts, the folders made dirs.ts.
 */
import { lstatSync, renameSync } from "node:fs";
import { rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type Vinyl from "vinyl";
import log from "../shared/log.js";
import { asPluginError, userError } from "../shared/errors.js";
import { outputRecipe } from "../shared/output-update.js";
import { packagePath } from "../shared/paths.js";
import { lockOutDir, LockTimeoutError } from "./lock.js";
import { sweepStaleTemps, tempName } from "./names.js";
import { track, undoSync, untrack, type Undo } from "./signals.js";
import { digestBuffer, type DerivedOutput, type WrittenOutput } from "./derived.js";
import { makeDirs } from "./dirs.js";
import { LOCK_TIMEOUT_MS, PLUGIN, type AtomicDestOptions } from "./options.js";
import { writeTemp, type FirstError, type PendingWrite } from "./write-output.js";

export { PLUGIN, type AtomicDestOptions } from "./options.js";

export class OutputBatch {
  readonly root: string;
  readonly writes: PendingWrite[] = [];
  readonly undo: Undo;
  /** Set once every output is renamed into place: nothing is left to undo. */
  finished = false;
  private readonly derived: DerivedOutput[];
  private readonly needDigests: boolean;
  private prepared: Promise<void> | undefined;
  private abandoned = false;
  private gate: Promise<void> | undefined;
  /** Folders swept of stale temp files by this stream (once each, before its first write there). */
  private readonly swept = new Map<string, Promise<void>>();

  constructor(
    private readonly outDir: string,
    private readonly options: AtomicDestOptions,
    /** Ends the stream with this error (a signal, a failed gate). */
    private readonly fail: (error: Error) => void,
  ) {
    this.root = path.resolve(options.cwd ?? process.cwd(), outDir);
    this.derived = options.derived ?? [];
    this.needDigests = this.derived.length > 0 || options.beforeCommit !== undefined;
    this.undo = {
      temps: new Set(),
      dirs: [],
      abort: (signal) => fail(userError(PLUGIN, `interrupted by ${signal}: nothing was written to ${outDir}`)),
    };
  }

  /** The options' gate, asked for once when the first output arrives; a rejection fails the stream now, not after the writes. */
  openGate(): Promise<void> {
    return (this.gate ??= (() => {
      const verdict = this.options.gate?.() ?? Promise.resolve();
      verdict.catch((err: unknown) => this.fail(asPluginError(PLUGIN, err)));
      return verdict;
    })());
  }

  /** The out dir made if missing and locked, once, before the first write. */
  prepare(): Promise<void> {
    return (this.prepared ??= (async () => {
      const st = await stat(this.root).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw userError(PLUGIN, `cannot create the out dir ${this.outDir}: ${err.message}`);
      });
      if (st && !st.isDirectory()) throw userError(PLUGIN, `out dir is not a directory: ${this.outDir}`);
      if (!st) await makeDirs(this.root, this.undo, this.outDir);
      try {
        this.undo.lock = await lockOutDir(this.root, {
          shown: this.outDir,
          timeoutMs: this.options.lockTimeoutMs ?? LOCK_TIMEOUT_MS,
          onWait: this.options.onLockWait ?? ((line) => log.warn(line)),
          stopped: () => this.abandoned,
        });
      } catch (err) {
        if (err instanceof LockTimeoutError) throw userError(PLUGIN, err.message);
        throw userError(PLUGIN, `cannot lock the out dir ${this.outDir}: ${(err as Error).message}`);
      }
      // Failed meanwhile: the cleanup has run already, so this lock is ours to drop.
      if (this.abandoned) this.undo.lock?.release();
    })());
  }

  private sweepOnce(dir: string): Promise<void> {
    let sweep = this.swept.get(dir);
    if (!sweep) this.swept.set(dir, (sweep = sweepStaleTemps(dir)));
    return sweep;
  }

  /**
   * Undo everything at once, synchronously: when a stage upstream fails, stream.pipeline rejects
   * without waiting for our destroy to finish, and gulp-cli exits right away, so anything left
   * for later would stay on disk. The writes still running are stopped (one failed output must
   * not wait for a 1 GiB sibling) and may create no new file.
   */
  abandon(): void {
    this.abandoned = true;
    // Both ends: a source that has ended but is not drained yet makes stream.pipeline wait for
    // an 'end' that never comes once it is destroyed; the temp file's stream closing settles it.
    for (const w of this.writes) {
      w.source?.destroy();
      w.out?.destroy();
    }
    undoSync(this.undo);
  }

  async cleanup(): Promise<void> {
    this.abandon();
    await Promise.allSettled(this.writes.map((w) => w.done));
    // Again, for a file whose open was already under way during the synchronous pass.
    await Promise.all(this.writes.map((w) => rm(w.tmp, { force: true }).catch(() => undefined)));
    this.undo.lock?.release();
    for (const dir of [...this.undo.dirs].reverse()) await rmdir(dir).catch(() => undefined);
    untrack(this.undo);
  }

  /**
   * The derived outputs, each a temp file beside its final name like the others. Runs only after
   * at least one write finished, so the out dir is prepared and locked already.
   */
  private async writeDerived(): Promise<void> {
    const outputs = this.writtenOutputs();
    for (const d of this.derived) {
      const bytes = await d.make(outputs);
      const final = path.join(this.root, d.name);
      const tmp = path.join(path.dirname(final), tempName(final));
      this.undo.temps.add(tmp);
      track(this.undo);
      const write: PendingWrite = { tmp, final, done: Promise.resolve(), source: undefined, recipe: undefined };
      this.writes.push(write);
      await writeFile(tmp, bytes, { mode: 0o644 }).catch((err: Error) => {
        throw userError(PLUGIN, `cannot write ${final} (through the temporary file ${path.basename(tmp)}): ${err.message}`, final);
      });
      write.digest = digestBuffer(bytes);
    }
  }

  private writtenOutputs(): WrittenOutput[] {
    return this.writes.map((w) => ({ name: path.relative(this.root, w.final).split(path.sep).join("/"), ...w.digest! }));
  }

  /** Start writing one output; its completion is awaited by commit(). */
  startWrite(file: Vinyl): void {
    const rel = packagePath(file);
    const final = path.join(this.root, rel);
    const tmp = path.join(path.dirname(final), tempName(final));
    // Registered before the file exists, so a signal at any point removes it.
    this.undo.temps.add(tmp);
    track(this.undo);
    const source = Buffer.isBuffer(file.contents) ? undefined : (file.contents as Readable);
    const recipe = outputRecipe(file);
    const write: PendingWrite = { tmp, final, done: Promise.resolve(), source, recipe };
    // Listening now keeps a source that fails before its write starts from throwing an uncaught 'error'.
    const seen: FirstError = {};
    source?.once("error", (err) => (seen.first ??= { side: "source", err }));
    const done = (async () => {
      await this.prepare();
      if (path.dirname(final) !== this.root) await makeDirs(path.dirname(final), this.undo, this.outDir);
      await this.sweepOnce(path.dirname(final));
      if (this.abandoned) throw userError(PLUGIN, `${final} was not written: the build failed`);
      await writeTemp(file, write, seen, this.needDigests, () => this.abandoned);
    })();
    done.catch(() => undefined); // observed in flush; avoid an unhandled rejection meanwhile
    write.done = done;
    this.writes.push(write);
  }

  /**
   * Wait for every write, add the derived outputs, then rename everything into place in one
   * synchronous step, or undo it all.
   */
  async commit(): Promise<void> {
    try {
      await Promise.all(this.writes.map((w) => w.done));
      await this.openGate();
      if (this.derived.length > 0 && this.writes.length > 0) await this.writeDerived();
      if (this.options.beforeCommit) await this.options.beforeCommit(this.writtenOutputs());
      // Nothing is renamed unless everything can be: a folder in the way fails up front.
      for (const w of this.writes) {
        if (lstatSync(w.final, { throwIfNoEntry: false })?.isDirectory()) {
          throw userError(PLUGIN, `cannot replace ${w.final}: it is a directory`, w.final);
        }
      }
    } catch (err) {
      await this.cleanup();
      throw err;
    }
    // One synchronous loop: a signal (handled between event-loop turns) sees all or none renamed.
    let renamed = 0;
    try {
      for (const w of this.writes) {
        renameSync(w.tmp, w.final);
        this.undo.temps.delete(w.tmp);
        renamed++;
      }
      this.undo.lock?.release(); // in the same synchronous step: a signal sees the lock with all temp files or with none
    } catch (err) {
      undoSync({ ...this.undo, dirs: renamed ? [] : this.undo.dirs });
      untrack(this.undo);
      throw err;
    }
    this.finished = true;
    untrack(this.undo);
    for (const w of this.writes) w.recipe?.written(w.final, w.updatedBytes);
    this.options.onWritten?.(this.writes.map((w) => w.final));
  }
}
