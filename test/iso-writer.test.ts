/**
 * isoWriter as a stream: vinyl files in, one lazily generated image out, read back with the
 * project's reader (the interop suite reads the same kind of images with pycdlib, xorriso,
 * isoinfo, 7-Zip and libarchive).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { isoWriter, type IsoWriterOptions } from "../plugins/iso-writer/index.js";
import { isoSrc, readIsoTree } from "../plugins/iso-src/index.js";
import { FileContents } from "../plugins/shared/contents.js";
import { bufferFile, contentsOf, runPlugins } from "./support/streams.js";

const SECTOR = 2048;
let tmp: string;

async function writeImage(files: Vinyl[], options: IsoWriterOptions = {}): Promise<{ file: Vinyl; bytes: Buffer }> {
  const out = await runPlugins(files, isoWriter(options));
  assert.equal(out.length, 1);
  return { file: out[0]!, bytes: await contentsOf(out[0]!) };
}

let counter = 0;
/** Save an image and read it back: path → bytes. */
async function readBack(bytes: Buffer): Promise<Map<string, Buffer>> {
  const isoPath = path.join(tmp, `img-${counter++}.iso`);
  fs.writeFileSync(isoPath, bytes);
  const tree = await readIsoTree(isoPath);
  const out = new Map<string, Buffer>();
  for (const entry of tree.entries) {
    if (entry.isDirectory) continue;
    out.set(entry.path, Buffer.concat(entry.extents.map((e) => bytes.subarray(e.offset, e.offset + e.length))));
  }
  return out;
}

/** A one-shot stream with stat.size, like gulp.src({buffer:false}) gives. */
function streamFile(relative: string, data: Buffer, size = data.length): Vinyl {
  return new Vinyl({
    cwd: "/virtual",
    base: "/virtual",
    path: `/virtual/${relative}`,
    contents: Readable.from([data]),
    stat: { size } as fs.Stats,
  });
}

const sample = () => [
  bufferFile("setup.cmd", "@echo off\r\n"),
  bufferFile("drivers/amd64/viostor/viostor.inf", "x".repeat(5000)),
  bufferFile("drivers/x86/viostor/viostor.inf", "y".repeat(2048)),
  bufferFile("config/devices.cmd", ""),
  bufferFile("licenses/Ünïcödé 日本語.txt", "ü"),
];

