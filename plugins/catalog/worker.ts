/**
 * The catalog worker thread (see service.ts): answers each request with the facts of its bytes.
 * Loaded by the worker's bootstrap code only.
 */
import { parentPort, workerData } from "node:worker_threads";
import { answer } from "./facts.js";
import { WORKER_MARK, type WorkerRequest, type WorkerResponse } from "./worker-protocol.js";

if ((workerData as Record<string, unknown> | null)?.[WORKER_MARK]) {
  // One request at a time, as service.ts answers them: at most one catalog's asn1js tree alive.
  let queue: Promise<void> = Promise.resolve();
  parentPort?.on("message", (m: WorkerRequest) => {
    queue = queue.then(() =>
      answer(m).then(
        (result) => parentPort!.postMessage({ id: m.id, result } satisfies WorkerResponse),
        (err: unknown) => parentPort!.postMessage({ id: m.id, error: String(err) } satisfies WorkerResponse),
      ),
    );
  });
}
