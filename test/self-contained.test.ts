/**
 * A fresh clone passes its own tests (issue 14, item 9): nothing the tests, the fuzz seeds or the
 * benchmark read lies outside the checkout, so `git clone` + `npm ci` + `npm test` needs nothing
 * beside the repository.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./support/fixtures.js";

/** Source files of a folder, recursively, relative to the repo. */
function sources(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|cjs|mjs|js|py|sh)$/.test(e.name))
    .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)));
}

describe("the checkout is self-contained", () => {
  const files = ["test", "bench", "fuzz"].flatMap(sources);

  it("finds the sources it scans", () => {
    assert.ok(files.includes("test/self-contained.test.ts") && files.includes("bench/run.ts") && files.includes("fuzz/seeds.ts"), files.join("\n"));
  });

  it("no test, fuzz or bench file reads the reference folder beside the checkout (../shared)", () => {
    // A path literal that climbs out of the repo into a sibling "shared" folder; ../plugins/shared is ours.
    const outside = /["'`](?:\.\.\/)+shared\/|\bshared\/(?:reference|tools)\b/;
    const offenders = files.filter((f) => f !== "test/self-contained.test.ts" && outside.test(readFileSync(path.join(REPO, f), "utf8")));
    assert.deepEqual(offenders, [], "these read outside the checkout; vendor what they need under test/fixtures/reference/");
  });

  it("nothing runs the Python payload generator (bench/payload.ts is ours)", () => {
    const offenders = files.filter((f) => f !== "test/self-contained.test.ts" && /(?:tools\/|["'])make-payload\.py["']/.test(readFileSync(path.join(REPO, f), "utf8")));
    assert.deepEqual(offenders, []);
  });
});
