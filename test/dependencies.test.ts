/**
 * The dependency list is the code's (issue 14, item 7): what the published lib/ imports is in
 * `dependencies`, and `dependencies` holds nothing else but the packages listed in
 * PENDING below. The package ships a LICENSE matching its `license` field.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import ts from "typescript";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";

/**
 * Runtime dependencies lib/ does not import yet, each for a reason. An entry may stay once the
 * code imports it; remove it when the package is dropped.
 */
const PENDING: Record<string, string> = {};

const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
  license: string;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a bare specifier names: "ajv/dist/2020.js" → ajv, "@a/b/c" → @a/b. */
const packageOf = (spec: string) => spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");

/** Bare module specifiers imported, required or referenced by every .js / .d.ts file under dir. */
function importsOf(dir: string, ext: ".js" | ".d.ts"): Map<string, string> {
  const found = new Map<string, string>(); // package → first file
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const isDts = e.name.endsWith(".d.ts");
    if (!e.isFile() || (ext === ".d.ts" ? !isDts : isDts || !e.name.endsWith(".js"))) continue;
    const file = path.join(e.parentPath, e.name);
    const text = readFileSync(file, "utf8");
    const info = ts.preProcessFile(text, true, true);
    // A module loaded on first use through createRequire(import.meta.url)("name") counts too.
    const lazy = [...text.matchAll(/createRequire\([^)]*\)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => ({ fileName: m[1]! }));
    for (const { fileName } of [...info.importedFiles, ...info.typeReferenceDirectives, ...lazy]) {
      if (fileName.startsWith(".") || fileName.startsWith("/") || isBuiltin(fileName)) continue;
      if (!found.has(packageOf(fileName))) found.set(packageOf(fileName), path.relative(dir, file));
    }
  }
  return found;
}

describe("package.json dependencies", function () {
  this.timeout(180_000);
  after(cleanupTempDirs);

  let runtime: Map<string, string>;
  let types: Map<string, string>;
  before(() => {
    // The published lib/, compiled as `npm run build:lib` does, into a scratch dir.
    const out = tempDir("aero-lib-");
    const r = spawnSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    runtime = importsOf(out, ".js");
    types = importsOf(out, ".d.ts");
    assert.ok(runtime.size > 0 && types.size > 0, "found no imports in lib/: the scan is broken");
  });

  it("lists every package the published lib/ imports (its .d.ts files' types too) in dependencies", () => {
    const deps = pkg.dependencies;
    const missing = [...runtime].filter(([p]) => !(p in deps)).map(([p, f]) => `${p} (imported by lib/${f})`);
    // A .d.ts import needs the package's own types or its @types package at the consumer's.
    missing.push(...[...types].filter(([p]) => !(p in deps) && !(`@types/${p}` in deps)).map(([p, f]) => `types of ${p} (lib/${f})`));
    assert.deepEqual(missing, [], "add these to dependencies");
  });

  it("has no other runtime dependency than lib/'s imports and the pending ones", () => {
    const used = new Set([...runtime.keys(), ...[...types.keys()].flatMap((p) => [p, `@types/${p}`])]);
    const unused = Object.keys(pkg.dependencies).filter((d) => !used.has(d) && !(d in PENDING));
    assert.deepEqual(unused, [], "lib/ does not import these: remove them, move them to devDependencies, or list them in PENDING with a reason");
  });

  it("lists no package in both dependencies and devDependencies, and every pending one in dependencies", () => {
    assert.deepEqual(Object.keys(pkg.dependencies).filter((d) => d in pkg.devDependencies), []);
    assert.deepEqual(Object.keys(PENDING).filter((d) => !(d in pkg.dependencies)), []);
  });

  it("ships a LICENSE that matches the license field", () => {
    assert.equal(pkg.license, "MIT");
    assert.ok(pkg.files.includes("LICENSE"), "package.json files lists LICENSE");
    assert.ok(existsSync(path.join(REPO, "LICENSE")), "LICENSE exists");
    const text = readFileSync(path.join(REPO, "LICENSE"), "utf8");
    assert.match(text, /^MIT License\n\nCopyright \(c\) 2026 gulp-aero-guest-tools contributors\n/);
    assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  });
});
