/**
 * Issue 13 item 1: a file that changes while the build packages it fails the build, naming the
 * file, and nothing is written. Each way of changing a file is applied at a deterministic moment:
 * between the first look at the file (its identity recorded) and the last look (after its bytes are
 * read), through the test-only read hook of shared/contents.ts; or between the listing and the
 * first read (the "writing" progress phase). A same-size overwrite keeps the size, a replace by
 * rename keeps size and mtime: only the identity (inode, ns mtime and ctime) tells them apart.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, renameSync, rmSync, truncateSync, utimesSync, appendFileSync, writeFileSync, writeSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { buildGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { isoWriter } from "../plugins/iso-writer/index.js";
import { manifest } from "../plugins/manifest/index.js";
import { deterministicZip } from "../plugins/deterministic-zip/index.js";
import { setReadHook } from "../plugins/shared/contents.js";
import { treeSrc } from "../plugins/tree-src/index.js";
import type Vinyl from "vinyl";
import { cleanupTempDirs, copySample, snapshotDir, tempDir } from "./support/fixtures.js";
import { buildSample } from "./support/media.js";

const TARGET = "tools/collect-logs.cmd";

type Change = (file: string) => void;

/** Same bytes count, other bytes, written at offset 0 of the same inode (dd conv=notrunc). */
const overwriteInPlace: Change = (file) => {
  const size = statSync(file).size;
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, Buffer.alloc(size, "Z"), 0, size, 0);
  } finally {
    closeSync(fd);
  }
};
/** Another file of the same size and mtime renamed over it (mv). */
const replaceByRename: Change = (file) => {
  const st = statSync(file);
  const other = `${file}.new`;
  writeFileSync(other, Buffer.alloc(st.size, "Y"));
  utimesSync(other, st.atime, st.mtime);
  renameSync(other, file);
};
const truncate: Change = (file) => truncateSync(file, 3);
const grow: Change = (file) => appendFileSync(file, "more bytes\r\n");
const remove: Change = (file) => rmSync(file);

const WAYS: Array<[string, Change]> = [
  ["overwritten in place with the same size", overwriteInPlace],
  ["replaced by a rename with the same size and mtime", replaceByRename],
  ["truncated", truncate],
  ["grown", grow],
  ["deleted", remove],
];

/** A sample whose target file was last changed well in the past (so any change moves its mtime). */
function sample() {
  const s = copySample();
  const target = path.join(s.guestTools, TARGET);
  utimesSync(target, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
  const out = path.join(s.root, "dist");
  return { s, target, out };
}

const CHANGED = (file: string) => new RegExp(`changed while being packaged: .*${file.replace(/[.]/g, "\\.")}.*nothing was written`);

describe("a file changed while it is packaged fails the build (issue 13 item 1)", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);
  afterEach(() => setReadHook(undefined));

  for (const [how, change] of WAYS) {
    it(`mid-read (between the first and the last look): ${how}`, async () => {
      const { s, target, out } = sample();
      await buildSample(s, out, undefined, {});
      const before = snapshotDir(out);
      let fired = 0;
      setReadHook((sourcePath) => {
        if (sourcePath === target && fired++ === 0) change(target);
      });
      await assert.rejects(buildSample(s, out), (err: Error) => {
        assert.match(err.message, CHANGED("collect-logs.cmd"));
        assert.notEqual((err as Error & { showStack?: boolean }).showStack, true, err.stack);
        return true;
      });
      assert.equal(fired > 0, true, "the hook never saw the file");
      assert.deepEqual(snapshotDir(out), before, "the out dir changed");
    });
  }

  for (const [how, change] of WAYS.slice(0, 2)) {
    it(`between the listing and the first read: ${how}`, async () => {
      const { s, target, out } = sample();
      await buildSample(s, out);
      const before = snapshotDir(out);
      await assert.rejects(buildSample(s, out, undefined, { onWriting: () => change(target) }), (err: Error) => {
        assert.match(err.message, CHANGED("collect-logs.cmd"));
        return true;
      });
      assert.deepEqual(snapshotDir(out), before, "the out dir changed");
    });
  }

  it("the standalone plugins (manifest, isoWriter, deterministicZip) detect a same-size overwrite too", async () => {
    for (const writer of [() => isoWriter(), () => deterministicZip()]) {
      const { s, target } = sample();
      let fired = 0;
      setReadHook((sourcePath) => {
        if (sourcePath === target && fired++ === 0) overwriteInPlace(target);
      });
      const sink = new Writable({
        objectMode: true,
        write(file: Vinyl, _enc, cb) {
          const c = file.contents as NodeJS.ReadableStream | Buffer;
          if (Buffer.isBuffer(c)) return cb();
          (async () => {
            for await (const _ of c as AsyncIterable<Buffer>) void _;
          })().then(() => cb(), cb);
        },
      });
      await assert.rejects(pipeline(treeSrc(s.guestTools), manifest(), writer(), sink), (err: Error) => {
        assert.match(err.message, CHANGED("collect-logs.cmd"));
        return true;
      });
      setReadHook(undefined);
    }
  });

  it("an unchanged file still builds, and its bytes are what the manifest says", async () => {
    const { s, target, out } = sample();
    let fired = 0;
    setReadHook((sourcePath) => {
      if (sourcePath === target) fired++;
    });
    await buildGuestToolsMedia({ driversDir: s.drivers, guestToolsDir: s.guestTools, spec: s.spec, outDir: out, cwd: s.root });
    assert.ok(fired > 0);
    const m = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as { files: Array<{ path: string; size: number }> };
    assert.equal(m.files.find((f) => f.path === TARGET)?.size, statSync(target).size);
    void tempDir;
  });
});
