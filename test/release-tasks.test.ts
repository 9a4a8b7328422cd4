import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readIsoTree } from "../plugins/iso-src/index.js";
import { buildSample } from "./support/media.js";
import { cleanupTempDirs, copySample, runGulp, tempDir } from "./support/fixtures.js";

describe("the verify and diff tasks (real gulp runs)", function () {
  let out: string;
  let iso: string;
  let zip: string;
  let bad: string;

  before(async () => {
    out = tempDir("aero-release-");
    await buildSample(copySample(), out);
    iso = path.join(out, "aero-guest-tools.iso");
    zip = path.join(out, "aero-guest-tools.zip");
    const entry = (await readIsoTree(iso)).entries.find((e) => e.path === "verify.ps1")!;
    const bytes = readFileSync(iso);
    bytes[entry.extents[0]!.offset]! ^= 1;
    bad = path.join(tempDir(), "bad.iso");
    writeFileSync(bad, bytes);
  });
  after(cleanupTempDirs);

  it("verify exits 0 on good media and 1 with one line per problem on a corrupted ISO", () => {
    const good = runGulp(["verify", "--iso", iso, "--zip", zip, "--manifest", path.join(out, "manifest.json")]);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /verified: \d+ files match /);
    const r = runGulp(["verify", "--iso", bad, "--zip", zip]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const all = r.stdout + r.stderr;
    assert.match(all, /- hash mismatch: verify\.ps1 in the ISO /);
    assert.match(all, /- ISO and zip differ: verify\.ps1 /);
    assert.doesNotMatch(all, /\n\s+at /, "no stack trace for a verdict");
  });

  it("diff exits 0 when equal, 1 when different, and --json is machine-readable", () => {
    const same = runGulp(["diff", "--from", iso, "--to", zip]);
    assert.equal(same.status, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /no differences between /);
    const differ = runGulp(["diff", "--from", path.join(out, "manifest.json"), "--to", bad, "--json", "--silent"]);
    assert.equal(differ.status, 1, differ.stdout + differ.stderr);
    const d = JSON.parse(differ.stdout);
    assert.deepEqual(d.changed.map((f: { path: string }) => f.path), ["verify.ps1"]);
    assert.equal(d.equal, false);
  });

  it("diff and verify refuse what is neither an image nor a manifest, with a clear message", () => {
    const junk = path.join(tempDir(), "junk.bin");
    writeFileSync(junk, "not media");
    const r = runGulp(["diff", "--from", junk, "--to", iso]);
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /junk\.bin is not valid JSON/);
    const v = runGulp(["verify", "--zip", junk]);
    assert.equal(v.status, 1);
    assert.match(v.stdout + v.stderr, /junk\.bin is not a readable zip/);
  });
});
