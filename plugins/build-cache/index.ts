/**
 * BuildCache: per-file results kept in memory between the builds of one process (`gulp watch`),
 * so that a rebuild neither re-hashes nor re-compresses a file that has not changed.
 *
 * Files are identified by their contents' identity on disk (path, device + inode, size, mtime and
 * ctime in ns; see identity.ts), taken by the `identify()` stage. The key is attached to the
 * file's FileContents object itself (a WeakMap), not to the vinyl: a plugin that replaces
 * `file.contents` drops the key with it, so a transformed file is never mistaken for its source.
 *
 * Per key it remembers the SHA-256 + size (for the manifest) and the compressed zip entry (CRC-32
 * and deflate bytes, for the zip). Both consumers check the size again before reusing anything.
 * The cache is bounded: after each successful build, entries of files that were not part of it
 * are dropped (deleted or changed files), and compressed bytes are kept up to `maxZipBytes`.
 * One cache serves one build at a time (begin() starts a build's bookkeeping).
 */
import { lstat } from "node:fs/promises";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import type { CachedZipEntry, ZipFileCache } from "../deterministic-zip/index.js";
import type { FileHash, HashCache } from "../manifest/index.js";
import { FileContents } from "../shared/contents.js";
import { asPluginError } from "../shared/errors.js";
import { contentsIdentity, isRacy } from "./identity.js";

export { contentsIdentity, isRacy } from "./identity.js";

const PLUGIN = "buildCache";

export interface BuildCacheOptions {
  /** Compressed zip bytes kept at most; entries beyond are compressed again each build. Default 1 GiB. */
  maxZipBytes?: number;
  /** Files changed less than this long ago are not cached (see isRacy). Default 2000 ms. */
  racyMs?: number;
}

/** What the current (or last) build reused. */
export interface BuildCacheStats {
  /** Files identified by this build (candidates for reuse). */
  identified: number;
  hashesReused: number;
  hashesComputed: number;
  zipEntriesReused: number;
  zipEntriesCompressed: number;
  /** Entries held now, and their compressed bytes. */
  entries: number;
  zipBytes: number;
}

export class BuildCache implements HashCache, ZipFileCache {
  readonly maxZipBytes: number;
  readonly racyMs: number;
  #keys = new WeakMap<object, string>();
  /** Keys seen by the current build: what survives commit(). */
  #current = new Set<string>();
  #hashes = new Map<string, FileHash>();
  #zip = new Map<string, CachedZipEntry>();
  #zipBytes = 0;
  #counts = { hashesReused: 0, hashesComputed: 0, zipEntriesReused: 0, zipEntriesCompressed: 0 };

  constructor(options: BuildCacheOptions = {}) {
    this.maxZipBytes = options.maxZipBytes ?? 1024 * 1024 * 1024;
    this.racyMs = options.racyMs ?? 2000;
  }

  /** Start a build: forget which keys the previous (maybe failed) one saw, reset the counters. */
  begin(): void {
    this.#current.clear();
    this.#counts = { hashesReused: 0, hashesComputed: 0, zipEntriesReused: 0, zipEntriesCompressed: 0 };
  }

  /** The build succeeded: drop every entry it did not use (files deleted, changed or renamed). */
  commit(): void {
    for (const key of this.#hashes.keys()) if (!this.#current.has(key)) this.#hashes.delete(key);
    for (const [key, entry] of this.#zip) {
      if (this.#current.has(key)) continue;
      this.#zip.delete(key);
      this.#zipBytes -= entry.data.length;
    }
  }

  /** Forget everything. */
  clear(): void {
    this.#hashes.clear();
    this.#zip.clear();
    this.#zipBytes = 0;
    this.#current.clear();
  }

  get stats(): BuildCacheStats {
    return { identified: this.#current.size, ...this.#counts, entries: new Set([...this.#hashes.keys(), ...this.#zip.keys()]).size, zipBytes: this.#zipBytes };
  }

  /**
   * A pipeline stage that identifies every file read from disk (FileContents) as it passes; place
   * it after the checks, before the writers. Other files (Buffers, generated files) pass unkeyed.
   */
  identify(): Transform {
    // Files pass on at once; the lstats run concurrently and are all done before this stage ends,
    // which is before any writer (they start at the end of the input) asks for a key.
    const pending: Array<Promise<void>> = [];
    return new Transform({
      objectMode: true,
      transform: (file: Vinyl, _enc, cb) => {
        pending.push(this.#identify(file));
        cb(null, file);
      },
      flush: (cb) => {
        Promise.all(pending).then(() => cb(), (err: unknown) => cb(asPluginError(PLUGIN, err)));
      },
    });
  }

  async #identify(file: Vinyl): Promise<void> {
    const contents = file.contents;
    if (!(contents instanceof FileContents)) return;
    const st = await lstat(contents.sourcePath, { bigint: true }).catch(() => undefined);
    // Missing or changed since it was listed: leave it to the readers, which report it.
    if (!st || !st.isFile() || (contents.expectedSize !== undefined && st.size !== BigInt(contents.expectedSize))) return;
    if (isRacy(st, Date.now(), this.racyMs)) return;
    const key = contentsIdentity(contents.sourcePath, st);
    this.#keys.set(contents, key);
    this.#current.add(key);
  }

  keyOf(file: Vinyl): string | undefined {
    const contents = file.contents;
    return contents !== null && typeof contents === "object" ? this.#keys.get(contents) : undefined;
  }

  getHash(key: string): FileHash | undefined {
    const hit = this.#hashes.get(key);
    if (hit) this.#counts.hashesReused++;
    return hit;
  }

  setHash(key: string, hash: FileHash): void {
    this.#counts.hashesComputed++;
    this.#hashes.set(key, hash);
  }

  getZipEntry(key: string, level: number): CachedZipEntry | undefined {
    const hit = this.#zip.get(key);
    if (!hit || hit.level !== level) return undefined;
    this.#counts.zipEntriesReused++;
    return hit;
  }

  canKeepZipEntry(size: number): boolean {
    // Deflate output is at most a little larger than its input (stored blocks: 5 bytes per 64 KiB).
    return this.#zipBytes + size + Math.ceil(size / 1024) + 64 <= this.maxZipBytes;
  }

  setZipEntry(key: string, entry: CachedZipEntry): void {
    this.#counts.zipEntriesCompressed++;
    const old = this.#zip.get(key);
    const bytes = this.#zipBytes - (old?.data.length ?? 0) + entry.data.length;
    if (bytes > this.maxZipBytes) return;
    this.#zip.set(key, entry);
    this.#zipBytes = bytes;
  }
}
