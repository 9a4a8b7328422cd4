/**
 * shared/json/values.ts and duplicate-keys.ts: plain values as JSON.parse gives them, plus what
 * JSON.parse lets through silently (a duplicate key) or cannot place (a syntax error), checked
 * against the text.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { findDuplicateKeys, jsonSyntaxError, JsonSyntaxError, parseJsonDocument, readJson, readJsonWithDuplicates, type JsonValue } from "../plugins/shared/json/index.js";
import { REPO } from "./support/fixtures.js";

describe("readJson", () => {
  it("gives what JSON.parse gives, for any JSON text without duplicate keys", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 2 }), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        assert.deepStrictEqual(readJson(text), JSON.parse(text));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("keeps a __proto__ key as data, integer-like keys first, and -0 and large numbers as JSON.parse does", () => {
    for (const text of ['{"__proto__": {"x": 1}, "b": 2}', '{"b": 1, "10": 2, "2": 3, "a": 4}', "[-0, 1e300, 12345678901234567890, 0.1]"]) {
      const ours = readJson(text) as object;
      assert.deepStrictEqual(ours, JSON.parse(text), text);
      assert.deepEqual(Object.keys(ours), Object.keys(JSON.parse(text) as object), text);
    }
    assert.equal(Object.getPrototypeOf(readJson('{"__proto__": null}')), Object.prototype);
  });

  it("reads bytes as strict UTF-8 with one BOM ignored", () => {
    assert.deepEqual(readJson(Buffer.from('\ufeff{"é": "ü"}')), { é: "ü" });
    assert.throws(() => readJson(Buffer.from([0x22, 0xff, 0x22])), (e: unknown) => e instanceof JsonSyntaxError && /not valid UTF-8/.test(e.message));
  });

  it("refuses a duplicate key at its second occurrence", () => {
    assert.throws(
      () => readJson('{\n  "files": [],\n  "files": []\n}'),
      (e: unknown) => e instanceof JsonSyntaxError && e.message === "duplicate field `files` at line 3 column 3",
    );
  });

  it("names the line, column and offset of a syntax error", () => {
    const text = '{\n  "a": [1, 2,\n  ]\n}';
    assert.throws(
      () => readJson(text),
      (e: unknown) => e instanceof JsonSyntaxError && e.message === "trailing comma at line 3 column 3" && e.offset === text.indexOf("]"),
    );
  });

  it("points an escape error at the letter after the backslash, where the spec loader always did", () => {
    for (const [text, column] of [['"ab\\x"', 5], ['"\\u12"', 3], ['"\\', 3]] as const) {
      assert.throws(() => readJson(text), (e: unknown) => e instanceof JsonSyntaxError && e.line === 1 && e.column === column, text);
    }
    // JSON.parse takes a lone surrogate escape, so readJson does; the strict tree does not.
    assert.equal(readJson('"\\ud800"'), "\ud800");
    assert.throws(() => parseJsonDocument('"\\ud800"'), (e: unknown) => e instanceof JsonSyntaxError && e.column === 3);
  });
});

describe("readJsonWithDuplicates", () => {
  it("lists every duplicate as a JSON pointer, keys compared unescaped, the last value winning", () => {
    const { value, duplicates } = readJsonWithDuplicates('{"a/b": 1, "a\\/b": 2, "d": [{"~": 0, "\\u007e": 1}], "d": []}');
    assert.deepEqual(value, { "a/b": 2, d: [] });
    assert.deepEqual(
      duplicates.map((d) => [d.pointer, d.key]),
      [
        ["/a~1b", "a/b"],
        ["/d/0/~0", "~"],
        ["/d", "d"],
      ],
    );
  });
});

describe("findDuplicateKeys", () => {
  /** The oracle: the strict parser's located tree, walked for keys seen twice in one object. */
  function treeDuplicates(node: JsonValue, pointer: string, out: Array<[string, string, number, number]>): typeof out {
    if (node.kind === "array") node.items.forEach((item, i) => treeDuplicates(item, `${pointer}/${i}`, out));
    if (node.kind === "object") {
      const seen = new Set<string>();
      for (const e of node.entries) {
        const at = `${pointer}/${e.key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        if (seen.has(e.key)) out.push([at, e.key, e.line, e.column]);
        seen.add(e.key);
        treeDuplicates(e.value, at, out);
      }
    }
    return out;
  }

  it("finds what the strict parser's tree holds, at the same places, in any JSON with repeated keys", () => {
    const key = fc.constantFrom('"a"', '"b"', '"\\u0061"', '"a/b"', '"~"', '"q\\"x"', '"\\\\"');
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("1", "null", '"s\\""', '"\\\\"', '"{[,]}"'),
        fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
        fc.array(fc.tuple(key, tie("value"), fc.constantFrom("", " ", "\n  ")), { maxLength: 5 }).map((es) => `{${es.map(([k, v, ws]) => `${ws}${k}:${ws}${v}`).join(",")}}`),
      ),
    }));
    fc.assert(
      fc.property(value as fc.Arbitrary<string>, (text) => {
        const expected = treeDuplicates(parseJsonDocument(text), "", []);
        const got = findDuplicateKeys(text).map((d) => {
          const before = text.slice(0, d.offset).split("\n");
          return [d.pointer, d.key, before.length, before[before.length - 1]!.length + 1];
        });
        assert.deepEqual(got, expected, text);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

describe("findDuplicateKeys and jsonSyntaxError (packaging-spec's names for the same reader)", () => {
  it("find the duplicates of valid text and the first error of invalid text", () => {
    assert.deepEqual(findDuplicateKeys('{"x": {"k": 1, "k": 2}}').map((d) => d.pointer), ["/x/k"]);
    assert.equal(jsonSyntaxError("[1]"), null);
    assert.deepEqual(jsonSyntaxError("[1,]"), { offset: 3, message: "trailing comma" });
  });
});

describe("the one JSON reader", () => {
  it("is the only place in plugins/, tasks/ and bench/ that calls JSON.parse", () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts") && !p.startsWith(path.join(REPO, "plugins/shared/json/")) && /\bJSON\.parse\s*\(/.test(readFileSync(p, "utf8"))) found.push(path.relative(REPO, p));
      }
    };
    walk(path.join(REPO, "plugins"));
    walk(path.join(REPO, "tasks"));
    walk(path.join(REPO, "bench"));
    assert.deepEqual(found, [], "read JSON through plugins/shared/json/ (readJson, readJsonWithDuplicates, parseJsonDocument)");
  });
});
