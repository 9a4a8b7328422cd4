/**
 * Issue 6: peak memory does not grow with the payload. Builds a payload and one twice as large
 * with a real gulp process under GNU time and compares peak RSS (not time: timings live in
 * `npm run bench`). Each size is built twice and the lower peak taken, to damp GC noise.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { makePayload as generate } from "../bench/payload.js";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";
import { usesTools } from "./support/tools.js";

/** A payload of 6 drivers; doubling filesPerDriver and totalMb doubles it with the same kind of files. */
async function makePayload(filesPerDriver: number, totalMb: number): Promise<string> {
  const dir = path.join(tempDir("aero-mem-"), "payload");
  generate(dir, { drivers: 6, filesPerDriver, totalMb, seed: 7 });
  // Real catalogs and certificate (the generator writes placeholders), so the build passes its checks.
  await regenerateCatalogs(path.join(dir, "drivers"));
  rmSync(path.join(dir, "guest-tools/certs/test.cer"), { force: true });
  copyFileSync(path.join(REPO, "drivers-sample/guest-tools/certs/aero-test-signing.cer"), path.join(dir, "guest-tools/certs/aero-test-signing.cer"));
  return dir;
}

/** Peak RSS in KiB of `gulp guest-tools` (the largest process of the tree, as GNU time reports it). */
function peakRss(payload: string): number {
  const out = path.join(tempDir("aero-mem-out-"), "dist");
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%M", process.execPath, path.join(REPO, "node_modules/gulp/bin/gulp.js"), "--cwd", REPO, "guest-tools", "--quiet",
      "--drivers-dir", path.join(payload, "drivers"), "--guest-tools-dir", path.join(payload, "guest-tools"),
      "--spec", path.join(payload, "spec.json"), "--windows-device-contract", path.join(payload, "windows-device-contract.json"), "--out-dir", out],
    { encoding: "utf8", cwd: REPO },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stderr.trim().split("\n");
  return Number(lines[lines.length - 1]);
}

describe("memory", function () {
  this.timeout(600_000);
  usesTools("gnu-time");
  after(cleanupTempDirs);

  it("does not raise peak RSS by more than 25 % when the payload doubles", async () => {
    const small = await makePayload(20, 60);
    const large = await makePayload(40, 120);
    const smallPeak = Math.min(peakRss(small), peakRss(small));
    const largePeak = Math.min(peakRss(large), peakRss(large));
    assert.ok(largePeak <= smallPeak * 1.25, `peak RSS ${Math.round(smallPeak / 1024)} MiB for 60 MB, ${Math.round(largePeak / 1024)} MiB for 120 MB`);
  });
});
