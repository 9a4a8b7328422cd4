/**
 * Documents that flow as vinyl files (an INF, config/devices.cmd, a certificate), read with the
 * caps of documents.ts. Apart from documents.ts because it needs the vinyl contents machinery,
 * which the path readers (and the spec loader built on them) must not pull in.
 */
import type Vinyl from "vinyl";
import { FileContents, openContents } from "./contents.js";
import { checkDocumentSize, DOCUMENT_LIMITS, DocumentError, readDocument, type DocumentKind } from "./documents.js";

/**
 * The bytes of a document that flows as a vinyl file (an INF, config/devices.cmd, a certificate),
 * named by `label` (its package path). A file read from disk is read as readDocument does; other
 * contents are checked by their size first and read with the same bound. A one-shot stream is
 * replaced by the Buffer read, so the file stays readable downstream.
 */
export async function readDocumentFile(kind: DocumentKind, file: Vinyl, label: string): Promise<Buffer> {
  const contents = file.contents;
  if (Buffer.isBuffer(contents)) {
    checkDocumentSize(kind, contents.length, label);
    return contents;
  }
  if (contents instanceof FileContents && contents.constructor === FileContents) {
    const bytes = await readDocument(kind, contents.sourcePath, { label });
    if (contents.expectedSize !== undefined && bytes.length !== contents.expectedSize) {
      throw new DocumentError(
        `file changed while it was being packaged: ${label} (listed with ${contents.expectedSize} bytes, read ${bytes.length}); re-run the build`,
        label,
        "EFILECHANGED",
      );
    }
    return bytes;
  }
  const listed = contents instanceof FileContents ? contents.expectedSize : file.stat?.size;
  if (typeof listed === "number") checkDocumentSize(kind, listed, label);
  if (contents instanceof FileContents) return contents.readAll(); // e.g. a file inside an ISO: its size is known and checked
  const limit = DOCUMENT_LIMITS[kind].bytes;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of openContents(file)) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > limit) checkDocumentSize(kind, total, label);
    chunks.push(buf);
  }
  const bytes = Buffer.concat(chunks, total);
  file.contents = bytes;
  return bytes;
}
