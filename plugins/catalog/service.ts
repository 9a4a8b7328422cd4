/**
 * When catalogs and certificates are parsed: requests wait until flush() (the checks need the
 * answers now), then are answered one at a time. Waiting lets a build hand the parsing to its
 * deferred catalog checks, which run alongside the writing instead of before it; one at a time
 * keeps a single asn1js tree (a few MiB for a 12 KiB catalog) alive, where two dozen were while
 * their signatures waited for the thread pool. facts.ts, and with it asn1js and pkijs, is loaded
 * at the first answer: a build without catalogs or certificates never loads them.
 *
 * (A worker thread for the parsing was measured and dropped: on two cores under load it made
 * `gulp validate` slower, 7.9 s against 6.3 s median on the medium payload, and a build, which
 * compresses on both cores, spent more CPU starting it than the parse costs.)
 */
import { createRequire } from "node:module";
import type { CatalogFactsResult, CertificateFacts, CertificateFile, FactsRequest } from "./facts.js";

export interface CatalogService {
  /** Parse a catalog and judge its signature and its chain to `trusted` (the certs/ files). */
  catalog(bytes: Uint8Array, trusted: readonly CertificateFile[]): Promise<CatalogFactsResult>;
  /** Does a certs/ file parse as X.509? */
  certificate(file: CertificateFile): Promise<CertificateFacts>;
  /** Answer every request made so far, and those made later at once. */
  flush(): void;
}

interface Pending {
  request: FactsRequest;
  resolve: (r: CatalogFactsResult | CertificateFacts) => void;
  reject: (err: unknown) => void;
}

export function catalogService(): CatalogService {
  const waiting: Pending[] = [];
  let flushed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const answer = (p: Pending) => {
    queue = queue.then(() => loadFacts().then((f) => f.answer(p.request)).then(p.resolve, p.reject));
  };
  function request<R extends CatalogFactsResult | CertificateFacts>(r: FactsRequest): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { request: r, resolve: resolve as Pending["resolve"], reject };
      if (flushed) answer(p);
      else waiting.push(p);
    });
  }
  return {
    catalog: (bytes, trusted) => request<CatalogFactsResult>({ op: "catalog", bytes, trusted: [...trusted] }),
    certificate: (file) => request<CertificateFacts>({ op: "certificate", file }),
    flush() {
      flushed = true;
      for (const p of waiting.splice(0)) answer(p);
    },
  };
}

let facts: Promise<typeof import("./facts.js")> | undefined;

function loadFacts(): Promise<typeof import("./facts.js")> {
  // Under tsx's CommonJS hook (the gulpfile) a dynamic import() of a .ts file finds no loader: require it.
  facts ??= import.meta.url.endsWith(".ts")
    ? Promise.resolve().then(() => createRequire(import.meta.url)("./facts.js") as typeof import("./facts.js"))
    : import("./facts.js");
  return facts;
}
