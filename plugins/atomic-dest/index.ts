/**
 * atomicDest(outDir): write every incoming file beside its final name as a temporary file, all
 * of them concurrently, and rename them into place only once every one is complete. On any
 * failure (or when the stream is destroyed, e.g. on Ctrl-C) the temporary files are removed and
 * the out dir keeps exactly what it held before (a dir we created is removed again).
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Vinyl from "vinyl";
import { asPluginError, userError } from "../shared/errors.js";
import { packagePath } from "../shared/paths.js";

const PLUGIN = "atomicDest";

export interface AtomicDestOptions {
  /** Base for a relative outDir. Default: process.cwd(). */
  cwd?: string;
  /** Called after the files are renamed into place, with their final paths. */
  onWritten?: (paths: string[]) => void;
}

interface PendingWrite {
  tmp: string;
  final: string;
  done: Promise<void>;
}

/** Temp files left by a process that died are recognisable by this prefix. */
export const TEMP_PREFIX = ".aero-tmp-";

export function atomicDest(outDir: string, options: AtomicDestOptions = {}): Transform {
  const root = path.resolve(options.cwd ?? process.cwd(), outDir);
  const writes: PendingWrite[] = [];
  const createdDirs: string[] = [];
  let prepared: Promise<void> | undefined;
  let finished = false;

  const prepare = () =>
    (prepared ??= (async () => {
      const st = await stat(root).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw err;
      });
      if (st && !st.isDirectory()) throw userError(PLUGIN, `out dir is not a directory: ${outDir}`);
      if (!st) {
        // Remember which levels we create, to remove them again if the build fails.
        let dir = root;
        const missing: string[] = [];
        while (!(await exists(dir))) {
          missing.unshift(dir);
          dir = path.dirname(dir);
        }
        await mkdir(root, { recursive: true });
        createdDirs.push(...missing);
      }
    })());

  const cleanup = async () => {
    await Promise.allSettled(writes.map((w) => w.done));
    await Promise.all(writes.map((w) => rm(w.tmp, { force: true }).catch(() => undefined)));
    for (const dir of [...createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
  };

  const stream = new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (file.isDirectory() || file.isNull()) {
        cb();
        return;
      }
      const rel = packagePath(file);
      const final = path.join(root, rel);
      const tmp = path.join(path.dirname(final), `${TEMP_PREFIX}${path.basename(final)}.${process.pid}.${randomBytes(4).toString("hex")}`);
      const done = (async () => {
        await prepare();
        await mkdir(path.dirname(final), { recursive: true });
        if (Buffer.isBuffer(file.contents)) {
          await writeFile(tmp, file.contents, { mode: 0o644 });
        } else {
          await pipeline(file.contents as Readable, createWriteStream(tmp, { mode: 0o644 }));
        }
      })();
      done.catch(() => undefined); // observed in flush; avoid an unhandled rejection meanwhile
      writes.push({ tmp, final, done });
      cb(); // start the next file's write now: outputs are written concurrently
    },
    flush(cb) {
      (async () => {
        try {
          await Promise.all(writes.map((w) => w.done));
        } catch (err) {
          await cleanup();
          throw err;
        }
        for (const w of writes) await rename(w.tmp, w.final);
        finished = true;
        options.onWritten?.(writes.map((w) => w.final));
      })().then(() => cb(), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
    destroy(err, cb) {
      if (finished) {
        cb(err);
        return;
      }
      cleanup().then(() => cb(err), () => cb(err));
    },
  });
  return stream;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
