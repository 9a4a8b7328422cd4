/**
 * Where catalogs and certificates are parsed: in this thread, or in a worker thread that parses
 * them on the other core while this one goes on reading the tree. Parsing a catalog with asn1js +
 * pkijs costs about 15 ms per 12 KiB (a medium payload has two dozen); a worker costs about half a
 * second of the other core to start (it loads tsx, asn1js and pkijs itself). So requests wait
 * here until their bytes pass `workerAfterBytes`, then go to a worker; a handful of small
 * catalogs (the sample's) are parsed here at flush(), and no worker is started.
 *
 * The worker runs plugins/catalog/worker (the .ts source under tsx, the compiled .js otherwise).
 * If it cannot start or dies, the requests it held are answered here: results never depend on
 * where they were computed.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { CatalogFactsResult, CertificateFacts, CertificateFile, FactsRequest } from "./facts.js";
import { WORKER_MARK, type WorkerRequest, type WorkerResponse } from "./worker-protocol.js";

export interface CatalogService {
  /** Parse a catalog and judge its signature and its chain to `trusted` (the certs/ files). */
  catalog(bytes: Uint8Array, trusted: readonly CertificateFile[]): Promise<CatalogFactsResult>;
  /** Does a certs/ file parse as X.509? */
  certificate(file: CertificateFile): Promise<CertificateFacts>;
  /** The results are needed now: answer here whatever still waits for a worker to be worth it. */
  flush(): void;
  /** Stop the worker, if one was started. Requests not yet answered are answered here. */
  close(): void;
  /** Whether a worker was started, and how many requests it answered (for tests and the benchmark). */
  readonly usedWorker: boolean;
  readonly answeredByWorker: number;
}

export interface CatalogServiceOptions {
  /** Bytes requested before a worker is started. Default 64 KiB; Infinity: never. */
  workerAfterBytes?: number;
}

export const DEFAULT_WORKER_AFTER_BYTES = 64 * 1024;

interface Pending {
  request: WorkerRequest;
  resolve: (r: CatalogFactsResult | CertificateFacts) => void;
  reject: (err: unknown) => void;
}

const requestBytes = (r: FactsRequest) => (r.op === "catalog" ? r.bytes.byteLength : r.file.bytes.byteLength);

export function catalogService(options: CatalogServiceOptions = {}): CatalogService {
  const threshold = options.workerAfterBytes ?? DEFAULT_WORKER_AFTER_BYTES;
  let nextId = 0;
  let requestedBytes = 0;
  const waiting: Pending[] = []; // below the threshold, or after the worker failed
  const sent = new Map<number, Pending>(); // held by the worker, by id
  let worker: Worker | undefined;
  let usedWorker = false;
  let answeredByWorker = 0;
  let noWorker = false; // it failed, or close() was called

  // One at a time: a parsed catalog's asn1js tree (a few MiB) lives until its signature is
  // verified, which waits for the thread pool; parsed all at once, two dozen trees were alive.
  let here: Promise<unknown> = Promise.resolve();
  const answerHere = (p: Pending) => {
    here = here.then(() => loadFacts().then((f) => f.answer(p.request)).then(p.resolve, p.reject));
  };
  const flush = () => {
    for (const p of waiting.splice(0)) answerHere(p);
  };
  const takeBack = () => {
    const held = [...sent.values()];
    sent.clear();
    for (const p of held) answerHere(p);
  };
  const send = (p: Pending) => {
    sent.set(p.request.id, p);
    worker!.postMessage(p.request);
  };
  const lost = () => {
    noWorker = true;
    worker = undefined;
    takeBack();
    flush();
  };
  const start = (): boolean => {
    try {
      worker = spawnWorker();
    } catch {
      noWorker = true;
      return false;
    }
    usedWorker = true;
    worker.unref(); // never what keeps the process alive
    worker.on("message", (m: WorkerResponse) => {
      const p = sent.get(m.id);
      if (!p) return;
      sent.delete(m.id);
      if ("result" in m) {
        answeredByWorker++;
        p.resolve(revive(m.result));
      }
      else answerHere(p); // a failure over there: the answer (or its error) is computed here
    });
    worker.on("error", lost);
    worker.on("exit", () => worker && lost());
    return true;
  };

  function request<R extends CatalogFactsResult | CertificateFacts>(r: FactsRequest): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { request: { ...r, id: nextId++ }, resolve: resolve as Pending["resolve"], reject };
      requestedBytes += requestBytes(r);
      if (!worker && !noWorker && requestedBytes >= threshold && start()) for (const w of waiting.splice(0)) send(w);
      if (worker) send(p);
      else if (noWorker) answerHere(p);
      else waiting.push(p); // until the threshold is passed, or flush()
    });
  }

  return {
    catalog: (bytes, trusted) => request<CatalogFactsResult>({ op: "catalog", bytes, trusted: [...trusted] }),
    certificate: (file) => request<CertificateFacts>({ op: "certificate", file }),
    flush,
    close() {
      noWorker = true;
      const w = worker;
      worker = undefined;
      takeBack();
      flush();
      void w?.terminate();
    },
    get usedWorker() {
      return usedWorker;
    },
    get answeredByWorker() {
      return answeredByWorker;
    },
  };
}

/** A structured clone turns Buffers into plain Uint8Arrays: make the digests Buffers again. */
function revive(result: CatalogFactsResult | CertificateFacts): CatalogFactsResult | CertificateFacts {
  if (result.ok && "facts" in result) {
    for (const m of result.facts.members) m.digest = Buffer.from(m.digest.buffer, m.digest.byteOffset, m.digest.byteLength);
  }
  return result;
}

/** facts.ts (and with it asn1js and pkijs), loaded when this thread first parses something. */
let facts: Promise<typeof import("./facts.js")> | undefined;
const fromSource = import.meta.url.endsWith(".ts");

function loadFacts(): Promise<typeof import("./facts.js")> {
  // Under tsx's CommonJS hook (the gulpfile) a dynamic import() of a .ts file finds no loader: require it.
  facts ??= fromSource ? Promise.resolve().then(() => createRequire(import.meta.url)("./facts.js") as typeof import("./facts.js")) : import("./facts.js");
  return facts;
}

function spawnWorker(): Worker {
  const require = createRequire(import.meta.url);
  const { Worker } = require("node:worker_threads") as typeof import("node:worker_threads");
  // Under tsx (the gulpfile, the tests) the worker loads tsx's CommonJS hook, then the .ts source;
  // the compiled package imports its .js.
  const code = fromSource
    ? `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(fileURLToPath(new URL("./worker.ts", import.meta.url)))});`
    : `import(${JSON.stringify(new URL("./worker.js", import.meta.url).href)});`;
  return new Worker(code, { eval: true, workerData: { [WORKER_MARK]: true } });
}
