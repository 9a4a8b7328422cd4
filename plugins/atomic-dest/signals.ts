/**
 * Signal cleanup, shared by every atomicDest of the process: while temporary files (or an out
 * dir's lock) exist, SIGINT, SIGTERM and SIGHUP undo them synchronously and end the process by
 * the same signal (see index.ts for why); the handlers are installed only meanwhile.
 */
import { rmdirSync, rmSync } from "node:fs";
import type { OutDirLock } from "./lock.js";

/** What one atomicDest must undo if the process is interrupted. */
export interface Undo {
  temps: Set<string>;
  /** Folders we created, outermost first. */
  dirs: string[];
  /** The out dir's lock, once held: released after the temp files, before the folders go. */
  lock?: OutDirLock | undefined;
  /** Abandon the writes (used when the application handles the signal itself). */
  abort(signal: NodeJS.Signals): void;
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
const SIGNALS = Object.keys(EXIT_CODES) as NodeJS.Signals[];
const live = new Set<Undo>();

function onSignal(signal: NodeJS.Signals): void {
  const undos = [...live];
  live.clear();
  setHandlers(false);
  // Synchronous on purpose: nothing else runs between this and the exit.
  for (const undo of undos) undoSync(undo);
  if (process.listenerCount(signal) > 0) {
    for (const undo of undos) undo.abort(signal);
    return;
  }
  // No listener is left, so the default action ends the process at once (no exit hooks run).
  process.kill(process.pid, signal);
  process.exit(EXIT_CODES[signal]); // only if the signal could not end us
}

let handlersOn = false;
function setHandlers(on: boolean): void {
  if (on === handlersOn) return;
  handlersOn = on;
  for (const signal of SIGNALS) {
    if (on) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

export function track(undo: Undo): void {
  live.add(undo);
  setHandlers(true);
}

export function untrack(undo: Undo): void {
  live.delete(undo);
  if (live.size === 0) setHandlers(false);
}

export function undoSync(undo: Undo): void {
  for (const tmp of undo.temps) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* best effort: the process is going away */
    }
  }
  undo.lock?.release();
  for (const dir of [...undo.dirs].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty (someone else wrote there) or already gone */
    }
  }
}

