/**
 * Spec patterns run in linear time (issue 13 item 4): the Rust regex crate never backtracks, so
 * neither may we. Each pathological case asserts the verdict under a mocha timeout of a few
 * seconds: a backtracking engine takes minutes on these inputs and fails the test.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileAllowlist, classifyPath } from "../plugins/payload-policy/rules.js";
import { compileRustRegex, translateRustRegex } from "../plugins/packaging-spec/index.js";
import { loadSpec } from "../plugins/shared/load-spec.js";
import { validateDrivers } from "../plugins/validate-spec/index.js";

const PATHOLOGICAL = [
  { pattern: "^(a+)+$", input: `${"a".repeat(28)}!` },
  { pattern: "(x+x+)+y", input: "x".repeat(28) },
];

const INF_HEAD = '[Version]\nSignature = "$WINDOWS NT$"\nCatalogFile = t.cat\n\n[Manufacturer]\n%M% = Models\n\n[Models]\n';

function driverTree(infText: string) {
  const files = [];
  for (const arch of ["x86", "amd64"]) {
    const dir = `drivers/${arch}/t`;
    files.push({ path: `${dir}/t.inf`, infText }, { path: `${dir}/t.sys` }, { path: `${dir}/t.cat` });
  }
  return files;
}

describe("spec patterns run in linear time", function () {
  this.timeout(3000);

  for (const { pattern, input } of PATHOLOGICAL) {
    it(`${pattern} against ${input.length} characters: no match, in well under a second`, () => {
      assert.equal(compileRustRegex(pattern).test(input), false);
      assert.equal(compileRustRegex(pattern, { caseInsensitive: true }).test(input.toUpperCase()), false);
    });

    it(`${pattern} as an expected hardware ID against an INF line of ${input.length} characters`, () => {
      const spec = loadSpec({ drivers: [{ name: "t", required: true, expected_hardware_ids: [pattern] }] });
      const result = validateDrivers(spec, driverTree(`${INF_HEAD}${input}\n`), new Map());
      assert.equal(result.report.ok, false);
      assert.match(result.report.formatErrors(), /INF files missing expected hardware ID pattern/);
    });

    it(`${pattern} as allow_path_regexes against a file name of ${input.length} characters`, () => {
      const allow = compileAllowlist({ allow_extensions: [], allow_path_regexes: [pattern] });
      const verdict = classifyPath(`drivers/x86/t/${input}.pdb`, () => allow);
      assert.equal(verdict.action, "skip");
    });
  }

  it("a matching hardware ID still passes, and a matching allow_path_regexes still re-includes", () => {
    const spec = loadSpec({ drivers: [{ name: "t", required: true, expected_hardware_ids: ["^%D% = I, PCI\\\\VEN_1AF4\\&DEV_10(4|5)2$"] }] });
    const result = validateDrivers(spec, driverTree(`${INF_HEAD}%D% = I, pci\\ven_1af4&dev_1042\n`), new Map());
    assert.equal(result.report.ok, true, result.report.formatErrors());
    const allow = compileAllowlist({ allow_extensions: [], allow_path_regexes: ["^sym/(a+)+\\.pdb$"] });
    assert.equal(classifyPath("drivers/x86/t/SYM/aaaa.PDB", () => allow).action, "keep");
  });

  it("compiles each pattern once (the same matcher is reused)", () => {
    assert.equal(compileRustRegex("PCI\\\\VEN_1AF4", { caseInsensitive: true }), compileRustRegex("PCI\\\\VEN_1AF4", { caseInsensitive: true }));
    assert.notEqual(compileRustRegex("PCI\\\\VEN_1AF4"), compileRustRegex("PCI\\\\VEN_1AF4", { caseInsensitive: true }));
  });

  it("refuses a pattern over 4096 characters at once, naming the limit, in the schema and in the compiler, even at 50 MB", () => {
    const huge = `PCI${"a".repeat(50 * 1024 * 1024)}`;
    assert.throws(() => compileRustRegex(huge), /invalid regex "PCIa+…": the pattern is longer than 4096 characters, the limit for a spec pattern/);
    assert.throws(
      () => loadSpec({ drivers: [{ name: "t", required: true, expected_hardware_ids: ["a".repeat(4097)] }] }),
      /\/drivers\/0\/expected_hardware_ids\/0: must NOT have more than 4096 characters/,
    );
    assert.throws(
      () => loadSpec({ drivers: [{ name: "t", required: true, allow_path_regexes: [huge] }] }),
      /\/drivers\/0\/allow_path_regexes\/0: must NOT have more than 4096 characters/,
    );
    assert.equal(compileRustRegex("é".repeat(4096)).test("é".repeat(4096)), true);
  });

  it("refuses groups nested deeper than the regex crate's limit (250) with a clear error, not a stack overflow", () => {
    assert.equal(compileRustRegex(`${"(".repeat(250)}a${")".repeat(250)}`).test("a"), true);
    assert.throws(() => compileRustRegex(`${"(".repeat(2000)}a${")".repeat(2000)}`), /groups nested more than 250 deep \(the Rust regex crate's nest limit\)/);
    assert.throws(
      () => loadSpec({ drivers: [{ name: "t", required: true, expected_hardware_ids: [`${"(?:".repeat(300)}${")".repeat(300)}`] }] }),
      /\/drivers\/0\/expected_hardware_ids\/0: cannot compile expected_hardware_ids pattern: .*nested more than 250 deep/,
    );
  });

  it("matches many INF lines quickly (micro-measure, printed)", function () {
    this.timeout(60_000); // a measure, not a timing assertion: the machine is shared
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(`%Dev${i}% = Install, PCI\\VEN_1AF4&DEV_${(0x1000 + (i % 4096)).toString(16).toUpperCase()}&SUBSYS_0000${i % 10}&REV_01`);
    const inf = `${INF_HEAD}${lines.join("\n")}\n`;
    const patterns = Array.from({ length: 20 }, (_, k) => `PCI\\\\VEN_1AF4&DEV_1F${k.toString(16).toUpperCase()}F&REV_02`);
    const spec = loadSpec({ drivers: [{ name: "t", required: true, expected_hardware_ids: patterns }] });
    const start = process.hrtime.bigint();
    const result = validateDrivers(spec, driverTree(inf), new Map());
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    // 20 patterns, none present, on both arches: 20 x 2 x 20,000 lines scanned.
    assert.equal(result.report.errors.filter((e) => e.rule === "expected-hardware-ids").length, 40);
    console.log(`      (20 patterns x 2 arches x 20,000 INF lines: ${ms.toFixed(0)} ms)`);
  });

  it("gives the same verdict as the JavaScript translation on random patterns and inputs", function () {
    this.timeout(60_000);
    const atom = fc.constantFrom("a", "b", "\\&", "\\-", ".", "[ab]", "[^a]", "\\d", "\\w", "\\s", "[[:upper:]]", "\\x{41}", "é", "(?:a|b)", "\\pL", "\\b", "\\B", "\\<", "\\>", "\\b{end-half}", "\\b{start-half}");
    const quant = fc.constantFrom("", "", "*", "+", "?", "{2}", "{1,3}", "*?", "+?");
    const anchor = fc.constantFrom("", "^", "\\A", "(?m)^");
    const tail = fc.constantFrom("", "$", "\\z", "|b");
    const pattern = fc
      .tuple(anchor, fc.array(fc.tuple(atom, quant), { minLength: 1, maxLength: 5 }), tail, fc.boolean())
      .map(([a, parts, t, group]) => {
        const body = parts.map(([x, q]) => x + q).join("");
        return `${a}${group ? `(${body})` : body}${t}`;
      });
    const input = fc.string({ unit: fc.constantFrom("a", "b", "A", "1", "٣", " ", "\u00a0", "é", "É", "&", "-", "\n", "_"), maxLength: 8 });
    let compared = 0;
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 10 }), fc.boolean(), (p, inputs, ci) => {
        let js: RegExp;
        try {
          const { source, flags } = translateRustRegex(p, { caseInsensitive: ci });
          js = new RegExp(source, flags);
        } catch {
          return true; // refused by both (e.g. a quantified assertion)
        }
        let re;
        try {
          re = compileRustRegex(p, { caseInsensitive: ci });
        } catch (err) {
          // The only patterns the JavaScript side takes and the matcher refuses: boundaries needing look-ahead.
          assert.match((err as Error).message, /word boundary (followed by|before an optional)/);
          return true;
        }
        compared++;
        return inputs.every((s) => re.test(s) === js.test(s));
      }),
      { numRuns: 1200 },
    );
    assert.ok(compared > 400, `only ${compared} patterns compared`);
  });
});
