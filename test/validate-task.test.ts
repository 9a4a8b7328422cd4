/** `gulp validate`, excluded files, and what the build prints (real gulp runs). */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, runGulp, tempDir } from "./support/fixtures.js";

type Sample = ReturnType<typeof copySample>;

function flags(s: Sample, out: string): string[] {
  return ["--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", out];
}

describe("gulp validate and build output", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("validate passes with a one-line summary and writes nothing", () => {
    const s = copySample();
    const out = path.join(tempDir(), "dist");
    const r = runGulp(["validate", ...flags(s, out)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /validation passed: \d+ files would be packaged \(nothing written\)/);
    assert.equal(existsSync(out), false);
  });

  it("validate reports every problem and exits non-zero, writing nothing", () => {
    const s = copySample();
    rmSync(path.join(s.drivers, "amd64/aerogpu/aerogpu_d3d10_x64.dll"));
    rmSync(path.join(s.drivers, "x86/virtio-blk/aero_virtio_blk.cat"));
    writeFileSync(path.join(s.guestTools, "config/secret.pfx"), "key");
    const out = path.join(tempDir(), "dist");
    const r = runGulp(["validate", ...flags(s, out)]);
    const text = r.stdout + r.stderr;
    assert.notEqual(r.status, 0);
    assert.match(text, /aerogpu \(amd64\)[\s\S]*aerogpu_d3d10_x64\.dll/);
    assert.match(text, /virtio-blk \(x86\)[\s\S]*incomplete/);
    assert.match(text, /private key material[\s\S]*config\/secret\.pfx/);
    assert.equal(existsSync(out), false);
  });

  it("gives the same bytes with and without excluded files (build artifacts, hidden files, OS metadata)", () => {
    const s = copySample();
    const clean = path.join(tempDir(), "clean");
    assert.equal(runGulp(["guest-tools", ...flags(s, clean)]).status, 0);
    const junk: Array<[string, string]> = [
      ["drivers/x86/virtio-net/aero_virtio_net.pdb", "pdb"],
      ["drivers/amd64/aerogpu/build.log", "log"],
      ["drivers/amd64/aerogpu/obj/x.obj", "obj"],
      ["drivers/x86/virtio-blk/.DS_Store", "mac"],
      ["drivers/x86/virtio-blk/Thumbs.db", "win"],
      ["guest-tools/config/desktop.ini", "win"],
      ["guest-tools/licenses/__MACOSX/._LICENSE-aero.txt", "mac"],
      ["guest-tools/tools/collect-logs.pdb", "pdb"],
      ["guest-tools/certs/.old/stale.cer", "hidden cert"],
      ["guest-tools/.git/config", "git"],
    ];
    for (const [rel, text] of junk) {
      const abs = path.join(s.root, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
    const dirty = path.join(tempDir(), "dirty");
    const r = runGulp(["guest-tools", ...flags(s, dirty)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const f of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
      assert.ok(readFileSync(path.join(dirty, f)).equals(readFileSync(path.join(clean, f))), f);
    }
  });

  it("prints phase lines with sizes and times when output is not a terminal, and nothing with --quiet", () => {
    const s = copySample();
    const loud = runGulp(["guest-tools", ...flags(s, path.join(tempDir(), "a"))]);
    assert.equal(loud.status, 0);
    assert.match(loud.stdout, /writing ISO \+ zip \([\d.]+ KiB\)\.\.\./);
    assert.match(loud.stdout, /writing ISO \+ zip: done in [\d.]+ s/);
    assert.match(loud.stdout, /wrote \d+ files into:/);
    const quiet = runGulp(["guest-tools", ...flags(s, path.join(tempDir(), "b")), "--quiet"]);
    assert.equal(quiet.status, 0);
    assert.doesNotMatch(quiet.stdout, /writing ISO|wrote \d+ files/);
  });
});
