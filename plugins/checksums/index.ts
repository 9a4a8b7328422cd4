/**
 * sha256Sums(options): SHA256SUMS beside the outputs, for atomicDest's `derived` list: made from
 * the digests of the bytes atomicDest wrote, renamed into place in the same step as the outputs
 * it lists (a failed build leaves the previous four files as they were).
 *
 *   pipeline(..., mediaImages(...), atomicDest("dist", { derived: [sha256Sums()] }))
 */
import type { DerivedOutput } from "../atomic-dest/derived.js";
import { CHECKSUMS_NAME, sha256SumsText } from "./document.js";

export interface Sha256SumsOptions {
  /** Default "SHA256SUMS". */
  fileName?: string;
}

export function sha256Sums(options: Sha256SumsOptions = {}): DerivedOutput {
  const name = options.fileName ?? CHECKSUMS_NAME;
  return {
    name,
    make: (outputs) => Buffer.from(sha256SumsText(outputs.filter((o) => o.name !== name).map((o) => ({ name: o.name, sha256: o.sha256 })))),
  };
}

export { CHECKSUMS_NAME, sha256SumsText } from "./document.js";
