/**
 * What it means for a file to be the file first looked at: its identity (device, inode, size,
 * mtime and ctime from a bigint stat), how a later look differs from it or from the listing's
 * plain Stats, and the errors a read reports (`changedError`, `namingPath`). Pure.
 */
import type { BigIntStats, Stats } from "node:fs";

/** What one look at a file saw (a bigint stat): equal identities, same file with the same bytes. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export function identityOf(st: BigIntStats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** Milliseconds as Node's plain Stats computes them (sec * 1e3 + nsec / 1e6), from nanoseconds. */
function msOf(ns: bigint): number {
  const sec = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  return Number(sec) * 1e3 + Number(ns - sec * 1_000_000_000n) / 1e6;
}

/** Why `now` is not the file `then` was, or undefined when it is. */
export function difference(then: FileIdentity, now: FileIdentity): string | undefined {
  if (then.dev !== now.dev || then.ino !== now.ino) return "replaced by another file";
  if (then.size !== now.size) return `its size went from ${then.size} to ${now.size} bytes`;
  if (then.mtimeNs !== now.mtimeNs || then.ctimeNs !== now.ctimeNs) return "modified (its mtime or ctime moved)";
  return undefined;
}

/** The same, against the listing's plain Stats (millisecond floats: compared exactly as Node computes them). */
export function differenceFromListing(listed: Stats, now: FileIdentity): string | undefined {
  if (listed.dev !== Number(now.dev) || listed.ino !== Number(now.ino)) return "replaced by another file since it was listed";
  if (BigInt(listed.size) !== now.size) return `its size went from ${listed.size} to ${now.size} bytes since it was listed`;
  if (listed.mtimeMs !== msOf(now.mtimeNs) || listed.ctimeMs !== msOf(now.ctimeNs)) return "modified since it was listed";
  return undefined;
}

/**
 * The looks at one file, shared by every reader of it (reopen() copies share it): the first
 * identity recorded (at the listing, by BuildCache.identify(), or at the first open) is what
 * every later look must see again.
 */
export class Looks {
  first: FileIdentity | undefined;
  constructor(readonly listed: Stats | undefined) {}
}

/**
 * An I/O error that names the file: a read can fail with no path in the message ("EISDIR:
 * illegal operation on a directory, read" when the file became a folder after the listing).
 */
export function namingPath(err: unknown, path: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== "string" || e.path !== undefined || e.message.includes(path)) return e as Error;
  const named = new Error(`cannot read ${path}: ${e.message}`) as NodeJS.ErrnoException;
  named.code = e.code;
  named.path = path;
  return named;
}

/** The one error for a file that is not what it was when first looked at. */
export function changedError(path: string, how: string): Error {
  const err = new Error(`changed while being packaged: ${path} (${how}); nothing was written, re-run the build`);
  (err as NodeJS.ErrnoException).code = "EFILECHANGED";
  return err;
}
