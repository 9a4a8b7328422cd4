/**
 * Empty folders count (issue 13, item 11). The tree source yields directories, as gulp.src does,
 * so the driver checks see a folder that holds nothing, exactly as the Rust tool does
 * (aero_packager-behaviors.md §3.1, §4.9): `aerogpu/` beside an empty `aero-gpu/` is ambiguous,
 * an empty unlisted driver folder is unlisted, an empty driver folder is present (and incomplete).
 * Empty folders anywhere else change no output byte.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import fc from "fast-check";
import gulp from "gulp";
import { buildGuestToolsMedia, validateGuestToolsMedia, type GuestToolsMediaOptions } from "../plugins/guest-tools-media/index.js";
import { normalizeArch } from "../plugins/normalize-arch/index.js";
import { payloadPolicy } from "../plugins/payload-policy/index.js";
import { ProblemReport } from "../plugins/shared/report.js";
import { treeSrc } from "../plugins/tree-src/index.js";
import { validateSpec } from "../plugins/validate-spec/index.js";
import { cleanupTempDirs, copySample, runGulp, tempDir } from "./support/fixtures.js";
import { collect, relPaths } from "./support/validate-helpers.js";

type Sample = ReturnType<typeof copySample>;

function options(s: Sample, outDir: string): GuestToolsMediaOptions {
  return { driversDir: s.drivers, guestToolsDir: s.guestTools, spec: s.spec, outDir, cwd: s.root };
}

function editSpec(s: Sample, edit: (spec: { [k: string]: unknown; drivers: Array<Record<string, unknown>> }) => void): void {
  const spec = JSON.parse(readFileSync(s.spec, "utf8"));
  edit(spec);
  writeFileSync(s.spec, JSON.stringify(spec, null, 2));
}

/** Validate and build in-process; both must agree, and the refusal must match `expected`. */
async function assertRefused(s: Sample, expected: RegExp): Promise<void> {
  const out = path.join(s.root, "out");
  await assert.rejects(validateGuestToolsMedia(options(s, out)), (err: Error) => (assert.match(err.message, expected), true));
  await assert.rejects(buildGuestToolsMedia(options(s, out)), (err: Error) => (assert.match(err.message, expected), true));
}

async function assertBuilds(s: Sample): Promise<string> {
  const out = path.join(s.root, "out");
  await validateGuestToolsMedia(options(s, out));
  await buildGuestToolsMedia(options(s, out));
  return out;
}

const emptyDir = (s: Sample, rel: string) => mkdirSync(path.join(s.root, rel), { recursive: true });

