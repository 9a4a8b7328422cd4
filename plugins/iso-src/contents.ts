/**
 * The bytes of one file inside an image, read lazily by offset. It is a FileContents, so
 * `openContents()` re-opens it (a fresh stream over the same extents) instead of treating it as
 * a one-shot foreign stream: an image piped into isoWriter or a zip is never buffered.
 */
import { open, type FileHandle } from "node:fs/promises";
import { FileContents } from "../shared/contents.js";
import type { IsoExtent } from "./tree.js";

const CHUNK = 256 * 1024;

export class IsoExtentContents extends FileContents {
  readonly extents: readonly IsoExtent[];
  /** Path of the file inside the image, for messages. */
  readonly entryPath: string;
  #handle: FileHandle | undefined;
  #index = 0;
  #offset = 0;

  constructor(isoPath: string, entryPath: string, extents: readonly IsoExtent[], size: number) {
    super(isoPath, size);
    this.extents = extents;
    this.entryPath = entryPath;
  }

  override reopen(): IsoExtentContents {
    return new IsoExtentContents(this.sourcePath, this.entryPath, this.extents, this.expectedSize ?? 0);
  }

  /** Chunks of the file's extents through one reused buffer (see FileContents.forEachChunk). */
  override async forEachChunk(onChunk: (chunk: Buffer) => void): Promise<number> {
    const buf = Buffer.allocUnsafe(256 * 1024);
    const handle = await open(this.sourcePath, "r");
    let total = 0;
    try {
      for (const extent of this.extents) {
        for (let done = 0; done < extent.length; ) {
          const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, extent.length - done), extent.offset + done);
          if (bytesRead === 0) {
            const err = new Error(`${this.sourcePath} ended before the end of "${this.entryPath}" (was the image changed?)`);
            (err as NodeJS.ErrnoException).code = "EFILECHANGED";
            throw err;
          }
          done += bytesRead;
          total += bytesRead;
          onChunk(buf.subarray(0, bytesRead));
        }
      }
    } finally {
      await handle.close();
    }
    return total;
  }

  override async readAll(): Promise<Buffer> {
    const size = this.expectedSize ?? 0;
    const buf = Buffer.allocUnsafe(size);
    const handle = await open(this.sourcePath, "r");
    try {
      let at = 0;
      for (const extent of this.extents) {
        for (let done = 0; done < extent.length; ) {
          const { bytesRead } = await handle.read(buf, at, extent.length - done, extent.offset + done);
          if (bytesRead === 0) {
            const err = new Error(`${this.sourcePath} ended before the end of "${this.entryPath}" (was the image changed?)`);
            (err as NodeJS.ErrnoException).code = "EFILECHANGED";
            throw err;
          }
          done += bytesRead;
          at += bytesRead;
        }
      }
      return buf.subarray(0, at);
    } finally {
      await handle.close();
    }
  }

  override _read(size: number): void {
    this.#next(Math.max(size, CHUNK)).catch((err: unknown) => this.destroy(err as Error));
  }

  async #next(size: number): Promise<void> {
    while (this.#index < this.extents.length && this.#offset >= this.extents[this.#index]!.length) {
      this.#index++;
      this.#offset = 0;
    }
    const extent = this.extents[this.#index];
    if (!extent) {
      await this.#close();
      this.push(null);
      return;
    }
    this.#handle ??= await open(this.sourcePath, "r");
    const length = Math.min(size, extent.length - this.#offset);
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.#handle.read(buf, 0, length, extent.offset + this.#offset);
    if (bytesRead === 0) {
      const err = new Error(`${this.sourcePath} ended before the end of "${this.entryPath}" (was the image changed?)`);
      (err as NodeJS.ErrnoException).code = "EFILECHANGED";
      throw err;
    }
    this.#offset += bytesRead;
    this.push(bytesRead === length ? buf : buf.subarray(0, bytesRead));
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await handle.close();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#close().then(
      () => cb(err),
      (closeErr: unknown) => cb(err ?? (closeErr as Error)),
    );
  }
}
