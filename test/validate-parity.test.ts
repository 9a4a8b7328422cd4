/**
 * `gulp validate` passes exactly when `gulp guest-tools` would (issue 13, item 5): over a set of
 * nasty trees (names and paths at and past the Joliet limits, characters outside the BMP or
 * reserved by Joliet, case variants, reserved device names, empty folders with bad names) the
 * in-process validate and build give the same verdict, and that verdict is the expected one.
 * Real gulp runs for the three cases of the issue: all reported in one report, nothing written.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { buildGuestToolsMedia, validateGuestToolsMedia, type GuestToolsMediaOptions } from "../plugins/guest-tools-media/index.js";
import { cleanupTempDirs, copySample, runGulp, tempDir } from "./support/fixtures.js";
import { bufferFile } from "./support/streams.js";

type Sample = ReturnType<typeof copySample>;

function options(s: Sample, outDir: string): GuestToolsMediaOptions {
  return { driversDir: s.drivers, guestToolsDir: s.guestTools, spec: s.spec, outDir, cwd: s.root };
}

/** "pass", or the message of the failure. */
async function verdict(run: () => Promise<unknown>): Promise<"pass" | { message: string }> {
  try {
    await run();
    return "pass";
  } catch (err) {
    return { message: (err as Error).message };
  }
}

/** Validate and build the sample after `edit`; both verdicts (the build into a fresh out dir). */
async function bothVerdicts(edit: (s: Sample) => void) {
  const s = copySample();
  edit(s);
  const out = path.join(s.root, "out");
  const validate = await verdict(() => validateGuestToolsMedia(options(s, out)));
  const build = await verdict(() => buildGuestToolsMedia(options(s, out)));
  if (build !== "pass") assert.equal(existsSync(out), false, "a refused build left an out dir");
  return { validate, build };
}

function put(s: Sample, rel: string, contents = "x\n"): void {
  const abs = path.join(s.root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, contents);
}

/** A path under guest-tools/tools/ whose media path (tools/...) is exactly `units` UTF-16 units long. */
function toolsPathOf(units: number): string {
  const parts: string[] = [];
  let media = "tools";
  while (media.length < units) {
    const room = units - media.length - 1; // "/" + name
    const name = "d".repeat(Math.min(60, room));
    parts.push(name);
    media += `/${name}`;
  }
  assert.equal(media.length, units);
  // The last component becomes the file name.
  return `guest-tools/${media}`;
}

const n = (count: number, ext = ".txt") => "n".repeat(count - ext.length) + ext;

interface Case {
  name: string;
  edit: (s: Sample) => void;
  /** Expected verdict: "pass", or a pattern the refusal must match. */
  expect: "pass" | RegExp;
}

const CASES: Case[] = [
  { name: "a 251-character file name", edit: (s) => put(s, `guest-tools/tools/${n(251)}`), expect: /251 UTF-16 code units[\s\S]*at most 64/ },
  { name: "a name of exactly 64 units", edit: (s) => put(s, `guest-tools/tools/${n(64)}`), expect: "pass" },
  { name: "a name of 65 units", edit: (s) => put(s, `guest-tools/tools/${n(65)}`), expect: /65 UTF-16 code units/ },
  { name: "a folder name of 65 units", edit: (s) => put(s, `guest-tools/licenses/${"f".repeat(65)}/LICENSE.txt`), expect: /invalid Joliet directory name[\s\S]*65 UTF-16/ },
  { name: "a path of exactly 240 units", edit: (s) => put(s, toolsPathOf(240)), expect: "pass" },
  { name: "a path of 241 units", edit: (s) => put(s, toolsPathOf(241)), expect: /241 UTF-16 code units[\s\S]*at most 240/ },
  { name: "a path of 302 units", edit: (s) => put(s, toolsPathOf(302)), expect: /302 UTF-16 code units[\s\S]*at most 240/ },
  { name: "an emoji (non-BMP) file name", edit: (s) => put(s, "guest-tools/tools/smile-\u{1F600}.txt"), expect: /Basic Multilingual Plane/ },
  { name: "an emoji folder in a driver", edit: (s) => put(s, "drivers/amd64/virtio-net/\u{1F4E6}/readme.txt"), expect: /Basic Multilingual Plane/ },
  { name: "BMP non-ASCII names", edit: (s) => put(s, "guest-tools/tools/Ünïcödé-日本語/ﬁlé.txt"), expect: "pass" },
  { name: "a ';' (Joliet reserves it, Windows allows it)", edit: (s) => put(s, "guest-tools/tools/a;b.txt"), expect: /Joliet does not allow/ },
  { name: "names differing only by case", edit: (s) => (put(s, "guest-tools/tools/Notes.txt"), put(s, "guest-tools/tools/notes.txt")), expect: /case-insensitive path collision/ },
  { name: "a reserved device name", edit: (s) => put(s, "guest-tools/tools/aux.txt"), expect: /reserved device name/ },
  { name: "a trailing dot", edit: (s) => put(s, "guest-tools/tools/name."), expect: /trailing/ },
  { name: "a long name in a hidden (skipped) folder", edit: (s) => put(s, `guest-tools/tools/.cache/${n(200)}`), expect: "pass" },
  { name: "an empty folder with a long emoji name", edit: (s) => mkdirSync(path.join(s.guestTools, `tools/${"e".repeat(80)}-\u{1F600}`)), expect: "pass" },
  {
    // 241 units as input, 240 once aero-gpu is renamed to the spec's aerogpu: the media path counts.
    name: "a path that fits only after the aero-gpu folder is renamed",
    edit: (s) => {
      renameSync(path.join(s.drivers, "x86/aerogpu"), path.join(s.drivers, "x86/aero-gpu"));
      const prefix = "drivers/x86/aero-gpu/";
      put(s, `drivers/x86/aero-gpu/${"p".repeat(60)}/${"q".repeat(60)}/${"r".repeat(60)}/${"s".repeat(241 - prefix.length - 183)}`);
    },
    expect: "pass",
  },
];

