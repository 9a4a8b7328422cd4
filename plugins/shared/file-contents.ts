/**
 * FileContents: the contents of a file read from disk by our sources. It opens the file lazily
 * on first read and can be re-opened any number of times (the OS page cache serves the
 * re-reads), so the payload is never held in memory; every open and close checks that the file
 * is still the one first looked at (file-identity.ts).
 */
import type { BigIntStats, Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import { changedError, difference, differenceFromListing, identityOf, Looks, namingPath, type FileIdentity } from "./file-identity.js";

const CHUNK = 64 * 1024;

/** Test-only: called after a file is opened for reading, before its bytes are read. */
let readHook: ((sourcePath: string) => void | Promise<void>) | undefined;
export function setReadHook(hook: typeof readHook): void {
  readHook = hook;
}
async function opened(sourcePath: string): Promise<void> {
  await readHook?.(sourcePath);
}

/** A lazily opened, re-openable read stream over one file on disk. */
export class FileContents extends Readable {
  readonly sourcePath: string;
  readonly expectedSize: number | undefined;
  readonly #looks: Looks;
  #handle: FileHandle | undefined;
  #position = 0;

  /** `listed`: the stat of the listing (its identity is checked at the first open). */
  constructor(sourcePath: string, expectedSize?: number, listed?: Stats | Looks) {
    super({ highWaterMark: CHUNK });
    this.sourcePath = sourcePath;
    this.expectedSize = expectedSize;
    this.#looks = listed instanceof Looks ? listed : new Looks(listed);
  }

  /** The identity every read must see (undefined before the first look). */
  get identity(): FileIdentity | undefined {
    return this.#looks.first;
  }

  /**
   * Record a first look taken elsewhere (BuildCache.identify's lstat). False when it contradicts
   * the listing or an earlier look: the file changed, and the next read will say so.
   */
  recordLook(st: BigIntStats): boolean {
    const now = identityOf(st);
    const looks = this.#looks;
    if (looks.first) return difference(looks.first, now) === undefined;
    if (looks.listed && differenceFromListing(looks.listed, now) !== undefined) return false;
    looks.first = now;
    return true;
  }

  /**
   * Open the file for reading and check that it is the file first looked at (the first open
   * records the look). Every reader of a FileContents goes through here and closeChecked().
   */
  async openChecked(): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(this.sourcePath, "r");
    } catch (err) {
      // Gone since it was listed (or since the last read of it).
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && (this.#looks.first ?? this.#looks.listed)) throw changedError(this.sourcePath, "deleted");
      throw err;
    }
    try {
      const st = await handle.stat({ bigint: true });
      // Not a regular file any more (a folder): the read fails with the OS's own error.
      if (st.isFile()) this.#check(identityOf(st), false);
      await opened(this.sourcePath);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return handle;
  }

  /**
   * The last look, after reading through `handle` (all of it: `bytesRead`, checked against the
   * size): still the same file? Closes the handle.
   */
  async closeChecked(handle: FileHandle, bytesRead?: number): Promise<void> {
    try {
      const st = await handle.stat({ bigint: true });
      if (st.nlink === 0n) throw changedError(this.sourcePath, "deleted");
      this.#check(identityOf(st), true);
      if (bytesRead !== undefined && BigInt(bytesRead) !== st.size) throw changedError(this.sourcePath, `read ${bytesRead} of its ${st.size} bytes`);
    } finally {
      await handle.close();
    }
  }

  #check(now: FileIdentity, last: boolean): void {
    const looks = this.#looks;
    if (this.expectedSize !== undefined && now.size !== BigInt(this.expectedSize)) {
      throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, now ${now.size}`);
    }
    if (looks.first) {
      const why = difference(looks.first, now);
      if (why) throw changedError(this.sourcePath, last ? `${why} while it was read` : why);
      return;
    }
    const why = looks.listed && differenceFromListing(looks.listed, now);
    if (why) throw changedError(this.sourcePath, why);
    looks.first = now;
  }

  /**
   * Hand every chunk of the file to `onChunk`, reading into one reused buffer: no garbage, so
   * hashing a big payload does not pile up dead buffers between garbage collections. `onChunk`
   * must be done with the chunk when it returns (hash.update is). Checks the file's identity.
   */
  async forEachChunk(onChunk: (chunk: Buffer) => void): Promise<number> {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let total = 0;
    try {
      const handle = await this.openChecked();
      let closed = false;
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, total);
          if (bytesRead === 0) break;
          total += bytesRead;
          if (this.expectedSize !== undefined && total > this.expectedSize) throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, read ${total}+`);
          onChunk(buf.subarray(0, bytesRead));
        }
        closed = true;
        await this.closeChecked(handle, total);
      } finally {
        if (!closed) await handle.close();
      }
    } catch (err) {
      throw namingPath(err, this.sourcePath);
    }
    return total;
  }

  /** A fresh stream over the same file, starting at byte 0. */
  reopen(): FileContents {
    return new FileContents(this.sourcePath, this.expectedSize, this.#looks);
  }

  /** All bytes in one buffer, read in place (no per-chunk buffers); checks the listed size. */
  async readAll(): Promise<Buffer> {
    try {
      return await this.#readAll();
    } catch (err) {
      throw namingPath(err, this.sourcePath);
    }
  }

  async #readAll(): Promise<Buffer> {
    const handle = await this.openChecked();
    let closed = false;
    try {
      const size = this.expectedSize ?? Number((await handle.stat({ bigint: true })).size);
      const buf = Buffer.allocUnsafe(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await handle.read(buf, offset, size - offset, offset);
        if (bytesRead === 0) break; // shorter now: closeChecked says how
        offset += bytesRead;
      }
      closed = true;
      await this.closeChecked(handle, offset);
      return buf;
    } finally {
      if (!closed) await handle.close();
    }
  }

  override _read(size: number): void {
    this.#readChunk(Math.max(size, CHUNK)).catch((err: unknown) => this.destroy(namingPath(err, this.sourcePath)));
  }

  async #readChunk(size: number): Promise<void> {
    this.#handle ??= await this.openChecked();
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.#handle.read(buf, 0, size, this.#position);
    this.#position += bytesRead;
    if (bytesRead > 0) {
      if (this.expectedSize !== undefined && this.#position > this.expectedSize) {
        throw changedError(this.sourcePath, `listed with ${this.expectedSize} bytes, read ${this.#position}+`);
      }
      this.push(bytesRead === size ? buf : buf.subarray(0, bytesRead));
      return;
    }
    const handle = this.#handle;
    this.#handle = undefined;
    await this.closeChecked(handle, this.#position);
    this.push(null);
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await handle.close();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#close().then(() => cb(err), (closeErr: unknown) => cb(err ?? (closeErr as Error)));
  }
}
