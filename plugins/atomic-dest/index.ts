/**
 * atomicDest(outDir): write every incoming file beside its final name as a temporary file, all
 * of them concurrently, and rename them into place only once every one is complete. On any
 * failure (or when the stream is destroyed) the temporary files are removed and the out dir
 * keeps exactly what it held before (folders we created are removed again).
 *
 * While temporary files exist, SIGINT, SIGTERM and SIGHUP remove them synchronously, then end
 * the process by the same signal again, so the caller sees it (a shell reports 130, 143, 129)
 * and a calling script stops too; a plain exit(130) would not do that, and gulp-cli's exit hook
 * would turn it into "did you forget to signal async completion" and status 1. When the
 * application listens for that signal itself, the writes are abandoned with an error and the
 * exit is left to it. The handlers are removed as soon as no atomicDest of the process has
 * temporary files.
 *
 * One build at a time per out dir: before its first write, atomicDest takes the out dir's lock
 * (lock.ts) and holds it until its outputs are renamed into place or removed, so two builds into
 * one folder never mix their outputs. A build that finds the lock taken waits, saying so once.
 *
 * An output whose writer attached an OutputRecipe (isoWriter, deterministicZip with a BuildCache:
 * see shared/output-update.ts) and whose previous version at the destination is still the one it
 * remembers is written as an update: the temporary file starts as a kernel copy of the previous
 * output and only the changed regions are written over it. The result is the same file.
 */
import { Transform } from "node:stream";
import type Vinyl from "vinyl";
import { asPluginError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import { OutputBatch, PLUGIN, type AtomicDestOptions } from "./batch.js";

export type { AtomicDestOptions } from "./batch.js";
export { LOCK_NAME, ownOutputFilter, TEMP_HOST_TAG, TEMP_PREFIX } from "./names.js";
export type { DerivedOutput, WrittenOutput } from "./derived.js";

export function atomicDest(outDir: string, options: AtomicDestOptions = {}): Transform {
  const batch = new OutputBatch(outDir, options, (err) => stream.destroy(err));
  const stream: Transform = new Transform({
    objectMode: true,
    transform(incoming: Vinyl, _enc, cb) {
      batch.openGate();
      // Streams are written once, so they are not buffered; null files have nothing to write.
      intake(PLUGIN, incoming, { needs: "bytes", reread: false }).then(
        (file) => {
          if (!file.isDirectory()) batch.startWrite(file);
          cb(); // start the next file's write now: outputs are written concurrently
        },
        (err: unknown) => cb(asPluginError(PLUGIN, err)),
      );
    },
    flush(cb) {
      batch.commit().then(() => cb(), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
    destroy(err, cb) {
      if (batch.finished) {
        cb(err);
        return;
      }
      batch.cleanup().then(() => cb(err), () => cb(err)); // its synchronous part has run on return
    },
  });
  return stream;
}