describe("isoWriter", () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-writer-test-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("writes every file so that reading the image back gives the same paths and bytes", async () => {
    const files = sample();
    const { bytes } = await writeImage(files);
    const back = await readBack(bytes);
    assert.deepEqual([...back.keys()].sort(), files.map((f) => f.relative).sort());
    for (const f of files) assert.deepEqual(back.get(f.relative), f.contents);
  });

  it("emits one stream-backed vinyl named aero-guest-tools.iso with its size, mode and mtime in stat", async () => {
    const files = sample().map((f) => new Vinyl({ cwd: "/work", base: "/work/stage", path: `/work/stage/${f.relative}`, contents: f.contents }));
    const { file, bytes } = await writeImage(files, { sourceDateEpoch: 1_700_000_000 });
    assert.ok(file.isStream());
    assert.equal(file.relative, "aero-guest-tools.iso");
    assert.equal(file.base, "/work/stage");
    assert.equal(file.cwd, "/work");
    assert.equal(file.stat?.size, bytes.length);
    assert.equal(bytes.length % SECTOR, 0);
    assert.equal(file.stat?.mode, 0o100644);
    assert.equal(file.stat?.mtime.getTime(), 1_700_000_000_000);
  });

  it("uses the fileName option for the emitted path", async () => {
    const { file } = await writeImage([bufferFile("a", "a")], { fileName: "out/media.iso" });
    assert.equal(file.relative, path.join("out", "media.iso"));
  });

  it("writes the same bytes whatever order the files arrive in", async () => {
    const a = await writeImage(sample());
    const b = await writeImage(sample().reverse());
    assert.ok(a.bytes.equals(b.bytes));
  });

  it("writes the same bytes from buffers, re-openable disk streams and one-shot streams", async () => {
    const files = sample();
    const fromBuffers = await writeImage(files);
    const onDisk = files.map((f) => {
      const abs = path.join(tmp, "src", f.relative);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, f.contents as Buffer);
      return new Vinyl({ cwd: "/virtual", base: "/virtual", path: `/virtual/${f.relative}`, contents: new FileContents(abs, (f.contents as Buffer).length), stat: fs.statSync(abs) });
    });
    const oneShot = files.map((f) => streamFile(f.relative, f.contents as Buffer));
    assert.ok((await writeImage(onDisk)).bytes.equals(fromBuffers.bytes));
    assert.ok((await writeImage(oneShot)).bytes.equals(fromBuffers.bytes));
  });

  it("writes the same bytes again from an image read back with isoSrc", async () => {
    const options = { volumeId: "ROUND TRIP", sourceDateEpoch: 86_400 };
    const first = await writeImage(sample(), options);
    const isoPath = path.join(tmp, "round-trip.iso");
    fs.writeFileSync(isoPath, first.bytes);
    const read: Vinyl[] = [];
    for await (const f of isoSrc(isoPath)) read.push(f as Vinyl);
    const second = await writeImage(read, options);
    assert.ok(second.bytes.equals(first.bytes));
  });

  it("fails the output stream, naming the file, when a source on disk disappears", async () => {
    const abs = path.join(tmp, "vanishing.bin");
    fs.writeFileSync(abs, "soon gone");
    const file = new Vinyl({ cwd: "/v", base: "/v", path: "/v/vanishing.bin", contents: new FileContents(abs, 9), stat: fs.statSync(abs) });
    const [image] = await runPlugins([file], isoWriter());
    fs.rmSync(abs);
    await assert.rejects(contentsOf(image!), /vanishing\.bin.*ENOENT|ENOENT.*vanishing\.bin/);
  });

  it("skips directories", async () => {
    const dir = new Vinyl({ cwd: "/virtual", base: "/virtual", path: "/virtual/emptydir", stat: { isDirectory: () => true } as fs.Stats });
    const { bytes } = await writeImage([dir, bufferFile("a.txt", "a")]);
    assert.deepEqual([...(await readBack(bytes)).keys()], ["a.txt"]);
  });

  it("refuses a null file: it needs the bytes", async () => {
    const nul = new Vinyl({ cwd: "/virtual", base: "/virtual", path: "/virtual/null.txt", contents: null });
    await assert.rejects(runPlugins([nul, bufferFile("a.txt", "a")], isoWriter()), /null\.txt has no contents/);
  });

  it("does not read any input before the image is consumed, and then reads it only as fast as it is consumed", async () => {
    let pulled = 0;
    const size = 64 * 1024 * 1024;
    // Re-openable contents (as our sources give) that count what is read; one-shot streams are
    // read at intake instead (see vinyl-kinds.test.ts).
    class Counted extends FileContents {
      override reopen(): FileContents {
        return new Counted(this.sourcePath, this.expectedSize);
      }
      override push(c: unknown): boolean {
        if (Buffer.isBuffer(c)) pulled += c.length;
        return super.push(c);
      }
    }
    const abs = path.join(tmp, "big.bin");
    fs.writeFileSync(abs, "");
    fs.truncateSync(abs, size);
    const big = new Vinyl({ cwd: "/v", base: "/v", path: "/v/big.bin", contents: new Counted(abs, size), stat: { size } as fs.Stats });
    const [image] = await runPlugins([big, bufferFile("a.txt", "a")], isoWriter());
    assert.equal(pulled, 0);
    const stream = image!.contents as Readable;
    let seen = 0;
    for await (const c of stream) {
      seen += (c as Buffer).length;
      if (seen > 2 * 1024 * 1024) break;
    }
    // Only what was consumed plus a bounded read-ahead (output buffer + source buffer).
    assert.ok(pulled < 8 * 1024 * 1024, `pulled ${pulled} bytes`);
  });

  it("records the volume id normalized in the PVD and in UCS-2 in the Joliet descriptor", async () => {
    const { bytes } = await writeImage([bufferFile("a", "a")], { volumeId: "Aero-Tools v1" });
    const pvd = bytes.subarray(16 * SECTOR, 17 * SECTOR);
    const svd = bytes.subarray(17 * SECTOR, 18 * SECTOR);
    assert.equal(pvd.toString("latin1", 40, 72), "AERO_TOOLS V1".padEnd(32, " "));
    const ucs = Buffer.from(svd.subarray(40, 72));
    assert.equal(ucs.swap16().toString("utf16le"), "AERO_TOOLS V1".padEnd(16, " "));
  });

  it("uses AERO_GUEST_TOOLS as the default volume id", async () => {
    const { bytes } = await writeImage([bufferFile("a", "a")]);
    assert.equal(bytes.toString("latin1", 16 * SECTOR + 40, 16 * SECTOR + 72).trimEnd(), "AERO_GUEST_TOOLS");
  });

  describe("timestamps", () => {
    const rootDate = (bytes: Buffer) => [...bytes.subarray(16 * SECTOR + 156 + 18, 16 * SECTOR + 156 + 25)];
    const creation = (bytes: Buffer) => bytes.toString("latin1", 16 * SECTOR + 813, 16 * SECTOR + 829);

    it("clamps an epoch before 1900 to 1900-01-01", async () => {
      const { bytes } = await writeImage([bufferFile("a", "a")], { sourceDateEpoch: -5_364_662_400 }); // 1800-01-01
      assert.deepEqual(rootDate(bytes), [0, 1, 1, 0, 0, 0, 0]);
      assert.equal(creation(bytes), "1900010100000000");
    });

    it("clamps i64::MAX to the last second of 2155", async () => {
      const { bytes } = await writeImage([bufferFile("a", "a")], { sourceDateEpoch: 9223372036854775807n });
      assert.deepEqual(rootDate(bytes), [255, 12, 31, 23, 59, 59, 0]);
      assert.equal(creation(bytes), "2155123123595900");
    });

    it("uses 1970-01-01 when no epoch is given", async () => {
      const { bytes } = await writeImage([bufferFile("a", "a")]);
      assert.deepEqual(rootDate(bytes), [70, 1, 1, 0, 0, 0, 0]);
    });

    it("refuses a non-integer epoch when the plugin is created", () => {
      assert.throws(() => isoWriter({ sourceDateEpoch: 1.5 }), /integer/);
    });
  });

  describe("refusals at flush, before any output", () => {
    async function refuses(files: Vinyl[], ...patterns: RegExp[]) {
      const out: Vinyl[] = [];
      await assert.rejects(
        runPlugins(files, isoWriter()).then((o) => out.push(...o)),
        (err: Error) => {
          for (const p of patterns) assert.match(err.message, p);
          return true;
        },
      );
      assert.equal(out.length, 0);
    }

    it("refuses an empty input set", () => refuses([], /refusing to create an empty ISO/));

    it("refuses a set of only directories", () =>
      refuses([new Vinyl({ cwd: "/v", base: "/v", path: "/v/d", stat: { isDirectory: () => true } as fs.Stats })], /empty ISO/));

    it("refuses a 65-unit Joliet name, naming the path and the limit", () => {
      const name = "a".repeat(61) + ".txt";
      return refuses([bufferFile("ok.txt", "x"), bufferFile(`config/${name}`, "x")], new RegExp(`config/${name}`), /max=64/);
    });

    it("refuses a name outside the BMP", () => refuses([bufferFile("config/emoji-😀.txt", "x")], /config\/emoji-/, /UCS-2/));

    it("reads a one-shot stream without stat.size at intake and packages it", async () => {
      const f = new Vinyl({ cwd: "/v", base: "/v", path: "/v/s.bin", contents: Readable.from([Buffer.from("x")]) });
      const { bytes } = await writeImage([f]);
      assert.deepEqual([...(await readBack(bytes)).keys()], ["s.bin"]);
    });
  });

  describe("contents that do not match their size", () => {
    // One-shot streams are read at intake, so the mismatch is refused before any output.
    it("refuses a one-shot source that yields fewer bytes than its size", () =>
      assert.rejects(runPlugins([streamFile("short.bin", Buffer.alloc(100), 200)], isoWriter()), /short\.bin: contents are 100 bytes but file\.stat\.size says 200/));

    it("refuses a one-shot source that yields more bytes than its size", () =>
      assert.rejects(runPlugins([streamFile("long.bin", Buffer.alloc(300), 200)], isoWriter()), /long\.bin: contents are 300 bytes but file\.stat\.size says 200/));

    it("fails the output stream when a file on disk shrinks after it was listed", async () => {
      const abs = path.join(tmp, "shrinks.bin");
      fs.writeFileSync(abs, Buffer.alloc(200));
      const file = new Vinyl({ cwd: "/v", base: "/v", path: "/v/shrinks.bin", contents: new FileContents(abs, 200), stat: fs.statSync(abs) });
      const [image] = await runPlugins([file, bufferFile("z.txt", "z")], isoWriter());
      fs.writeFileSync(abs, Buffer.alloc(100));
      await assert.rejects(contentsOf(image!), /shrinks\.bin/);
    });
  });
});
