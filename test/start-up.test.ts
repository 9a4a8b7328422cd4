/**
 * Start-up (issue 15): `npx gulp` loads gulpfile.ts as one bundle compiled into .cache/gulpfile/
 * (tasks/compiled-gulpfile.js), remade whenever a source changes, and a build loads only the
 * packages its flags need. Checked in real gulp runs, by the modules each child had loaded when
 * it exited; no timings.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OUTPUTS } from "./support/media.js";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";

/** A preload that writes, at exit, every file in require.cache (the bundle and every CommonJS package). */
const PROBE = `const fs = require("node:fs");
process.on("exit", () => fs.writeFileSync(process.env.AERO_PROBE_OUT, JSON.stringify(Object.keys(require.cache))));`;

interface Run {
  status: number | null;
  output: string;
  /** Files in require.cache at exit, relative to the checkout when inside it. */
  loaded: string[];
}

/** `node gulp.js <args>` from `root` (so gulp-cli finds its .gulp.js), as `npx gulp` runs it, plus the probe. */
function gulp(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const scratch = tempDir("aero-probe-");
  const probe = path.join(scratch, "probe.cjs");
  const out = path.join(scratch, "loaded.json");
  writeFileSync(probe, PROBE);
  const r = spawnSync(process.execPath, ["--require", probe, path.join(root, "node_modules/gulp/bin/gulp.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", AERO_PROBE_OUT: out, ...env },
    timeout: 300_000,
  });
  const loaded = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as string[]).map((f) => (f.startsWith(root + path.sep) ? path.relative(root, f) : f)) : [];
  return { status: r.status, output: r.stdout + r.stderr, loaded };
}

// Paths inside the checkout are relative ("node_modules/x/..."), others absolute: match either.
const usesPackage = (run: Run, name: string) => run.loaded.some((f) => `${path.sep}${f}`.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
const bundleOf = (run: Run) => run.loaded.filter((f) => /^\.cache\/gulpfile\/gulpfile-[0-9a-f]{16}\.cjs$/.test(f));

describe("start-up", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("a sample build loads the compiled gulpfile, not tsx, and no package its flags do not need", () => {
    const plain = gulp(REPO, ["guest-tools", "--quiet", "--out-dir", path.join(tempDir(), "o")]);
    assert.equal(plain.status, 0, plain.output);
    assert.equal(bundleOf(plain).length, 1, `the bundle, once: ${plain.loaded.filter((f) => !f.includes("node_modules")).join(", ")}`);
    assert.ok(!usesPackage(plain, "tsx"), "tsx is not loaded");
    assert.ok(!usesPackage(plain, "@cyclonedx"), "@cyclonedx/cyclonedx-library is loaded only with --sbom");
    assert.ok(!usesPackage(plain, "yauzl"), "yauzl (the verify and diff tasks' zip reader) is not loaded");
    assert.ok(!usesPackage(plain, "cli-progress"), "cli-progress is loaded only for a bar on a terminal");
    const ajvCompiler = plain.loaded.filter((f) => /node_modules\/ajv\/dist\/(?:core|2020|compile\/index)\.js$/.test(f));
    assert.deepEqual(ajvCompiler, [], "the spec's schema validator is precompiled: ajv's compiler is not loaded");

    const sbom = gulp(REPO, ["guest-tools", "--quiet", "--sbom", "--out-dir", path.join(tempDir(), "o")]);
    assert.equal(sbom.status, 0, sbom.output);
    assert.ok(usesPackage(sbom, "@cyclonedx"), "the probe sees @cyclonedx/cyclonedx-library when the SBOM is made");
  });

  it("writes the same media through the bundle as through tsx", () => {
    const viaBundle = path.join(tempDir(), "bundle");
    const viaTsx = path.join(tempDir(), "tsx");
    const a = gulp(REPO, ["guest-tools", "--quiet", "--out-dir", viaBundle]);
    const b = gulp(REPO, ["guest-tools", "--quiet", "--out-dir", viaTsx], { AERO_GULPFILE_LOADER: "tsx" });
    assert.equal(a.status, 0, a.output);
    assert.equal(b.status, 0, b.output);
    assert.equal(bundleOf(a).length, 1);
    assert.deepEqual(bundleOf(b), [], "AERO_GULPFILE_LOADER=tsx loads no bundle");
    assert.ok(usesPackage(b, "tsx"));
    for (const name of OUTPUTS) assert.ok(readFileSync(path.join(viaBundle, name)).equals(readFileSync(path.join(viaTsx, name))), `${name} differs`);
  });

  describe("in a scratch copy of the checkout", () => {
    let root: string;
    before(() => {
      root = tempDir("aero-checkout-");
      for (const entry of ["gulpfile.ts", ".gulp.js", "package.json", "tsconfig.json", "tasks", "plugins", "specs"]) {
        cpSync(path.join(REPO, entry), path.join(root, entry), { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
      }
      symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
    });

    const tasks = (run: Run) => run.output.split("\n").filter((l) => l !== "");

    it("compiles on the first run, reuses the bundle, and remakes it after an edit", () => {
      const first = gulp(root, ["--tasks-simple"]);
      assert.equal(first.status, 0, first.output);
      assert.ok(tasks(first).includes("guest-tools"), first.output);
      const bundle = bundleOf(first);
      assert.equal(bundle.length, 1, "loaded through a bundle");
      assert.ok(existsSync(path.join(root, ".cache/gulpfile/stamp.json")));

      const again = gulp(root, ["--tasks-simple"]);
      assert.deepEqual(bundleOf(again), bundle, "the same bundle, not a new one");

      // A source two imports away from gulpfile.ts: the stamp covers every file the bundle holds.
      const flags = path.join(root, "plugins/guest-tools-media/index.ts");
      writeFileSync(flags, `${readFileSync(flags, "utf8")}\nexport const startUpProbe = 1;\n`);
      writeFileSync(path.join(root, "gulpfile.ts"), `${readFileSync(path.join(root, "gulpfile.ts"), "utf8")}\nexport const probeTask = series(guestTools);\n`);
      const edited = gulp(root, ["--tasks-simple"]);
      assert.equal(edited.status, 0, edited.output);
      assert.ok(tasks(edited).includes("probeTask"), `the edit is seen:\n${edited.output}`);
      assert.equal(bundleOf(edited).length, 1);
      assert.notDeepEqual(bundleOf(edited), bundle, "a new bundle");
    });

    it("remakes a bundle that was deleted, and falls back to tsx (its usual error) when esbuild cannot compile", () => {
      rmSync(path.join(root, ".cache/gulpfile"), { recursive: true, force: true });
      const remade = gulp(root, ["--tasks-simple"]);
      assert.equal(remade.status, 0, remade.output);
      assert.equal(bundleOf(remade).length, 1);

      mkdirSync(path.join(root, "plugins/broken"), { recursive: true });
      writeFileSync(path.join(root, "plugins/broken/index.ts"), "export const = ;\n");
      writeFileSync(path.join(root, "gulpfile.ts"), `${readFileSync(path.join(root, "gulpfile.ts"), "utf8")}\nexport * from "./plugins/broken/index.js";\n`);
      const broken = gulp(root, ["--tasks-simple"]);
      assert.notEqual(broken.status, 0, broken.output);
      assert.match(broken.output, /plugins\/broken\/index\.ts/, "the error names the file");
      assert.deepEqual(bundleOf(broken), []);
      assert.equal(readdirSync(path.join(root, ".cache/gulpfile")).filter((f) => f.endsWith(".tmp")).length, 0, "no temp file left");
    });
  });
});
