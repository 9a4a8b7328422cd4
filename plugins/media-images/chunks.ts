/**
 * The shared reader's data (see feed.ts): a file served to both images (Fed) and its chunks, the
 * chunk sizes, and the read of a chunk that was dropped before every image took it.
 */
import type { Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import zlib from "node:zlib";
import type { FileHash } from "../manifest/index.js";
import { changedError, namingPath, type FileContents } from "../shared/contents.js";

/** Files up to this size are one chunk (the zip deflates them in one job, the ISO writes them in one go). */
const WHOLE = 4 * 1024 * 1024;
/** Larger files are read in chunks of this size. */
export const CHUNK = 1024 * 1024;

export const CONSUMERS = { iso: 1, zip: 2 } as const;
export const ALL = CONSUMERS.iso | CONSUMERS.zip;

export interface Chunk {
  file: Fed;
  offset: number;
  length: number;
  /** CRC-32 of the bytes, set when they are dropped before every image took them. */
  crc: number;
  /** The bytes while some image still needs them. */
  buf: Buffer | undefined;
  /** Images (CONSUMERS bits) that have not taken it yet. */
  pending: number;
}

export interface Fed {
  index: number;
  contents: FileContents;
  size: number;
  count: number;
  chunks: Chunk[];
  handle: FileHandle | undefined;
  reading: Promise<void> | undefined;
  /** Made at the first chunk, dropped at the digest: 50,000 files do not hold 50,000 hash states. */
  hash: Hash | undefined;
  digest: Promise<FileHash>;
  settle: { resolve(h: FileHash): void; reject(e: unknown): void };
  error: unknown;
  wanted: boolean;
}

/** A file to serve, nothing read yet; its digest settles when its last chunk is read (or it fails). */
export function newFed(index: number, contents: FileContents, size: number, wanted: boolean): Fed {
  let settle!: Fed["settle"];
  const digest = new Promise<FileHash>((resolve, reject) => (settle = { resolve, reject }));
  digest.catch(() => undefined); // observed by the manifest
  return {
    index,
    contents,
    size,
    count: size <= WHOLE ? 1 : Math.ceil(size / CHUNK),
    chunks: [],
    handle: undefined,
    reading: undefined,
    hash: undefined,
    digest,
    settle,
    error: undefined,
    wanted,
  };
}

/** Fill `buf` from `position` on; returns the bytes read (fewer at the end of the file). */
export async function readAt(handle: FileHandle, buf: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** The chunk again, from disk: the same file (identity) and the same bytes (CRC-32) as the first read. */
export async function rereadChunk(chunk: Chunk): Promise<Buffer> {
  try {
    return await readAgain(chunk);
  } catch (err) {
    throw namingPath(err, chunk.file.contents.sourcePath);
  }
}

async function readAgain(chunk: Chunk): Promise<Buffer> {
  const contents = chunk.file.contents;
  const handle = await contents.openChecked();
  let closed = false;
  try {
    const buf = Buffer.allocUnsafe(chunk.length);
    const got = await readAt(handle, buf, chunk.offset);
    closed = true;
    await contents.closeChecked(handle);
    if (got < chunk.length || zlib.crc32(buf) !== chunk.crc) throw changedError(contents.sourcePath, `its bytes at ${chunk.offset} differ from the first read`);
    return buf;
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
  }
}
