/**
 * Issue 13 item 6: the build holds a small, bounded number of open files whatever the file count.
 * Real gulp runs under `ulimit -n 64` (Node itself, gulp and the loader need about 25) with
 * 2,000 small files: each writer and the hashing read one file (or a few) at a time.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, REPO, tempDir } from "./support/fixtures.js";
import { listIso } from "../plugins/iso-src/index.js";

const FILES = 2000;

/** `gulp args...` in a shell whose open-file limit is `limit`. */
function gulpUnderLimit(limit: number, args: string[], cwd: string) {
  const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
  const gulp = path.join(REPO, "node_modules/gulp/bin/gulp.js");
  const cmd = [process.execPath, "--require", tsx, gulp, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", cwd, ...args]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(" ");
  return spawnSync("bash", ["-c", `ulimit -n ${limit} && exec ${cmd}`], { encoding: "utf8", timeout: 300_000, env: { ...process.env, NO_COLOR: "1" } });
}

function manySmallFiles(dir: string): void {
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
  }
}

describe("bounded file descriptors (issue 13 item 6)", function () {
  this.timeout(600_000);
  after(cleanupTempDirs);

  it(`gulp guest-tools packages ${FILES} small files under ulimit -n 64`, () => {
    const s = copySample();
    manySmallFiles(path.join(s.guestTools, "tools/many"));
    const out = path.join(s.root, "dist");
    const r = gulpUnderLimit(64, ["guest-tools", "--quiet", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", out], s.root);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = JSON.parse(spawnSync("cat", [path.join(out, "manifest.json")], { encoding: "utf8" }).stdout) as { files: unknown[] };
    assert.ok(m.files.length > FILES);
  });

  it(`gulp iso packages ${FILES} small files under ulimit -n 64`, async () => {
    const dir = path.join(tempDir(), "staged");
    manySmallFiles(dir);
    const iso = path.join(tempDir(), "out.iso");
    const r = gulpUnderLimit(64, ["iso", "--in-dir", dir, "--out-iso", iso, "--volume-id", "MANY"], REPO);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((await listIso(iso)).length, FILES);
  });
});
