/**
 * Incremental output updates. A writer that remembers what it wrote last time at a destination
 * (an ISO whose unchanged files sit at the same sectors, a zip whose unchanged entries can be
 * copied) can describe the new output as the old file plus a few overwritten regions. A
 * destination that writes through a temporary copy (atomicDest) applies that: copy the old file
 * in the kernel, overwrite the regions, truncate, rename. A 200 MB image then costs a kernel copy
 * and the changed bytes instead of reading and writing every byte through JavaScript.
 *
 * The recipe is attached to the output's contents stream (a WeakMap, like BuildCache's keys), so
 * a plugin that replaces the contents drops it. The stream stays the definition of the bytes: an
 * update must give exactly the same file, and any consumer may ignore the recipe (gulp.dest does).
 */
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import type Vinyl from "vinyl";

/** Bytes to write at `offset` over the copy of the previous output. */
export interface OutputRegion {
  offset: number;
  chunks: AsyncIterable<Buffer>;
}

export interface OutputUpdate {
  /**
   * Regions, ascending and not overlapping, each consumed in full before the next is asked for.
   * Every byte outside them (below the final size) equals the previous output's byte there.
   */
  regions: AsyncIterable<OutputRegion>;
  /** The final size; default: where the last region ends. */
  size?: number;
}

export interface OutputRecipe {
  /**
   * How to turn the file now at `dest` into this output, or undefined when it cannot be (not
   * ours, changed since, other options): then the contents stream is written instead.
   */
  updateFrom(dest: string): Promise<OutputUpdate | undefined>;
  /**
   * This output is now at `dest` (renamed into place), written from the contents stream or, with
   * `updatedBytes` (the bytes of its regions), as an update.
   */
  written(dest: string, updatedBytes?: number): void;
}

const recipes = new WeakMap<object, OutputRecipe>();

export function attachOutputRecipe(contents: object, recipe: OutputRecipe): void {
  recipes.set(contents, recipe);
}

/** The recipe of a file's current contents, if its writer attached one. */
export function outputRecipe(file: Vinyl): OutputRecipe | undefined {
  const contents = file.contents;
  return contents !== null && typeof contents === "object" ? recipes.get(contents) : undefined;
}

/**
 * Where writers remember what they wrote, per destination path (BuildCache implements it). A
 * memo is recalled only while the file at the destination is still the one it was made for.
 */
export interface OutputMemory {
  recallOutput(dest: string, kind: string): Promise<unknown>;
  /** `updatedBytes` as told to OutputRecipe.written (for statistics). */
  rememberOutput(dest: string, kind: string, memo: unknown, updatedBytes?: number): void;
}

/** Positional reads of byte ranges from one file, through one handle opened on first use. */
export class RangeReader {
  #handle: Promise<FileHandle> | undefined;

  constructor(
    readonly path: string,
    readonly chunkSize = 1024 * 1024,
  ) {}

  /** Exactly `length` bytes from `offset`; a shorter file is an error (it changed under us). */
  async *read(offset: number, length: number): AsyncGenerator<Buffer> {
    const handle = await (this.#handle ??= open(this.path, "r"));
    let done = 0;
    while (done < length) {
      const want = Math.min(this.chunkSize, length - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, offset + done);
      if (bytesRead === 0) throw new Error(`${this.path} ended at byte ${offset + done}, before ${offset + length}: it changed while it was read`);
      done += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
