/**
 * atomicDest(outDir): write every incoming file beside its final name as a temporary file, all
 * of them concurrently, and rename them into place only once every one is complete. On any
 * failure (or when the stream is destroyed) the temporary files are removed and the out dir
 * keeps exactly what it held before (folders we created are removed again).
 *
 * While temporary files exist, SIGINT, SIGTERM and SIGHUP remove them synchronously, then end
 * the process by the same signal again, so the caller sees it (a shell reports 130, 143, 129)
 * and a calling script stops too; a plain exit(130) would not do that, and gulp-cli's exit hook
 * would turn it into "did you forget to signal async completion" and status 1. When the
 * application listens for that signal itself, the writes are abandoned with an error and the
 * exit is left to it. The handlers are removed as soon as no atomicDest of the process has
 * temporary files.
 *
 * One build at a time per out dir: before its first write, atomicDest takes the out dir's lock
 * (lock.ts) and holds it until its outputs are renamed into place or removed, so two builds into
 * one folder never mix their outputs. A build that finds the lock taken waits, saying so once.
 *
 * An output whose writer attached an OutputRecipe (isoWriter, deterministicZip with a BuildCache:
 * see shared/output-update.ts) and whose previous version at the destination is still the one it
 * remembers is written as an update: the temporary file starts as a kernel copy of the previous
 * output and only the changed regions are written over it. The result is the same file.
 */
