/**
 * A file of 4 GiB or more is written as a multi-extent file (see plugins/iso-writer/layout.ts).
 * The source is a generated stream (zeros with markers at the start, across the extent
 * boundary and at the end) and the image is written sparsely, so the test needs neither 4 GiB
 * of memory nor of disk, and takes a few seconds.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { readIsoTree, isoSrc } from "../../plugins/iso-src/index.js";
import { contentsOf } from "../support/streams.js";
import { bsdtarExtract, bsdtarList, pycdlibRead, sevenZipExtract, sevenZipList, sha256, vinylOf, writeIso, xorrisoList } from "./iso-support.js";

const EXTENT = 0xfffff800;
const SIZE = 4 * 1024 ** 3 + 4096 + 5;
const MARKERS: [number, string][] = [
  [0, "HEAD"],
  [EXTENT - 2, "EDGE"], // straddles the two extents
  [SIZE - 4, "TAIL"],
];

function bigSource(): Readable {
  const chunkSize = 1 << 20;
  const zero = Buffer.alloc(chunkSize);
  function* chunks() {
    for (let off = 0; off < SIZE; off += chunkSize) {
      const len = Math.min(chunkSize, SIZE - off);
      let chunk = zero.subarray(0, len);
      for (const [at, text] of MARKERS) {
        if (at + text.length <= off || at >= off + len) continue;
        chunk = Buffer.from(chunk);
        for (let i = 0; i < text.length; i++) if (at + i >= off && at + i < off + len) chunk[at + i - off] = text.charCodeAt(i);
      }
      yield chunk;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

describe("a file of 4 GiB and more", function () {
  this.timeout(120_000);
  let tmp: string;
  let iso: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-large-"));
    iso = path.join(tmp, "large.iso");
    const big = new Vinyl({ cwd: "/virtual", base: "/virtual", path: "/virtual/big.bin", contents: bigSource(), stat: { size: SIZE } as fs.Stats });
    const small = [
      { path: "a.txt", data: Buffer.from("alpha") },
      { path: "z.txt", data: Buffer.from("zulu") },
    ].map(vinylOf);
    await writeIso([big, ...small], iso);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is recorded as two contiguous extents that our reader joins", async () => {
    const entry = (await readIsoTree(iso)).entries.find((e) => e.path === "big.bin")!;
    assert.equal(entry.size, SIZE);
    assert.equal(entry.extents.length, 2);
    assert.equal(entry.extents[0]!.length, EXTENT);
    assert.equal(entry.extents[1]!.offset, entry.extents[0]!.offset + EXTENT);
    const fd = fs.openSync(iso, "r");
    try {
      for (const [at, textMark] of MARKERS) {
        const buf = Buffer.alloc(4);
        fs.readSync(fd, buf, 0, 4, entry.extents[0]!.offset + at);
        assert.equal(buf.toString(), textMark);
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  it("keeps the files after it at the right place", async () => {
    const out: Record<string, string> = {};
    for await (const f of isoSrc(iso, { globs: "*.txt" })) out[(f as Vinyl).relative] = (await contentsOf(f as Vinyl)).toString();
    assert.deepEqual(out, { "a.txt": "alpha", "z.txt": "zulu" });
  });

  it("pycdlib sees one file of the full size in both trees", () => {
    const [result] = pycdlibRead([iso], false);
    assert.equal(result!.error, undefined, result!.error);
    assert.deepEqual(result!.joliet!.files.map((f) => [f.path, f.size]).sort(), [["/a.txt", 5], ["/big.bin", SIZE], ["/z.txt", 4]]);
    assert.deepEqual(result!.iso!.files.map((f) => [f.path, f.size]).sort(), [["/A.TXT;1", 5], ["/BIG.BIN;1", SIZE], ["/Z.TXT;1", 4]]);
  });

  it("7z, bsdtar and xorriso list one file of the full size", () => {
    for (const [reader, seen] of [
      ["7z", sevenZipList(iso)],
      ["bsdtar", bsdtarList(iso)],
      ["xorriso", xorrisoList(iso)],
    ] as const) {
      assert.deepEqual([...seen.files].map(([p, f]) => [p, f.size]).sort(), [["a.txt", 5], ["big.bin", SIZE], ["z.txt", 4]], reader);
    }
  });

  it("7z and bsdtar extract the files after it with the right bytes", () => {
    for (const [reader, seen] of [
      ["7z", sevenZipExtract(iso, path.join(tmp, "7z"), ["z.txt", "a.txt"])],
      ["bsdtar", bsdtarExtract(iso, path.join(tmp, "bsdtar"), ["z.txt", "a.txt"])],
    ] as const) {
      assert.deepEqual([...seen.files].map(([p, f]) => [p, f.sha256]).sort(), [["a.txt", sha256("alpha")], ["z.txt", sha256("zulu")]], reader);
    }
  });
});
