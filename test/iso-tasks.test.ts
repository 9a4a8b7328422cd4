/** The `iso` and `iso-ls` tasks (the Rust tool's aero_iso and aero_iso_ls), run as a user would. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isoWriter } from "../plugins/iso-writer/index.js";
import { cleanupTempDirs, listFiles, run, runGulp, tempDir } from "./support/fixtures.js";
import { bufferFile, contentsOf, runPlugins } from "./support/streams.js";

function stagedTree(): string {
  const dir = tempDir("aero-staged-");
  mkdirSync(path.join(dir, "dir1/.git"), { recursive: true });
  mkdirSync(path.join(dir, "__MACOSX"));
  writeFileSync(path.join(dir, "a.txt"), "alpha");
  writeFileSync(path.join(dir, "b.txt"), "beta");
  writeFileSync(path.join(dir, "dir1/c.txt"), "gamma");
  writeFileSync(path.join(dir, ".DS_Store"), "x");
  writeFileSync(path.join(dir, "dir1/.git/config"), "x");
  writeFileSync(path.join(dir, "__MACOSX/junk"), "x");
  writeFileSync(path.join(dir, "Thumbs.db"), "x");
  writeFileSync(path.join(dir, "desktop.ini"), "x");
  return dir;
}

describe("gulp iso and iso-ls", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("writes a deterministic image of a staged folder, without hidden files and OS metadata", () => {
    const inDir = stagedTree();
    const out = tempDir();
    for (const name of ["one.iso", "two.iso"]) {
      const r = runGulp(["iso", "--in-dir", inDir, "--out-iso", path.join(out, "sub", name), "--volume-id", "staged", "--source-date-epoch", "123"]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    const one = readFileSync(path.join(out, "sub/one.iso"));
    assert.ok(one.equals(readFileSync(path.join(out, "sub/two.iso"))));
    const extracted = tempDir();
    run("bsdtar", ["-xf", path.join(out, "sub/one.iso"), "-C", extracted]);
    assert.deepEqual(listFiles(extracted), ["a.txt", "b.txt", "dir1/c.txt"]);
  });

  it("writes only the image when the staged folder holds a manifest.json (the media's own)", () => {
    const inDir = stagedTree();
    writeFileSync(path.join(inDir, "manifest.json"), "{}\n");
    const out = tempDir();
    const r = runGulp(["iso", "--in-dir", inDir, "--out-iso", path.join(out, "media.iso"), "--volume-id", "staged"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(listFiles(out), ["media.iso"]);
  });

  it("gives the same bytes as isoWriter on the same files", async () => {
    const inDir = stagedTree();
    const out = path.join(tempDir(), "x.iso");
    const r = runGulp(["iso", "--in-dir", inDir, "--out-iso", out, "--volume-id", "staged"], { env: { SOURCE_DATE_EPOCH: "456" } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [image] = await runPlugins(
      [bufferFile("dir1/c.txt", "gamma"), bufferFile("b.txt", "beta"), bufferFile("a.txt", "alpha")],
      isoWriter({ volumeId: "staged", sourceDateEpoch: 456 }),
    );
    assert.ok((await contentsOf(image!)).equals(readFileSync(out)));
  });

  it("refuses a symlink and an empty folder with a clear error", () => {
    const inDir = stagedTree();
    symlinkSync(path.join(inDir, "a.txt"), path.join(inDir, "dir1/.link.txt"));
    const out = path.join(tempDir(), "x.iso");
    const linked = runGulp(["iso", "--in-dir", inDir, "--out-iso", out, "--volume-id", "v"]);
    assert.notEqual(linked.status, 0);
    assert.match(linked.stdout + linked.stderr, /symlink .*dir1\/\.link\.txt/);
    const empty = tempDir();
    const none = runGulp(["iso", "--in-dir", empty, "--out-iso", out, "--volume-id", "v"]);
    assert.notEqual(none.status, 0);
    assert.match(none.stdout + none.stderr, /empty|no files/i);
  });

  it("names the missing required flags", () => {
    const r = runGulp(["iso", "--in-dir", "x"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /--out-iso is required \(this task needs --in-dir, --out-iso, --volume-id\)/);
  });

  it("lists every file of an image as sorted absolute paths", () => {
    const inDir = stagedTree();
    const out = path.join(tempDir(), "x.iso");
    assert.equal(runGulp(["iso", "--in-dir", inDir, "--out-iso", out, "--volume-id", "v"]).status, 0);
    const r = runGulp(["iso-ls", "--iso", out, "--silent"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "/a.txt\n/b.txt\n/dir1/c.txt\n");
  });
});