import { createWriteStream, lstatSync, renameSync } from "node:fs";
import { mkdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import log from "../shared/log.js";
import type Vinyl from "vinyl";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { outputRecipe, type OutputRecipe } from "../shared/output-update.js";
import { packagePath } from "../shared/paths.js";
import { lockOutDir, LockTimeoutError } from "./lock.js";
import { sweepStaleTemps, tempName } from "./names.js";
import { track, undoSync, untrack, type Undo } from "./signals.js";
import { digestBuffer, digestFile, hashingPassThrough, type DerivedOutput, type WrittenOutput } from "./derived.js";
import { copyPrevious, writeUpdate } from "./update.js";

const PLUGIN = "atomicDest";

export interface AtomicDestOptions {
  /** Base for a relative outDir. Default: process.cwd(). */
  cwd?: string;
  /** Called after the files are renamed into place, with their final paths. */
  onWritten?: (paths: string[]) => void;
  /** How long to wait for another build's lock on the out dir before failing. Default 10 minutes. */
  lockTimeoutMs?: number;
  /** Told once when the out dir's lock is taken and this build waits. Default: a log line (gulplog). */
  onLockWait?: (message: string) => void;
  /**
   * Files made from the other outputs once they are complete (e.g. `sha256Sums()` from
   * plugins/checksums), renamed into place together with them. Default: none.
   */
  derived?: DerivedOutput[];
  /**
   * Last look before the renames, with every output's digest (derived ones included): throwing
   * fails the build and leaves the out dir as it was (the determinism self-check uses it).
   */
  beforeCommit?: (outputs: WrittenOutput[]) => void | Promise<void>;
  /**
   * A verdict the renames wait for, asked for when the first output arrives: a rejection fails
   * the build at once (the writes are abandoned, the out dir stays as it was). guestToolsPipeline
   * lets the catalog checks run alongside the writing this way.
   */
  gate?: () => Promise<void>;
}

const LOCK_TIMEOUT_MS = 10 * 60_000;

interface PendingWrite {
  tmp: string;
  final: string;
  done: Promise<void>;
  /** The contents stream being written, destroyed when the write is abandoned. */
  source: Readable | undefined;
  /** The temp file's stream (stream writes only), destroyed along with the source. */
  out?: Writable;
  /** Told once the file is in place; `updatedBytes` is set when it was written as an update. */
  recipe: OutputRecipe | undefined;
  updatedBytes?: number;
  /** Digest of the bytes written, when derived outputs need it. */
  digest?: { sha256: string; size: number };
}

export { LOCK_NAME, ownOutputFilter, TEMP_HOST_TAG, TEMP_PREFIX } from "./names.js";
export type { DerivedOutput, WrittenOutput } from "./derived.js";

export function atomicDest(outDir: string, options: AtomicDestOptions = {}): Transform {
  const root = path.resolve(options.cwd ?? process.cwd(), outDir);
  const derived = options.derived ?? [];
  const needDigests = derived.length > 0 || options.beforeCommit !== undefined;
  const writes: PendingWrite[] = [];
  let prepared: Promise<void> | undefined;
  let finished = false;
  const undo: Undo = {
    temps: new Set(),
    dirs: [],
    abort: (signal) => stream.destroy(userError(PLUGIN, `interrupted by ${signal}: nothing was written to ${outDir}`)),
  };

  let gate: Promise<void> | undefined;
  const openGate = () =>
    (gate ??= (() => {
      const verdict = options.gate?.() ?? Promise.resolve();
      verdict.catch((err: unknown) => stream.destroy(asPluginError(PLUGIN, err))); // fail now, not after the writes
      return verdict;
    })());

  const prepare = () =>
    (prepared ??= (async () => {
      const st = await stat(root).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw userError(PLUGIN, `cannot create the out dir ${outDir}: ${err.message}`);
      });
      if (st && !st.isDirectory()) throw userError(PLUGIN, `out dir is not a directory: ${outDir}`);
      if (!st) await makeDirs(root);
      try {
        undo.lock = await lockOutDir(root, {
          shown: outDir,
          timeoutMs: options.lockTimeoutMs ?? LOCK_TIMEOUT_MS,
          onWait: options.onLockWait ?? ((line) => log.warn(line)),
          stopped: () => abandoned,
        });
      } catch (err) {
        if (err instanceof LockTimeoutError) throw userError(PLUGIN, err.message);
        throw userError(PLUGIN, `cannot lock the out dir ${outDir}: ${(err as Error).message}`);
      }
      // Failed meanwhile: the cleanup has run already, so this lock is ours to drop.
      if (abandoned) undo.lock?.release();
    })());

  /**
   * mkdir -p that remembers which levels it created, to remove them again on failure. One level
   * at a time: Node's recursive mkdir never settles when a parent exists but cannot hold the child
   * (a path under /proc, a dangling symlink), as mkdir then alternates ENOENT and EEXIST forever.
   */
  const makeDirs = async (dir: string) => {
    const missing: string[] = [];
    for (let d = dir; d !== path.dirname(d) && !(await exists(d)); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      undo.dirs.push(d); // before mkdir, so an interrupt during it removes it too
      try {
        await mkdir(d);
      } catch (err) {
        // Another of our writes may have just made it.
        if ((err as NodeJS.ErrnoException).code === "EEXIST" && (await isDirectory(d))) continue;
        throw userError(PLUGIN, `cannot create the out dir ${outDir}: ${(err as Error).message}`);
      }
    }
  };

  /** Folders swept of stale temp files by this stream (once each, before its first write there). */
  const swept = new Map<string, Promise<void>>();
  const sweepOnce = (dir: string) => {
    let sweep = swept.get(dir);
    if (!sweep) swept.set(dir, (sweep = sweepStaleTemps(dir)));
    return sweep;
  };

  let abandoned = false;
  /**
   * Undo everything at once, synchronously: when a stage upstream fails, stream.pipeline rejects
   * without waiting for our destroy to finish, and gulp-cli exits right away, so anything left
   * for later would stay on disk. The writes still running are stopped (one failed output must
   * not wait for a 1 GiB sibling) and may create no new file.
   */
  const abandon = () => {
    abandoned = true;
    // Both ends: a source that has ended but is not drained yet makes stream.pipeline wait for
    // an 'end' that never comes once it is destroyed; the temp file's stream closing settles it.
    for (const w of writes) {
      w.source?.destroy();
      w.out?.destroy();
    }
    undoSync(undo);
  };

  const cleanup = async () => {
    abandon();
    await Promise.allSettled(writes.map((w) => w.done));
    // Again, for a file whose open was already under way during the synchronous pass.
    await Promise.all(writes.map((w) => rm(w.tmp, { force: true }).catch(() => undefined)));
    undo.lock?.release();
    for (const dir of [...undo.dirs].reverse()) await rmdir(dir).catch(() => undefined);
    untrack(undo);
  };

  /**
   * The derived outputs, each a temp file beside its final name like the others. Runs only after
   * at least one write finished, so the out dir is prepared and locked already.
   */
  const writeDerived = async () => {
    const outputs = writtenOutputs();
    for (const d of derived) {
      const bytes = await d.make(outputs);
      const final = path.join(root, d.name);
      const tmp = path.join(path.dirname(final), tempName(final));
      undo.temps.add(tmp);
      track(undo);
      const write: PendingWrite = { tmp, final, done: Promise.resolve(), source: undefined, recipe: undefined };
      writes.push(write);
      await writeFile(tmp, bytes, { mode: 0o644 }).catch((err: Error) => {
        throw userError(PLUGIN, `cannot write ${final} (through the temporary file ${path.basename(tmp)}): ${err.message}`, final);
      });
      write.digest = digestBuffer(bytes);
    }
  };
  const writtenOutputs = (): WrittenOutput[] => writes.map((w) => ({ name: path.relative(root, w.final).split(path.sep).join("/"), ...w.digest! }));

  /** Start writing one output; its completion is awaited in flush. */
  const startWrite = (file: Vinyl): void => {
    const rel = packagePath(file);
    const final = path.join(root, rel);
    const tmp = path.join(path.dirname(final), tempName(final));
    // Registered before the file exists, so a signal at any point removes it.
    undo.temps.add(tmp);
    track(undo);
    const source = Buffer.isBuffer(file.contents) ? undefined : (file.contents as Readable);
    const recipe = outputRecipe(file);
    const write: PendingWrite = { tmp, final, done: Promise.resolve(), source, recipe };
    // The first error seen tells which side failed (pipeline then destroys the other side with
    // the same error). Listening now also keeps a source that fails before its write starts
    // from throwing an uncaught 'error'.
    let first: { side: "source" | "out"; err: Error } | undefined;
    source?.once("error", (err) => (first ??= { side: "source", err }));
    const done = (async () => {
      await prepare();
      if (path.dirname(final) !== root) await makeDirs(path.dirname(final));
      await sweepOnce(path.dirname(final));
      if (abandoned) throw userError(PLUGIN, `${final} was not written: the build failed`);
      // Failures of our own writes (a full or read-only disk: a system call failed) name the
      // output; the source's errors, and its premature end, pass through as they are.
      try {
        const update = recipe && (await recipe.updateFrom(final).catch(() => undefined));
        // Abandoned meanwhile: the source may be destroyed already, and nothing new may start.
        if (abandoned) throw userError(PLUGIN, `${final} was not written: the build failed`);
        if (update && (await copyPrevious(final, tmp, (err) => (first = { side: "out", err })))) {
          source?.destroy(); // not needed: the update gives the same bytes
          write.updatedBytes = await writeUpdate(tmp, update, () => abandoned, (err) => (first = { side: "out", err }));
          if (needDigests) write.digest = await digestFile(tmp);
        } else if (Buffer.isBuffer(file.contents)) {
          await writeFile(tmp, file.contents, { mode: 0o644 }).catch((err: Error) => {
            first = { side: "out", err };
            throw err;
          });
          if (needDigests) write.digest = digestBuffer(file.contents);
        } else {
          const out = createWriteStream(tmp, { mode: 0o644 });
          write.out = out;
          out.once("error", (err) => (first ??= { side: "out", err }));
          if (needDigests) {
            const hasher = hashingPassThrough();
            await pipeline(source!, hasher, out);
            write.digest = hasher.digest();
          } else await pipeline(source!, out);
        }
      } catch (err) {
        if (first?.side !== "out" || typeof (first.err as NodeJS.ErrnoException).syscall !== "string") throw err;
        throw userError(PLUGIN, `cannot write ${final} (through the temporary file ${path.basename(tmp)}): ${first.err.message}`, final);
      }
    })();
    done.catch(() => undefined); // observed in flush; avoid an unhandled rejection meanwhile
    write.done = done;
    writes.push(write);
  };

  const stream: Transform = new Transform({
    objectMode: true,
    transform(incoming: Vinyl, _enc, cb) {
      openGate();
      // Streams are written once, so they are not buffered; null files have nothing to write.
      intake(PLUGIN, incoming, { needs: "bytes", reread: false }).then(
        (file) => {
          if (!file.isDirectory()) startWrite(file);
          cb(); // start the next file's write now: outputs are written concurrently
        },
        (err: unknown) => cb(asPluginError(PLUGIN, err)),
      );
    },
    flush(cb) {
      (async () => {
        try {
          await Promise.all(writes.map((w) => w.done));
          await openGate();
          if (derived.length > 0 && writes.length > 0) await writeDerived();
          if (options.beforeCommit) await options.beforeCommit(writtenOutputs());
          // Nothing is renamed unless everything can be: a folder in the way fails up front.
          for (const w of writes) {
            if (lstatSync(w.final, { throwIfNoEntry: false })?.isDirectory()) {
              throw userError(PLUGIN, `cannot replace ${w.final}: it is a directory`, w.final);
            }
          }
        } catch (err) {
          await cleanup();
          throw err;
        }
        // One synchronous loop: a signal (handled between event-loop turns) sees all or none renamed.
        let renamed = 0;
        try {
          for (const w of writes) {
            renameSync(w.tmp, w.final);
            undo.temps.delete(w.tmp);
            renamed++;
          }
          undo.lock?.release(); // in the same synchronous step: a signal sees the lock with all temp files or with none
        } catch (err) {
          undoSync({ ...undo, dirs: renamed ? [] : undo.dirs });
          untrack(undo);
          throw err;
        }
        finished = true;
        untrack(undo);
        for (const w of writes) w.recipe?.written(w.final, w.updatedBytes);
        options.onWritten?.(writes.map((w) => w.final));
      })().then(() => cb(), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
    destroy(err, cb) {
      if (finished) {
        cb(err);
        return;
      }
      cleanup().then(() => cb(err), () => cb(err)); // its synchronous part has run on return
    },
  });
  return stream;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
