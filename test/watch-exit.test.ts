/**
 * How `gulp watch` ends on Ctrl-C, run as `npx gulp watch` runs it: from the repository (gulp-cli
 * finds .gulp.js), in its own process group, SIGINT sent to the whole group as a terminal does.
 * Output goes to a file rather than a pipe, so that what the process wrote before it exited is
 * exactly what the file holds when its exit event fires.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, REPO, tempDir } from "./support/fixtures.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("gulp watch on Ctrl-C", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("ends by SIGINT (status 130) as the README says, with every line written before it exits and no process left", async () => {
    const sample = copySample();
    const logFile = path.join(tempDir(), "watch.log");
    const fd = openSync(logFile, "w");
    const child = spawn(
      process.execPath,
      [path.join(REPO, "node_modules/gulp/bin/gulp.js"), "watch", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools,
        "--spec", sample.spec, "--out-dir", path.join(sample.root, "dist")],
      { cwd: REPO, stdio: ["ignore", fd, fd], detached: true, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } },
    );
    closeSync(fd);
    const output = () => readFileSync(logFile, "utf8");
    try {
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; text: string }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal, text: output() })),
      );
      for (const deadline = Date.now() + 60_000; !/watching .* for changes/.test(output()); await sleep(50)) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `watch did not start:\n${output()}`);
      }
      process.kill(-child.pid!, "SIGINT");
      const { code, signal, text } = await exited;
      assert.match(text, /SIGINT: stopping\n.*stopped watching\n.*Finished 'watch' after/, text);
      // Ended by the signal itself (the shell shows 130, and a calling script stops too, as for
      // any interrupted command), only after the watch stopped and gulp printed its last line.
      assert.deepEqual({ code, signal }, { code: null, signal: "SIGINT" });
      // Nothing of the group outlives the process, and nothing is written after its exit.
      await sleep(1000);
      assert.throws(() => process.kill(-child.pid!, 0), /ESRCH/, "a process of the group is still running");
      assert.equal(output(), text, "lines written after the process exited");
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
});
