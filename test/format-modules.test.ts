/**
 * The shared formats (issue 18, item 2) are importable without pulling in a plugin: following
 * every runtime import (type-only imports are erased) from each format module never reaches
 * stream code (node:stream, through2, vinyl, gulplog), plugin-error, or a plugin's index.ts.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { REPO } from "./support/fixtures.js";

/** Folders holding pure formats, each importable on its own. */
const FORMATS = ["iso9660", "packaging-spec", "inf"];

const FORBIDDEN_PACKAGES = new Set(["plugin-error", "vinyl", "through2", "gulplog", "stream", "node:stream", "readable-stream"]);

/** Runtime module specifiers of one TypeScript file (import/export ... from, dynamic import()). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const named = node.importClause?.namedBindings;
      const allTypes =
        node.importClause !== undefined && node.importClause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every file and package reached from `entry`, with the chain that reached it. */
function reach(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of runtimeImports(file)) {
      const chain = [...seen.get(file)!, spec];
      if (!spec.startsWith(".")) {
        if (!seen.has(spec)) seen.set(spec, chain);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts"));
      if (seen.has(target) || !existsSync(target)) continue;
      seen.set(target, chain);
      queue.push(target);
    }
  }
  return seen;
}

const pluginIndexes = new Set(
  readdirSync(path.join(REPO, "plugins"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(REPO, "plugins", d.name, "index.ts")),
);

describe("the shared format modules", () => {
  for (const folder of FORMATS) {
    const dir = path.join(REPO, "plugins", folder);
    it(`plugins/${folder}/ exists and holds its modules`, () => {
      assert.ok(existsSync(dir), `plugins/${folder}/`);
      assert.ok(readdirSync(dir).some((f) => f.endsWith(".ts")));
    });
    for (const name of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ts")) : []) {
      it(`plugins/${folder}/${name} imports no stream code, plugin-error or plugin`, () => {
        const bad = [...reach(path.join(dir, name))]
          .filter(([target]) => FORBIDDEN_PACKAGES.has(target) || (pluginIndexes.has(target) && path.dirname(target) !== dir))
          .map(([, chain]) => chain.map((c) => (path.isAbsolute(c) ? path.relative(REPO, c) : c)).join(" → "));
        assert.deepEqual(bad, []);
      });
    }
  }

  it("the scan sees a plugin's stream imports (it can fail)", () => {
    const reached = reach(path.join(REPO, "plugins/iso-writer/index.ts"));
    assert.ok(reached.has("node:stream") && reached.has("plugin-error"));
  });
});
