/**
 * Incremental output updates (shared/output-update.ts): a rebuild into the same out dir with a
 * BuildCache starts from a copy of the previous ISO and zip and rewrites only what changed. Every
 * case here compares the updated outputs with a cold build of the same inputs, byte for byte.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { BuildCache } from "../plugins/build-cache/index.js";
import { assembleZip, assembleZipUpdate, dosDateTime, type ZipEntryInput, type ZipSummary } from "../plugins/deterministic-zip/index.js";
import { imageRuns } from "../plugins/iso-writer/image.js";
import { planLayout } from "../plugins/iso-writer/layout.js";
import type { OutputUpdate } from "../plugins/shared/output-update.js";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, copySample, run, tempDir } from "./support/fixtures.js";
import { assertSameAsCold, buildSample as build, OUTPUTS, type Sample } from "./support/media.js";

/** A sample with a 6 MiB file that sorts before setup.cmd (licenses/), so an edit of setup.cmd leaves it in place. */
function sampleWithBigFile(): Sample {
  const sample = copySample();
  const half = randomBytes(3 * 1024 * 1024);
  writeFileSync(path.join(sample.guestTools, "licenses/big-notice.txt"), Buffer.concat([half, Buffer.alloc(3 * 1024 * 1024, "aero ")]));
  return sample;
}

function noTempFiles(dir: string): void {
  const temps = readdirSync(dir, { recursive: true }).map(String).filter((p) => path.basename(p).startsWith(TEMP_PREFIX));
  assert.deepEqual(temps, []);
}

