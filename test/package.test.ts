/**
 * `npm pack` gives a package another project installs and uses from
 * its own gulpfile: the README's splice example, run from CommonJS, ESM and TypeScript (strict)
 * gulpfiles with gulp 4 and gulp 5, gives the CLI's three outputs byte for byte.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, REPO, run, runGulp, SAMPLE_SPEC, tempDir } from "./support/fixtures.js";
import { readmeExample } from "./support/readme.js";

function npm(args: string[], cwd: string): string {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The ESM example as CommonJS: the same code with require() and exports. */
function asCommonJs(esm: string): string {
  return esm
    .replace(/^import (\w+) from ("[^"]+");$/gm, "const $1 = require($2);")
    .replace(/^import \{([^}]*)\} from ("[^"]+");$/gm, "const {$1} = require($2);")
    .replace(/^export function (\w+)/gm, "exports.$1 = function $1");
}

function tsc(cwd: string, project: string): void {
  const r = spawnSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", path.join(cwd, project)], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, `tsc -p ${project}:\n${r.stdout}${r.stderr}`);
}

const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];

function hashes(dir: string): string[] {
  return OUTPUTS.map((name) => `${name} ${run("sha256sum", [path.join(dir, name)]).split(" ")[0]}`);
}

describe("the npm package", function () {
  this.timeout(600_000);
  after(cleanupTempDirs);

  const example = readmeExample();
  const consumers = new Map<4 | 5, string>();
  let cli: string[];

  before(() => {
    const packDir = tempDir("aero-pack-");
    npm(["pack", "--silent", "--pack-destination", packDir], REPO);
    const tarball = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    for (const major of [4, 5] as const) {
      const consumer = tempDir(`aero-consumer-gulp${major}-`);
      writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }));
      // The machine's npm cache does not hold every dependency, and tests must not need the
      // network: the tarball is unpacked as npm would, its dependencies (and gulp 4 or 5 as
      // "gulp") are linked from this checkout's node_modules.
      const modules = path.join(consumer, "node_modules");
      const pkg = path.join(modules, "gulp-aero-guest-tools");
      mkdirSync(pkg, { recursive: true });
      run("tar", ["-xzf", path.join(packDir, tarball!), "-C", pkg, "--strip-components=1"]);
      for (const name of readdirSync(path.join(REPO, "node_modules"))) {
        if (name.startsWith(".") || name === "gulp" || name === "gulp4" || name === "gulp-aero-guest-tools") continue;
        symlinkSync(path.join(REPO, "node_modules", name), path.join(modules, name));
      }
      symlinkSync(path.join(REPO, "node_modules", major === 4 ? "gulp4" : "gulp"), path.join(modules, "gulp"));
      cpSync(path.join(REPO, "drivers-sample"), path.join(consumer, "drivers-sample"), { recursive: true });
      mkdirSync(path.join(consumer, "specs"));
      cpSync(SAMPLE_SPEC, path.join(consumer, "specs/sample.json"));
      consumers.set(major, consumer);
    }
    // The CLI, on the same inputs (paths relative to the same working directory).
    const consumer = consumers.get(5)!;
    const r = runGulp(["guest-tools", "--quiet", "--drivers-dir", "drivers-sample/drivers", "--guest-tools-dir", "drivers-sample/guest-tools", "--spec", "specs/sample.json", "--out-dir", "cli"], { cwd: consumer });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    cli = hashes(path.join(consumer, "cli"));
  });

  function gulp(major: 4 | 5, gulpfile: string, preload: string[] = []): void {
    const consumer = consumers.get(major)!;
    rmSync(path.join(consumer, "dist"), { recursive: true, force: true });
    const r = spawnSync(process.execPath, [...preload, path.join(consumer, "node_modules/gulp/bin/gulp.js"), "--gulpfile", gulpfile, "media"], {
      cwd: consumer,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(hashes(path.join(consumer, "dist")), cli);
  }

  for (const major of [4, 5] as const) {
    it(`gulp ${major}: the README example as an ESM gulpfile gives the CLI's ISO, zip and manifest.json`, () => {
      writeFileSync(path.join(consumers.get(major)!, "gulpfile.mjs"), example);
      gulp(major, "gulpfile.mjs");
    });

    it(`gulp ${major}: the README example as a CommonJS gulpfile gives the CLI's ISO, zip and manifest.json`, () => {
      const cjs = asCommonJs(example);
      assert.doesNotMatch(cjs, /^(import|export) /m, "every import and export was rewritten");
      writeFileSync(path.join(consumers.get(major)!, "gulpfile.cjs"), cjs);
      gulp(major, "gulpfile.cjs");
    });

    it(`gulp ${major}: the README example as a TypeScript gulpfile passes tsc --strict and gives the CLI's outputs`, () => {
      const consumer = consumers.get(major)!;
      writeFileSync(path.join(consumer, "gulpfile.ts"), example);
      writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", esModuleInterop: true, skipLibCheck: true, types: ["node"] },
        files: ["gulpfile.ts"],
      }));
      tsc(consumer, "tsconfig.json");
      gulp(major, "gulpfile.ts", ["--require", path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs")]);
    });
  }

  it("ships TypeScript types that a consumer's tsc accepts, and refuses what they exclude", () => {
    const consumer = consumers.get(5)!;
    writeFileSync(path.join(consumer, "use.ts"), [
      `import { normalizeArch, manifest, isoWriter, deterministicZip, type ManifestOptions } from "gulp-aero-guest-tools";`,
      `import type { Transform } from "node:stream";`,
      `const options: ManifestOptions = { packageVersion: "1", signingPolicy: "test" };`,
      `const stages: Transform[] = [normalizeArch(), manifest(options), isoWriter({ volumeId: "X" }), deterministicZip()];`,
      `// @ts-expect-error signingPolicy is a closed set`,
      `manifest({ signingPolicy: "maybe" });`,
      `export default stages;`,
    ].join("\n"));
    writeFileSync(path.join(consumer, "tsconfig.use.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", types: ["node"] },
      files: ["use.ts"],
    }));
    tsc(consumer, "tsconfig.use.json");
  });
});
