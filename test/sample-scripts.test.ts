/**
 * The bundled guest scripts, read statically (they run on Windows 7, not here): uninstall.cmd removes
 * only the driver packages this media installed, setup.cmd honours manifest.signing_policy, and
 * verify.ps1 uses nothing newer than PowerShell 2.0 (stock Windows 7).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { SAMPLE_GUEST_TOOLS } from "./support/fixtures.js";

const read = (name: string) => readFileSync(path.join(SAMPLE_GUEST_TOOLS, name), "utf8");
/** Script lines without comments (`rem`, `::` in cmd; `#` in PowerShell). */
const cmdCode = (text: string) => text.split(/\r?\n/).filter((l) => !/^\s*(rem\b|::|@?echo off)/i.test(l));
const psCode = (text: string) => text.split(/\r?\n/).map((l) => l.replace(/(^|\s)#.*$/, "")).filter((l) => l.trim() !== "");

describe("sample guest scripts", () => {
  describe("uninstall.cmd", () => {
    const code = cmdCode(read("uninstall.cmd"));
    it("never enumerates the machine's driver packages to delete them", () => {
      assert.ok(!code.some((l) => /pnputil\s+(-e|\/enum-drivers)/i.test(l)), "pnputil -e lists every third-party package, not ours");
    });
    it("deletes only published names that setup.cmd recorded for an INF of this media", () => {
      const deletes = code.filter((l) => /pnputil\s+(-d|\/delete-driver)/i.test(l));
      assert.ok(deletes.length > 0, "uninstall.cmd removes packages");
      // Each delete sits inside the loop over the record setup.cmd writes, filtered by the media's INF names.
      const text = code.join("\n");
      assert.match(text, /installed-drivers\.txt/i);
      assert.match(text, /for \/r "%MEDIA%drivers[^"]*" %%\w in \(\*\.inf\)/i, "the media's own INF names are what is matched");
      assert.match(read("setup.cmd"), /installed-drivers\.txt/i, "setup.cmd records what it staged");
      assert.match(read("setup.cmd"), /Published name/i, "setup.cmd records pnputil's published (oemN.inf) name");
    });
  });

  describe("setup.cmd", () => {
    const code = cmdCode(read("setup.cmd")).join("\n");
    it("reads signing_policy from manifest.json", () => {
      assert.match(code, /findstr [^\n]*signing_policy[^\n]*manifest\.json/);
      assert.match(code, /manifest\.json/);
    });
    it("installs certificates and enables test signing only under the test policy", () => {
      const lines = code.split("\n");
      for (const [i, l] of lines.entries()) {
        if (!/certutil\s+-addstore|bcdedit\s+\/set\s+\{?\w*\}?\s*testsigning/i.test(l)) continue;
        const block = lines.slice(Math.max(0, i - 6), i + 1).join("\n");
        assert.match(block, /POLICY%?"?\s*==\s*"?test|:policy_test/i, `not guarded by the test policy: ${l.trim()}`);
      }
      assert.ok(lines.some((l) => /certutil\s+-addstore/i.test(l)), "certificates are installed under test");
    });
    it("refuses a manifest without a known signing policy", () => {
      assert.match(code, /production/);
      assert.match(code, /none/);
      assert.match(code, /unknown signing_policy/i);
    });
  });

  describe("verify.ps1", () => {
    const code = psCode(read("verify.ps1")).join("\n");
    for (const [what, re] of [
      ["Get-Content -Raw (PowerShell 3.0)", /-Raw\b/i],
      ["ConvertFrom-Json (3.0)", /ConvertFrom-Json/i],
      ["Get-FileHash (4.0)", /Get-FileHash/i],
      ["[ordered] (3.0)", /\[ordered\]/i],
      ["[pscustomobject] (3.0)", /\[pscustomobject\]/i],
      ["-in / -notin (3.0)", /\s-(not)?in\s/i],
      [".ForEach/.Where (4.0)", /\.(ForEach|Where)\s*\(/],
      ["$PSItem (3.0)", /\$PSItem/i],
    ] as const) {
      it(`does not use ${what}`, () => assert.doesNotMatch(code, re));
    }
    it("warns on empty provenance fields", () => {
      assert.match(code, /provenance/);
    });
  });
});
