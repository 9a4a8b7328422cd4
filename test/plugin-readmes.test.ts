/**
 * Every exported plugin has a reference next to it (plugins/<name>/README.md, gulp-plugin house
 * style: options table, what it emits and refuses, an example), and every example runs, as a
 * gulpfile would, against the bundled sample, writing into out/<name>.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { cleanupTempDirs, listFiles, REPO, SAMPLE_SPEC, tempDir } from "./support/fixtures.js";
import { codeBlocks } from "./support/readme.js";

/** Plugin folders whose README documents stream factories exported from plugins/index.ts. */
const DOCUMENTED = [
  "tree-src",
  "iso-src",
  "normalize-arch",
  "payload-policy",
  "devices-cmd",
  "guest-tools-layout",
  "validate-spec",
  "manifest",
  "iso-writer",
  "deterministic-zip",
  "media-images",
  "atomic-dest",
];

describe("the plugin references (plugins/*/README.md)", function () {
  this.timeout(300_000);
  let project: string;
  const cwd = process.cwd();

  before(async () => {
    project = tempDir("aero-readmes-");
    cpSync(path.join(REPO, "drivers-sample"), path.join(project, "drivers-sample"), { recursive: true });
    mkdirSync(path.join(project, "specs"));
    cpSync(SAMPLE_SPEC, path.join(project, "specs/sample.json"));
    mkdirSync(path.join(project, "node_modules"));
    symlinkSync(path.join(REPO, "node_modules/gulp"), path.join(project, "node_modules/gulp"));
    // isoSrc's example reads the media the CLI builds.
    await buildGuestToolsMedia({
      cwd: project,
      driversDir: "drivers-sample/drivers",
      guestToolsDir: "drivers-sample/guest-tools",
      spec: "specs/sample.json",
      outDir: "dist",
    });
  });
  after(() => {
    process.chdir(cwd);
    cleanupTempDirs();
  });

  it("covers every plugin folder that has a factory README", () => {
    const withReadme = readdirSync(path.join(REPO, "plugins")).filter((d) => existsSync(path.join(REPO, "plugins", d, "README.md")));
    assert.deepEqual(withReadme.sort(), [...DOCUMENTED].sort());
  });

  for (const name of DOCUMENTED) {
    const file = `plugins/${name}/README.md`;

    it(`${file} has an options table, what it emits and what it refuses`, () => {
      assert.ok(codeBlocks(file, "js").length >= 1, "an example");
      const md = readFileSync(path.join(REPO, file), "utf8");
      assert.match(md, /^## Usage$/m);
      assert.match(md, /^## API$/m);
      assert.match(md, /^\| Emits \| Refuses/m);
      if (!/^No options\.$/m.test(md)) assert.match(md, /^\| Option \| Type \| Default \| Meaning \|$/m);
    });

    it(`${file}: its example runs against the sample and writes into out/${name}`, async () => {
      for (const [i, block] of codeBlocks(file, "js").entries()) {
        const gulpfile = path.join(project, `${name}-${i}.mjs`);
        writeFileSync(gulpfile, block.replace(/from "gulp-aero-guest-tools"/, `from ${JSON.stringify(pathToFileURL(path.join(REPO, "plugins/index.ts")).href)}`));
        const tasks = (await import(pathToFileURL(gulpfile).href)) as Record<string, unknown>;
        const fns = Object.values(tasks).filter((t): t is () => Promise<void> => typeof t === "function");
        assert.ok(fns.length > 0, "the example exports a task");
        process.chdir(project);
        try {
          for (const task of fns) await task();
        } finally {
          process.chdir(cwd);
        }
      }
      const out = path.join(project, "out", name);
      assert.ok(existsSync(out) && listFiles(out).length > 0, `the example wrote into out/${name}`);
    });
  }
});
