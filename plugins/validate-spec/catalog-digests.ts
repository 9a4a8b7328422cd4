/**
 * The digests the catalog checks compare with a catalog's members: each covered file hashed once,
 * streamed (never held whole), for the algorithms its catalogs use; with a CheckCache (gulp
 * watch's BuildCache) a file unchanged since an earlier build is not read at all.
 */
import type Vinyl from "vinyl";
import { FileDigester, type FileDigest } from "../catalog/coverage.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import { contentSize, FileContents, materialize, openContents } from "../shared/contents.js";
import type { RuleReport } from "../shared/report.js";
import type { CheckCache } from "./catalog-intake.js";
import type { ValidateSpecRule } from "./rules.js";

/**
 * A file's digests for `algs`, streamed (never held in memory), each file read once per set of
 * algorithms; with no algorithm only its PE headers are read (embedded signature present or not).
 * With a cache, a file unchanged since an earlier build is not read at all.
 */
export async function fileDigest(
  file: Vinyl,
  filePath: string,
  digests: Map<string, FileDigest | null>,
  group: string,
  report: RuleReport<ValidateSpecRule>,
  algs: readonly DigestAlgorithm[],
  cache: CheckCache | undefined,
): Promise<FileDigest | null> {
  const cacheKey = cache?.keyOf(file);
  const memoKey = cacheKey && `digest:${cacheKey}`;
  let known = digests.get(filePath);
  if (known === null) return null;
  if (!known && memoKey) known = cache!.recallCheck(memoKey) as FileDigest | undefined;
  const missing = algs.filter((a) => !known?.digests.has(a));
  if (known && missing.length === 0) {
    digests.set(filePath, known);
    return known;
  }
  try {
    await materialize(file);
    const digester = new FileDigester(filePath, contentSize(file), missing);
    const contents = file.contents;
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
    const fresh = digester.digest();
    const merged: FileDigest = known ? { ...known, digests: new Map([...known.digests, ...fresh.digests]) } : fresh;
    digests.set(filePath, merged);
    if (memoKey) cache!.rememberCheck(memoKey, merged);
    return merged;
  } catch (err) {
    report.warn({ rule: "catalog-unhashed", group, path: filePath, message: `${filePath} could not be hashed for the catalog check: ${(err as Error).message}` });
    digests.set(filePath, null);
    return null;
  }
}