describe("output updates (rebuilds into the same out dir)", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("rewrites only the changed bytes after a one-line edit of setup.cmd", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem one more line\r\n");
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    // The metadata, manifest.json, setup.cmd and what follows it in the zip: far below the 6 MiB file.
    assert.ok(cache.stats.bytesUpdated < 1024 * 1024, `rewrote ${cache.stats.bytesUpdated} bytes`);
    await assertSameAsCold(sample, out);
    noTempFiles(out);
  });

  it("moves the files after an edit that grows setup.cmd past a sector, a large file rewritten, and a driver INF edit", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), `rem ${"x".repeat(5000)}\r\n`);
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    await assertSameAsCold(sample, out);

    // A large file changed (written in chunks of every size, then its padding) in the middle of a run.
    const big = path.join(sample.guestTools, "licenses/big-notice.txt");
    writeFileSync(big, Buffer.concat([randomBytes(2 * 1024 * 1024 + 77), Buffer.alloc(3 * 1024 * 1024, "atrium ")]));
    appendFileSync(path.join(sample.guestTools, "README.md"), "one more line\n");
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    await assertSameAsCold(sample, out);

    // An INF sorts before everything else of size: later zip entries shift and are copied.
    const inf = path.join(sample.drivers, "amd64/virtio-blk/aero_virtio_blk.inf");
    appendFileSync(inf, `; ${"edited ".repeat(400)}\r\n`);
    await regenerateCatalogs(sample.drivers); // catalogs hash the INF, as a driver author regenerates them
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    assert.ok(cache.stats.bytesUpdated > 3 * 1024 * 1024, "the shifted zip entries must have been copied");
    await assertSameAsCold(sample, out);
  });

  it("follows added and deleted files", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    rmSync(path.join(sample.guestTools, "THIRD_PARTY_NOTICES.md"));
    mkdirSync(path.join(sample.guestTools, "tools/new"), { recursive: true });
    writeFileSync(path.join(sample.guestTools, "tools/new/empty.txt"), "");
    writeFileSync(path.join(sample.guestTools, "tools/new/sector.txt"), Buffer.alloc(2048, "s"));
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    await assertSameAsCold(sample, out);
  });

  it("writes an output in full when it was touched since (same size, mtime put back), deleted or replaced", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    const iso = path.join(out, "aero-guest-tools.iso");
    const before = statSync(iso);
    const bytes = readFileSync(iso);
    bytes[bytes.length - 100] ^= 0xff; // inside the last file's sectors
    writeFileSync(iso, bytes);
    utimesSync(iso, before.atime, before.mtime);
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem edit\r\n");
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 1, "only the zip may be updated: the ISO was changed by someone else");
    assert.deepEqual(cache.stats.writtenInFull, [iso]);
    await assertSameAsCold(sample, out);

    rmSync(path.join(out, "aero-guest-tools.zip"));
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), "rem edit\r\n");
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 1, "only the ISO may be updated: the zip was deleted");
    assert.deepEqual(cache.stats.writtenInFull, [path.join(out, "aero-guest-tools.zip")]);
    await assertSameAsCold(sample, out);

    // Replaced by a copy of itself (new inode): not known to be ours any more.
    const zip = path.join(out, "aero-guest-tools.zip");
    const copy = readFileSync(zip);
    rmSync(zip);
    writeFileSync(zip, copy);
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 1);
    await assertSameAsCold(sample, out);
  });

  it("follows a new source date epoch (ISO metadata rewritten, zip written anew)", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    await build(sample, out, cache, { sourceDateEpoch: 1800000000 });
    assert.equal(cache.stats.outputsUpdated, 1, "the zip has no entry left to reuse: every header changed");
    await assertSameAsCold(sample, out, 1800000000);
  });

  it("leaves the previous outputs and no temp file when a rebuild is aborted as its images are written, and updates again afterwards", async () => {
    const sample = sampleWithBigFile();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    const first = new Map(OUTPUTS.map((name) => [name, readFileSync(path.join(out, name))]));
    appendFileSync(path.join(sample.guestTools, "setup.cmd"), `rem ${"y".repeat(3000)}\r\n`);
    const abort = new AbortController();
    await assert.rejects(build(sample, out, cache, { signal: abort.signal, onWriting: () => abort.abort() }));
    for (const [name, bytes] of first) assert.ok(readFileSync(path.join(out, name)).equals(bytes), `${name} changed`);
    noTempFiles(out);
    await build(sample, out, cache);
    assert.equal(cache.stats.outputsUpdated, 2);
    await assertSameAsCold(sample, out);
  });

  it("a seeded series of random edits: every rebuild equals a cold build", async () => {
    const sample = copySample();
    const cache = new BuildCache({ racyMs: 0 });
    const out = path.join(tempDir(), "out");
    await build(sample, out, cache);
    let seed = 20261125;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const editable = [
      "setup.cmd",
      "verify.ps1",
      "README.md",
      "THIRD_PARTY_NOTICES.md",
      ...readdirSync(path.join(sample.guestTools, "tools"), { recursive: true }).map((p) => `tools/${String(p)}`),
    ].filter((p) => statSync(path.join(sample.guestTools, p)).isFile());
    const added: string[] = [];
    for (let round = 0; round < 10; round++) {
      const edits: string[] = [];
      for (let n = 1 + rand(3); n > 0; n--) {
        const op = rand(5);
        if (op === 0 && added.length > 0) {
          const victim = added.splice(rand(added.length), 1)[0]!;
          rmSync(path.join(sample.guestTools, victim));
          edits.push(`delete ${victim}`);
        } else if (op === 1) {
          const name = `tools/extra-${round}-${n}.bin`;
          writeFileSync(path.join(sample.guestTools, name), randomBytes([0, 1, 2047, 2048, 2049, 70000][rand(6)]!));
          added.push(name);
          edits.push(`add ${name}`);
        } else if (op === 2) {
          const inf = path.join(sample.drivers, ["x86", "amd64"][rand(2)]!, "virtio-net/aero_virtio_net.inf");
          appendFileSync(inf, `; round ${round} ${"z".repeat(rand(3000))}\r\n`);
          await regenerateCatalogs(sample.drivers); // its catalog hashes the INF
          edits.push(`append to ${path.relative(sample.drivers, inf)}`);
        } else {
          const target = editable[rand(editable.length)]!;
          const file = path.join(sample.guestTools, target);
          if (rand(2) === 0) appendFileSync(file, `\r\nrem ${round} ${"w".repeat(rand(4096))}`);
          else writeFileSync(file, readFileSync(file).subarray(0, Math.max(1, statSync(file).size - rand(3000))));
          edits.push(`edit ${target}`);
        }
      }
      await build(sample, out, cache);
      assert.equal(cache.stats.outputsUpdated, 2, `round ${round} (${edits.join(", ")}) was not an update`);
      await assertSameAsCold(sample, out).catch((err: Error) => {
        throw new Error(`round ${round} (${edits.join(", ")}): ${err.message}`);
      });
    }
  });
});

/** The test's own reading of an update: the old bytes, regions written over them, cut to size. */
async function applyUpdate(previous: Buffer, update: OutputUpdate): Promise<Buffer> {
  let bytes = Buffer.from(previous);
  let end = 0;
  for await (const region of update.regions) {
    let at = region.offset;
    for await (const chunk of region.chunks) {
      if (at + chunk.length > bytes.length) bytes = Buffer.concat([bytes, Buffer.alloc(at + chunk.length - bytes.length)]);
      chunk.copy(bytes, at);
      at += chunk.length;
    }
    end = at;
  }
  const size = update.size ?? end;
  return size <= bytes.length ? bytes.subarray(0, size) : Buffer.concat([bytes, Buffer.alloc(size - bytes.length)]);
}

