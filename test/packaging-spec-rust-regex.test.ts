import assert from "node:assert/strict";
import fc from "fast-check";
import { compileRustRegex, RustRegexError, rustRegexEscape, translateRustRegex } from "../plugins/packaging-spec/index.js";

const ci = (pattern: string) => compileRustRegex(pattern, { caseInsensitive: true });
const cs = (pattern: string) => compileRustRegex(pattern);

function rejects(pattern: string, reason: RegExp, options = { caseInsensitive: true }): void {
  assert.throws(
    () => compileRustRegex(pattern, options),
    (err: unknown) => {
      assert.ok(err instanceof RustRegexError);
      assert.ok(err.message.includes(JSON.stringify(pattern)), `message should name the pattern: ${err.message}`);
      assert.match(err.message, reason);
      return true;
    },
  );
}

describe("Rust regex patterns", () => {
  describe("constructs the specs use", () => {
    it("matches a JSON-escaped hardware ID pattern (PCI\\\\VEN...) anywhere in a line, ignoring case", () => {
      const re = ci("PCI\\\\VEN_1AF4&DEV_1042");
      assert.ok(re.test("%Desc% = Inst, pci\\ven_1af4&dev_1042&REV_01"));
      assert.ok(!re.test("PCI\\VEN_1AF4&DEV_1041"));
      assert.ok(!re.test("PCIxVEN_1AF4&DEV_1042"));
    });

    it("accepts the escapes regex::escape writes, which a JavaScript u-mode RegExp rejects", () => {
      assert.throws(() => new RegExp("\\&", "u"));
      const re = ci("PCI\\\\VEN_1AF4\\&DEV_1042\\-x\\~y\\#z");
      assert.ok(re.test("pci\\VEN_1AF4&DEV_1042-x~y#z"));
    });

    it("accepts any escaped ASCII punctuation as a literal", () => {
      const re = cs('\\!\\"\\%\\\'\\,\\/\\:\\;\\=\\@\\_\\`');
      assert.ok(re.test("!\"%',/:;=@_`"));
    });

    it("accepts a leading (?i) and matches case-insensitively even without the option", () => {
      const re = cs("(?i)pci\\\\ven_a3a0&dev_0001");
      assert.ok(re.test("PCI\\VEN_A3A0&DEV_0001"));
    });

    it("is case-sensitive without the option or (?i)", () => {
      assert.ok(!cs("abc").test("ABC"));
      assert.ok(cs("abc").test("xabcx"));
    });

    it("accepts a leading (?-i) that turns case-insensitivity off", () => {
      assert.ok(!ci("(?-i)abc").test("ABC"));
    });

    it("accepts (?i) later on when it does not change anything", () => {
      assert.ok(ci("a(?i)b").test("AB"));
      assert.ok(ci("(?i:a)b").test("AB"));
    });

    it("supports classes, ranges, repetition, alternation and groups", () => {
      const re = ci("^(?:sub/)?[a-z0-9_]+\\.(pdb|map){1,2}$");
      assert.ok(re.test("Sub/Foo_1.PDB"));
      assert.ok(re.test("a.mapmap"));
      assert.ok(!re.test("a.mapmapmap"));
      assert.ok(!re.test("x/a.pdb"));
    });

    it("supports named groups in both spellings", () => {
      assert.ok(cs("(?P<x>a)(?<y>b)").test("ab"));
    });

    it("reads hex and Unicode escapes", () => {
      assert.ok(cs("\\x41\\x{42}\\u0043\\u{1F600}\\U00000044").test("ABC😀D"));
    });

    it("supports ASCII classes and literal ']' first in a class", () => {
      assert.ok(cs("^[[:upper:]]+$").test("ABC"));
      assert.ok(!cs("^[[:upper:]]+$").test("ABc"));
      assert.ok(cs("^[]a]+$").test("]a]"));
    });

    it("keeps Rust's meaning of '.': any character but \\n, and all with (?s)", () => {
      assert.ok(cs("a.b").test("a\rb"));
      assert.ok(!cs("a.b").test("a\nb"));
      assert.ok(cs("(?s)a.b").test("a\nb"));
    });

    it("keeps Rust's multi-line anchors: only \\n ends a line", () => {
      assert.ok(cs("(?m)^b$").test("a\nb\nc"));
      assert.ok(!cs("(?m)^b$").test("a\rb\rc"));
      assert.ok(!cs("^b$").test("a\nb\nc"));
    });

    it("keeps Rust's Unicode-aware \\d, \\w, \\s and \\b", () => {
      assert.ok(cs("^\\d$").test("٣")); // ARABIC-INDIC DIGIT THREE
      assert.ok(cs("^\\w+$").test("Äbç"));
      assert.ok(cs("^\\s$").test("\u00a0"));
      assert.ok(cs("\\bé").test(" é"));
      assert.ok(!cs("\\bé").test("aé"));
      assert.ok(cs("\\<ab\\>").test("x ab y"));
      assert.ok(!cs("\\b{start}b").test("ab"));
    });

    it("supports Unicode classes by canonical name", () => {
      assert.ok(cs("^\\p{Greek}+$").test("αβγ"));
      assert.ok(cs("^\\pL\\P{L}$").test("a1"));
      assert.ok(cs("^\\p{sc=Greek}$").test("α"));
    });
  });

  describe("constructs that are refused", () => {
    it("look-around, which Rust refuses too", () => {
      rejects("(?=a)", /look-around/);
      rejects("a(?!b)", /look-around/);
      rejects("(?<=a)b", /look-around/);
      rejects("(?<!a)b", /look-around/);
    });

    it("backreferences", () => rejects("(a)\\1", /backreferences are not supported/));

    it("a flag that changes case sensitivity mid-pattern (JavaScript has no scoped case flag here)", () => {
      rejects("a(?i)b", /only supported at the very start/, { caseInsensitive: false });
      rejects("(?i:a)b", /scoped case flag/, { caseInsensitive: false });
      rejects("a(?-i)b", /only supported at the very start/);
    });

    it("flags other than i, m and s", () => {
      rejects("(?x)a b", /inline flag 'x' is not supported/);
      rejects("(?U)a+", /inline flag 'U' is not supported/);
      rejects("(?-u)\\w", /\(\?-u\)/);
      rejects("(?q)a", /unrecognized inline flag 'q'/);
    });

    it("class set operations and nested classes", () => {
      rejects("[a-z&&[^aeiou]]", /set operations \(&&\)/);
      rejects("[a-z--b]", /set operations \(--\)/);
      rejects("[a~~b]", /set operations \(~~\)/);
      rejects("[a[bc]]", /nested character classes/);
    });

    it("escapes Rust does not know", () => {
      rejects("\\e", /unrecognized escape sequence \\e/);
      rejects("\\Qa\\E", /unrecognized escape sequence \\Q/);
      rejects("é\\é", /unrecognized escape/);
    });

    it("syntax errors: unclosed groups and classes, stray repetition, bad braces", () => {
      rejects("(a", /unclosed group/);
      rejects("a)", /unopened group/);
      rejects("[a", /unclosed character class/);
      rejects("*a", /nothing to repeat/);
      rejects("a{2", /counted repetition/);
      rejects("a{3,2}", /minimum is greater than maximum/);
      rejects("a**", /nothing to repeat/);
      rejects("[z-a]", /start is greater than end/);
    });

    it("Unicode class names JavaScript does not know", () => rejects("\\p{greek}", /not known to JavaScript/));
  });

  describe("rustRegexEscape", () => {
    it("escapes exactly the regex crate's meta characters", () => {
      assert.equal(rustRegexEscape("PCI\\VEN_1AF4&DEV_1042"), "PCI\\\\VEN_1AF4\\&DEV_1042");
      assert.equal(rustRegexEscape("\\.+*?()|[]{}^$#&-~"), "\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$\\#\\&\\-\\~");
      assert.equal(rustRegexEscape("a_b!\"%<>/ é"), "a_b!\"%<>/ é");
    });

    it("produces a pattern that matches exactly the escaped text, for any text", () => {
      fc.assert(
        fc.property(fc.string({ unit: "grapheme-composite", maxLength: 30 }), (text) => {
          const { source, flags } = translateRustRegex(rustRegexEscape(text));
          const whole = new RegExp(`^(?:${source})$`, flags);
          return whole.test(text);
        }),
        { numRuns: 300 },
      );
    });
  });
});