describe("empty folders count (issue 13, item 11)", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("treeSrc yields directories (empty ones included) as gulp.src does, files keep their paths", async () => {
    const root = tempDir();
    mkdirSync(path.join(root, "a/empty"), { recursive: true });
    writeFileSync(path.join(root, "a/f.txt"), "f");
    const files = await collect(treeSrc(root));
    assert.deepEqual(relPaths(files), ["a", "a/empty", "a/f.txt"]);
    assert.deepEqual(files.map((f) => f.isDirectory()), [true, true, false]);
  });

  it("refuses aerogpu/ beside an empty aero-gpu/ (ambiguous legacy alias), via a real gulp run", () => {
    const s = copySample();
    emptyDir(s, "drivers/x86/aero-gpu");
    const r = runGulp(["validate", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", path.join(s.root, "out")]);
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stdout + r.stderr, /multiple driver directories found for aerogpu \(x86\); remove\/rename one of: drivers\/x86\/aero-gpu \(legacy alias\), drivers\/x86\/aerogpu/);
  });

  it("refuses aerogpu/ beside an empty aero-gpu/ in the build too", async () => {
    const s = copySample();
    emptyDir(s, "drivers/amd64/aero-gpu");
    await assertRefused(s, /multiple driver directories found for aerogpu \(amd64\)/);
  });

  it("refuses an empty unlisted driver folder under fail_on_unlisted_driver_dirs, and builds without that flag", async () => {
    const s = copySample();
    emptyDir(s, "drivers/amd64/stray");
    emptyDir(s, "drivers/x86/Stray");
    await assertRefused(s, /not listed in the packaging spec[\s\S]*- stray \(found under: amd64, x86\)/);
    editSpec(s, (spec) => (spec.fail_on_unlisted_driver_dirs = false));
    await assertBuilds(s);
  });

  it("does not count hidden or __MACOSX folders as unlisted driver folders", async () => {
    const s = copySample();
    emptyDir(s, "drivers/x86/.cache");
    emptyDir(s, "drivers/amd64/__MACOSX");
    await assertBuilds(s);
  });

  it("an empty optional driver folder on one arch is present (incomplete), not missing", async () => {
    const s = copySample();
    rmSync(path.join(s.drivers, "x86/virtio-snd"), { recursive: true });
    emptyDir(s, "drivers/x86/virtio-snd");
    // With require_optional_drivers_on_all_arches the Rust tool finds both folders and then the empty one incomplete.
    await assertRefused(s, /driver virtio-snd \(x86\) is incomplete/);
    // Without it, too: a present folder is validated (before, it was silently "missing", a warning).
    editSpec(s, (spec) => (spec.require_optional_drivers_on_all_arches = false));
    await assertRefused(s, /driver virtio-snd \(x86\) is incomplete/);
  });

  it("an empty required driver folder is incomplete, not missing", async () => {
    const s = copySample();
    rmSync(path.join(s.drivers, "amd64/virtio-net"), { recursive: true });
    emptyDir(s, "drivers/amd64/virtio-net");
    await assertRefused(s, /driver virtio-net \(amd64\) is incomplete/);
  });

  it("a missing optional driver folder on one arch is still the one-arch error (both-arch check)", async () => {
    const s = copySample();
    rmSync(path.join(s.drivers, "x86/virtio-snd"), { recursive: true });
    await assertRefused(s, /optional driver directory is present for amd64 but missing for x86: virtio-snd/);
  });

  it("empty folders elsewhere change no output byte", async () => {
    const clean = copySample();
    const cleanOut = await assertBuilds(clean);
    const s = copySample();
    for (const rel of [
      "guest-tools/tools/empty",
      "guest-tools/config/empty/deeper",
      "guest-tools/licenses/empty",
      "guest-tools/certs/empty",
      "guest-tools/drivers/empty",
      "guest-tools/unrelated-empty",
      "drivers/x86/virtio-blk/empty",
      "drivers/amd64/aerogpu/sub/empty",
      "drivers/win32",
      // Never packaged, so names the media could not hold do not count either (as in the Rust tool).
      "guest-tools/tools/aux",
      "guest-tools/tools/trailing.",
      "guest-tools/tools/COLLECT-LOGS.CMD",
      `guest-tools/tools/${"long".repeat(20)}-\u{1F600}`,
    ]) emptyDir(s, rel);
    mkdirSync(Buffer.concat([Buffer.from(path.join(s.guestTools, "licenses/")), Buffer.from([0x6e, 0xff])]));
    const out = await assertBuilds(s);
    for (const f of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
      assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(cleanOut, f))), `${f} changed`);
    }
  });

  it("random empty folders: validate and build agree, and a passing build is byte-identical (fast-check, seeded)", async () => {
    const cleanOut = await assertBuilds(copySample());
    const place = fc.constantFrom(
      "drivers/x86/aero-gpu",
      "drivers/amd64/stray",
      "drivers/x86/.hidden",
      "drivers/amd64/__MACOSX",
      "drivers/x86/virtio-blk/sub/empty",
      "drivers/amd64/virtio-snd/x",
      "guest-tools/tools/empty",
      "guest-tools/config/a/b",
      "guest-tools/licenses/\u{1F600}",
      "guest-tools/certs/old",
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(place, { minLength: 1, maxLength: 4 }), async (dirs) => {
        const s = copySample();
        for (const d of dirs) emptyDir(s, d);
        const out = path.join(s.root, "out");
        const validated = await validateGuestToolsMedia(options(s, out)).then(() => true, () => false);
        const built = await buildGuestToolsMedia(options(s, out)).then(() => true, () => false);
        assert.equal(validated, built, `validate ${validated}, build ${built} for ${dirs.join(", ")}`);
        // The sample refuses unlisted folders and the aero-gpu pair; every other empty folder passes.
        const refused = dirs.some((d) => d === "drivers/x86/aero-gpu" || d === "drivers/amd64/stray");
        assert.equal(built, !refused, dirs.join(", "));
        if (built) {
          for (const f of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
            assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(cleanOut, f))), `${f} changed with ${dirs.join(", ")}`);
          }
        }
      }),
      { seed: 0x13_11, numRuns: 8 },
    );
  });

  it("gulp.src pipelines get the same verdicts (it yields directories too)", async () => {
    const s = copySample();
    emptyDir(s, "drivers/x86/aero-gpu");
    const report = new ProblemReport();
    const run = pipeline(
      gulp.src("**", { cwd: s.drivers, base: s.drivers, encoding: false, dot: true }),
      normalizeArch(),
      payloadPolicy({ spec: s.spec, report }),
      validateSpec(s.spec, { report, devicesCmdVars: new Map([["AERO_VIRTIO_BLK_SERVICE", "x"]]) }),
      new Writable({ objectMode: true, write: (_f, _e, cb) => cb() }),
    );
    await assert.rejects(run, /multiple driver directories found for aerogpu \(x86\)/);
  });
});