describe("assembleZipUpdate", () => {
  after(cleanupTempDirs);

  const dos = dosDateTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 6)));
  const entry = (name: string, bytes: Buffer, key = createHash("sha256").update(bytes).digest("hex")): ZipEntryInput => ({
    name,
    isDirectory: false,
    mode: 0o100644,
    size: bytes.length,
    cacheKey: key,
    open: () => Readable.from(bytes.length ? [bytes] : []),
  });
  const dir = (name: string): ZipEntryInput => ({ name, isDirectory: true, mode: 0o40755, size: 0 });

  async function assemble(entries: ZipEntryInput[], forceZip64 = false): Promise<{ bytes: Buffer; summary: ZipSummary }> {
    let summary: ZipSummary | undefined;
    const chunks: Buffer[] = [];
    for await (const c of assembleZip(entries, { dos, level: 6, forceZip64, onSummary: (s) => (summary = s) })) chunks.push(c as Buffer);
    return { bytes: Buffer.concat(chunks), summary: summary! };
  }

  for (const forceZip64 of [false, true]) {
    it(`equals a fresh assembly after changes in the middle, at the end, additions and removals${forceZip64 ? " (ZIP64)" : ""}`, async () => {
      const a = randomBytes(5000);
      const b = Buffer.alloc(9000, "b");
      const c = randomBytes(100);
      const before = [dir("d"), entry("d/a.bin", a), entry("d/b.txt", b), entry("empty", Buffer.alloc(0)), entry("z.bin", c)];
      const old = await assemble(before, forceZip64);
      const afters: ZipEntryInput[][] = [
        before, // nothing changed: everything in place
        [dir("d"), entry("d/a.bin", a), entry("d/b.txt", Buffer.alloc(9001, "b")), entry("empty", Buffer.alloc(0)), entry("z.bin", c)],
        [dir("d"), entry("d/a.bin", a), entry("d/b.txt", b), entry("empty", Buffer.alloc(0)), entry("z.bin", randomBytes(100))],
        [entry("a0", Buffer.from("first")), dir("d"), entry("d/a.bin", a), entry("z.bin", c)],
        [dir("d"), entry("d/b.txt", b), entry("empty", Buffer.alloc(0)), entry("z.bin", c), entry("zz", randomBytes(3000))],
      ];
      for (const [i, after] of afters.entries()) {
        const fresh = await assemble(after, forceZip64);
        const update = assembleZipUpdate(after, { dos, level: 6, forceZip64 }, { summary: old.summary, read: (offset, length) => Readable.from([old.bytes.subarray(offset, offset + length)]) });
        assert.ok(update, `case ${i}: no update`);
        const updated = await applyUpdate(old.bytes, update);
        assert.ok(updated.equals(fresh.bytes), `case ${i}: the updated zip differs from a fresh one`);
        const file = path.join(tempDir(), `case-${i}.zip`);
        writeFileSync(file, updated);
        run("unzip", ["-tqq", file]);
      }
    });
  }

  it("copies nothing whose key, level or header differs", async () => {
    const bytes = randomBytes(4000);
    const old = await assemble([entry("a", bytes, "k1")]);
    const read = () => {
      throw new Error("nothing may be copied");
    };
    assert.equal(assembleZipUpdate([entry("a", bytes, "k2")], { dos, level: 6 }, { summary: old.summary, read }), undefined);
    assert.equal(assembleZipUpdate([entry("a", bytes, "k1")], { dos, level: 5 }, { summary: old.summary, read }), undefined);
    assert.equal(assembleZipUpdate([entry("a", bytes, "k1")], { dos: dosDateTime(new Date(0)), level: 6 }, { summary: old.summary, read }), undefined);
    const { cacheKey: _k, ...unkeyed } = entry("a", bytes);
    assert.equal(assembleZipUpdate([unkeyed], { dos, level: 6 }, { summary: old.summary, read }), undefined);
  });
});

describe("imageRuns", () => {
  it("is the whole image with nothing unchanged, else the metadata and each run of changed files", () => {
    // Sizes in sectors: a 1, b 2 (2049 bytes), c 0 (empty: no extent), d 1, e 1.
    const layout = planLayout([
      { path: "a", size: 10 },
      { path: "b", size: 2049 },
      { path: "c", size: 0 },
      { path: "d", size: 2048 },
      { path: "e", size: 1 },
    ]);
    const lba = (p: string) => layout.files.find((f) => f.path === p)!.lba;
    // Files follow each other: b after a's one sector, d after b's two, e after d.
    assert.equal(lba("b"), lba("a") + 1);
    assert.equal(lba("d"), lba("b") + 2);
    assert.equal(lba("e"), lba("d") + 1);
    const names = (runs: ReturnType<typeof imageRuns>) => runs.map((r) => ({ offset: r.offset, metadata: r.metadata, files: r.files.map((f) => f.path) }));

    assert.deepEqual(names(imageRuns(layout)), [{ offset: 0, metadata: true, files: ["a", "b", "d", "e"] }]);
    const same = new Set(["a", "d"]);
    assert.deepEqual(names(imageRuns(layout, (f) => same.has(f.path))), [
      { offset: 0, metadata: true, files: [] },
      { offset: lba("b") * 2048, metadata: false, files: ["b"] },
      { offset: lba("e") * 2048, metadata: false, files: ["e"] },
    ]);
    assert.deepEqual(names(imageRuns(layout, () => true)), [{ offset: 0, metadata: true, files: [] }]);
  });
});
