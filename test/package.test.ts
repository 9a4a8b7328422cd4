/**
 * `npm pack` gives a package another project installs (offline, from the npm cache) and uses from
 * its own gulpfile, in ESM and in CommonJS, with TypeScript types.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, REPO, run, SAMPLE_DRIVERS, tempDir } from "./support/fixtures.js";

function npm(args: string[], cwd: string): string {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Like the README's example: the manifest made by mediaImages, the checks in front. */
const ESM_BODY = `
export function media() {
  return pipeline(
    gulp.src("drivers/**", { base: "drivers", encoding: false, dot: true }),
    normalizeArch(),
    payloadPolicy(),
    mediaImages({ volumeId: "CONSUMER", sourceDateEpoch: 1700000000, manifest: { packageVersion: "7.0.0", signingPolicy: "none" } }),
    atomicDest("out"),
  );
}
`;

/** The manifest made by its own plugin upstream of mediaImages. */
const CJS_BODY = `
exports.media = function media() {
  return pipeline(
    gulp.src("drivers/**", { base: "drivers", encoding: false }),
    normalizeArch(),
    manifest({ packageVersion: "7.0.0", signingPolicy: "none", sourceDateEpoch: 1700000000 }),
    mediaImages({ volumeId: "CONSUMER", sourceDateEpoch: 1700000000 }),
    atomicDest("out"),
  );
};
`;

describe("the npm package", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  let consumer: string;
  before(() => {
    const packDir = tempDir("aero-pack-");
    npm(["pack", "--silent", "--pack-destination", packDir], REPO);
    const tarball = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    consumer = tempDir("aero-consumer-");
    writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }));
    const version = (pkg: string) => JSON.parse(readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version as string;
    npm(["install", "--offline", "--no-audit", "--no-fund", path.join(packDir, tarball!), `gulp@${version("gulp")}`, `@types/node@${version("@types/node")}`], consumer);
    run("cp", ["-r", SAMPLE_DRIVERS, path.join(consumer, "drivers")]);
  });

  function gulp(gulpfile: string): void {
    const r = spawnSync(process.execPath, [path.join(consumer, "node_modules/gulp/bin/gulp.js"), "--gulpfile", gulpfile, "media"], { cwd: consumer, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }

  it("works from an ESM gulpfile, splicing the plugins into a larger pipeline", () => {
    writeFileSync(path.join(consumer, "gulpfile.mjs"), `import gulp from "gulp";\nimport { pipeline } from "node:stream/promises";\nimport { normalizeArch, payloadPolicy, mediaImages, atomicDest } from "gulp-aero-guest-tools";\n${ESM_BODY}`);
    gulp("gulpfile.mjs");
    const m = JSON.parse(readFileSync(path.join(consumer, "out/manifest.json"), "utf8"));
    assert.equal(m.package.version, "7.0.0");
    assert.ok(m.files.some((f: { path: string }) => f.path === "drivers/amd64/virtio-blk/aero_virtio_blk.inf"));
    const listing = run("bsdtar", ["-tf", path.join(consumer, "out/aero-guest-tools.iso")]);
    assert.match(listing, /drivers\/x86\/aerogpu\/aerogpu_dx11\.inf/);
  });

  it("works from a CommonJS gulpfile", () => {
    writeFileSync(path.join(consumer, "gulpfile.cjs"), `const gulp = require("gulp");\nconst { pipeline } = require("node:stream/promises");\nconst { normalizeArch, manifest, mediaImages, atomicDest } = require("gulp-aero-guest-tools");\n${CJS_BODY}`);
    const esmManifest = readFileSync(path.join(consumer, "out/manifest.json"));
    gulp("gulpfile.cjs");
    assert.ok(readFileSync(path.join(consumer, "out/manifest.json")).equals(esmManifest), "both ways give the same manifest");
    run("unzip", ["-tq", path.join(consumer, "out/aero-guest-tools.zip")]);
  });

  it("ships TypeScript types that a consumer's tsc accepts", () => {
    writeFileSync(path.join(consumer, "use.ts"), [
      `import { normalizeArch, manifest, isoWriter, deterministicZip, type ManifestOptions } from "gulp-aero-guest-tools";`,
      `import type { Transform } from "node:stream";`,
      `const options: ManifestOptions = { packageVersion: "1", signingPolicy: "test" };`,
      `const stages: Transform[] = [normalizeArch(), manifest(options), isoWriter({ volumeId: "X" }), deterministicZip()];`,
      `// @ts-expect-error signingPolicy is a closed set`,
      `manifest({ signingPolicy: "maybe" });`,
      `export default stages;`,
    ].join("\n"));
    writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", types: ["node"] },
      files: ["use.ts"],
    }));
    run(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", path.join(consumer, "tsconfig.json")], consumer);
  });
});
