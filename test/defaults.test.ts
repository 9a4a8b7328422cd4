/**
 * Each default is written once (issue 18, item 1): the string literals of the media's defaults
 * (volume id, versions, output names) occur in exactly one source file each, and the CLI flags
 * take theirs from the API's constants, so a new default cannot drift between the two.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { parseGuestToolsFlags } from "../tasks/flags.js";
import { DEFAULT_VOLUME_ID } from "../plugins/iso9660/names.js";
import { DEFAULT_MANIFEST_NAME, MANIFEST_DEFAULTS } from "../plugins/manifest/index.js";
import { REPO } from "./support/fixtures.js";

/** The source files of the build (not tests, benches or fuzz targets), relative to the repo. */
function sourceFiles(): string[] {
  return [
    "gulpfile.ts",
    ...["plugins", "tasks"].flatMap((dir) =>
      readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts"))
        .map((e) => path.relative(REPO, path.join(e.parentPath, e.name))),
    ),
  ];
}

/** The string literals of each source file of the build (not tests, benches or fuzz targets). */
function sources(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of sourceFiles()) {
    const literals = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literals.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(f, readFileSync(path.join(REPO, f), "utf8"), ts.ScriptTarget.Latest, true));
    out.set(f, literals);
  }
  return out;
}

/** Every string literal, template piece and identifier of each source file: its code's words, comments left out. */
function codeWords(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of sourceFiles()) {
    const words: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) words.push(node.text);
      else if (ts.isIdentifier(node)) words.push(node.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(f, readFileSync(path.join(REPO, f), "utf8"), ts.ScriptTarget.Latest, true));
    out.set(f, words);
  }
  return out;
}

const DEFAULT_LITERALS = ["AERO_GUEST_TOOLS", "0.0.0", "local", "aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json", "aero-guest-tools.cdx.json", "SHA256SUMS"];

describe("defaults written once", () => {
  const src = sources();

  for (const literal of DEFAULT_LITERALS) {
    it(`"${literal}" is written in one source file`, () => {
      const where = [...src].filter(([, literals]) => literals.has(literal)).map(([f]) => f);
      assert.equal(where.length, 1, `${literal} in ${where.join(", ")}: import the constant instead`);
    });
  }

  it("the guest-tools flags default to the API's constants, written nowhere in tasks/flags.ts", () => {
    const f = parseGuestToolsFlags(["guest-tools"], {});
    assert.equal(f.packageVersion, MANIFEST_DEFAULTS.packageVersion);
    assert.equal(f.buildId, MANIFEST_DEFAULTS.buildId);
    assert.equal(f.signingPolicy, MANIFEST_DEFAULTS.signingPolicy);
    assert.equal(f.volumeId, DEFAULT_VOLUME_ID);
    const flags = src.get(path.join("tasks", "flags.ts"))!;
    for (const literal of ["0.0.0", "local", "AERO_GUEST_TOOLS"]) assert.ok(!flags.has(literal), `tasks/flags.ts writes "${literal}"`);
    assert.equal(DEFAULT_MANIFEST_NAME, "manifest.json");
  });

  // Inside a longer text too (a flag's description, an env lookup): the constant, not a copy.
  const homes: Array<[string, string]> = [
    ["AERO_GUEST_TOOLS_SIGNING_POLICY", path.join("tasks", "flags.ts")],
    ["aero-guest-tools.cdx.json", path.join("plugins", "sbom", "name.ts")],
    ["SHA256SUMS", path.join("plugins", "checksums", "document.ts")],
  ];
  const words = codeWords();
  for (const [text, home] of homes) {
    it(`"${text}" is written in the code of ${home} only, even inside a longer text`, () => {
      const where = [...words].filter(([, ws]) => ws.some((w) => w.includes(text))).map(([f]) => f);
      assert.deepEqual(where, [home], `${text} in ${where.join(", ")}: use the constant of ${home}`);
    });
  }
});
