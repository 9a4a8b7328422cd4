/**
 * Issue 13 item 1: a file that changes while the build packages it fails the build, naming the
 * file, and nothing is written. Each way of changing a file is applied at a deterministic moment:
 * between the first look at the file (its identity recorded) and the last look (after its bytes are
 * read), through the test-only read hook of shared/contents.ts; or between the listing and the
 * first read (the "writing" progress phase). A same-size overwrite keeps the size, a replace by
 * rename keeps size and mtime: only the identity (inode, ns mtime and ctime) tells them apart.
 */
import assert from "node:assert/strict";
import { mkdirSync, closeSync, openSync, renameSync, rmSync, truncateSync, utimesSync, appendFileSync, writeFileSync, writeSync, readFileSync, statSync } from "node:fs";
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
import gulp from "gulp";
import { mediaImages } from "../plugins/media-images/index.js";
import { atomicDest } from "../plugins/atomic-dest/index.js";
import { cleanupTempDirs, copySample, snapshotDir, tempDir } from "./support/fixtures.js";
import { buildSample } from "./support/media.js";
import { BuildCache } from "../plugins/build-cache/index.js";

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

describe("one read per file (issue 13 item 1, issue 15)", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);
  afterEach(() => setReadHook(undefined));

  /*
   * Counted are the opens of the packaged bytes (FileContents). validateSpec reads the INFs and
   * the certificates as capped documents (shared/documents.ts), outside this count; a change after
   * the listing still fails the build at the packaging open, which compares the file with its
   * listed identity. The sample's contract replaces config/devices.cmd, whose variables devicesCmd
   * hands on. The catalog checks hash the driver files (Authenticode and flat hashes) from the
   * same read, following the media feed (shared/shared-reads.ts); with a BuildCache a rebuild
   * reads only the catalogs (a few KiB each, their digest is the key of what is remembered of them).
   * The catalogs themselves are read whole as they stream past the checks, before the media feed
   * exists, and once more by it.
   */
  const readTwice = (file: string) => file.startsWith("drivers/") && file.endsWith(".cat");

  /** How often each packaged file was opened during `build`. */
  async function opens(s: ReturnType<typeof copySample>, build: () => Promise<unknown>): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    setReadHook((p) => void counts.set(p, (counts.get(p) ?? 0) + 1));
    await build();
    setReadHook(undefined);
    return new Map([...counts].map(([p, n]) => [path.relative(s.root, p), n]));
  }

  it("a build opens every payload file once for the hash, the ISO, the zip and the catalog checks together (the catalogs twice)", async () => {
    const { s, out } = sample();
    const counts = await opens(s, () => buildSample(s, out));
    assert.ok(counts.size > 20, `only ${counts.size} files opened`);
    assert.ok([...counts.keys()].filter((f) => f.startsWith("drivers/") && /\.(sys|dll|inf)$/.test(f)).length >= 10, "the catalog-covered driver files are among them");
    for (const [file, n] of counts) assert.equal(n, readTwice(file) ? 2 : 1, `${file} opened ${n} times`);
  });

  it("a rebuild with a BuildCache opens no unchanged payload file (but the catalogs)", async () => {
    const { s, out } = sample();
    const cache = new BuildCache({ racyMs: 0 });
    await buildSample(s, out, cache);
    const counts = await opens(s, () => buildSample(s, out, cache));
    assert.deepEqual([...counts.keys()].filter((f) => !/\.cat$/.test(f)), []);
    assert.ok([...counts.values()].every((n) => n === 1));
  });
});

describe("the shared read when one image is written after the other (gulp.dest)", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);
  afterEach(() => setReadHook(undefined));

  /** 3 files of 6 MiB (more than the bytes kept for a lagging image) and a few small ones. */
  function staged(): string {
    const dir = path.join(tempDir(), "staged");
    let seed = 1;
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)));
    const block = noise(64 * 1024);
    for (let i = 0; i < 3; i++) {
      mkdirSync(path.join(dir, `big${i}`), { recursive: true });
      writeFileSync(path.join(dir, `big${i}/data.bin`), Buffer.concat(Array.from({ length: 96 }, (_, j) => Buffer.concat([block.subarray(j * 100), block.subarray(0, j * 100)]))));
    }
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `small${i}.txt`), `small ${i}\n`);
    return dir;
  }

  const media = (dir: string) => [treeSrc(dir), mediaImages({ sourceDateEpoch: 1700000000, manifest: { signingPolicy: "none" } })] as const;

  it("writes the same bytes as atomicDest, the ISO entirely before the zip (no deadlock)", async () => {
    const dir = staged();
    const viaDest = path.join(tempDir(), "dest");
    const viaAtomic = path.join(tempDir(), "atomic");
    await pipeline(...media(dir), gulp.dest(viaDest));
    await pipeline(...media(dir), atomicDest(viaAtomic));
    for (const name of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
      assert.ok(readFileSync(path.join(viaDest, name)).equals(readFileSync(path.join(viaAtomic, name))), `${name} differs`);
    }
  });

  it("with atomicDest (both images written at once) a payload larger than the bytes kept is still read once per file", async () => {
    const dir = staged();
    const counts = new Map<string, number>();
    setReadHook((p) => void counts.set(p, (counts.get(p) ?? 0) + 1));
    await pipeline(...media(dir), atomicDest(path.join(tempDir(), "out")));
    setReadHook(undefined);
    assert.equal(counts.size, 8);
    for (const [file, n] of counts) assert.equal(n, 1, `${file} opened ${n} times`);
  });

  it("a file changed between the shared read and a lagging image's own read of it fails the build", async () => {
    const dir = staged();
    const target = path.join(dir, "big0/data.bin");
    utimesSync(target, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
    let seen = 0;
    setReadHook((p) => {
      if (p === target && ++seen === 2) overwriteInPlace(target); // the second open: the zip reading it again
    });
    await assert.rejects(pipeline(...media(dir), gulp.dest(path.join(tempDir(), "out"))), (err: Error) => {
      assert.match(err.message, CHANGED("big0/data.bin"));
      return true;
    });
    assert.equal(seen >= 2, true, `opened ${seen} times: the zip never read it again`);
  });
});
