/**
 * BuildCache: per-file results kept in memory between the builds of one process (`gulp watch`),
 * so that a rebuild neither re-hashes nor re-compresses a file that has not changed.
 *
 * Files are identified by their contents' identity on disk (path, device + inode, size, mtime and
 * ctime in ns; see identity.ts), taken by the `identify()` stage; contents held in memory (a
 * Buffer, e.g. a generated devices.cmd) by the SHA-256 of their bytes. The key is attached to the
 * file's FileContents object itself (a WeakMap), not to the vinyl: a plugin that replaces
 * `file.contents` drops the key with it, so a transformed file is never mistaken for its source.
 *
 * Per key it remembers the SHA-256 + size (for the manifest), the catalog checks' results (catalog
 * facts, Authenticode digests), and optionally the compressed zip
 * entry (up to `maxZipBytes`, default none). Per output written (by destination path) it remembers
 * what the writers put there: the ISO's file placement, the zip's entries (OutputMemory). A rebuild
 * written with atomicDest then starts from a kernel copy of the previous image and rewrites only
 * what changed, and copies unchanged zip entries from the previous zip: nothing of the payload is
 * held in memory. A memo is recalled only while the output's own identity (the same key as a
 * source file's) is what it was right after it was written, so an output touched by anything
 * else is rewritten in full.
 *
 * The cache is bounded: after each successful build, entries of files that were not part of it
 * are dropped (deleted or changed files). One cache serves one build at a time (begin() starts a
 * build's bookkeeping).
 */
