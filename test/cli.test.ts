/**
 * The command line as a user meets it: real gulp runs from the repository (so gulp-cli finds
 * .gulp.js itself), gulp-cli's own options beside ours, its --silent / --log-level governing our
 * lines, errors never hidden, a closed stdout, and path flags that are not UTF-8.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OUTPUTS } from "./support/media.js";
import { cleanupTempDirs, copySample, REPO, tempDir } from "./support/fixtures.js";

const GULP_BIN = path.join(REPO, "node_modules/gulp/bin/gulp.js");

/** `gulp <args>` as `npx gulp` runs it: from the repository, no loader given on the command line. */
function gulp(args: string[], options: { cwd?: string; input?: Buffer } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [GULP_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    timeout: 300_000,
  });
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");
/** Drop gulp-cli's timestamp. */
const untimed = (text: string) => lines(text).map((l) => l.replace(/^\[\d\d:\d\d:\d\d\] /, ""));

function assertMedia(dir: string): void {
  for (const name of OUTPUTS) assert.ok(existsSync(path.join(dir, name)), `${name} in ${dir}`);
}

describe("the gulp command line", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("prints gulp-cli's three lines and ours, and nothing about node flags, respawns or preloads", () => {
    const out = path.join(tempDir(), "o");
    const r = gulp(["guest-tools", "--out-dir", out]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assertMedia(out);
    const shown = untimed(r.stdout + r.stderr);
    assert.match(shown[0]!, /^Using gulpfile .*gulpfile\.ts$/, shown.join("\n"));
    assert.equal(shown[1], "Starting 'guest-tools'...");
    assert.ok(shown.includes("wrote 55 files into:"), shown.join("\n"));
    assert.match(shown.at(-1)!, /^Finished 'guest-tools' after/);
    for (const l of shown) assert.doesNotMatch(l, /Node flags|Respawned|external module|Preload/i);
  });

  it("--quiet prints nothing of ours; --silent prints nothing at all; -L only errors", () => {
    const quietOut = path.join(tempDir(), "o");
    const quiet = gulp(["guest-tools", "--quiet", "--out-dir", quietOut]);
    assert.equal(quiet.status, 0, quiet.stdout + quiet.stderr);
    assertMedia(quietOut);
    assert.deepEqual(untimed(quiet.stdout + quiet.stderr).map((l) => l.replace(/ after .*/, "")), [
      `Using gulpfile ${path.join(REPO, "gulpfile.ts")}`,
      "Starting 'guest-tools'...",
      "Finished 'guest-tools'",
    ]);
    for (const flag of ["--silent", "-S", "-L", "--log-level"]) {
      const out = path.join(tempDir(), "o");
      const r = gulp(["guest-tools", flag, "--out-dir", out]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assertMedia(out);
      assert.equal(r.stdout + r.stderr, "", `${flag} printed:\n${r.stdout}${r.stderr}`);
    }
    // -LL shows warnings: an optional driver that is missing
    const sample = copySample();
    const spec = JSON.parse(readFileSync(sample.spec, "utf8"));
    spec.drivers.push({ name: "optdrv", required: false });
    writeFileSync(sample.spec, JSON.stringify(spec));
    const out = path.join(tempDir(), "o");
    const warned = gulp(["guest-tools", "-LL", "--out-dir", out, "--spec", sample.spec]);
    assert.equal(warned.status, 0, warned.stdout + warned.stderr);
    assert.deepEqual(untimed(warned.stdout + warned.stderr).map((l) => l.replace(/\(.*/, "")), [
      "warning: optional driver directory missing: optdrv ",
      "warning: optional driver directory missing: optdrv ",
    ]);
  });

  it("puts the media where --out-dir says beside gulp-cli's own options", () => {
    for (const extra of [["--series"], ["-L"], ["-f", path.join(REPO, "gulpfile.ts")], ["--continue", "--color"], ["--cwd", REPO, "--no-color"]]) {
      const out = path.join(tempDir(), "o");
      const r = gulp(["guest-tools", ...extra, "--out-dir", out, "--quiet"]);
      assert.equal(r.status, 0, `${extra.join(" ")}: ${r.stdout}${r.stderr}`);
      assertMedia(out);
    }
  });

  it("prints a failed task's error once, even under --silent, and exits non-zero", () => {
    const bad = path.join(tempDir(), "bad.iso");
    writeFileSync(bad, Buffer.alloc(40_000, 7));
    for (const extra of [["--silent"], []]) {
      const r = gulp(["iso-ls", "--iso", bad, ...extra]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /bad\.iso/, `${extra.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.match(/bad\.iso/g)!.length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
    const flag = gulp(["guest-tools", "--silent", "--out", "x"]);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /unknown flag --out; accepted: --drivers-dir VALUE/);
  });

  it("ends a listing quietly with exit 0 when stdout is closed (| head)", async () => {
    const out = path.join(tempDir(), "o");
    assert.equal(gulp(["guest-tools", "--out-dir", out, "--silent"]).status, 0);
    // Read one line, then close the pipe, as `head -1` does.
    const child = spawn(process.execPath, [GULP_BIN, "iso-ls", "--iso", path.join(out, "aero-guest-tools.iso"), "--silent"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
    assert.equal(stderr, "");
    assert.equal(code, 0);
  });

  it("refuses a --spec whose bytes are not UTF-8 rather than using the file named with U+FFFD", () => {
    const sample = copySample();
    // The file Node's lossy decoding of \xFF.json would name.
    writeFileSync(path.join(sample.root, "\uFFFD.json"), readFileSync(sample.spec));
    const out = path.join(sample.root, "o");
    const r = spawnSync(
      "bash",
      ["-c", `exec "$0" "$1" guest-tools --spec "$5"/$'\\xff.json' --out-dir "$2" --drivers-dir "$3" --guest-tools-dir "$4"`, process.execPath, GULP_BIN, out, sample.drivers, sample.guestTools, sample.root],
      { cwd: REPO, encoding: "utf8" },
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /--spec is not valid UTF-8/);
    assert.ok(!existsSync(out), "nothing written");
  });

  it(".gulp.js keeps the young generation small in-process (no respawn needed for it)", () => {
    // Short-lived objects that survive a scavenge or two, like a build's read buffers.
    const workload = `const v8 = await import("node:v8"); let max = 0; const ring = new Array(2000);
      for (let i = 0; i < 300000; i++) { ring[i % 2000] = { a: new Array(50).fill(i) };
        if (i % 1000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size); }
      console.log(max);`;
    const newSpace = (prelude: string) => {
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", prelude + workload], { cwd: REPO, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.trim()) / 1048576;
    };
    const plain = newSpace("");
    const configured = newSpace(`await import(${JSON.stringify(path.join(REPO, ".gulp.js"))});`);
    assert.ok(plain >= 8, `without .gulp.js the new space grows (${plain} MiB)`);
    assert.ok(configured <= 4, `with .gulp.js it stays small (${configured} MiB)`);
  });
});
