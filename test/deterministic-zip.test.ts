import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { assembleZip, deterministicZip, dosDateTime } from "../plugins/deterministic-zip/index.js";
import { FileContents } from "../plugins/shared/contents.js";
import { cleanupTempDirs, run, tempDir } from "./support/fixtures.js";
import { bufferFile, contentsOf, runPlugins } from "./support/streams.js";
import Vinyl from "vinyl";

/** Entries as Python's zipfile (an independent reader) sees them. */
function zipEntries(zipPath: string): Array<{ name: string; mode: string; date: number[]; size: number; method: number }> {
  const script = [
    "import json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "print(json.dumps([{'name': i.filename, 'mode': oct(i.external_attr >> 16), 'date': list(i.date_time), 'size': i.file_size, 'method': i.compress_type} for i in z.infolist()]))",
  ].join("\n");
  return JSON.parse(run("/usr/bin/python3", ["-c", script, zipPath]));
}

async function writeZip(files: Vinyl[], options: Parameters<typeof deterministicZip>[0] = {}): Promise<{ path: string; bytes: Buffer }> {
  const [zip] = await runPlugins(files, deterministicZip(options));
  const bytes = await contentsOf(zip!);
  const out = path.join(tempDir(), "out.zip");
  writeFileSync(out, bytes);
  return { path: out, bytes };
}

describe("deterministicZip", () => {
  after(cleanupTempDirs);

  it("writes directories first with mode 0755, then files sorted by path with mode 0644", async () => {
    const { path: zipPath } = await writeZip([
      bufferFile("setup.cmd", "@echo off\r\n"),
      bufferFile("drivers/x86/a/a.inf", "[Version]\r\n"),
      bufferFile("README.md", "# hi\n"),
    ]);
    const entries = zipEntries(zipPath);
    assert.deepEqual(entries.map((e) => e.name), ["drivers/", "drivers/x86/", "drivers/x86/a/", "README.md", "drivers/x86/a/a.inf", "setup.cmd"]);
    for (const e of entries) assert.equal(e.mode, e.name.endsWith("/") ? "0o40755" : "0o100644", e.name);
  });

  it("stores the source date epoch as the UTC calendar time whatever TZ the process has", async () => {
    const epoch = 1700000000; // 2023-11-14T22:13:20Z
    const previous = process.env.TZ;
    try {
      process.env.TZ = "Asia/Tokyo";
      const tokyo = await writeZip([bufferFile("a.txt", "x")], { sourceDateEpoch: epoch });
      process.env.TZ = "America/Los_Angeles";
      const la = await writeZip([bufferFile("a.txt", "x")], { sourceDateEpoch: epoch });
      assert.ok(tokyo.bytes.equals(la.bytes), "zip bytes differ between time zones");
      assert.deepEqual(zipEntries(tokyo.path)[0]!.date, [2023, 11, 14, 22, 13, 20]);
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });

  it("clamps epochs before 1980 and after 2107 to the DOS range", async () => {
    const early = await writeZip([bufferFile("a.txt", "x")], { sourceDateEpoch: 0 });
    assert.deepEqual(zipEntries(early.path)[0]!.date, [1980, 1, 1, 0, 0, 0]);
    const late = await writeZip([bufferFile("a.txt", "x")], { sourceDateEpoch: 9223372036854775807n });
    assert.deepEqual(zipEntries(late.path)[0]!.date, [2107, 12, 31, 23, 59, 58]);
  });

  it("gives the same bytes for Buffer and stream contents, in any input order", async () => {
    const dir = tempDir();
    const onDisk = path.join(dir, "b.bin");
    const payload = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31) % 256));
    writeFileSync(onDisk, payload);
    const streamFile = new Vinyl({ cwd: "/v", base: "/v", path: "/v/dir/b.bin", contents: new FileContents(onDisk, payload.length) });
    streamFile.stat = { size: payload.length } as Vinyl["stat"];
    const a = await writeZip([bufferFile("a.txt", "alpha"), bufferFile("dir/b.bin", payload, "/v")]);
    const b = await writeZip([streamFile, bufferFile("a.txt", "alpha")]);
    assert.ok(a.bytes.equals(b.bytes));
  });

  it("round-trips every byte through unzip", async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { path: zipPath } = await writeZip([bufferFile("bin/all.bin", all), bufferFile("empty.txt", "")]);
    const out = tempDir();
    run("unzip", ["-q", zipPath, "-d", out]);
    assert.ok(readFileSync(path.join(out, "bin/all.bin")).equals(all));
    assert.equal(readFileSync(path.join(out, "empty.txt")).length, 0);
  });

  it("refuses a compression level outside 1-9", () => {
    assert.throws(() => deterministicZip({ compressionLevel: 11 }), /compressionLevel must be an integer 1-9/);
  });

  it("gives the same bytes whether entries compress one at a time or in parallel", async () => {
    const files = () => Array.from({ length: 12 }, (_, i) => bufferFile(`d/f${i}.bin`, Buffer.alloc(50_000 + i * 997, i)));
    const one = await writeZip(files(), { parallel: 1 });
    const four = await writeZip(files(), { parallel: 4 });
    assert.ok(one.bytes.equals(four.bytes));
    run("unzip", ["-tq", four.path]);
  });

  it("writes ZIP64 entries that unzip, Python, libarchive and 7-Zip all read", async () => {
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 251));
    const entries = [
      { name: "a", isDirectory: true, mode: 0o40755, size: 0 },
      { name: "a/big.bin", isDirectory: false, mode: 0o100644, size: payload.length, open: () => Readable.from([payload]) },
      { name: "z.txt", isDirectory: false, mode: 0o100644, size: 2, open: () => Readable.from([Buffer.from("hi")]) },
    ];
    const stream = assembleZip(entries, { dos: dosDateTime(new Date(0)), level: 6, forceZip64: true });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const zipPath = path.join(tempDir(), "z64.zip");
    writeFileSync(zipPath, Buffer.concat(chunks));
    run("unzip", ["-tq", zipPath]);
    const py = run("/usr/bin/python3", ["-c", "import sys,zipfile,hashlib; z=zipfile.ZipFile(sys.argv[1]); print(hashlib.sha256(z.read('a/big.bin')).hexdigest(), z.read('z.txt').decode())", zipPath]);
    assert.equal(py.trim(), `${createHash("sha256").update(payload).digest("hex")} hi`);
    for (const [cmd, args] of [["bsdtar", ["-xf", zipPath, "-C"]], ["7z", ["x", "-y", zipPath]]] as const) {
      const out = tempDir();
      run(cmd, cmd === "7z" ? [...args, `-o${out}`] : [...args, out]);
      assert.ok(readFileSync(path.join(out, "a/big.bin")).equals(payload), cmd);
    }
  });

  it("fails the output stream when a source yields fewer bytes than its size", async () => {
    const entries = [{ name: "short.bin", isDirectory: false, mode: 0o100644, size: 10, open: () => Readable.from([Buffer.from("abc")]) }];
    const stream = assembleZip(entries, { dos: dosDateTime(new Date(0)), level: 6 });
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /short\.bin: expected 10 bytes, read 3/);
  });
});
