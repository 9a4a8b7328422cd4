/**
 * The out dir is never an input: an out dir inside a packaged tree (guest-tools/tools/out,
 * drivers/amd64/<driver>/out, `gulp iso --in-dir D --out-iso D/x.iso`) does not package the
 * previous outputs, so a rebuild is byte-identical and the media does not grow.
 *
 * One build at a time per out dir: a second build into it waits (one log line) for the first to
 * finish, so the ISO, the zip and manifest.json there always come from one build.
 *
 * Real gulp runs throughout.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { cleanupTempDirs, copySample, listFiles, REPO, run, runGulp, tempDir } from "./support/fixtures.js";

const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];

function bytesOf(dir: string, names: string[]): Buffer[] {
  return names.map((n) => readFileSync(path.join(dir, n)));
}

describe("an out dir inside an input tree", function () {
  this.timeout(180_000);
  after(cleanupTempDirs);

  for (const inside of ["guest-tools/tools/out", "drivers/amd64/aerogpu/out"]) {
    it(`guest-tools into ${inside}: the rebuild leaves the previous outputs out, says so once, and is byte-identical`, () => {
      const sample = copySample();
      const out = path.join(sample.root, inside);
      const args = ["guest-tools", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec,
        "--out-dir", out, "--source-date-epoch", "1700000000"];
      const first = runGulp(args, { cwd: sample.root });
      assert.equal(first.status, 0, first.stderr + first.stdout);
      assert.doesNotMatch(first.stdout + first.stderr, /left out/, "nothing to leave out on the first build");
      const before = bytesOf(out, OUTPUTS);
      const second = runGulp(args, { cwd: sample.root });
      assert.equal(second.status, 0, second.stderr + second.stdout);
      const after = bytesOf(out, OUTPUTS);
      OUTPUTS.forEach((name, i) => assert.ok(after[i]!.equals(before[i]!), `${name} changed on the rebuild (${before[i]!.length} → ${after[i]!.length} bytes)`));
      const notes = (second.stdout + second.stderr).split("\n").filter((l) => /left out/.test(l));
      assert.equal(notes.length, 1, `one log line about the outputs left out:\n${second.stdout}${second.stderr}`);
      for (const name of OUTPUTS) assert.match(notes[0]!, new RegExp(name.replace(".", "\\.")));
      // Read back independently: neither image holds anything under the out dir.
      const mediaDir = inside.startsWith("guest-tools/") ? inside.slice("guest-tools/".length) : inside;
      assert.doesNotMatch(run("bsdtar", ["-tf", path.join(out, "aero-guest-tools.iso")]), new RegExp(`${mediaDir}/`));
      assert.doesNotMatch(run("unzip", ["-Z1", path.join(out, "aero-guest-tools.zip")]), new RegExp(`${mediaDir}/`));
    });
  }

  it("gulp iso --in-dir D --out-iso D/x.iso: the rebuild leaves x.iso out, says so once, and is byte-identical", () => {
    const sample = copySample();
    const dir = sample.guestTools;
    const iso = path.join(dir, "x.iso");
    const args = ["iso", "--in-dir", dir, "--out-iso", iso, "--volume-id", "STAGED", "--source-date-epoch", "1700000000"];
    const first = runGulp(args, { cwd: sample.root });
    assert.equal(first.status, 0, first.stderr + first.stdout);
    const before = readFileSync(iso);
    const second = runGulp(args, { cwd: sample.root });
    assert.equal(second.status, 0, second.stderr + second.stdout);
    const after = readFileSync(iso);
    assert.ok(after.equals(before), `x.iso changed on the rebuild (${before.length} → ${after.length} bytes)`);
    const notes = (second.stdout + second.stderr).split("\n").filter((l) => /left out/.test(l));
    assert.equal(notes.length, 1, `one log line about x.iso left out:\n${second.stdout}${second.stderr}`);
    assert.match(notes[0]!, /x\.iso/);
    assert.doesNotMatch(run("bsdtar", ["-tf", iso]), /x\.iso/);
  });
});

interface Running {
  output(): string;
  exited: Promise<number | null>;
}

/** `gulp <args>` in a child process, like runGulp but not waited for; `preload` is --require'd. */
function startGulp(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, preload: string[] = []): Running {
  const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
  const gulp = path.join(REPO, "node_modules/gulp/bin/gulp.js");
  const child = spawn(process.execPath, ["--require", tsx, ...preload.flatMap((p) => ["--require", p]), gulp, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", cwd, ...args], {
    cwd,
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
  return { output: () => output, exited: new Promise((resolve) => child.once("close", (code) => resolve(code))) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * The triple in `out` is one build's: manifest.json equals the copy inside the ISO and inside the
 * zip, and every file the manifest lists has its hash in both images (read back by bsdtar and unzip).
 */
function assertOneBuild(out: string): { build_id: string } {
  const manifest = readFileSync(path.join(out, "manifest.json"));
  const parsed = JSON.parse(manifest.toString("utf8")) as { package: { build_id: string }; files: Array<{ path: string; sha256: string }> };
  const isoDir = tempDir();
  const zipDir = tempDir();
  run("bsdtar", ["-xf", path.join(out, "aero-guest-tools.iso"), "-C", isoDir]);
  run("unzip", ["-q", path.join(out, "aero-guest-tools.zip"), "-d", zipDir]);
  for (const [image, dir] of [["ISO", isoDir], ["zip", zipDir]] as const) {
    assert.ok(readFileSync(path.join(dir, "manifest.json")).equals(manifest), `the manifest.json inside the ${image} is not the one beside it`);
    for (const f of parsed.files) {
      assert.equal(sha256(readFileSync(path.join(dir, f.path))), f.sha256, `${f.path} in the ${image} does not match manifest.json`);
    }
    assert.equal(listFiles(dir).length, parsed.files.length + 1, `the ${image} holds other files than manifest.json lists`);
  }
  return parsed.package;
}

describe("two builds into one out dir", function () {
  this.timeout(180_000);
  after(cleanupTempDirs);

  it("the second waits for the first (one log line), and the ISO, zip and manifest are one build's", async () => {
    const sample = copySample();
    const out = path.join(sample.root, "dist");
    const pause = tempDir();
    const args = (buildId: string) => ["guest-tools", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec,
      "--out-dir", out, "--build-id", buildId];
    // Build A stops right after renaming its first output, the others still to come.
    const a = startGulp(args("A"), sample.root, { AERO_TEST_PAUSE_DIR: pause }, [path.join(REPO, "test/support/pause-renames.cjs")]);
    for (const deadline = Date.now() + 120_000; !existsSync(path.join(pause, "paused")); await sleep(50)) {
      assert.ok(Date.now() < deadline, `build A never reached its renames:\n${a.output()}`);
    }
    // Build B starts now; A goes on once B has finished or says it waits.
    const b = startGulp(args("B"), sample.root);
    let bCode: number | null | undefined;
    void b.exited.then((code) => (bCode = code));
    for (const deadline = Date.now() + 120_000; bCode === undefined && !/waiting/i.test(b.output()); await sleep(50)) {
      assert.ok(Date.now() < deadline, `build B neither finished nor waited:\n${b.output()}`);
    }
    writeFileSync(path.join(pause, "go"), "");
    assert.equal(await a.exited, 0, a.output());
    assert.equal(await b.exited, 0, b.output());
    const triple = assertOneBuild(out);
    const waits = b.output().split("\n").filter((l) => /waiting/i.test(l));
    assert.equal(waits.length, 1, `build B logs its wait once:\n${b.output()}`);
    assert.match(waits[0]!, /pid \d+/, "the wait line says who holds the out dir");
    assert.equal(triple.build_id, "B", "the build that waited wrote last");
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith(TEMP_PREFIX)), [], "no lock or temp file left");
  });
});
