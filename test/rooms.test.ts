/**
 * Small rooms (ARCHITECTURE.md): no source file over 300 lines, no function over 80 lines unless
 * its leading comment says why ("Long because: ..."). Counted with the TypeScript parser, over
 * plugins/, tasks/, bench/ and gulpfile.ts; generated files (*.generated.ts) excepted.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { REPO as REPO_ROOT } from "./support/fixtures.js";

const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
const REASON = /Long because:/;

function sources(): string[] {
  const out: string[] = [path.join(REPO_ROOT, "gulpfile.ts")];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !/\.generated\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
    }
  };
  for (const d of ["plugins", "tasks", "bench"]) walk(path.join(REPO_ROOT, d));
  return out.sort();
}

type FunctionLike = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.ConstructorDeclaration | ts.GetAccessorDeclaration | ts.SetAccessorDeclaration;
const isFunctionLike = (n: ts.Node): n is FunctionLike =>
  ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n);

/** The comments before the function, or before the statement that names it (`const f = () => ...`). */
function leadingComments(text: string, n: ts.Node): string {
  const nodes: ts.Node[] = [n];
  for (let p = n.parent; p && !ts.isSourceFile(p) && !ts.isBlock(p) && !ts.isClassLike(p) && !ts.isObjectLiteralExpression(p); p = p.parent) nodes.push(p);
  return nodes.flatMap((x) => (ts.getLeadingCommentRanges(text, x.getFullStart()) ?? []).map((r) => text.slice(r.pos, r.end))).join("\n");
}

function nameOf(n: FunctionLike): string {
  if (n.name) return n.name.getText();
  const p = n.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText();
  return "(anonymous)";
}

describe("small rooms (ARCHITECTURE.md)", () => {
  const files = sources();

  it("finds the sources it judges", () => {
    assert.ok(files.length > 100, `only ${files.length} files found`);
    assert.ok(files.some((f) => f.endsWith(path.join("plugins", "atomic-dest", "index.ts"))));
  });

  it(`no source file is over ${MAX_FILE_LINES} lines`, () => {
    const over = files
      .map((f) => ({ f: path.relative(REPO_ROOT, f), lines: fs.readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((x) => x.lines > MAX_FILE_LINES)
      .map((x) => `${x.f}: ${x.lines} lines`);
    assert.deepEqual(over, []);
  });

  it(`no function is over ${MAX_FUNCTION_LINES} lines without a reason at its top`, () => {
    const over: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(f, "utf8");
      const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        if (isFunctionLike(n)) {
          const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
          const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
          const lines = end - start + 1;
          if (lines > MAX_FUNCTION_LINES && !REASON.test(leadingComments(text, n))) over.push(`${path.relative(REPO_ROOT, f)}:${start + 1} ${nameOf(n)}: ${lines} lines`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    assert.deepEqual(over, []);
  });
});
