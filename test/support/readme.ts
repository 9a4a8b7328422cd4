/** Code blocks of the markdown docs, so the tests run what the docs show (and the docs cannot rot). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./fixtures.js";

/** Every fenced block of the given language in a markdown file, in order. */
export function codeBlocks(file: string, lang: string): string[] {
  const text = readFileSync(path.resolve(REPO, file), "utf8");
  return [...text.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map((m) => m[1]!);
}

/** The README's splice example: the first js block of its "Plugins" section. */
export function readmeExample(): string {
  const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Plugins"));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, "the README's Plugins section has a js example");
  return m[1]!;
}
