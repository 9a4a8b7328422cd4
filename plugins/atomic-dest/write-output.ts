/**
 * One output's temp file: its record (PendingWrite) and its write, as an update of the previous
 * version when its recipe allows, else from its Buffer or its stream.
 */
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Vinyl from "vinyl";
import { userError } from "../shared/errors.js";
import type { OutputRecipe } from "../shared/output-update.js";
import { digestBuffer, digestFile, hashingPassThrough } from "./derived.js";
import { PLUGIN } from "./options.js";
import { copyPrevious, writeUpdate } from "./update.js";

export interface PendingWrite {
  tmp: string;
  final: string;
  done: Promise<void>;
  /** The contents stream being written, destroyed when the write is abandoned. */
  source: Readable | undefined;
  /** The temp file's stream (stream writes only), destroyed along with the source. */
  out?: Writable;
  /** Told once the file is in place; `updatedBytes` is set when it was written as an update. */
  recipe: OutputRecipe | undefined;
  updatedBytes?: number;
  /** Digest of the bytes written, when derived outputs need it. */
  digest?: { sha256: string; size: number };
}

/**
 * The first error seen, which tells which side failed (pipeline then destroys the other side with
 * the same error).
 */
export interface FirstError {
  first?: { side: "source" | "out"; err: Error };
}

/**
 * Write the temp file of `write`. Failures of our own writes (a full or read-only disk: a system
 * call failed) name the output; the source's errors, and its premature end, pass through as they
 * are. `abandoned`: the build failed meanwhile, nothing new may start.
 */
export async function writeTemp(file: Vinyl, write: PendingWrite, seen: FirstError, needDigests: boolean, abandoned: () => boolean): Promise<void> {
  const { tmp, final, source, recipe } = write;
  try {
    const update = recipe && (await recipe.updateFrom(final).catch(() => undefined));
    // Abandoned meanwhile: the source may be destroyed already, and nothing new may start.
    if (abandoned()) throw userError(PLUGIN, `${final} was not written: the build failed`);
    if (update && (await copyPrevious(final, tmp, (err) => (seen.first = { side: "out", err })))) {
      source?.destroy(); // not needed: the update gives the same bytes
      write.updatedBytes = await writeUpdate(tmp, update, abandoned, (err) => (seen.first = { side: "out", err }));
      if (needDigests) write.digest = await digestFile(tmp);
    } else if (Buffer.isBuffer(file.contents)) {
      await writeFile(tmp, file.contents, { mode: 0o644 }).catch((err: Error) => {
        seen.first = { side: "out", err };
        throw err;
      });
      if (needDigests) write.digest = digestBuffer(file.contents);
    } else {
      const out = createWriteStream(tmp, { mode: 0o644 });
      write.out = out;
      out.once("error", (err) => (seen.first ??= { side: "out", err }));
      if (needDigests) {
        const hasher = hashingPassThrough();
        await pipeline(source!, hasher, out);
        write.digest = hasher.digest();
      } else await pipeline(source!, out);
    }
  } catch (err) {
    const first = seen.first;
    if (first?.side !== "out" || typeof (first.err as NodeJS.ErrnoException).syscall !== "string") throw err;
    throw userError(PLUGIN, `cannot write ${final} (through the temporary file ${path.basename(tmp)}): ${first.err.message}`, final);
  }
}
