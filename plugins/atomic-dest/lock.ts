/**
 * One build at a time per out dir: a lock file (LOCK_NAME) holding the owner's pid and host name,
 * created atomically (a hard link of a complete temp file, so it is never seen half-written; an
 * O_EXCL create where the file system has no hard links). A second build waits for it, saying so
 * once, and fails clearly after a bounded wait. A lock whose owner is a process of this host that
 * is gone (SIGKILL, power loss) is stale and taken over at once; another host's lock cannot be
 * checked, so it is waited for, and the timeout message names it.
 *
 * Not proper-lockfile: importing it installs signal-exit's listeners for SIGINT, SIGTERM, SIGHUP
 * for the life of the process, and atomicDest then reads them as the application's own handlers
 * and no longer ends an interrupted build by its signal (see signals.ts).
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { readJson } from "../shared/json/index.js";
import { LOCK_NAME, processAlive, TEMP_HOST_TAG } from "./names.js";

export interface OutDirLock {
  readonly path: string;
  /** Remove the lock file if it is still ours. Synchronous (signal handlers use it) and idempotent. */
  release(): void;
}

export interface LockWait {
  /** Give up after this long. */
  timeoutMs: number;
  /** Told once, when the lock is taken and the build starts waiting. */
  onWait(message: string): void;
  /** Polled while waiting: true stops the wait (the build failed meanwhile). */
  stopped(): boolean;
  /** The out dir as the user named it, for messages. */
  shown: string;
  pollMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** Lock files held by this process: its own pid in a lock file is only a lock it holds if listed here. */
const held = new Set<string>();

export class LockTimeoutError extends Error {}

/** A folder that takes no new file: no build can write there, so there is nothing to lock against. */
const UNWRITABLE = new Set(["EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT"]);

/**
 * Take `dir`'s lock, waiting for another build to release it. Rejects with LockTimeoutError when
 * the wait is over. Resolves undefined when the wait was stopped, or when the folder takes no new
 * file (read-only, full): then the outputs' own writes fail, and their errors name the output.
 */
export async function lockOutDir(dir: string, wait: LockWait): Promise<OutDirLock | undefined> {
  const file = path.join(dir, LOCK_NAME);
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder)}\n`;
  const started = Date.now();
  let said = false;
  for (;;) {
    if (wait.stopped()) return undefined;
    if (!held.has(file)) {
      let created: boolean;
      try {
        created = tryCreate(file, mine);
      } catch (err) {
        if (UNWRITABLE.has((err as NodeJS.ErrnoException).code ?? "")) return undefined;
        throw err;
      }
      if (created) {
        held.add(file);
        return { path: file, release: () => release(file, mine) };
      }
      const raw = readOrUndefined(file);
      if (raw === undefined) continue; // released between our attempt and the read
      const holder = parse(raw);
      if (holder ? isStale(holder, file) : ageMs(file) > 10_000) {
        takeOver(file, raw);
        continue;
      }
      if (!said) wait.onWait(`waiting for another build writing into ${wait.shown} (${describe(holder)}) to finish...`);
    } else if (!said) {
      wait.onWait(`waiting for another build of this process writing into ${wait.shown} to finish...`);
    }
    said = true;
    if (Date.now() - started >= wait.timeoutMs) {
      const holder = parse(readOrUndefined(file) ?? "");
      throw new LockTimeoutError(
        `another build has been writing into ${wait.shown} for over ${formatMs(wait.timeoutMs)} (${describe(holder)}; lock file ${file}); ` +
          `nothing was written. If no build is running there, delete the lock file.`,
      );
    }
    await new Promise((r) => setTimeout(r, wait.pollMs ?? 200));
  }
}

/** Create the lock file with its contents in one step; false when it exists already. */
function tryCreate(file: string, contents: string): boolean {
  const tmp = `${file}.${TEMP_HOST_TAG}.${process.pid}.${randomBytes(4).toString("hex")}`; // swept when stale
  writeFileSync(tmp, contents, { mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    // No hard links here (some FUSE and FAT file systems): an exclusive create instead.
    try {
      writeFileSync(file, contents, { flag: "wx", mode: 0o644 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

function release(file: string, mine: string): void {
  if (!held.delete(file)) return;
  // Only our own: a lock someone took over (they judged us gone) is theirs now.
  if (readOrUndefined(file) === mine) rmSync(file, { force: true });
}

/**
 * Remove a stale lock. Two waiters may judge it stale at once; the rename lets only one of them
 * have it, and one that finds it has grabbed a fresh lock instead puts that back.
 */
function takeOver(file: string, staleRaw: string): void {
  const aside = `${file}.${TEMP_HOST_TAG}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  if (readOrUndefined(aside) !== staleRaw) {
    try {
      linkSync(aside, file);
    } catch {
      /* a newer lock is in place already */
    }
  }
  rmSync(aside, { force: true });
}

function isStale(holder: Holder, file: string): boolean {
  if (holder.host !== hostname()) return false; // cannot tell: wait
  if (holder.pid === process.pid) return !held.has(file); // our pid, but not our lock: a predecessor's
  return !processAlive(holder.pid);
}

function describe(holder: Holder | undefined): string {
  if (!holder) return "owner unknown";
  const where = holder.host === hostname() ? "this host" : `host ${holder.host}`;
  return `pid ${holder.pid} on ${where}, since ${holder.since}`;
}

function parse(raw: string): Holder | undefined {
  try {
    const v = readJson(raw) as Partial<Holder> | null;
    if (typeof v?.pid === "number" && typeof v.host === "string" && typeof v.since === "string") return v as Holder;
  } catch {
    /* not one of ours, or truncated */
  }
  return undefined;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
