/**
 * `gulp watch` as a user runs it: a real gulp child process on a copy of the sample, edited while
 * it runs. Log lines and files are polled with timeouts, never timed.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, REPO, runGulp, snapshotDir, tempDir } from "./support/fixtures.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];

/** `gulp watch ...` in its own process group (so SIGINT reaches gulp's respawned child too, as Ctrl-C does). */
function spawnGulp(args: string[], cwd: string): { child: ChildProcess; output: () => string } {
  const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
  const gulpBin = path.join(REPO, "node_modules/gulp/bin/gulp.js");
  const child = spawn(process.execPath, ["--require", tsx, gulpBin, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", cwd, ...args], {
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
  return { child, output: () => text };
}

/** Wait until `pattern` matches the output after `from` characters; returns the end of the match. */
async function waitFor(output: () => string, pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(output().slice(from));
    if (m) return from + m.index + m[0].length;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function manifestHash(out: string, file: string): string | undefined {
  const m = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
  return m.files.find((f) => f.path === file)?.sha256;
}

describe("gulp watch (real child process)", function () {
  this.timeout(120_000);

  let sample: ReturnType<typeof copySample>;
  let out: string;
  let gulp: ReturnType<typeof spawnGulp>;
  let seen = 0; // how much output earlier steps consumed
  const flags = () => ["--drivers-dir", "drivers", "--guest-tools-dir", "guest-tools", "--spec", "spec.json", "--source-date-epoch", "1700000000"];

  before(async () => {
    sample = copySample();
    out = path.join(sample.root, "dist");
    gulp = spawnGulp(["watch", ...flags(), "--out-dir", "dist"], sample.root);
    seen = await waitFor(gulp.output, /built in .*\n(.*\n)*.*watching .* for changes/);
  });

  after(() => {
    if (gulp.child.exitCode === null && gulp.child.signalCode === null) {
      try {
        process.kill(-gulp.child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    cleanupTempDirs();
  });

  it("builds once, then rebuilds after setup.cmd is edited (one log line, the manifest has the new hash)", async () => {
    assert.deepEqual(readdirSync(out).sort(), OUTPUTS);
    const setup = path.join(sample.guestTools, "setup.cmd");
    const before = manifestHash(out, "setup.cmd");
    appendFileSync(setup, "rem edited while watching\r\n");
    const end = await waitFor(gulp.output, /rebuilt after guest-tools\/setup\.cmd changed in [\d.]+ s: aero-guest-tools\.iso [\d.]+ \w+, aero-guest-tools\.zip [\d.]+ \w+, manifest\.json [\d.]+ \w+ \(\d+ of \d+ files reused; [\d.]+ \w+ of the images rewritten\)\n/, seen);
    seen = end;
    const after = manifestHash(out, "setup.cmd");
    assert.notEqual(after, before);
    assert.equal(after, sha256(readFileSync(setup)));
  });

  it("a rebuild that fails logs the problem, keeps watching and leaves the outputs untouched", async () => {
    const good = snapshotDir(out);
    rmSync(path.join(sample.guestTools, "uninstall.cmd"));
    seen = await waitFor(gulp.output, /rebuild after guest-tools\/uninstall\.cmd deleted failed in [\d.]+ s; dist keeps the last good media/, seen);
    seen = await waitFor(gulp.output, /guest tools missing required file: uninstall\.cmd \[missing-required-file\]/, seen);
    assert.equal(gulp.child.exitCode, null, "gulp exited");
    assert.deepEqual(snapshotDir(out), good);
  });

  it("fixing the problem triggers a good rebuild, byte-identical to a cold build", async () => {
    writeFileSync(path.join(sample.guestTools, "uninstall.cmd"), readFileSync(path.join(REPO, "drivers-sample/guest-tools/uninstall.cmd")));
    seen = await waitFor(gulp.output, /rebuilt after guest-tools\/uninstall\.cmd (added|changed) in /, seen);
    assert.ok(manifestHash(out, "uninstall.cmd"));
    const cold = path.join(tempDir(), "cold");
    const r = runGulp(["guest-tools", ...flags(), "--out-dir", cold, "--quiet"], { cwd: sample.root });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const name of OUTPUTS) {
      assert.ok(readFileSync(path.join(out, name)).equals(readFileSync(path.join(cold, name))), `${name} differs from a cold build`);
    }
  });

  it("Ctrl-C stops it cleanly: the task finishes and no temp file is left", async () => {
    // A last edit, so that the signal may well arrive while a rebuild runs.
    appendFileSync(path.join(sample.guestTools, "verify.ps1"), "# again\n");
    await new Promise((r) => setTimeout(r, 250));
    const closed = new Promise<void>((resolve) => gulp.child.once("close", () => resolve()));
    process.kill(-gulp.child.pid!, "SIGINT"); // the whole process group, as a terminal does
    await closed; // stdout closes only once gulp's respawned child has exited too
    const log = gulp.output();
    // (A rebuild running at that moment is aborted: "... stopped; dist is as it was".)
    assert.match(log.slice(seen), /SIGINT: stopping\n(.* stopped; dist is as it was\n)?.*stopped watching\n.*Finished 'watch' after/);
    assert.deepEqual(readdirSync(out).sort(), OUTPUTS, "temp files left in the out dir");
    assert.ok(gulp.child.exitCode === 0 || gulp.child.exitCode === 130 || gulp.child.signalCode === "SIGINT", `exit ${gulp.child.exitCode} ${gulp.child.signalCode}`);
  });
});
