/** What atomicDest takes (the contract is in index.ts). */
import type { DerivedOutput, WrittenOutput } from "./derived.js";

export const PLUGIN = "atomicDest";

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

/** How long a build waits for another's lock on the out dir by default. */
export const LOCK_TIMEOUT_MS = 10 * 60_000;
