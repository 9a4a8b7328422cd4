/**
 * Writing an output as an update of its previous version (see shared/output-update.ts): the
 * previous file copied in the kernel, then only the changed regions written over the copy.
 */
import { constants as fsConstants } from "node:fs";
import { copyFile, open } from "node:fs/promises";
import type { OutputUpdate } from "../shared/output-update.js";
import { userError } from "../shared/errors.js";
import { exists } from "./dirs.js";

const PLUGIN = "atomicDest";

/**
 * Start an update: the previous output copied to the temp file, in the kernel: a reflink where
 * the file system has them (btrfs, XFS: no data copied at all), else copy_file_range or sendfile
 * (no bytes pass through JavaScript). False when it is gone already (then the contents
 * stream is written instead); other failures are failures of our own writes.
 */
export async function copyPrevious(from: string, tmp: string, onOutError: (err: Error) => void): Promise<boolean> {
  try {
    await copyFile(from, tmp, fsConstants.COPYFILE_FICLONE);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && !(await exists(from))) return false;
    onOutError(err as Error);
    throw err;
  }
}

/** Small chunks (zip headers, the central directory) are gathered up to this size into one write. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Write the update's regions over the copy and truncate it to the final size. Returns the bytes written. */
export async function writeUpdate(tmp: string, update: OutputUpdate, abandoned: () => boolean, onOutError: (err: Error) => void): Promise<number> {
  const out = async <T>(op: () => Promise<T>): Promise<T> =>
    op().catch((err: Error) => {
      onOutError(err);
      throw err;
    });
  const handle = await out(() => open(tmp, "r+"));
  const writeAt = async (buf: Buffer, position: number) => {
    for (let done = 0; done < buf.length; ) {
      const { bytesWritten } = await out(() => handle.write(buf, done, buf.length - done, position + done));
      if (bytesWritten === 0) throw new Error(`${tmp}: the file system accepted no bytes at ${position + done}`);
      done += bytesWritten;
    }
  };
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let batchAt = 0;
  const flush = async () => {
    if (batchBytes > 0) await writeAt(batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes), batchAt);
    batch = [];
    batchBytes = 0;
  };
  let bytes = 0;
  let end = 0;
  try {
    for await (const region of update.regions) {
      await flush(); // a batch never spans two regions
      let position = region.offset;
      for await (const chunk of region.chunks) {
        if (abandoned()) throw userError(PLUGIN, `${tmp} was not completed: the build failed`);
        if (batchBytes + chunk.length > WRITE_BATCH_BYTES) await flush();
        if (chunk.length >= WRITE_BATCH_BYTES) await writeAt(chunk, position);
        else {
          if (batchBytes === 0) batchAt = position;
          batch.push(chunk);
          batchBytes += chunk.length;
        }
        position += chunk.length;
        bytes += chunk.length;
      }
      end = position;
    }
    await flush();
    await out(() => handle.truncate(update.size ?? end));
  } finally {
    await handle.close();
  }
  return bytes;
}
