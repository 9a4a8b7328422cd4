/**
 * BuildCache with the whole build: a rebuild that reuses the hashes and zip entries of unchanged
 * files writes the same bytes as a cold build of the same inputs, and notices every real change.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import Vinyl from "vinyl";
import { BuildCache } from "../plugins/build-cache/index.js";
import { FileContents } from "../plugins/shared/contents.js";
import { cleanupTempDirs, copySample, tempDir } from "./support/fixtures.js";
import { assertSameAsCold, buildSample as build, type Sample } from "./support/media.js";
import { runPlugins } from "./support/streams.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The sample plus a 6 MiB file (zip entries above 4 MiB are compressed as a stream). */
function sampleWithBigFile(): Sample {
  const sample = copySample();
  const half = randomBytes(3 * 1024 * 1024);
  writeFileSync(path.join(sample.guestTools, "tools/big.bin"), Buffer.concat([half, Buffer.alloc(3 * 1024 * 1024, "aero ")]));
  return sample;
}

function manifestHash(outDir: string, file: string): string | undefined {
  const m = JSON.parse(readFileSync(path.join(outDir, "manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
  return m.files.find((f) => f.path === file)?.sha256;
}

describe("BuildCache (incremental rebuilds)", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("reuses every unchanged file and still writes the bytes of a cold build", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0 });
    const first = await build(sample, path.join(tempDir(), "first"), cache);
    const files = first.fileCount - 1; // manifest.json is generated
    assert.equal(cache.stats.zipEntriesReused, 0);
    assert.equal(cache.stats.entries, files);

    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem one more line\r\n");
    const out = path.join(tempDir(), "second");
    await build(sample, out, cache);
    // Another out dir: the hashes are reused, the zip entries compressed again (none are kept in memory).
    assert.equal(cache.stats.hashesReused, files - 1);
    assert.equal(cache.stats.zipEntriesReused, 0);
    assert.equal(cache.stats.outputsUpdated, 0);

    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem and another\r\n");
    await build(sample, out, cache);
    // Only setup.cmd was read again; everything else came from the cache.
    assert.equal(cache.stats.hashesReused, files - 1);
    assert.equal(cache.stats.zipEntriesReused, files - 1);
    assert.equal(cache.stats.hashesComputed, 1);
    assert.equal(cache.stats.outputsUpdated, 2, "the ISO and the zip were not written as updates");
    assert.equal(manifestHash(out, "setup.cmd"), sha256(readFileSync(path.join(sample.guestTools, "setup.cmd"))));
    await assertSameAsCold(sample, out);
  });

  it("remembers the catalog checks: a rebuild after a setup.cmd edit parses no catalog and hashes no driver file again", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    await build(sample, path.join(tempDir(), "first"), cache);
    const remembered = cache.stats.checks;
    // 12 catalogs, the certificate, and the digests of the files the catalogs cover.
    assert.ok(remembered > 13, `only ${remembered} check results remembered`);
    assert.equal(cache.stats.checksReused, 0);
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem one more line\r\n");
    await build(sample, path.join(tempDir(), "second"), cache);
    assert.equal(cache.stats.checksReused, remembered);
    assert.equal(cache.stats.checks, remembered);
  });

  it("still catches a driver file or a catalog changed after a build whose checks it remembers", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    await build(sample, path.join(tempDir(), "first"), cache);
    const inf = path.join(sample.drivers, "x86/virtio-net/aero_virtio_net.inf");
    appendFileSync(inf, "; edited after the catalog was made\r\n");
    await assert.rejects(build(sample, path.join(tempDir(), "second"), cache), /aero_virtio_net\.inf does not match catalog drivers\/x86\/virtio-net\/aero_virtio_net\.cat/);
    const cat = path.join(sample.drivers, "amd64/virtio-blk/aero_virtio_blk.cat");
    writeFileSync(cat, "placeholder\r\n");
    await assert.rejects(build(sample, path.join(tempDir(), "third"), cache), /aero_virtio_blk\.cat \(the catalog of .*\) is not a Windows catalog/);
  });

  it("sees a same-size rewrite whose mtime was put back (ctime and inode are in the key)", async () => {
    const sample = copySample();
    const setup = path.join(sample.guestTools, "setup.cmd");
    // Whole seconds, so that the mtime can be put back exactly (utimes takes float seconds).
    utimesSync(setup, 1600000000, 1600000000);
    const cache = new BuildCache({ racyMs: 0 });
    await build(sample, path.join(tempDir(), "first"), cache);

    const before = statSync(setup, { bigint: true });
    const bytes = readFileSync(setup);
    bytes[0] = bytes[0] === 0x40 ? 0x41 : 0x40; // same size, other content
    writeFileSync(setup, bytes);
    utimesSync(setup, 1600000000, 1600000000); // what `cp -p` or `touch -r` would do
    const after = statSync(setup, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal(after.size, before.size);

    const out = path.join(tempDir(), "second");
    await build(sample, out, cache);
    assert.equal(manifestHash(out, "setup.cmd"), sha256(bytes));
    await assertSameAsCold(sample, out);
  });

  it("does not cache files changed moments ago (a same-tick rewrite would keep their key)", async () => {
    const sample = copySample(); // every file was just written
    const cache = new BuildCache({ racyMs: 60_000 });
    await build(sample, path.join(tempDir(), "out"), cache);
    assert.equal(cache.stats.entries, 0);
    assert.equal(cache.stats.identified, 0);
  });

  it("drops the entries of deleted files after a good build, and keeps them through a failed one", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    const first = await build(sample, out, cache);
    const files = first.fileCount - 1;
    assert.equal(cache.stats.entries, files);

    // A failed build (a required file missing) must not empty the cache.
    const uninstall = path.join(sample.guestTools, "uninstall.cmd");
    const saved = readFileSync(uninstall);
    rmSync(uninstall);
    await assert.rejects(build(sample, out, cache), /uninstall\.cmd/);
    assert.equal(cache.stats.entries, files);

    // Restored (a new file: new inode and ctime), it is read again and the rest reused.
    writeFileSync(uninstall, saved);
    await build(sample, out, cache);
    assert.equal(cache.stats.zipEntriesReused, files - 1);

    rmSync(path.join(sample.guestTools, "THIRD_PARTY_NOTICES.md"));
    await build(sample, out, cache);
    assert.equal(cache.stats.entries, files - 1, "the deleted file's entry is still held");
    await assertSameAsCold(sample, out);
  });

  it("keeps at most maxZipBytes of compressed entries in memory, used for another out dir, and the output stays the same", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0, maxZipBytes: 1024 * 1024 });
    await build(sample, path.join(tempDir(), "out"), cache);
    assert.ok(cache.stats.zipBytes > 0 && cache.stats.zipBytes <= 1024 * 1024, `zipBytes ${cache.stats.zipBytes}`);
    const other = path.join(tempDir(), "other");
    await build(sample, other, cache);
    assert.ok(cache.stats.zipEntriesReused > 0, "no entry came from memory");
    assert.ok(cache.stats.zipEntriesCompressed > 0, "the big file should not fit in 1 MiB");
    await assertSameAsCold(sample, other);
  });

  it("forgets a file's key when a plugin replaces its contents", async () => {
    const dir = tempDir();
    const file = path.join(dir, "a.txt");
    writeFileSync(file, "hello");
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const cache = new BuildCache({ racyMs: 0 });
    const vinyl = new Vinyl({ cwd: dir, base: dir, path: file, stat: statSync(file), contents: new FileContents(file, 5) });
    const [out] = await runPlugins([vinyl], cache.identify());
    assert.ok(cache.keyOf(out!)?.includes(file));
    out!.contents = Buffer.from("HELLO");
    // Contents in memory are keyed by their bytes, never by the file they came from.
    assert.equal(cache.keyOf(out!), `sha256:${sha256(Buffer.from("HELLO"))}`);
  });
});
