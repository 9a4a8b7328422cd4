/**
 * The fuzz targets (fuzz/targets/*.ts) replayed on every committed seed and every saved finding,
 * without the fuzzer: what the fuzzer once broke stays fixed. Plus the findings spelled out, and
 * the patch that lets Jazzer.js's prebuilt addon load on this glibc (fuzz/jazzer-compat.ts).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { directoryReadAmplification, multiExtentOverclaim } from "../fuzz/crafted.js";
import { elfHash, loadError, retargetVersion } from "../fuzz/jazzer-compat.js";
import { TARGETS } from "../fuzz/targets/index.js";
import { SYSTEM_AREA } from "../fuzz/targets/iso-reader.js";
import { isoSrc, readIsoTree } from "../plugins/iso-src/index.js";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";

const FUZZ = path.join(REPO, "fuzz");

function inputsOf(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort().map((n) => path.join(dir, n)) : [];
}

describe("fuzz targets on the seeds and the saved findings", function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  for (const name of Object.keys(TARGETS)) {
    it(`${name}: every seed and every saved finding runs clean`, async () => {
      const { fuzz } = (await import(pathToFileURL(path.join(FUZZ, "targets", `${name}.ts`)).href)) as { fuzz(data: Buffer): unknown };
      const seeds = inputsOf(path.join(FUZZ, "corpus", name));
      assert.ok(seeds.length >= 2, `fuzz/corpus/${name} has ${seeds.length} seeds`);
      for (const file of [...seeds, ...inputsOf(path.join(FUZZ, "regressions", name))]) {
        try {
          await fuzz(readFileSync(file));
        } catch (err) {
          assert.fail(`${path.relative(REPO, file)}: ${(err as Error).stack}`);
        }
      }
    });
  }

  it("the fuzz targets reject what they must: a TypeError escapes, a clear error does not", async () => {
    // Guards the guard: if the targets swallowed every error, the replay above could not fail.
    const spec = (await import("../fuzz/targets/spec.js")) as { fuzz(data: Buffer): void };
    assert.doesNotThrow(() => spec.fuzz(Buffer.from("{ not json")));
    const guard = await import("../fuzz/targets/guard.js");
    assert.throws(() => guard.expectClearErrorsSync("x.json", () => ((undefined as unknown as { a: number }).a)), TypeError);
    assert.throws(() => guard.boundedSync(() => Buffer.alloc(guard.MAX_ALLOCATION + 1)), /exceeds the/);
    assert.equal(Buffer.alloc(guard.MAX_ALLOCATION + 1).length, guard.MAX_ALLOCATION + 1, "the bound is off outside a target");
  });
});

describe("fuzz findings", function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  it("an image whose multi-extent file claims more bytes than the image holds is refused, not allocated", async () => {
    const image = path.join(tempDir(), "overclaim.iso");
    writeFileSync(image, Buffer.concat([Buffer.alloc(SYSTEM_AREA), multiExtentOverclaim()]));
    // Before the fix, readIsoTree listed a.txt with 112,947,200 bytes (1,103 extents over one
    // 100 KiB image) and isoSrc({ buffer: true }) allocated all of it.
    await assert.rejects(readIsoTree(image), (err: Error & { showStack?: boolean }) => {
      assert.match(err.message, /overclaim\.iso is not a readable ISO image: multi-extent file "a\.txt" claims \d+ bytes, more than the whole image \(102400 bytes\)/);
      assert.equal(err.showStack, false);
      return true;
    });
    await assert.rejects(async () => {
      for await (const _ of isoSrc(image, { buffer: true })) void _;
    }, /more than the whole image/);
  });

  it("an image whose directories together claim more than the image is refused, not read over and over", async () => {
    const image = path.join(tempDir(), "amplified.iso");
    // 4 MiB whose 1,978 directories each claim the rest of the image: 4 GiB of directory reads
    // before the fix; 1 TiB for a 64 MiB image.
    writeFileSync(image, directoryReadAmplification(2048));
    await assert.rejects(readIsoTree(image), (err: Error & { showStack?: boolean }) => {
      assert.match(err.message, /amplified\.iso is not a readable ISO image: the directories claim \d+ bytes in all, more than the whole image \(4194304 bytes\)/);
      assert.equal(err.showStack, false);
      return true;
    });
  });

  it("the committed regression inputs are the crafted images", () => {
    const saved = (name: string) => readFileSync(path.join(FUZZ, "regressions/iso-reader", name));
    assert.ok(saved("multi-extent-overclaim.bin").equals(multiExtentOverclaim()));
    assert.ok(saved("directory-read-amplification.bin").equals(directoryReadAmplification(128).subarray(SYSTEM_AREA)));
  });
});

describe("Jazzer.js addon compatibility patch", function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  it("computes ELF version hashes like the linker", () => {
    // The values the linker wrote into the addon's own version records (vna_hash).
    assert.equal(elfHash("GLIBC_2.2.5"), 0x09691a75);
    assert.equal(elfHash("GLIBCXX_3.4"), 0x08922974);
  });

  it("makes the prebuilt addon load when the system's glibc is older than its build's", function () {
    const addon = createRequire(import.meta.url).resolve(`@jazzer.js/fuzzer/prebuilds/fuzzer-${process.platform}-${process.arch}.node`);
    const error = loadError(addon);
    if (error === undefined) this.skip(); // a new enough glibc: nothing to patch
    const original = readFileSync(addon);
    let bytes: Buffer = original;
    const patchedVersions: string[] = [];
    for (let e: string | undefined = error; e !== undefined; ) {
      const version = /version `([^']+)' not found/.exec(e)?.[1];
      assert.ok(version, `unexpected load error: ${e}`);
      assert.ok(patchedVersions.length < 8 && !patchedVersions.includes(version), `patching ${version} again`);
      bytes = retargetVersion(bytes, version);
      patchedVersions.push(version);
      const patched = path.join(tempDir(), "fuzzer.node");
      writeFileSync(patched, bytes);
      e = loadError(patched);
    }
    assert.equal(bytes.length, original.length, "only offsets, hashes and version indexes change");
    for (const version of patchedVersions) assert.throws(() => retargetVersion(bytes, version), /does not require/);
  });
});
