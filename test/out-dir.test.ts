/**
 * The out dir is never an input: an out dir inside a packaged tree (guest-tools/tools/out,
 * drivers/amd64/<driver>/out, `gulp iso --in-dir D --out-iso D/x.iso`) does not package the
 * previous outputs, so a rebuild is byte-identical and the media does not grow. Real gulp runs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, run, runGulp } from "./support/fixtures.js";

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
