import assert from "node:assert/strict";
import {
  classifyPath,
  compileAllowlist,
  findCaseCollisions,
  windowsNameProblem,
  windowsPathProblem,
} from "../plugins/payload-policy/index.js";
import { fileExtension, foldCase } from "../plugins/packaging-spec/index.js";

const action = (p: string) => classifyPath(p).action;

describe("payload policy rules", () => {
  describe("extensions", () => {
    it("follow Rust's Path::extension: a leading dot alone is not an extension", () => {
      assert.equal(fileExtension("a.PDB"), "pdb");
      assert.equal(fileExtension(".key"), null);
      assert.equal(fileExtension(".hidden.key"), "key");
      assert.equal(fileExtension("foo."), "");
      assert.equal(fileExtension("noext"), null);
    });
  });

  describe("private keys", () => {
    for (const ext of ["pfx", "p12", "pvk", "snk", "key", "pem", "der", "p8", "pk8", "csr", "jks", "keystore", "ppk"]) {
      it(`refuses .${ext}`, () => {
        const v = classifyPath(`config/secret.${ext.toUpperCase()}`);
        assert.equal(v.action, "refuse");
        assert.match((v as { message: string }).message, /refusing to package private key material in config directory: config\/secret/);
      });
    }

    it("refuses them inside hidden folders and as hidden files with an extension", () => {
      assert.equal(action("drivers/x86/d/.secrets/secret.pem"), "refuse");
      assert.equal(action("tools/.hidden.key"), "refuse");
    });

    it("names the driver directory for driver files", () => {
      const v = classifyPath("drivers/x86/testdrv/test.pfx") as { message: string };
      assert.equal(v.message, "refusing to package private key material in driver directory drivers/x86/testdrv: drivers/x86/testdrv/test.pfx");
    });

    it("keeps certificates and a dotfile named .key (no extension, just hidden)", () => {
      assert.equal(action("certs/test.cer"), "keep");
      assert.equal(action("config/.key"), "skip");
    });
  });

  describe("skipped files", () => {
    it("skips hidden files and folders anywhere, certs/ included", () => {
      for (const p of [".gitignore", "config/.DS_Store", "certs/.old/x.cer", "certs/._x.cer", "drivers/x86/d/.git/config"]) {
        assert.equal(action(p), "skip", p);
      }
    });

    it("skips __MACOSX in any case and Explorer metadata by ASCII-insensitive name", () => {
      for (const p of ["licenses/__MACOSX/junk.txt", "certs/__macosx/x.cer", "config/Thumbs.db", "tools/EHTHUMBS.DB", "certs/Desktop.ini"]) {
        assert.equal(action(p), "skip", p);
      }
    });

    it("skips build artifacts in driver directories and tools/, not elsewhere", () => {
      assert.equal(action("drivers/x86/d/sub/foo.pdb"), "skip");
      assert.equal(action("tools/amd64/foo.PDB"), "skip");
      for (const ext of ["ipdb", "obj", "lib", "exp", "ilk", "tlog", "log", "tmp", "lastbuildstate", "c", "cpp", "h", "vcxproj", "user"]) {
        assert.equal(action(`drivers/amd64/d/x.${ext}`), "skip", ext);
      }
      assert.equal(action("config/build.log"), "keep");
      assert.equal(action("licenses/x.h"), "keep");
      assert.equal(action("drivers/README.md"), "keep");
      assert.equal(action("drivers/x86/d/foo.sys"), "keep");
    });

    it("records why a file was skipped", () => {
      assert.deepEqual(classifyPath("drivers/x86/d/a.pdb"), {
        action: "skip",
        reason: "build artifact (.pdb); re-include with allow_extensions or allow_path_regexes",
      });
      assert.deepEqual(classifyPath("a/.b/c"), { action: "skip", reason: "hidden folder .b" });
    });
  });

  describe("allowlists", () => {
    const allow = compileAllowlist({ allow_extensions: [" ..PDB ", "", "map"], allow_path_regexes: ["^symbols/.*\\.dbg$"] });
    const forD = (dir: string) => (dir === "d" ? allow : undefined);

    it("normalise extensions (dots, case, blanks)", () => {
      assert.deepEqual([...allow.extensions], ["pdb", "map"]);
    });

    it("re-include allowed extensions and driver-relative paths matching a pattern", () => {
      assert.equal(classifyPath("drivers/x86/d/a.pdb", forD).action, "keep");
      assert.equal(classifyPath("drivers/x86/d/SYMBOLS/a.DBG", forD).action, "keep");
      assert.equal(classifyPath("drivers/x86/d/a.dbg", forD).action, "skip");
      assert.equal(classifyPath("drivers/x86/other/a.pdb", forD).action, "skip");
    });

    it("cannot re-include hidden files, metadata or private keys", () => {
      assert.equal(classifyPath("drivers/x86/d/.a.pdb", forD).action, "skip");
      assert.equal(classifyPath("drivers/x86/d/__MACOSX/a.pdb", forD).action, "skip");
      assert.equal(classifyPath("drivers/x86/d/a.pem", () => compileAllowlist({ allow_extensions: ["pem"], allow_path_regexes: [] })).action, "refuse");
    });

    it("do not apply to tools/", () => {
      assert.equal(classifyPath("tools/a.pdb", () => allow).action, "skip");
    });
  });

  describe("Windows names", () => {
    it("refuses reserved device names in any case, with any extension, COM0/LPT0 and superscript digits included", () => {
      for (const name of ["con", "CON.txt", "Prn.log.txt", "aux", "NUL.inf", "com1", "COM9.x", "COM0", "lpt0.txt", "LPT¹", "com³.txt", "CONIN$", "nul .txt"]) {
        assert.match(windowsNameProblem(name) ?? "", /reserved device name/, name);
      }
    });

    it("accepts names that merely start like a device name", () => {
      for (const name of ["console.txt", "com10", "lpt", "auxiliary", "nul_device", "COM¹0"]) {
        assert.equal(windowsNameProblem(name), null, name);
      }
    });

    it("refuses the characters < > : \" / \\ | ? *", () => {
      for (const c of '<>:"/\\|?*') assert.match(windowsNameProblem(`a${c}b`) ?? "", new RegExp(`invalid character '\\${c}'`));
    });

    it("refuses control characters and a trailing dot or space", () => {
      assert.match(windowsNameProblem("a\u0001b") ?? "", /control character U\+0001/);
      assert.match(windowsNameProblem("name.") ?? "", /trailing '.' or space/);
      assert.match(windowsNameProblem("name ") ?? "", /trailing '.' or space/);
    });

    it("names the whole path and the bad component", () => {
      assert.equal(windowsPathProblem("licenses/foo?.txt"), 'package path "licenses/foo?.txt" contains a Windows-invalid component (invalid character \'?\'): "foo?.txt"');
      assert.equal(windowsPathProblem("licenses/ok.txt"), null);
    });

    it("are checked after the skip rules (a hidden bad name is simply skipped)", () => {
      assert.equal(action("config/.x:y"), "skip");
      assert.equal(action("config/con.txt"), "refuse");
    });
  });

  describe("case collisions", () => {
    it("find files that differ only in case", () => {
      assert.deepEqual(findCaseCollisions(["config/Case.txt", "config/case.txt", "config/other.txt"]), [
        { key: "config/case.txt", spellings: ["config/Case.txt", "config/case.txt"] },
      ]);
    });

    it("find directories implied by paths", () => {
      assert.deepEqual(findCaseCollisions(["Drivers/A/one.txt", "drivers/a/two.txt"]), [
        { key: "drivers", spellings: ["Drivers/", "drivers/"] },
        { key: "drivers/a", spellings: ["Drivers/A/", "drivers/a/"] },
      ]);
    });

    it("find a file against a directory of the same name", () => {
      assert.deepEqual(findCaseCollisions(["config/foo", "config/FOO/x"]).map((c) => c.spellings), [["config/FOO/", "config/foo"]]);
    });

    it("fold all of Unicode as Windows does, not only ASCII", () => {
      assert.equal(findCaseCollisions(["config/Ä.txt", "config/ä.txt"]).length, 1);
      assert.equal(findCaseCollisions(["Σ.txt", "σ.txt", "ς.txt"])[0]!.spellings.length, 3);
      assert.equal(foldCase("straße"), "STRAßE", "ß does not expand to SS");
      assert.equal(findCaseCollisions(["strasse", "straße"]).length, 0);
    });

    it("find nothing for distinct names or exact repeats", () => {
      assert.deepEqual(findCaseCollisions(["a/b", "a/c", "a/b"]), []);
    });
  });
});
