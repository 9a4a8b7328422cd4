import assert from "node:assert/strict";
import { mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import gulp from "gulp";
import Vinyl from "vinyl";
import { payloadPolicy } from "../plugins/payload-policy/index.js";
import { ProblemReport } from "../plugins/shared/report.js";
import { loadSpec } from "../plugins/shared/load-spec.js";
import { cleanupTempDirs, tempDir } from "./support/fixtures.js";
import { bufferFile, runPlugins } from "./support/streams.js";
import { collect, readTree, rejection, relPaths, writeTree } from "./support/validate-helpers.js";

function tree(files: Record<string, string | Buffer>): string {
  const root = tempDir("aero-policy-");
  writeTree(root, files);
  return root;
}

/** Run a tree (read by the project's tree source) through payloadPolicy with a shared report. */
async function policy(root: string, spec?: object) {
  const report = new ProblemReport();
  const out = await runPlugins(await readTree(root), payloadPolicy(spec ? { spec, report } : { report }));
  return { out: relPaths(out), report, errors: report.errors.map((e) => e.message) };
}

describe("payloadPolicy", () => {
  after(cleanupTempDirs);

  it("passes ordinary files through unchanged", async () => {
    const { out, report } = await policy(tree({ "setup.cmd": "s", "config/a.txt": "a", "drivers/x86/d/d.sys": "d" }));
    assert.deepEqual(out.sort(), ["config/a.txt", "drivers/x86/d/d.sys", "setup.cmd"]);
    assert.ok(report.ok);
    assert.deepEqual(report.skipped, []);
  });

  describe("symlinks", () => {
    it("refuses a symlinked file, naming its full path and the tree it was found in", async () => {
      const root = tree({ "drivers/x86/testdrv/real.txt": "r" });
      symlinkSync("real.txt", path.join(root, "drivers/x86/testdrv/link.txt"));
      const { out, errors } = await policy(root);
      assert.deepEqual(out, ["drivers/x86/testdrv/real.txt"]);
      assert.deepEqual(errors, [
        `refusing to package symlink ${path.join(root, "drivers/x86/testdrv/link.txt")} (found under drivers/x86/testdrv); replace the symlink with a real file or remove it`,
      ]);
    });

    it("refuses a hidden symlink too", async () => {
      const root = tree({ "licenses/a.txt": "a" });
      symlinkSync("a.txt", path.join(root, "licenses/.link.txt"));
      const { errors, report } = await policy(root);
      assert.match(errors[0]!, /refusing to package symlink .*licenses\/\.link\.txt \(found under guest_tools\/licenses\)/);
      assert.deepEqual(report.skipped, []);
    });

    it("refuses a symlinked folder (our source yields the link itself)", async () => {
      const root = tree({ "elsewhere/x.txt": "x", "tools/keep.exe": "k" });
      symlinkSync(path.join(root, "elsewhere"), path.join(root, "tools/linked"));
      const { errors } = await policy(root);
      assert.match(errors[0]!, /refusing to package symlink .*tools\/linked \(found under guest_tools\/tools\)/);
    });

    it("refuses files gulp.src found through a symlinked folder, and symlinked files it resolved", async () => {
      const root = tree({ "outside/x.txt": "x", "gt/config/real.txt": "r" });
      symlinkSync(path.join(root, "outside"), path.join(root, "gt/config/linked"));
      symlinkSync(path.join(root, "gt/config/real.txt"), path.join(root, "gt/config/alias.txt"));
      const files = await collect(gulp.src("**/*", { cwd: path.join(root, "gt"), dot: true, encoding: false }));
      const report = new ProblemReport();
      const out = await runPlugins(files.filter((f) => !f.isDirectory()), payloadPolicy({ report }));
      assert.deepEqual(relPaths(out), ["config/real.txt"]);
      const messages = report.errors.map((e) => e.message).sort();
      assert.equal(messages.length, 2, messages.join("\n"));
      assert.match(messages[1]!, /refusing to package symlink .*gt\/config\/alias\.txt/);
      assert.match(messages[0]!, /refusing to package .*gt\/config\/linked\/x\.txt: its folder .*gt\/config\/linked is a symlink/);
    });
  });

  it("refuses names that are not UTF-8, showing the bytes as \\xNN", async () => {
    const root = tree({ "config/ok.txt": "ok" });
    writeFileSync(Buffer.concat([Buffer.from(path.join(root, "config/fo")), Buffer.from([0x80]), Buffer.from(".txt")]), "bad");
    const { out, errors } = await policy(root);
    assert.deepEqual(out, ["config/ok.txt"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^non-UTF8 path component: .*config\/fo\\x80\.txt$/);
  });

  it("refuses names gulp.src could not decode (U+FFFD in the path)", async () => {
    const report = new ProblemReport();
    await runPlugins([bufferFile("config/fo\uFFFD.txt", "x")], payloadPolicy({ report }));
    assert.match(report.errors[0]!.message, /^non-UTF8 path component \(undecodable bytes read as U\+FFFD\): .*config\/fo\uFFFD\.txt$/);
  });

  it("refuses private keys anywhere, even in hidden folders", async () => {
    const { errors } = await policy(
      tree({ "config/secret.p12": "k", "drivers/x86/testdrv/.secrets/secret.pem": "k", "tools/.hidden.key": "k", "certs/a.DER": "k" }),
    );
    assert.deepEqual(errors.sort(), [
      "refusing to package private key material in certs directory: certs/a.DER",
      "refusing to package private key material in config directory: config/secret.p12",
      "refusing to package private key material in driver directory drivers/x86/testdrv: drivers/x86/testdrv/.secrets/secret.pem",
      "refusing to package private key material in tools directory: tools/.hidden.key",
    ]);
  });

  it("refuses Windows-invalid names", async () => {
    const { errors, out } = await policy(tree({ "licenses/con.txt": "c", "licenses/foo?.txt": "q", "config/trail.": "t", "config/a\\b.txt": "b", "config/fine.txt": "f" }));
    assert.deepEqual(out, ["config/fine.txt"]);
    assert.equal(errors.length, 4);
    assert.ok(errors.some((e) => e.includes('reserved device name: "con.txt"')));
    assert.ok(errors.some((e) => e.includes("invalid character '?'): \"foo?.txt\"")));
    assert.ok(errors.some((e) => e.includes("trailing '.' or space")));
    assert.ok(errors.some((e) => e.includes("invalid character '\\'")));
  });

  describe("case collisions", () => {
    it("refuses files whose paths differ only in case, naming both", async () => {
      const { errors } = await policy(tree({ "config/Case.txt": "a", "config/case.txt": "b" }));
      assert.deepEqual(errors, ["case-insensitive path collision: config/Case.txt, config/case.txt (Windows treats these names as the same)"]);
    });

    it("refuses folders that differ only in case", async () => {
      const { errors } = await policy(tree({ "licenses/Docs/A/one.txt": "1", "licenses/docs/a/two.txt": "2" }));
      assert.ok(errors.some((e) => e.includes("licenses/Docs/A/, licenses/docs/a/")), errors.join("\n"));
    });

    it("refuses names that differ in non-ASCII case (Ä.txt / ä.txt)", async () => {
      const { errors } = await policy(tree({ "config/Ä.txt": "a", "config/ä.txt": "b" }));
      assert.deepEqual(errors, ["case-insensitive path collision: config/Ä.txt, config/ä.txt (Windows treats these names as the same)"]);
    });

    it("ignores skipped files when looking for collisions", async () => {
      const { errors } = await policy(tree({ "drivers/x86/d/A.pdb": "a", "drivers/x86/d/a.PDB": "b" }));
      assert.deepEqual(errors, []);
    });

    it("refuses the same package path fed twice", async () => {
      const report = new ProblemReport();
      await runPlugins([bufferFile("config/a.txt", "1"), bufferFile("config/a.txt", "2", "/other")], payloadPolicy({ report }));
      assert.deepEqual(report.errors.map((e) => e.message), ["2 input files have the same package path config/a.txt"]);
    });
  });

  describe("skipped files", () => {
    it("drops hidden files, __MACOSX and Explorer metadata everywhere (certs/ too) and records why", async () => {
      const { out, report } = await policy(
        tree({
          "config/.DS_Store": "x",
          "licenses/__MACOSX/junk.txt": "x",
          "tools/Thumbs.db": "x",
          "certs/desktop.ini": "x",
          "certs/.old/x.cer": "x",
          "certs/test.cer": "c",
        }),
      );
      assert.deepEqual(out, ["certs/test.cer"]);
      assert.deepEqual(report.skipped.map((s) => s.path).sort(), [
        "certs/.old/x.cer",
        "certs/desktop.ini",
        "config/.DS_Store",
        "licenses/__MACOSX/junk.txt",
        "tools/Thumbs.db",
      ]);
      assert.equal(report.skipped.find((s) => s.path === "tools/Thumbs.db")!.reason, "Windows shell metadata file Thumbs.db");
    });

    it("drops build artifacts in driver directories and tools/, keeps them in config/", async () => {
      const { out } = await policy(tree({ "drivers/amd64/d/d.pdb": "p", "tools/x/t.obj": "o", "tools/x/t.exe": "e", "config/build.log": "l" }));
      assert.deepEqual(out.sort(), ["config/build.log", "tools/x/t.exe"]);
    });

    it("re-includes artifacts a driver's allow_extensions / allow_path_regexes allow, matching the directory ignoring case", async () => {
      const spec = loadSpec({
        drivers: [
          { name: "testdrv", required: true, allow_extensions: ["pdb"] },
          { name: "aerogpu", required: true, allow_path_regexes: ["^sym/.*\\.map$"] },
        ],
      });
      const { out } = await policy(
        tree({
          "drivers/x86/TestDrv/a.pdb": "p",
          "drivers/x86/testdrv/a.map": "m",
          "drivers/amd64/aero-gpu/sym/b.map": "m",
          "drivers/amd64/aero-gpu/b.map": "m",
          "drivers/amd64/other/c.pdb": "p",
        }),
        spec,
      );
      assert.deepEqual(out.sort(), ["drivers/amd64/aero-gpu/sym/b.map", "drivers/x86/TestDrv/a.pdb"]);
    });
  });

  it("fails at the end with every problem when no shared report is given", async () => {
    const root = tree({ "config/secret.pfx": "k", "licenses/aux.txt": "a", "config/ok.txt": "ok" });
    symlinkSync("ok.txt", path.join(root, "config/link.txt"));
    const err = await rejection(runPlugins(await readTree(root), payloadPolicy()));
    assert.equal((err as { plugin?: string }).plugin, "payloadPolicy");
    assert.match(err.message, /^3 problems found:/);
    assert.match(err.message, /private key material in config directory: config\/secret.pfx \[private-key\]/);
    assert.match(err.message, /reserved device name: "aux.txt" \[windows-invalid-name\]/);
    assert.match(err.message, /refusing to package symlink .*config\/link.txt .*\[symlink\]/);
  });

  it("adds problems to the shared report instead of failing, and keeps streaming the good files", async () => {
    const { out, report } = await policy(tree({ "config/secret.pfx": "k", "config/ok.txt": "ok" }));
    assert.deepEqual(out, ["config/ok.txt"]);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0]!.rule, "private-key");
    assert.equal(report.errors[0]!.group, "guest-tools");
  });

  it("groups driver problems by the spec's driver name and arch", async () => {
    const spec = loadSpec({ drivers: [{ name: "aerogpu", required: true }] });
    const { report } = await policy(tree({ "drivers/x86/aero-gpu/k.snk": "k" }), spec);
    assert.equal(report.errors[0]!.group, "aerogpu (x86)");
  });

  it("passes directories through untouched", async () => {
    const root = tree({ "config/sub/a.txt": "a" });
    const dir = new Vinyl({ cwd: root, base: root, path: path.join(root, "config/.hidden"), stat: statSync(path.join(root, "config")), contents: null });
    mkdirSync(path.join(root, "config/.hidden"));
    const out = await runPlugins([dir], payloadPolicy());
    assert.deepEqual(out, [dir]);
  });
});
