/**
 * isoSrc / listIso / readIsoTree: reading images back as vinyl files, selecting with globs,
 * falling back to the primary tree, and refusing malformed images with a clear error.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import fc from "fast-check";
import type Vinyl from "vinyl";
import { isoWriter } from "../plugins/iso-writer/index.js";
import { decodeDirRecord } from "../plugins/iso9660/records.js";
import { createGlobMatcher, isoSrc, listIso, readIsoTree } from "../plugins/iso-src/index.js";
import { openContents } from "../plugins/shared/contents.js";
import { PluginError } from "../plugins/shared/errors.js";
import { bufferFile, contentsOf, runPlugins } from "./support/streams.js";

const SECTOR = 2048;
let tmp: string;
let counter = 0;

async function imageBytes(files: Record<string, string | Buffer>, epoch = 0): Promise<Buffer> {
  const vinyls = Object.entries(files).map(([p, c]) => bufferFile(p, c));
  const [iso] = await runPlugins(vinyls, isoWriter({ sourceDateEpoch: epoch }));
  return contentsOf(iso!);
}

function save(bytes: Buffer): string {
  const file = path.join(tmp, `t-${counter++}.iso`);
  fs.writeFileSync(file, bytes);
  return file;
}

async function collect(stream: Readable): Promise<Vinyl[]> {
  const out: Vinyl[] = [];
  for await (const f of stream) out.push(f as Vinyl);
  return out;
}

const FILES = {
  "a.txt": "alpha",
  "README": "read me",
  "dir/b.txt": "bravo",
  "dir/sub/c.inf": "c".repeat(3000),
  "dir/sub/empty.bin": "",
  "Ünïcödé/日本語.txt": "にほんご",
};

describe("isoSrc", () => {
  let iso: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-src-test-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  before(async () => {
    iso = save(await imageBytes(FILES, 1_600_000_000));
  });

  it("yields every file with its bytes, relative path and stat", async () => {
    const files = await collect(isoSrc(iso));
    assert.deepEqual(files.map((f) => f.relative).sort(), Object.keys(FILES).sort());
    for (const f of files) {
      const expected = Buffer.from(FILES[f.relative as keyof typeof FILES]);
      assert.deepEqual(await contentsOf(f), expected);
      assert.equal(f.stat?.size, expected.length);
      assert.equal(f.stat?.mode, 0o100644);
      assert.equal(f.stat?.mtime.getTime(), 1_600_000_000_000);
    }
  });

  it("uses the image path as the virtual base of every file", async () => {
    const [first] = await collect(isoSrc(iso, { globs: "a.txt" }));
    assert.equal(first!.base, iso);
    assert.equal(first!.path, path.join(iso, "a.txt"));
  });

  it("gives contents that can be opened again", async () => {
    const [file] = await collect(isoSrc(iso, { globs: "dir/sub/c.inf" }));
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const c of openContents(file!)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };
    assert.equal(await read(), "c".repeat(3000));
    assert.equal(await read(), "c".repeat(3000));
  });

  it("gives Buffers with buffer: true", async () => {
    const files = await collect(isoSrc(iso, { buffer: true }));
    for (const f of files) assert.ok(Buffer.isBuffer(f.contents));
    assert.equal((files.find((f) => f.relative === "a.txt")!.contents as Buffer).toString(), "alpha");
  });

  it("selects files with globs, including exclusions and a leading slash", async () => {
    const rel = async (globs: string | string[]) => (await collect(isoSrc(iso, { globs }))).map((f) => f.relative);
    assert.deepEqual(await rel("dir/**"), ["dir/b.txt", "dir/sub/c.inf", "dir/sub/empty.bin"]);
    assert.deepEqual(await rel("**/*.txt"), ["a.txt", "dir/b.txt", "Ünïcödé/日本語.txt"]);
    assert.deepEqual(await rel(["**", "!**/*.txt", "!README"]), ["dir/sub/c.inf", "dir/sub/empty.bin"]);
    assert.deepEqual(await rel("/dir/*.txt"), ["dir/b.txt"]);
  });

  it("lists absolute paths of files sorted by code point", async () => {
    assert.deepEqual(await listIso(iso), ["/README", "/a.txt", "/dir/b.txt", "/dir/sub/c.inf", "/dir/sub/empty.bin", "/Ünïcödé/日本語.txt"]);
  });

  it("reads directories and extents with readIsoTree", async () => {
    const tree = await readIsoTree(iso);
    assert.equal(tree.tree, "joliet");
    assert.equal(tree.volumeId, "AERO_GUEST_TOOLS");
    const dir = tree.entries.find((e) => e.path === "dir/sub")!;
    assert.equal(dir.isDirectory, true);
    const c = tree.entries.find((e) => e.path === "dir/sub/c.inf")!;
    assert.equal(c.size, 3000);
    assert.equal(c.extents.length, 1);
    assert.equal(c.extents[0]!.offset % SECTOR, 0);
  });

  it("falls back to the primary tree, stripping ;1 and the trailing dot, when there is no Joliet descriptor", async () => {
    const bytes = await imageBytes({ "a.txt": "a", "README": "r", "dir/b.txt": "b" });
    bytes.fill(0, 17 * SECTOR + 88, 17 * SECTOR + 120); // no UCS-2 escape sequence: not Joliet
    const file = save(bytes);
    const tree = await readIsoTree(file);
    assert.equal(tree.tree, "primary");
    assert.deepEqual(await listIso(file), ["/A.TXT", "/DIR/B.TXT", "/README"]);
  });

  it("reads the primary tree on request", async () => {
    const tree = await readIsoTree(iso, { tree: "primary" });
    assert.ok(tree.entries.some((e) => e.path === "DIR/SUB/C.INF"));
  });

  it("fails the stream with a PluginError for a missing image", async () => {
    await assert.rejects(collect(isoSrc(path.join(tmp, "missing.iso"))), (err: Error) => err instanceof PluginError && /cannot read/.test(err.message));
  });
});

