/** The messages between service.ts and the catalog worker (worker.ts). Types only, plus the mark. */
import type { CatalogFactsResult, CertificateFacts, FactsRequest } from "./facts.js";

/** workerData key marking the thread service.ts started: importing worker.ts anywhere else does nothing. */
export const WORKER_MARK = "aeroCatalogWorker";

export type WorkerRequest = FactsRequest & { id: number };
export type WorkerResponse = { id: number; result: CatalogFactsResult | CertificateFacts } | { id: number; error: string };