describe("validate passes exactly when guest-tools would (issue 13, item 5)", function () {
  this.timeout(600_000);
  after(cleanupTempDirs);

  for (const c of CASES) {
    it(`same verdict for ${c.name} (${c.expect === "pass" ? "passes" : "refused"})`, async () => {
      const { validate, build } = await bothVerdicts(c.edit);
      if (c.expect === "pass") {
        assert.equal(validate, "pass", `validate refused: ${JSON.stringify(validate)}`);
        assert.equal(build, "pass", `build refused: ${JSON.stringify(build)}`);
      } else {
        assert.notEqual(validate, "pass", "validate passed, the build would refuse");
        assert.notEqual(build, "pass", "the build passed");
        assert.match((validate as { message: string }).message, c.expect);
        assert.match((build as { message: string }).message, c.expect);
      }
    });
  }

  for (const name of ["manifest.json", "Manifest.JSON"]) {
    it(`same verdict for an extra file named ${name} (the build generates manifest.json): refused`, async () => {
      const s = copySample();
      const out = path.join(s.root, "out");
      const opts = { ...options(s, out), extraFiles: () => Readable.from([bufferFile(name, "{}")]) };
      const validate = await verdict(() => validateGuestToolsMedia(opts));
      const build = await verdict(() => buildGuestToolsMedia(opts));
      assert.notEqual(validate, "pass", "validate passed");
      assert.notEqual(build, "pass", "the build passed");
      const expected = name === "manifest.json" ? /already contains manifest\.json/ : /case-insensitive path collision: Manifest\.JSON, manifest\.json/;
      assert.match((validate as { message: string }).message, expected);
      assert.match((build as { message: string }).message, expected);
      assert.match((validate as { message: string }).message, /^1 problem found/, "reported once");
      assert.equal(existsSync(out), false);
    });
  }

  it("same verdict over random names near the limits (fast-check, seeded)", async () => {
    const unit = fc.constantFrom(..."abcXYZ09_-é日", "\u{1F600}", ";", "Ω");
    const name = fc.integer({ min: 1, max: 70 }).chain((len) => fc.string({ unit, minLength: len, maxLength: len }));
    await fc.assert(
      fc.asyncProperty(fc.array(name, { minLength: 1, maxLength: 4 }), async (parts) => {
        const { validate, build } = await bothVerdicts((s) => put(s, `guest-tools/tools/${parts.join("/")}.bin`));
        assert.equal(validate === "pass", build === "pass", `validate: ${JSON.stringify(validate)}\nbuild: ${JSON.stringify(build)}`);
      }),
      { seed: 0x13_05, numRuns: 10 },
    );
  });

  it("gulp validate reports a 251-character name, a 302-unit path and an emoji name with the other problems, in one report", () => {
    const s = copySample();
    put(s, `guest-tools/tools/${n(251)}`);
    put(s, toolsPathOf(302));
    put(s, "guest-tools/tools/smile-\u{1F600}.txt");
    writeFileSync(path.join(s.guestTools, "config/secret.pfx"), "key"); // a payload-policy problem
    const out = path.join(tempDir(), "dist");
    const args = ["--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", out];
    const r = runGulp(["validate", ...args]);
    const text = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, text);
    assert.match(text, /251 UTF-16 code units/);
    assert.match(text, /302 UTF-16 code units/);
    assert.match(text, /smile-[\s\S]*Basic Multilingual Plane/);
    assert.match(text, /private key material[\s\S]*config\/secret\.pfx/);
    assert.doesNotMatch(text, /\n\s+at .*\.(ts|js):\d+/, "a user mistake printed a stack trace");
    assert.equal(existsSync(out), false);
    // The build refuses the same tree with the same report, before writing anything.
    const b = runGulp(["guest-tools", ...args]);
    assert.notEqual(b.status, 0);
    for (const re of [/251 UTF-16 code units/, /302 UTF-16 code units/, /Basic Multilingual Plane/, /secret\.pfx/]) assert.match(b.stdout + b.stderr, re);
    assert.equal(existsSync(out), false);
    assert.ok(readFileSync(path.join(s.guestTools, "setup.cmd")).length > 0);
  });
});
