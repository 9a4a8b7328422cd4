/**
 * Derived outputs: files made from the finished outputs of the same build (SHA256SUMS over the
 * ISO, the zip and the manifest) and renamed into place in the same step as them, so the out dir
 * never holds a checksum file of another build. Each output's SHA-256 is taken from the bytes on
 * their way to the temp file; only an output written as an update (a copy plus regions) is read
 * back from its temp file.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";

/** An output as it will be in place, with the digest of its bytes. */
export interface WrittenOutput {
  /** Path relative to the out dir, "/"-separated. */
  name: string;
  sha256: string;
  size: number;
}

export interface DerivedOutput {
  /** Path relative to the out dir. */
  name: string;
  /** The file's bytes, from the other outputs of the build. */
  make(outputs: WrittenOutput[]): Buffer | Promise<Buffer>;
}

/** A pass-through that hashes what flows through it; `digest()` once it has ended. */
export function hashingPassThrough(): Transform & { digest(): { sha256: string; size: number } } {
  const hash: Hash = createHash("sha256");
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { digest: () => ({ sha256: hash.digest("hex"), size }) });
}

export function digestBuffer(bytes: Buffer): { sha256: string; size: number } {
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

export async function digestFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}