describe("glob matcher", () => {
  const m = (globs: string | string[], p: string) => createGlobMatcher(globs)(p);

  it("matches * and ? inside one segment only", () => {
    assert.ok(m("*.inf", "a.inf"));
    assert.ok(!m("*.inf", "x/a.inf"));
    assert.ok(m("?.inf", "a.inf"));
    assert.ok(!m("?.inf", "ab.inf"));
  });

  it("matches ** across any number of segments, including none", () => {
    assert.ok(m("a/**/b", "a/b"));
    assert.ok(m("a/**/b", "a/x/y/b"));
    assert.ok(m("**/*.sys", "drivers/amd64/x/a.sys"));
    assert.ok(!m("a/**", "b/a/x"));
  });

  it("supports classes and alternatives", () => {
    assert.ok(m("[ab].txt", "b.txt"));
    assert.ok(!m("[!ab].txt", "a.txt"));
    assert.ok(m("*.{inf,sys}", "a.sys"));
    assert.ok(!m("*.{inf,sys}", "a.cat"));
  });

  it("treats regular expression characters literally", () => {
    assert.ok(m("a+b(1).txt", "a+b(1).txt"));
    assert.ok(!m("a.txt", "abtxt"));
  });
});

describe("malformed images", () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-src-bad-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  /** Offset of the record named `name` (UCS-2 in Joliet) in the directory extent at `lba`. */
  function findRecord(bytes: Buffer, lba: number, name: Buffer): number {
    let pos = lba * SECTOR;
    const end = pos + SECTOR;
    while (pos < end && bytes[pos]! > 0) {
      const rec = decodeDirRecord(bytes, pos, end);
      if (rec.id.equals(name)) return pos;
      pos += rec.length;
    }
    throw new Error(`record ${name.toString("hex")} not found`);
  }
  const ucs2 = (s: string) => Buffer.from(s, "utf16le").swap16();
  // The worked example: Joliet root at LBA 25, Joliet "dir" at 26 (see iso-layout tests).
  let good: Buffer;
  before(async () => {
    good = await imageBytes({ "a.txt": "ab", "dir/b.txt": "cd" });
  });

  async function refused(bytes: Buffer, pattern: RegExp, limits?: Parameters<typeof readIsoTree>[1]) {
    const file = save(bytes);
    await assert.rejects(readIsoTree(file, limits), (err: Error) => {
      assert.ok(err instanceof PluginError, `not a PluginError: ${err.stack}`);
      assert.match(err.message, pattern);
      return true;
    });
  }

  it("refuses a file too small to be an image", () => refused(Buffer.alloc(100), /not an ISO9660 image/));

  it("refuses a file without a CD001 descriptor", () => refused(Buffer.alloc(40 * SECTOR, 0x41), /not an ISO9660 image/));

  it("refuses an image whose descriptor set has no terminator", () => {
    const bytes = Buffer.from(good);
    bytes.fill(0, 18 * SECTOR, 19 * SECTOR);
    return refused(bytes, /sector 18/);
  });

  it("refuses a truncated image whose file data lies beyond its end", () => refused(good.subarray(0, 27 * SECTOR), /beyond the end of the image/));

  it("refuses a directory that points back at an ancestor", () => {
    const bytes = Buffer.from(good);
    const rec = findRecord(bytes, 25, ucs2("dir"));
    bytes.writeUInt32LE(25, rec + 2);
    bytes.writeUInt32BE(25, rec + 6);
    return refused(bytes, /loop/);
  });

  it("refuses a record shorter than the fixed part", () => {
    const bytes = Buffer.from(good);
    bytes[findRecord(bytes, 25, ucs2("a.txt"))] = 12;
    return refused(bytes, /too short/);
  });

  it("refuses an identifier longer than its record", () => {
    const bytes = Buffer.from(good);
    bytes[findRecord(bytes, 25, ucs2("a.txt")) + 32] = 200;
    return refused(bytes, /does not fit/);
  });

  it("refuses a directory claiming gigabytes of records without allocating them", () => {
    const bytes = Buffer.from(good);
    const rec = findRecord(bytes, 25, ucs2("dir"));
    bytes.writeUInt32LE(0xfffff000, rec + 10);
    return refused(bytes, /claims 4294963200 bytes/);
  });

  it("refuses a name that would climb out of the image root", () => {
    const bytes = Buffer.from(good);
    const rec = findRecord(bytes, 25, ucs2("dir"));
    bytes[rec + 32] = 4;
    ucs2("..").copy(bytes, rec + 33);
    return refused(bytes, /invalid name "\.\."/);
  });

  it("refuses a multi-extent file without its final record", () => {
    const bytes = Buffer.from(good);
    bytes[findRecord(bytes, 25, ucs2("a.txt")) + 25] = 0x80;
    return refused(bytes, /multi-extent file "a.txt" ends without its final record/);
  });

  it("refuses an image nested deeper than the depth limit", async () => {
    const deep = await imageBytes({ "1/2/3/4/5/6/f": "x" });
    await refused(deep, /nested deeper than 4 levels/, { limits: { maxDepth: 4 } });
  });

  it("refuses an image with more entries than the limit", async () => {
    await refused(await imageBytes({ a: "1", b: "2", c: "3" }), /more than 2 entries/, { limits: { maxEntries: 2 } });
  });

  it("never crashes, hangs or throws anything but a PluginError on corrupted metadata", async () => {
    const metadataEnd = 27 * SECTOR; // everything before the file data
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 16 * SECTOR, max: metadataEnd - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (edits) => {
          const bytes = Buffer.from(good);
          for (const [at, value] of edits) bytes[at] = value;
          const file = save(bytes);
          try {
            const tree = await readIsoTree(file);
            for (const e of tree.entries) assert.ok(!e.path.split("/").includes(".."));
          } catch (err) {
            assert.ok(err instanceof PluginError, `unexpected ${(err as Error).stack}`);
          } finally {
            fs.rmSync(file);
          }
        },
      ),
      { seed: 20240601, numRuns: 300 },
    );
  });
});