import { createHash } from "node:crypto";
import { lstatSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import type { CachedZipEntry, ZipFileCache } from "../deterministic-zip/index.js";
import type { FileHash, HashCache } from "../manifest/index.js";
import type { CheckCache } from "../validate-spec/catalogs.js";
import { FileContents } from "../shared/contents.js";
import { asPluginError } from "../shared/errors.js";
import type { OutputMemory } from "../shared/output-update.js";
import { contentsIdentity, isRacy } from "./identity.js";

export { contentsIdentity, isRacy } from "./identity.js";

const PLUGIN = "buildCache";

export interface BuildCacheOptions {
  /**
   * Compressed zip bytes kept in memory at most. Default 0: a zip written with atomicDest takes
   * unchanged entries from the previous zip on disk instead. Raise it for pipelines that write
   * the zip some other way (gulp.dest), where that is not possible.
   */
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
  /** Results of the catalog checks taken from an earlier build. */
  checksReused: number;
  zipEntriesReused: number;
  zipEntriesCompressed: number;
  /** Entries held now, and their compressed bytes. */
  entries: number;
  /** Check results held now (catalog facts, catalog digests of files). */
  checks: number;
  zipBytes: number;
  /** Outputs of this build written as updates of the previous ones, and the bytes that took. */
  outputsUpdated: number;
  bytesUpdated: number;
  /** Outputs of this build written in full (no earlier one, or it was changed since): their paths. */
  writtenInFull: string[];
}

interface OutputMemo {
  identity: string;
  kind: string;
  memo: unknown;
}

export class BuildCache implements HashCache, ZipFileCache, OutputMemory, CheckCache {
  readonly maxZipBytes: number;
  readonly racyMs: number;
  #keys = new WeakMap<object, string>();
  /** Keys seen by the current build: what survives commit(). */
  #current = new Set<string>();
  #hashes = new Map<string, FileHash>();
  #zip = new Map<string, CachedZipEntry>();
  #zipBytes = 0;
  #outputs = new Map<string, OutputMemo>();
  /** Results of the checks (catalog facts, catalog digests of files), and the keys this build used. */
  #checks = new Map<string, unknown>();
  #checksUsed = new Set<string>();
  #counts = BuildCache.#zeroCounts();

  static #zeroCounts() {
    return { hashesReused: 0, hashesComputed: 0, checksReused: 0, zipEntriesReused: 0, zipEntriesCompressed: 0, outputsUpdated: 0, bytesUpdated: 0, writtenInFull: [] as string[] };
  }

  constructor(options: BuildCacheOptions = {}) {
    this.maxZipBytes = options.maxZipBytes ?? 0;
    this.racyMs = options.racyMs ?? 2000;
  }

  /** Start a build: forget which keys the previous (maybe failed) one saw, reset the counters. */
  begin(): void {
    this.#current.clear();
    this.#checksUsed.clear();
    this.#counts = BuildCache.#zeroCounts();
  }

  /** The build succeeded: drop every entry it did not use (files deleted, changed or renamed). */
  commit(): void {
    for (const key of this.#hashes.keys()) if (!this.#current.has(key)) this.#hashes.delete(key);
    for (const [key, entry] of this.#zip) {
      if (this.#current.has(key)) continue;
      this.#zip.delete(key);
      this.#zipBytes -= entry.data.length;
    }
    for (const key of this.#checks.keys()) if (!this.#checksUsed.has(key)) this.#checks.delete(key);
  }

  /** Forget everything. */
  clear(): void {
    this.#hashes.clear();
    this.#zip.clear();
    this.#zipBytes = 0;
    this.#current.clear();
    this.#outputs.clear();
    this.#checks.clear();
    this.#checksUsed.clear();
  }

  get stats(): BuildCacheStats {
    return { identified: this.#current.size, ...this.#counts, writtenInFull: [...this.#counts.writtenInFull], entries: new Set([...this.#hashes.keys(), ...this.#zip.keys()]).size, checks: this.#checks.size, zipBytes: this.#zipBytes };
  }

  /**
   * A pipeline stage that identifies every file read from disk (FileContents) as it passes; place
   * it before the checks that use the cache (validateSpec) and the writers. Other files (Buffers,
   * generated files) pass unkeyed.
   */
  identify(): Transform {
    // Files pass on at once; the lstats run concurrently and are all done before this stage ends,
    // which is before validateSpec's checks or any writer (they start at the end of the input) asks for a key.
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
    // Its first look (the readers check every later one against it), unless it changed since the listing.
    if (!contents.recordLook(st)) return;
    if (isRacy(st, Date.now(), this.racyMs)) return;
    const key = contentsIdentity(contents.sourcePath, st);
    this.#keys.set(contents, key);
    this.#current.add(key);
  }

  /**
   * The key of a file's contents: its identity on disk when identify() saw it, or for contents
   * held in memory (generated files such as devices.cmd) a hash of the bytes themselves.
   */
  keyOf(file: Vinyl): string | undefined {
    const contents = file.contents;
    if (Buffer.isBuffer(contents)) {
      let key = this.#keys.get(contents);
      if (key === undefined) this.#keys.set(contents, (key = `sha256:${createHash("sha256").update(contents).digest("hex")}`));
      return key;
    }
    return contents !== null && typeof contents === "object" ? this.#keys.get(contents) : undefined;
  }

  getHash(key: string): FileHash | undefined {
    const hit = this.#hashes.get(key);
    if (hit) this.#counts.hashesReused++;
    return hit;
  }

  hasHash(key: string): boolean {
    return this.#hashes.has(key);
  }

  setHash(key: string, hash: FileHash): void {
    this.#counts.hashesComputed++;
    this.#hashes.set(key, hash);
  }

  /**
   * A check's result remembered under `key` (validateSpec's catalog checks: keys name the
   * contents they were computed from, by identity or digest, so a hit is always still true).
   */
  recallCheck(key: string): unknown {
    const hit = this.#checks.get(key);
    if (hit !== undefined) {
      this.#checksUsed.add(key);
      this.#counts.checksReused++;
    }
    return hit;
  }

  rememberCheck(key: string, value: unknown): void {
    this.#checks.set(key, value);
    this.#checksUsed.add(key);
  }

  getZipEntry(key: string, level: number): CachedZipEntry | undefined {
    const hit = this.#zip.get(key);
    return hit && hit.level === level ? hit : undefined;
  }

  countZipEntries(reused: number, compressed: number): void {
    this.#counts.zipEntriesReused += reused;
    this.#counts.zipEntriesCompressed += compressed;
  }

  async recallOutput(dest: string, kind: string): Promise<unknown> {
    const known = this.#outputs.get(dest);
    if (!known || known.kind !== kind) return undefined;
    const st = await lstat(dest, { bigint: true }).catch(() => undefined);
    if (!st?.isFile() || contentsIdentity(dest, st) !== known.identity) {
      this.#outputs.delete(dest);
      return undefined;
    }
    return known.memo;
  }

  rememberOutput(dest: string, kind: string, memo: unknown, updatedBytes?: number): void {
    if (updatedBytes !== undefined) {
      this.#counts.outputsUpdated++;
      this.#counts.bytesUpdated += updatedBytes;
    } else {
      this.#counts.writtenInFull.push(dest);
    }
    // Right after the rename: the file's identity now is that of what we wrote.
    const st = lstatSync(dest, { bigint: true, throwIfNoEntry: false });
    if (st?.isFile()) this.#outputs.set(dest, { identity: contentsIdentity(dest, st), kind, memo });
    else this.#outputs.delete(dest);
  }

  canKeepZipEntry(size: number): boolean {
    // Deflate output is at most a little larger than its input (stored blocks: 5 bytes per 64 KiB).
    return this.#zipBytes + size + Math.ceil(size / 1024) + 64 <= this.maxZipBytes;
  }

  setZipEntry(key: string, entry: CachedZipEntry): void {
    const old = this.#zip.get(key);
    const bytes = this.#zipBytes - (old?.data.length ?? 0) + entry.data.length;
    if (bytes > this.maxZipBytes) return;
    this.#zip.set(key, entry);
    this.#zipBytes = bytes;
  }
}
