/**
 * bench/payload.ts, the payload generator of the bench and the memory and interrupt tests: the
 * tree the reference generator (make-payload.py) makes, byte for byte, and a payload that builds.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makePayload } from "../bench/payload.js";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, listFiles, REPO, runGulp, tempDir } from "./support/fixtures.js";

/** "sha256  ./path" lines of every file, sorted, hashed: what `find | sort | xargs sha256sum | sha256sum` prints. */
function treeDigest(dir: string): string {
  const lines = listFiles(dir).map((rel) => `${createHash("sha256").update(readFileSync(path.join(dir, rel))).digest("hex")}  ./${rel}\n`);
  return createHash("sha256").update(lines.join("")).digest("hex");
}

describe("bench/payload.ts", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("writes the tree make-payload.py writes for the same flags, byte for byte", () => {
    const dir = path.join(tempDir("aero-payload-"), "p");
    const summary = makePayload(dir, { drivers: 3, filesPerDriver: 5, totalMb: 1, seed: 11, specStyle: "full" });
    // Digest of `make-payload.py OUT --drivers 3 --files-per-driver 5 --total-mb 1 --seed 11 --spec-style full`.
    assert.equal(treeDigest(dir), "83c784c2d51f6e8b8aa3df67b43371358744a8bc60359de579ef5de49557b924");
    assert.equal(summary.payload_files, 38);
    assert.equal(summary.payload_bytes, 1046387);
    assert.equal(listFiles(dir).length, 40); // + spec.json and the contract
    assert.equal(statSync(path.join(dir, "drivers/amd64/netdrv/netdrv.sys")).mtimeMs, 0);
  });

  it("is deterministic, sized as asked, and differs with the seed", () => {
    const root = tempDir("aero-payload-");
    const opts = { drivers: 5, filesPerDriver: 8, totalMb: 4, seed: 5 };
    const a = makePayload(path.join(root, "a"), opts);
    makePayload(path.join(root, "b"), opts);
    makePayload(path.join(root, "c"), { ...opts, seed: 6 });
    assert.equal(treeDigest(path.join(root, "a")), treeDigest(path.join(root, "b")));
    assert.notEqual(treeDigest(path.join(root, "a")), treeDigest(path.join(root, "c")));
    assert.equal(a.payload_files, 5 * 2 * 8 + 8);
    assert.ok(Math.abs(a.payload_bytes - 4 * 1048576) < 4096, `${a.payload_bytes} bytes for 4 MiB`);
  });

  it("refuses bad flags and a non-empty out dir without --force", () => {
    const dir = tempDir("aero-payload-");
    assert.throws(() => makePayload(dir, { drivers: 2, filesPerDriver: 2, totalMb: 1, seed: 1 }), /--files-per-driver must be an integer >= 3/);
    assert.throws(() => makePayload(dir, { drivers: 0, filesPerDriver: 3, totalMb: 1, seed: 1 }), /--drivers must be/);
    mkdirSync(path.join(dir, "x"));
    writeFileSync(path.join(dir, "x/keep"), "");
    assert.throws(() => makePayload(path.join(dir, "x"), { drivers: 1, filesPerDriver: 3, totalMb: 1, seed: 1 }), /exists and is not empty \(use --force\)/);
    makePayload(path.join(dir, "x"), { drivers: 1, filesPerDriver: 3, totalMb: 1, seed: 1, force: true });
    assert.ok(!listFiles(path.join(dir, "x")).includes("keep"));
  });

  it("gives a payload `gulp guest-tools` builds, with its spec and device contract", async () => {
    const dir = path.join(tempDir("aero-payload-"), "p");
    makePayload(dir, { drivers: 4, filesPerDriver: 6, totalMb: 2, seed: 3, specStyle: "full" });
    // Real catalogs and certificate (the generator writes placeholders), as the memory test does.
    await regenerateCatalogs(path.join(dir, "drivers"));
    rmSync(path.join(dir, "guest-tools/certs/test.cer"));
    copyFileSync(path.join(REPO, "drivers-sample/guest-tools/certs/aero-test-signing.cer"), path.join(dir, "guest-tools/certs/aero-test-signing.cer"));
    const out = path.join(dir, "..", "out");
    const r = runGulp(["guest-tools", "--quiet", "--drivers-dir", path.join(dir, "drivers"), "--guest-tools-dir", path.join(dir, "guest-tools"),
      "--spec", path.join(dir, "spec.json"), "--windows-device-contract", path.join(dir, "windows-device-contract.json"), "--out-dir", out], { cwd: REPO });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(listFiles(out), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
  });

  it("has a command line with the Python generator's flags", () => {
    const dir = path.join(tempDir("aero-payload-"), "p");
    const r = runNode(["bench/payload.ts", dir, "--drivers", "3", "--files-per-driver", "5", "--total-mb", "1", "--seed", "11", "--spec-style", "full"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).payload_bytes, 1046387);
    assert.equal(treeDigest(dir), "83c784c2d51f6e8b8aa3df67b43371358744a8bc60359de579ef5de49557b924");
    const bad = runNode(["bench/payload.ts", dir, "--drivers", "3"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /missing: --files-per-driver, --total-mb, --seed/);
  });
});

/** Run a TypeScript file the way `npx tsx` would. */
function runNode(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", ...args], { cwd: REPO, encoding: "utf8" });
}
