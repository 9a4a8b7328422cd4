import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  decodeInfText,
  infAddServiceNames,
  infContentLines,
  infReferencedFiles,
  missingInfReferences,
  parseInf,
  pciBaseHardwareId,
} from "../plugins/inf/index.js";
import { REFERENCE_INFS } from "./support/validate-helpers.js";

const INF = `[Version]\r\nSignature = "$WINDOWS NT$"\r\nCatalogFile = test.cat\r\n\r\n[Strings]\r\nName = "Test"\r\n`;

function utf16le(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}
function utf16be(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

describe("INF text decoding", () => {
  it("reads UTF-8 without a BOM", () => {
    assert.equal(decodeInfText(Buffer.from(INF, "utf8")), INF);
  });

  it("drops a UTF-8 BOM", () => {
    assert.equal(decodeInfText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(INF)])), INF);
  });

  it("reads UTF-16LE after its BOM", () => {
    assert.equal(decodeInfText(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(INF)])), INF);
  });

  it("reads UTF-16BE after its BOM", () => {
    assert.equal(decodeInfText(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(INF)])), INF);
  });

  // Half of an ASCII text's UTF-16 bytes are NUL; CJK characters have none, which lowers the share.
  const mixed = `${INF}; ${"漢字テキスト".repeat(16)}\r\n`.repeat(8);

  it("detects BOM-less UTF-16LE text whose overall NUL share is only 20-30%", () => {
    const bytes = utf16le(mixed);
    const share = bytes.filter((b) => b === 0).length / bytes.length;
    assert.ok(share > 0.2 && share < 0.3, `NUL share ${share}`);
    assert.equal(decodeInfText(bytes), mixed);
  });

  it("detects BOM-less UTF-16BE text whose overall NUL share is only 20-30%", () => {
    assert.equal(decodeInfText(utf16be(mixed)), mixed);
  });

  const tail = `${INF}; ${"漢".repeat(3000)}\r\n`;

  it("detects BOM-less UTF-16LE from its first bytes when a long non-ASCII tail keeps NULs under 20%", () => {
    const bytes = utf16le(tail);
    assert.ok(bytes.filter((b) => b === 0).length / bytes.length < 0.2);
    assert.equal(decodeInfText(bytes), tail);
  });

  it("detects BOM-less UTF-16BE the same way", () => {
    assert.equal(decodeInfText(utf16be(tail)), tail);
  });

  it("settles a tie between the windows by the more plausible decoding", () => {
    // First 128 bytes look UTF-16LE, up to 512 look UTF-16BE, the 2048-byte window looks like neither.
    const bytes = Buffer.concat([utf16le("A".repeat(64)), utf16be("B".repeat(192)), Buffer.alloc(1536, 0x41)]);
    assert.equal(decodeInfText(bytes), Buffer.from(bytes).swap16().toString("utf16le"));
  });

  it("reads files of odd length as UTF-8", () => {
    assert.equal(decodeInfText(Buffer.from("[Version]\n\0x")), "[Version]\n\0x");
  });

  it("replaces bytes that are not UTF-8 (e.g. Windows-1252) with U+FFFD", () => {
    assert.equal(decodeInfText(Buffer.from([0x5b, 0x41, 0xe9, 0x5d])), "[A\uFFFD]");
  });

  it("strips every leading U+FEFF", () => {
    assert.equal(decodeInfText(Buffer.from("\uFEFF\uFEFF[Version]\n")), "[Version]\n");
  });
});

describe("INF line model", () => {
  it("strips comments (even after ';' inside quotes), trims, and drops empty lines", () => {
    assert.deepEqual(infContentLines('  a = 1 ; c\r\n; only\r\n\r\nb = "x;y"\n'), ["a = 1", 'b = "x']);
  });

  it("groups lines by section, ASCII-case-insensitively, appending repeated sections", () => {
    const inf = parseInf("ignored\n[Version]\na=1\n[strings]\nb=2\n[VERSION]\nc=3\n[]\norphan\n");
    assert.deepEqual([...inf.sections.keys()], ["version", "strings"]);
    assert.deepEqual(inf.sections.get("version")!.lines, ["a=1", "c=3"]);
    assert.deepEqual(inf.sections.get("strings")!.lines, ["b=2"]);
  });

  it("reads AddService names: first field, quotes removed, comments ignored", () => {
    const text = 'AddService = "TestSvc" , 0x00000002, Service_Inst ; trailing\n; AddService = Commented\naddservice=other,2,x\n';
    assert.deepEqual(infAddServiceNames(text), ["TestSvc", "other"]);
  });

  it("reduces a hardware ID to its PCI\\VEN_xxxx&DEV_yyyy part", () => {
    assert.equal(pciBaseHardwareId("PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01"), "PCI\\VEN_1AF4&DEV_1042");
    assert.equal(pciBaseHardwareId("pci\\ven_a3a0&dev_0001"), "pci\\ven_a3a0&dev_0001");
    assert.equal(pciBaseHardwareId("USB\\VID_1234"), "USB\\VID_1234");
  });
});

