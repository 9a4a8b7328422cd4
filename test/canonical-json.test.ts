import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { canonicalJson, canonicalJsonSha256, JsonSyntaxError, parseJsonDocument } from "../plugins/shared/canonical-json.js";
import { requireTools } from "./support/tools.js";

const PYTHON = "/usr/bin/python3";
const SPECS = path.resolve(import.meta.dirname, "fixtures/reference/specs");
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Independent oracle: Python's json module parses (last duplicate wins) and prints with keys
 * sorted by code point, compact, non-ASCII raw, control characters as lowercase \u00xx.
 * Only used for documents without non-integer numbers (Python prints floats differently).
 */
function pythonCanonical(docs: string[]): string[] {
  requireTools("python3");
  const script = [
    "import json, sys",
    "docs = json.load(sys.stdin)",
    "out = [json.dumps(json.loads(d), sort_keys=True, separators=(',', ':'), ensure_ascii=False) for d in docs]",
    "sys.stdout.write(json.dumps(out))",
  ].join("\n");
  const stdout = execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(docs), encoding: "utf8" });
  return JSON.parse(stdout) as string[];
}

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("canonical JSON", () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "canonical-json-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("gives two differently formatted, equal specs the same hash", () => {
    const original = path.join(SPECS, "win7-aero-guest-tools.json");
    const reformatted = path.join(tmp, "reformatted.json");
    // Re-indent with tabs and reverse every object's key order, with Python (not our code).
    requireTools("python3");
    execFileSync(PYTHON, [
      "-c",
      "import json,sys; d=json.load(open(sys.argv[1]), object_pairs_hook=lambda p: dict(reversed(p))); open(sys.argv[2],'w').write(json.dumps(d, indent='\\t'))",
      original,
      reformatted,
    ]);
    const a = readFileSync(original);
    const b = readFileSync(reformatted);
    assert.notDeepEqual(a, b);
    assert.equal(canonicalJsonSha256(a), canonicalJsonSha256(b));
  });

  it("hashes the UTF-8 bytes of the canonical text, as Python computes it for a real spec", () => {
    for (const name of ["win7-aero-guest-tools.json", "win7-virtio-win.json", "win7-signed.json"]) {
      const text = readFileSync(path.join(SPECS, name), "utf8");
      const [expected] = pythonCanonical([text]);
      assert.equal(canonicalJson(text), expected, name);
      assert.equal(canonicalJsonSha256(Buffer.from(text)), sha256(Buffer.from(expected!, "utf8")), name);
    }
  });

  it("ignores key order and whitespace", () => {
    const a = '{"b": [1, 2, {"y": true, "x": null}], "a": "s"}';
    const b = '\r\n{ "a":"s",\t"b":[1,2,{"x":null,"y":true}] }\n';
    assert.equal(canonicalJson(a), '{"a":"s","b":[1,2,{"x":null,"y":true}]}');
    assert.equal(canonicalJsonSha256(a), canonicalJsonSha256(b));
  });

  it("ignores a leading UTF-8 BOM", () => {
    const bytes = readFileSync(path.join(SPECS, "win7-aero-virtio.json"));
    assert.equal(canonicalJsonSha256(Buffer.concat([BOM, bytes])), canonicalJsonSha256(bytes));
    assert.equal(canonicalJson("\ufeff[1]"), "[1]");
  });

  it("changes the hash when a value changes", () => {
    const bytes = readFileSync(path.join(SPECS, "win7-aero-virtio.json"), "utf8");
    const changed = bytes.replace('"required": true', '"required": false');
    assert.notEqual(changed, bytes);
    assert.notEqual(canonicalJsonSha256(changed), canonicalJsonSha256(bytes));
    assert.notEqual(canonicalJsonSha256('{"a":"x"}'), canonicalJsonSha256('{"a":"y"}'));
  });

  it("sorts keys by code point, not by UTF-16 unit (U+FF21 before U+1F600)", () => {
    const doc = '{"\\ud83d\\ude00": 2, "\\uff21": 1, "z": 0, "": 3}';
    assert.equal(canonicalJson(doc), '{"":3,"z":0,"\uff21":1,"\u{1f600}":2}');
    assert.deepEqual([canonicalJson(doc)], pythonCanonical([doc]));
  });

  it("keeps the last value of a duplicate key", () => {
    assert.equal(canonicalJson('{"a": 1, "b": 2, "a": {"c": 3}}'), '{"a":{"c":3},"b":2}');
  });

  it("keeps integers exactly beyond 2^53, up to u64 and down to i64", () => {
    const ints = ["9007199254740993", "18446744073709551615", "-9223372036854775808", "-1", "0"];
    for (const n of ints) assert.equal(canonicalJson(`[${n}]`), `[${n}]`);
    assert.deepEqual(
      ints.map((n) => canonicalJson(`{"n":${n}}`)),
      pythonCanonical(ints.map((n) => `{"n":${n}}`)),
    );
  });

  it("turns integers outside u64/i64 and -0 into floats, as serde_json does", () => {
    assert.equal(canonicalJson("18446744073709551616"), "1.8446744073709552e19");
    assert.equal(canonicalJson("-9223372036854775809"), "-9.223372036854776e18");
    assert.equal(canonicalJson("-0"), "-0.0");
  });

  it("prints non-integers exactly as ryu prints them (literals from ryu's own test suite)", () => {
    // ryu tests/d2s_test.rs asserts Buffer::format(x) == the literal text of x for these.
    const ryuLiterals = [
      "0.3", "1234000000000000.0", "1.234e16", "2.71828", "1.1e128", "1.1e-64", "2.718281828459045",
      "5e-324", "1.7976931348623157e308", "0.0", "-0.0", "1.0", "-1.0", "2.2250738585072014e-308",
      "2.9802322387695312e-8", "-2.109808898695963e16", "4.940656e-318", "9060801153433600.0",
      "4.708356024711512e18", "1.2345678", "5.764607523034235e39", "1.234567895", "1.2345678901234567",
      "9007199254740992.0", "1000000000000001.0", "1100000000000000.0", "8796093022208000.0",
      "3.196104012172126e-27", "1.8014398509481984e16",
    ];
    for (const literal of ryuLiterals) assert.equal(canonicalJson(literal), literal);
  });

  it("normalizes other spellings of a float to ryu's form", () => {
    const cases: Array<[string, string]> = [
      ["1e2", "100.0"], // an exponent makes it a float
      ["1.50", "1.5"],
      ["1E15", "1000000000000000.0"], // ryu: 0 <= k and kk <= 16 → digits, zeros, ".0"
      ["1e16", "1e16"], // ryu: one digit → "1e30" style
      ["1234e30", "1.234e33"], // ryu's own comment example
      ["1234e-6", "0.001234"], // ryu's own comment example
      ["0.00001", "0.00001"], // -5 < kk
      ["0.000001", "1e-6"],
      ["-1.5e-7", "-1.5e-7"],
      ["1e-400", "0.0"],
    ];
    for (const [input, expected] of cases) assert.equal(canonicalJson(input), expected, input);
  });

  it("re-escapes strings like serde_json: short escapes, lowercase \\u00xx, everything else raw", () => {
    const doc = '["\\u0041\\/\\u00e9\\t\\u001f\\u007f\\u2028\\"\\\\", "\u00e9\u{1f600}"]';
    assert.equal(canonicalJson(doc), '["A/\u00e9\\t\\u001f\u007f\u2028\\"\\\\","\u00e9\u{1f600}"]');
    assert.deepEqual([canonicalJson(doc)], pythonCanonical([doc]));
  });

  it("matches Python's canonical form on random, messily formatted documents", () => {
    const codePoint = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0xe000, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
      fc.integer({ min: 0x80, max: 0xd7ff }),
    );
    const str = fc.array(codePoint, { maxLength: 6 }).map((cps) => String.fromCodePoint(...cps));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        str,
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.array(fc.tuple(str, tie("value")), { maxLength: 5 }).map((entries) => ({ entries })),
      ),
    }));
    const docs = fc.sample(fc.tuple(value, fc.integer()), { numRuns: 300, seed: 42 }).map(([v, seed]) => messy(v as Gen, seed));
    const expected = pythonCanonical(docs);
    docs.forEach((doc, i) => assert.equal(canonicalJson(doc), expected[i], doc));
  });

  it("rejects what serde_json rejects, naming the line and column", () => {
    const bad: Array<[string, RegExp]> = [
      ['{"a": 1,}', /trailing comma at line 1 column 9/],
      ["[1, 2", /EOF while parsing a list/],
      ["01", /invalid number/],
      ["1.", /invalid number/],
      ["-", /invalid number/],
      ["[1e400]", /number out of range at line 1 column 2/],
      ['"a\u0001"', /control character/],
      ['"\\x"', /invalid escape/],
      ['"\\ud800"', /lone leading surrogate/],
      ['"\\udc00"', /lone trailing surrogate/],
      ["{\n  'a': 1\n}", /key must be a string at line 2 column 3/],
      ["[1] [2]", /trailing characters at line 1 column 5/],
      ["// comment\n{}", /expected value at line 1 column 1/],
      ["", /EOF while parsing a value/],
      ["\ufeff\ufeff{}", /expected value/], // only one BOM is skipped
    ];
    for (const [doc, message] of bad) {
      assert.throws(() => canonicalJson(doc), (err: unknown) => err instanceof JsonSyntaxError && message.test(err.message), doc);
    }
    assert.throws(() => canonicalJson(Buffer.from([0x22, 0xff, 0x22])), /not valid UTF-8/);
  });

  it("accepts 127 nested arrays and rejects 128, like serde_json's recursion limit", () => {
    assert.equal(canonicalJson("[".repeat(127) + "]".repeat(127)), "[".repeat(127) + "]".repeat(127));
    assert.throws(() => canonicalJson("[".repeat(128) + "]".repeat(128)), /recursion limit exceeded/);
  });

  it("keeps duplicate keys, their order and positions in the parsed document", () => {
    const doc = parseJsonDocument('{\n  "b": 1,\n  "a": 2,\n  "b": 3.0\n}');
    assert.equal(doc.kind, "object");
    if (doc.kind !== "object") return;
    assert.deepEqual(
      doc.entries.map((e) => [e.key, e.line, e.column, e.value.kind === "number" ? e.value.text : ""]),
      [["b", 2, 3, "1"], ["a", 3, 3, "2"], ["b", 4, 3, "3.0"]],
    );
  });
});

type Gen = null | boolean | string | bigint | Gen[] | { entries: Array<[string, Gen]> };

/** Serialize with random whitespace, random \u escapes and an extra duplicate key before some keys. */
function messy(value: Gen, seed: number): string {
  let state = seed >>> 0 || 1;
  const rand = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const ws = () => [" ", "\n", "\t", "\r\n", "", ""][rand(6)]!;
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (ch === '"' || ch === "\\") out += `\\${ch}`;
      else if (cp < 0x20 || rand(4) === 0) {
        // Astral characters become a \\uD8xx\\uDCxx pair.
        for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`;
      } else out += ch;
    }
    return `${out}"`;
  };
  const write = (v: Gen): string => {
    if (v === null) return "null";
    if (typeof v === "boolean") return String(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "string") return str(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => write(x)).join(`${ws()},${ws()}`)}${ws()}]`;
    const members: string[] = [];
    for (const [k, x] of v.entries) {
      if (rand(5) === 0) members.push(`${str(k)}${ws()}:${ws()}"overridden"`);
      members.push(`${str(k)}${ws()}:${ws()}${write(x)}`);
    }
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  };
  return ws() + write(value) + ws();
}
