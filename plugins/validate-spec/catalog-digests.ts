/**
 * The digests the catalog checks compare with a catalog's members: each covered file hashed once,
 * streamed (never held whole), for the algorithms its catalogs use; with a CheckCache (gulp
 * watch's BuildCache) a file unchanged since an earlier build is not read at all, and in a build
 * the bytes come from the media feed's one read of each file (shared/shared-reads.ts).
 */
import type Vinyl from "vinyl";
import { FileDigester, type FileDigest } from "../catalog/coverage.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import { contentSize, FileContents, materialize, openContents } from "../shared/contents.js";
import type { SharedReads } from "../shared/shared-reads.js";
import type { CheckCache } from "./catalog-intake.js";

/** A file that could not be hashed, and why (the checks warn once, where they first need it). */
export interface Unhashed {
  error: string;
}

/** What the digests of one run of the checks share. */
export interface DigestRun {
  /** By package path: each file's digests so far. */
  memo: Map<string, Promise<FileDigest | Unhashed>>;
  cache?: CheckCache | undefined;
  /** A later stage's reads to follow (a build's media feed), instead of reading the files here. */
  sharedReads?: SharedReads | undefined;
  /** Files read here at once, at most (followers that were not served may fall back together). */
  reading: Limiter;
}

/**
 * A file's digests for `algs`, streamed (never held in memory), each file read once per set of
 * algorithms; with no algorithm only its PE headers are read (embedded signature present or not).
 * With a cache, a file unchanged since an earlier build is not read at all; with shared reads, its
 * bytes come from the media feed's read of it when that has not begun yet.
 */
export function fileDigest(file: Vinyl, filePath: string, algs: readonly DigestAlgorithm[], run: DigestRun): Promise<FileDigest | Unhashed> {
  const earlier = run.memo.get(filePath);
  const next = (async () => {
    try {
      const cacheKey = run.cache?.keyOf(file);
      const memoKey = cacheKey === undefined ? undefined : `digest:${cacheKey}`;
      const known = earlier ? await earlier : memoKey ? (run.cache!.recallCheck(memoKey) as FileDigest | undefined) : undefined;
      if (known && "error" in known) return known;
      const missing = algs.filter((a) => !known?.digests.has(a));
      if (known && missing.length === 0) return known;
      const fresh = await digestOf(file, filePath, missing, run);
      const merged: FileDigest = known ? { ...known, digests: new Map([...known.digests, ...fresh.digests]) } : fresh;
      if (memoKey) run.cache!.rememberCheck(memoKey, merged);
      return merged;
    } catch (err) {
      return { error: (err as Error).message };
    } finally {
      // Followed (follow() let the reader go) or not needed: the reader must not wait for it.
      if (file.contents && typeof file.contents === "object") run.sharedReads?.release(file.contents);
    }
  })();
  run.memo.set(filePath, next);
  return next;
}

async function digestOf(file: Vinyl, filePath: string, algs: readonly DigestAlgorithm[], run: DigestRun): Promise<FileDigest> {
  await materialize(file);
  const contents = file.contents;
  if (contents instanceof FileContents && run.sharedReads) {
    const digester = new FileDigester(filePath, contentSize(file), algs);
    if (await run.sharedReads.follow(contents, (chunk) => digester.update(chunk))) return digester.digest();
  }
  return run.reading.run(async () => {
    const digester = new FileDigester(filePath, contentSize(file), algs);
    if (contents instanceof FileContents) {
      // Read through one reused buffer: no garbage per chunk (the payload is read whole here).
      await contents.forEachChunk((chunk) => digester.update(chunk));
    } else {
      const stream = openContents(file);
      for await (const chunk of stream) {
        digester.update(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
        if (digester.done) {
          stream.destroy();
          break;
        }
      }
    }
    return digester.digest();
  });
}

/** At most `n` tasks at once, the others queued in order. */
export class Limiter {
  #running = 0;
  readonly #queue: Array<() => void> = [];
  constructor(private readonly n: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.n) this.#running++;
    else await new Promise<void>((resolve) => this.#queue.push(resolve)); // handed a slot by a finishing task
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
