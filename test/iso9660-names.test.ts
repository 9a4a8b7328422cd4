/**
 * ISO9660 / Joliet identifiers and their ordering. Expected identifiers follow the d-character
 * rules of ECMA-119 7.4.1 / 7.5-7.6 and the ordering of 9.3; suffixes are recomputed here with
 * node:crypto from the documented rule (first 4 bytes of SHA-256 of the package path).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { IsoLayoutError, planLayout } from "../plugins/iso-writer/layout.js";
import {
  assignIsoIdentifiers,
  checkMediaPaths,
  compareIsoIdentifiers,
  compareJolietNames,
  decodeUcs2,
  encodeUcs2,
  isoFileParts,
  jolietNameProblem,
  normalizeVolumeId,
  toDCharacters,
} from "../plugins/iso9660/names.js";

const suffix = (path: string) => "_" + createHash("sha256").update(path).digest("hex").slice(0, 8).toUpperCase();
const FILE_ID = /^[A-Z0-9_]*\.[A-Z0-9_]*;1$/;
const DIR_ID = /^[A-Z0-9_]{1,31}$/;

describe("iso9660 names", () => {
  describe("d-characters", () => {
    it("uppercases ASCII letters and maps every other character to one underscore", () => {
      assert.equal(toDCharacters("setup-x64 v2"), "SETUP_X64_V2");
      assert.equal(toDCharacters("Ünïcode"), "_N_CODE");
      assert.equal(toDCharacters("日本"), "__");
    });

    it("maps a character outside the BMP to a single underscore", () => {
      assert.equal(toDCharacters("a😀b"), "A_B");
    });

    it("splits a file name at its last dot so the identifier has exactly one separator", () => {
      assert.deepEqual(isoFileParts("archive.tar.gz"), { base: "ARCHIVE_TAR", ext: "GZ" });
      assert.deepEqual(isoFileParts("README"), { base: "README", ext: "" });
      assert.deepEqual(isoFileParts(".gitignore"), { base: "", ext: "GITIGNORE" });
    });
  });

  describe("assignIsoIdentifiers", () => {
    it("gives a file NAME.EXT;1 and a directory its bare name", () => {
      const ids = assignIsoIdentifiers([
        { name: "setup.cmd", path: "setup.cmd", isDirectory: false },
        { name: "README", path: "README", isDirectory: false },
        { name: "drivers", path: "drivers", isDirectory: true },
      ]);
      assert.deepEqual(ids, ["SETUP.CMD;1", "README.;1", "DRIVERS"]);
    });

    it("keeps the plain identifier for the first name in code-point order and suffixes the colliding ones", () => {
      const children = ["readme.txt", "README.txt", "ReadMe.txt"].map((name) => ({ name, path: `docs/${name}`, isDirectory: false }));
      const ids = assignIsoIdentifiers(children);
      // Code-point order: "README.txt" < "ReadMe.txt" < "readme.txt".
      assert.equal(ids[1], "README.TXT;1");
      assert.equal(ids[2], `README${suffix("docs/ReadMe.txt")}.TXT;1`);
      assert.equal(ids[0], `README${suffix("docs/readme.txt")}.TXT;1`);
    });

    it("assigns the same identifiers whatever order the children come in", () => {
      const names = ["b.txt", "B.txt", "a-b.txt", "A_B.txt", "x".repeat(40), "Docs", "docs"];
      const children = names.map((name, i) => ({ name, path: `p/${name}`, isDirectory: i >= 5 }));
      const forward = assignIsoIdentifiers(children);
      const backward = assignIsoIdentifiers([...children].reverse()).reverse();
      assert.deepEqual(backward, forward);
    });

    it("shortens a long file name to 31 characters, keeping its extension", () => {
      const name = "abcdefghijklmnopqrstuvwxyz0123456789ABCD.inf";
      const [id] = assignIsoIdentifiers([{ name, path: `drivers/${name}`, isDirectory: false }]);
      // 31 = 16 name characters + 9 suffix + "." + "INF" + ";1".
      assert.equal(id, `ABCDEFGHIJKLMNOP${suffix(`drivers/${name}`)}.INF;1`);
      assert.equal(id!.length, 31);
    });

    it("shortens a long directory name to 22 characters plus the suffix", () => {
      const name = "a-directory-with-a-very-long-name";
      const [id] = assignIsoIdentifiers([{ name, path: name, isDirectory: true }]);
      assert.equal(id, `A_DIRECTORY_WITH_A_VER${suffix(name)}`);
      assert.equal(id!.length, 31);
    });

    it("re-checks a suffixed identifier and never reuses one a sibling already holds", () => {
      // A sibling literally named like the suffixed form of another one.
      const clash = `A${suffix("d/a.txt")}.txt`;
      const children = [
        { name: "A.txt", path: "d/A.txt", isDirectory: false },
        { name: "a.txt", path: "d/a.txt", isDirectory: false },
        { name: clash, path: `d/${clash}`, isDirectory: false },
      ];
      const ids = assignIsoIdentifiers(children);
      assert.equal(new Set(ids).size, 3);
      assert.equal(ids[0], "A.TXT;1");
      assert.equal(ids[2], clash.toUpperCase() + ";1");
      assert.match(ids[1]!, FILE_ID);
      assert.ok(ids[1]!.length <= 31);
    });

    it("produces only valid, unique identifiers for names that all map to the same d-characters", () => {
      const names = ["é.txt", "è.txt", "ê.txt", "ë.txt", "_.txt", "日.txt", "本.txt"];
      const ids = assignIsoIdentifiers(names.map((name) => ({ name, path: name, isDirectory: false })));
      assert.equal(new Set(ids).size, names.length);
      for (const id of ids) assert.match(id, FILE_ID);
      const dirs = assignIsoIdentifiers(["ä", "ö", "ü"].map((name) => ({ name, path: name, isDirectory: true })));
      assert.equal(new Set(dirs).size, 3);
      for (const id of dirs) assert.match(id, DIR_ID);
    });
  });

  describe("ordering", () => {
    const sorted = (ids: string[], compare: (a: string, b: string) => number) => [...ids].sort(compare);

    it("orders ISO identifiers by space-padded name, then extension, as ECMA-119 9.3 requires", () => {
      // Plain byte order would put "A.B0;1" first (";" is 0x3B, "0" is 0x30); padding the
      // extension "B" with a space puts "A.B;1" first.
      assert.deepEqual(sorted(["A.B0;1", "A.B;1"], compareIsoIdentifiers), ["A.B;1", "A.B0;1"]);
      assert.deepEqual(sorted(["DIR1", "DIR", "A_B.TXT;1", "A.TXT;1"], compareIsoIdentifiers), ["A.TXT;1", "A_B.TXT;1", "DIR", "DIR1"]);
    });

    it("orders higher version numbers first", () => {
      assert.deepEqual(sorted(["A.B;1", "A.B;2"], compareIsoIdentifiers), ["A.B;2", "A.B;1"]);
    });

    it("orders Joliet names by UCS-2 code units with the extension after the last dot", () => {
      // "a" padded with spaces sorts before "a-b" although "-" < "." in plain order.
      assert.deepEqual(sorted(["a-b.txt", "a.txt"], compareJolietNames), ["a.txt", "a-b.txt"]);
      assert.deepEqual(sorted(["b", "B", "é", "日本"], compareJolietNames), ["B", "b", "é", "日本"]);
    });

    it("keeps the Joliet order total for names that differ only by trailing spaces", () => {
      assert.notEqual(compareJolietNames("a", "a "), 0);
      assert.equal(Math.sign(compareJolietNames("a", "a ")), -Math.sign(compareJolietNames("a ", "a")));
    });
  });

  describe("Joliet", () => {
    it("accepts a name of exactly 64 UTF-16 code units", () => {
      assert.equal(jolietNameProblem("x".repeat(60) + ".txt"), undefined);
    });

    it("rejects a name of 65 code units, naming the length and the limit", () => {
      const problem = jolietNameProblem("x".repeat(61) + ".txt");
      assert.match(problem ?? "", /65 UTF-16 code units/);
      assert.match(problem ?? "", /max=64/);
    });

    it("rejects a character outside the BMP, naming it", () => {
      assert.match(jolietNameProblem("emoji-😀.txt") ?? "", /U\+1F600.*UCS-2/);
    });

    it("rejects an unpaired surrogate", () => {
      assert.match(jolietNameProblem("a\ud800b") ?? "", /unpaired surrogate/);
    });

    it("rejects the characters Joliet reserves", () => {
      for (const name of ["a:b", "a;1", "a*b", "a?b", "a\\b", "tab\there"]) {
        assert.ok(jolietNameProblem(name), name);
      }
    });

    it("encodes names as UCS-2 big-endian", () => {
      assert.deepEqual(encodeUcs2("日本a"), Buffer.from("65e5672c0061", "hex"));
      assert.equal(decodeUcs2(Buffer.from("65e5672c0061", "hex")), "日本a");
    });
  });

  describe("checkMediaPaths (the limits the writer and validate share)", () => {
    const nasty = [
      "tools/" + "n".repeat(251),
      Array.from({ length: 6 }, () => "p".repeat(50)).join("/"),
      "tools/smile-\u{1F600}.txt",
      "tools/a;b.txt",
      "licenses/" + "d".repeat(65) + "/x.txt",
      "licenses/" + "d".repeat(65) + "/y.txt",
      "a",
      "a/b",
      "ok/" + "x".repeat(64),
    ];

    it("reports every problem at once, each directory once, in path order", () => {
      const problems = checkMediaPaths(nasty);
      assert.deepEqual(
        problems.map((p) => [p.rule, p.path.slice(0, 24)]),
        [
          ["file-folder-conflict", "a"],
          ["joliet-name", "licenses/" + "d".repeat(15)],
          ["path-too-long", "p".repeat(24)],
          ["joliet-name", "tools/a;b.txt"],
          ["path-too-long", "tools/" + "n".repeat(18)],
          ["joliet-name", "tools/" + "n".repeat(18)],
          ["joliet-name", "tools/smile-\u{1F600}.txt".slice(0, 24)],
        ],
      );
      const at240 = ["a".repeat(60), "b".repeat(60), "c".repeat(60), "d".repeat(57)].join("/");
      assert.equal(at240.length, 240);
      assert.deepEqual(checkMediaPaths(["ok/" + "x".repeat(64), at240]), []);
    });

    it("counts folders (the root included) against the 65,535 a path table can number", () => {
      const inFolders = (n: number) => Array.from({ length: n }, (_, i) => `d${i}/f`);
      assert.deepEqual(checkMediaPaths(inFolders(65_534)), []);
      assert.deepEqual(
        checkMediaPaths(inFolders(65_535)).map((p) => [p.rule, p.message]),
        [["too-many-directories", "65536 directories; an ISO9660 path table can number at most 65535"]],
      );
    });

    it("is exactly what planLayout refuses (the writer runs this check, so they cannot drift)", () => {
      for (const path of nasty) {
        const fromCheck = checkMediaPaths([path, "setup.cmd"]).map((p) => `"${p.path}": ${p.message}`);
        let fromWriter: string[] = [];
        try {
          planLayout([{ path, size: 1 }, { path: "setup.cmd", size: 1 }]);
        } catch (err) {
          assert.ok(err instanceof IsoLayoutError);
          fromWriter = err.problems.map((p) => `"${p.path}": ${p.message}`);
        }
        assert.deepEqual(fromWriter, fromCheck, path);
      }
    });
  });

  describe("normalizeVolumeId", () => {
    it("uppercases and keeps A-Z, 0-9, _ and space, mapping the rest to _", () => {
      assert.equal(normalizeVolumeId("Aero Guest-Tools 1.0"), "AERO GUEST_TOOLS 1_0");
      assert.equal(normalizeVolumeId("café"), "CAF_");
    });

    it("truncates to 32 characters", () => {
      assert.equal(normalizeVolumeId("a".repeat(40)), "A".repeat(32));
    });

    it("falls back to AERO_GUEST_TOOLS when empty", () => {
      assert.equal(normalizeVolumeId(""), "AERO_GUEST_TOOLS");
      assert.equal(normalizeVolumeId(undefined), "AERO_GUEST_TOOLS");
    });
  });
});
