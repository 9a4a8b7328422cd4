/**
 * test/support/tools.ts: a test that needs a Debian reader that is not installed is skipped with
 * the package to install, unless AERO_REQUIRE_TOOLS=1 (set by .ci/run) makes that a failure; the
 * reporter's last line still counts passed, failed and skipped.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";
import { TOOLS } from "./support/tools.js";

/** Mocha on the fixture spec with a PATH that holds only `tools` (as symlinks), none of xorriso. */
function mochaWithout(env: NodeJS.ProcessEnv, tools: string[] = []) {
  const bin = path.join(tempDir("aero-tools-"), "bin");
  mkdirSync(bin);
  for (const t of tools) symlinkSync(`/usr/bin/${t}`, path.join(bin, t));
  const { AERO_REQUIRE_TOOLS: _, ...rest } = process.env;
  return spawnSync(process.execPath, [path.join(REPO, "node_modules/mocha/bin/mocha.js"), "test/fixtures/tools/needs-xorriso.spec.ts"], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...rest, PATH: bin, NO_COLOR: "1", ...env },
  });
}

const lastLine = (out: string) => out.trim().split("\n").at(-1);

describe("test/support/tools.ts", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("skips a test whose reader is missing and names the Debian package to install", () => {
    const r = mochaWithout({}, ["bsdtar"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /xorriso is not installed: apt-get install xorriso/);
    assert.doesNotMatch(r.stdout, /ran without xorriso/);
    assert.equal(lastLine(r.stdout), "1 passed, 0 failed, 3 skipped");
  });

  it("lists every missing reader's package once at the end", () => {
    const r = mochaWithout({});
    assert.match(r.stdout, /skipped for want of: bsdtar \(libarchive-tools\), xorriso \(xorriso\); install them with: apt-get install libarchive-tools xorriso/);
    assert.equal(lastLine(r.stdout), "1 passed, 0 failed, 3 skipped");
  });

  it("fails instead under AERO_REQUIRE_TOOLS=1, as in CI", () => {
    const r = mochaWithout({ AERO_REQUIRE_TOOLS: "1" });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /xorriso is not installed \(AERO_REQUIRE_TOOLS=1\): apt-get install xorriso/);
    assert.equal(lastLine(r.stdout), "1 passed, 3 failed");
  });

  it(".ci/run installs the package of every reader and sets AERO_REQUIRE_TOOLS=1", () => {
    const ci = readFileSync(path.join(REPO, ".ci/run"), "utf8");
    const installed = new Set(/^packages=\(([^)]*)\)/m.exec(ci)?.[1]?.split(/\s+/));
    if (/apt-get install [^\n]*-t bookworm-backports osslsigncode/.test(ci)) installed.add("osslsigncode");
    for (const [tool, { pkg }] of Object.entries(TOOLS)) assert.ok(installed.has(pkg), `.ci/run does not install ${pkg} (for ${tool})`);
    assert.match(ci, /^export AERO_REQUIRE_TOOLS=1$/m);
  });
});
