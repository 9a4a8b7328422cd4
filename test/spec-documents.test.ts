/**
 * The document readers (plugins/shared/documents.ts): every loaded document is a regular file
 * within its size cap, refused before it is read and without ever blocking on open. The FIFO
 * cases would hang forever with a plain open(): their timeout is short, and a stuck reader is
 * released afterwards so the run still ends.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { findDeviceContract } from "../plugins/devices-cmd/discover.js";
import { FileContents } from "../plugins/shared/contents.js";
import { DOCUMENT_LIMITS, formatSize, readDocument, readDocumentSync } from "../plugins/shared/documents.js";
import { readDocumentFile } from "../plugins/shared/document-files.js";
import { loadSpecFile } from "../plugins/shared/load-spec.js";
import { cleanupTempDirs, tempDir } from "./support/fixtures.js";

function fifo(dir: string, name = "fifo.json"): string {
  const p = path.join(dir, name);
  const r = spawnSync("mkfifo", [p]);
  assert.equal(r.status, 0, String(r.stderr));
  return p;
}

/** Open for writing without blocking, then close: a reader stuck in open() gets EOF. */
function release(p: string): void {
  try {
    closeSync(openSync(p, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    /* nobody waiting */
  }
}

describe("document readers: regular files of sane size", function () {
  this.timeout(10_000);
  after(cleanupTempDirs);

  it("keeps one table of caps: spec and contract 4 MiB, devices.cmd 1 MiB, INF 16 MiB, certificate 1 MiB, manifest 128 MiB", () => {
    const caps = Object.fromEntries(Object.entries(DOCUMENT_LIMITS).map(([k, v]) => [k, formatSize(v.bytes, true)]));
    assert.deepEqual(caps, { spec: "4 MiB", contract: "4 MiB", devicesCmd: "1 MiB", inf: "16 MiB", certificate: "1 MiB", manifest: "128 MiB" });
    assert.equal(formatSize(3 * 1024 ** 3), "3.0 GiB");
  });

  it("refuses a FIFO without blocking, async and sync, naming the file and the flag", async () => {
    const p = fifo(tempDir());
    try {
      await assert.rejects(readDocument("spec", p, { flag: "--spec" }), { message: `packaging spec ${p} is a FIFO, not a regular file (--spec)` });
      assert.throws(() => readDocumentSync("contract", p, { label: "c.json" }), { message: "windows device contract c.json is a FIFO, not a regular file" });
      assert.throws(() => loadSpecFile(p), /packaging spec .*fifo\.json is a FIFO, not a regular file/);
    } finally {
      release(p);
    }
  });

  it("refuses /dev/zero, /dev/null and a directory by their type", async () => {
    await assert.rejects(readDocument("spec", "/dev/zero"), { message: "packaging spec /dev/zero is a character device, not a regular file" });
    const dir = tempDir();
    await assert.rejects(readDocument("inf", dir, { label: "drivers/x86/a/a.inf" }), { message: "INF drivers/x86/a/a.inf is a directory, not a regular file" });
    assert.throws(() => readDocumentSync("devicesCmd", "/dev/null", { label: "config/devices.cmd" }), /config\/devices\.cmd is a character device/);
  });

  it("refuses a sparse file over the cap by its size, before reading it", async () => {
    const p = path.join(tempDir(), "devices.cmd");
    writeFileSync(p, "");
    truncateSync(p, 3 * 1024 ** 3); // 3 GiB, no disk used: reading it would take seconds and 3 GiB of memory
    const started = Date.now();
    await assert.rejects(readDocument("devicesCmd", p, { label: "config/devices.cmd" }), { message: "config/devices.cmd is 3.0 GiB, over the 1 MiB limit for devices.cmd" });
    assert.throws(() => readDocumentSync("spec", p, { flag: "--spec" }), { message: `packaging spec ${p} is 3.0 GiB, over the 4 MiB limit for a packaging spec (--spec)` });
    assert.ok(Date.now() - started < 2000);
  });

  it("reads a file exactly at the cap, follows a symlink to a regular file, and reads a /proc file whose size says 0", async () => {
    const dir = tempDir();
    const full = path.join(dir, "full.cmd");
    writeFileSync(full, Buffer.alloc(DOCUMENT_LIMITS.devicesCmd.bytes, 0x41));
    assert.equal((await readDocument("devicesCmd", full)).length, DOCUMENT_LIMITS.devicesCmd.bytes);
    symlinkSync(full, path.join(dir, "link.cmd"));
    assert.equal(readDocumentSync("devicesCmd", path.join(dir, "link.cmd")).length, DOCUMENT_LIMITS.devicesCmd.bytes);
    const status = await readDocument("spec", "/proc/self/status");
    assert.match(status.toString(), /^Name:/);
    assert.match(readDocumentSync("spec", "/proc/self/status").toString(), /^Name:/);
  });

  it("names a missing file as before: not found or unreadable, with the errno code", async () => {
    await assert.rejects(readDocument("spec", "/nonexistent/spec.json", { label: "spec.json", flag: "--spec" }), {
      message: "packaging spec not found or unreadable: spec.json (--spec) (ENOENT)",
    });
  });

  it("bounds a vinyl document: a Buffer and a listed size are checked first, an endless stream stops at the cap", async () => {
    const big = new Vinyl({ path: "/x/config/devices.cmd", base: "/x", contents: Buffer.alloc(2 * 1024 * 1024) });
    await assert.rejects(readDocumentFile("devicesCmd", big, "config/devices.cmd"), /config\/devices\.cmd is 2\.0 MiB, over the 1 MiB limit for devices\.cmd/);
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x20));
      },
    });
    const streamed = new Vinyl({ path: "/x/a.inf", base: "/x", contents: endless });
    await assert.rejects(readDocumentFile("inf", streamed, "drivers/x86/a/a.inf"), /INF drivers\/x86\/a\/a\.inf is 16\.\d MiB, over the 16 MiB limit for an INF/);
    assert.ok(produced < 17 * 1024 * 1024, `read ${produced} bytes of an endless stream`);
    const small = new Vinyl({ path: "/x/a.inf", base: "/x", contents: Readable.from([Buffer.from("[Version]\n")]) });
    assert.equal((await readDocumentFile("inf", small, "a.inf")).toString(), "[Version]\n");
    assert.ok(Buffer.isBuffer(small.contents), "a one-shot stream is replaced by the bytes read, so it stays readable");
  });

  it("refuses a file listed as regular that became a FIFO before it was read (no hang)", async () => {
    const dir = tempDir();
    const p = path.join(dir, "a.inf");
    writeFileSync(p, "[Version]\n");
    const file = new Vinyl({ path: p, base: dir, contents: new FileContents(p, 10) });
    rmSync(p);
    fifo(dir, "a.inf");
    try {
      await assert.rejects(readDocumentFile("inf", file, "drivers/x86/a/a.inf"), { message: "INF drivers/x86/a/a.inf is a FIFO, not a regular file" });
    } finally {
      release(p);
    }
  });

  it("does not take a FIFO where a device contract would be found (the Rust tool's is_file)", () => {
    const root = tempDir();
    mkdirSync(path.join(root, "gt/docs"), { recursive: true });
    const p = fifo(path.join(root, "gt/docs"), "windows-device-contract.json");
    try {
      assert.equal(findDeviceContract(path.join(root, "gt")), undefined);
    } finally {
      release(p);
    }
  });
});
