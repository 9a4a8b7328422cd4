/**
 * Fuzz target: the ISO reader (readIsoTree, listIso, isoSrc) on mutated images.
 *
 * The input is an image without its 32 KiB system area (always zero in our images): the target
 * puts it back, so mutations land on descriptors, path tables and directory records instead of
 * padding. Properties: only clear errors naming the image; reading the tree reads at most
 * twice the image (more means hostile records make it read the same bytes again and again: a
 * hang on a big image); entries sorted and unique, every parent listed, every extent inside the
 * image, no file larger than the image (a bigger claim would make isoSrc({ buffer: true })
 * allocate what the image does not hold), and every file's bytes stream back with exactly its
 * size.
 */
import { rmSync, writeFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Vinyl from "vinyl";
import { isoSrc, listIso, readIsoTree, type IsoTree } from "../../plugins/iso-src/index.js";
import { compareCodePoints } from "../../plugins/shared/paths.js";
import { bounded, expectClearErrors, invariant } from "./guard.js";

export const SYSTEM_AREA = 16 * 2048;
const image = path.join(os.tmpdir(), `aero-fuzz-${process.pid}.iso`);
process.once("exit", () => rmSync(image, { force: true }));

/** Bytes read through any FileHandle while `counting` (the tree reader reads by positional reads). */
let bytesRead = 0;
let counting = false;
async function wrapHandleReads(): Promise<void> {
  const handle = await open(process.execPath, "r");
  const proto = Object.getPrototypeOf(handle) as { read: FileHandle["read"]; __counted?: boolean };
  await handle.close();
  if (proto.__counted) return;
  proto.__counted = true;
  const read = proto.read;
  proto.read = async function (this: FileHandle, ...args: unknown[]) {
    const result = await (read as (...a: unknown[]) => Promise<{ bytesRead: number }>).apply(this, args);
    if (counting) bytesRead += result.bytesRead;
    return result;
  } as FileHandle["read"];
}

/** Run the tree reader, checking it reads at most twice the image. */
async function readTree(tree: "auto" | "primary", imageSize: number): Promise<IsoTree | undefined> {
  await wrapHandleReads();
  bytesRead = 0;
  counting = true;
  try {
    return await expectClearErrors(image, () => readIsoTree(image, { tree }));
  } finally {
    counting = false;
    invariant(bytesRead <= 2 * imageSize, `reading the ${tree} tree read ${bytesRead} bytes of a ${imageSize}-byte image`);
  }
}

/** Total bytes the target streams back per input, so a legitimately shared extent cannot stall it. */
const MAX_READ_FACTOR = 16;

function checkTree(tree: IsoTree, imageSize: number): void {
  const paths = tree.entries.map((e) => e.path);
  for (let i = 1; i < paths.length; i++) invariant(compareCodePoints(paths[i - 1]!, paths[i]!) < 0, `entries not sorted/unique at ${paths[i]}`);
  const dirs = new Set(tree.entries.filter((e) => e.isDirectory).map((e) => e.path));
  for (const e of tree.entries) {
    const parent = e.path.includes("/") ? e.path.slice(0, e.path.lastIndexOf("/")) : "";
    invariant(parent === "" || dirs.has(parent), `parent of ${e.path} is not listed`);
    invariant(!e.path.split("/").some((c) => c === "" || c === "." || c === ".."), `unsafe path ${JSON.stringify(e.path)}`);
    invariant(e.size <= imageSize, `${e.path} claims ${e.size} bytes in a ${imageSize}-byte image`);
    let sum = 0;
    for (const x of e.extents) {
      invariant(x.offset >= 0 && x.offset + x.length <= imageSize, `${e.path} has an extent outside the image`);
      sum += x.length;
    }
    invariant(sum === e.size, `${e.path}: extents add up to ${sum}, size is ${e.size}`);
  }
}

export function fuzz(data: Buffer): Promise<void> {
  return bounded(() => check(data));
}

async function check(data: Buffer): Promise<void> {
  const bytes = Buffer.concat([Buffer.alloc(SYSTEM_AREA), data]);
  writeFileSync(image, bytes);
  for (const tree of ["auto", "primary"] as const) {
    const read = await readTree(tree, bytes.length);
    if (read) checkTree(read, bytes.length);
  }
  const files = await expectClearErrors(image, () => listIso(image));
  if (!files) return;
  const tree = await readIsoTree(image);
  invariant(
    JSON.stringify(files) === JSON.stringify(tree.entries.filter((e) => !e.isDirectory).map((e) => `/${e.path}`)),
    "listIso differs from readIsoTree",
  );
  const total = tree.entries.reduce((sum, e) => sum + e.size, 0);
  if (total > MAX_READ_FACTOR * bytes.length) return;
  for (const buffer of [false, true]) {
    await expectClearErrors(image, async () => {
      for await (const file of isoSrc(image, { buffer }) as AsyncIterable<Vinyl>) {
        let got = 0;
        if (Buffer.isBuffer(file.contents)) got = file.contents.length;
        else for await (const chunk of file.contents as AsyncIterable<Buffer>) got += chunk.length;
        invariant(got === file.stat!.size, `${file.relative}: read ${got} bytes, listed ${file.stat!.size}`);
      }
    });
  }
}