describe("INF referenced files", () => {
  const refs = (text: string) => infReferencedFiles(text).files;

  it("reads CatalogFile keys in [Version], including decorated ones", () => {
    const files = refs("[Version]\nCatalogFile = a.cat\nCatalogFile.NTx86 = b.cat\nCatalogFile.NTamd64 = \"c.CAT\"\n");
    assert.deepEqual([...new Set(files)].sort(), ["a.cat", "b.cat", "c.CAT"]);
  });

  it("takes only the first comma field of CatalogFile as the file name", () => {
    assert.deepEqual([...new Set(refs("[Version]\nCatalogFile = a.cat,extra\n"))], ["a.cat"]);
  });

  it("reads the left side of every SourceDisksFiles* section", () => {
    const files = refs("[SourceDisksFiles]\nx.sys = 1\n[SourceDisksFiles.amd64]\n.\\sub\\y.dll = 1,,\n");
    assert.deepEqual(files, ["x.sys", "sub/y.dll"]);
  });

  it("follows CopyFiles to file-list sections (names with dots too) and takes @file and plain names directly", () => {
    const text = [
      "[Install]",
      "CopyFiles = Driver.CopyFiles.NT, @direct.sys, plain.dll, %Strkey%",
      "[Driver.CopyFiles.NT]",
      "listed.sys,,,2",
      "noext",
      "@at.dll",
    ].join("\n");
    assert.deepEqual(refs(text).sort(), ["at.dll", "direct.sys", "listed.sys", "plain.dll"]);
  });

  it("reads CopyINF entries ending in .inf", () => {
    assert.deepEqual(refs("[Install]\nCopyINF = a.inf, @b.inf, c.txt\n"), ["a.inf", "b.inf"]);
  });

  it("follows AddService to its install section's ServiceBinary, keeping the .sys basename", () => {
    const text = "[Svc]\nAddService = TestSvc, 0x00000002, TestSvc_Inst ; comment\n[TestSvc_Inst]\nServiceBinary = \\SystemRoot\\system32\\drivers\\missing.sys\n";
    assert.ok(refs(text).includes("missing.sys"));
  });

  it("reads any ServiceBinary line even without an AddService link", () => {
    assert.deepEqual(refs("[ServiceInstall]\nServiceBinary = %12%\\missing.sys\n"), ["missing.sys"]);
  });

  it("requires every WdfCoInstaller DLL the INF names", () => {
    const r = infReferencedFiles("[Install.CoInstallers]\nCopyFiles = Wdf_CoInstaller_CopyFiles\n[Wdf_CoInstaller_CopyFiles]\nWdfCoInstaller01009.dll\n");
    assert.ok(r.files.includes("WdfCoInstaller01009.dll"));
    assert.equal(r.needsAnyWdfCoInstaller, false);
  });

  it("requires some WdfCoInstaller*.dll when the INF mentions the coinstaller without naming one", () => {
    assert.equal(infReferencedFiles("[Install.Wdf]\nKmdfService = svc, WdfCoInstaller_Sect\n").needsAnyWdfCoInstaller, true);
  });

  it("ignores WdfCoInstaller mentioned only in a comment", () => {
    const r = infReferencedFiles("; ship the matching WdfCoInstaller*.dll\n[Version]\nSignature = x\n");
    assert.deepEqual(r, { files: [], needsAnyWdfCoInstaller: false });
  });

  it("finds what the reference INFs reference", () => {
    const read = (name: string) => [...new Set(infReferencedFiles(readFileSync(path.join(REFERENCE_INFS, name), "utf8")).files.map((f) => f.toLowerCase()))].sort();
    assert.deepEqual(read("aero_virtio_blk.inf"), ["aero_virtio_blk.cat", "aero_virtio_blk.sys"]);
    assert.deepEqual(read("aero_virtio_tablet.inf"), ["aero_virtio_input.sys", "aero_virtio_tablet.cat"]);
    assert.deepEqual(read("aerogpu_dx11.inf"), [
      "aerogpu.sys",
      "aerogpu_d3d10.dll",
      "aerogpu_d3d10_x64.dll",
      "aerogpu_d3d9.dll",
      "aerogpu_d3d9_x64.dll",
      "aerogpu_dx11.cat",
    ]);
  });

  describe("checking them against the packaged files", () => {
    const infs = (text: string) => new Map([["test.inf", text]]);

    it("is satisfied by a file of the same name anywhere, ignoring case", () => {
      const text = "[Version]\nCatalogFile = test.cat\n[SourceDisksFiles]\nTest.DLL = 1\n";
      assert.deepEqual(missingInfReferences(infs(text), ["test.inf", "sub/TEST.CAT", "test.dll"]), []);
    });

    it("lists every miss with the INFs that reference it", () => {
      const all = new Map([
        ["a.inf", "[Version]\nCatalogFile = missing.cat\n[X]\nCopyINF = other.inf\n"],
        ["sub/b.inf", "[Version]\nCatalogFile = Missing.cat\n"],
      ]);
      assert.deepEqual(missingInfReferences(all, ["a.inf", "sub/b.inf"]), [
        { display: "missing.cat", referencedBy: ["a.inf", "sub/b.inf"] },
        { display: "other.inf", referencedBy: ["a.inf"] },
      ]);
    });

    it("reports a needed coinstaller as WdfCoInstaller*.dll, satisfied by any such DLL", () => {
      const text = "[Install.Wdf]\nKmdfService = svc, WdfCoInstaller_Sect\n";
      assert.deepEqual(missingInfReferences(infs(text), ["test.inf"]), [{ display: "WdfCoInstaller*.dll", referencedBy: ["test.inf"] }]);
      assert.deepEqual(missingInfReferences(infs(text), ["test.inf", "WdfCoInstaller01011.dll"]), []);
    });
  });
});
