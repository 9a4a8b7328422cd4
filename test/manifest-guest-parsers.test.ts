/**
 * The guest scripts' fallback manifest parser (setup.cmd / uninstall.cmd, when PowerShell cannot
 * parse JSON): every line containing `"version":` sets the media version, the last one wins. So the
 * only key named `version` in our manifest must be `package.version`.
 */
import assert from "node:assert/strict";
import { buildManifestJson } from "../plugins/manifest/document.js";

/** setup.cmd's rule: the value of the last line that contains `"version":`. */
export function fallbackMediaVersion(manifestText: string): string | undefined {
  let version: string | undefined;
  for (const line of manifestText.split(/\r?\n/)) {
    if (!line.includes('"version":')) continue;
    const value = line.slice(line.indexOf('"version":') + '"version":'.length).trim().replace(/,$/, "").trim();
    version = value.replace(/^"|"$/g, "");
  }
  return version;
}

describe("manifest.json read by the guest's fallback line parser", () => {
  const full = buildManifestJson({
    packageVersion: "1.4.0",
    buildId: "ci-1234",
    sourceDateEpoch: 1700000000n,
    signingPolicy: "test",
    certsRequired: true,
    packagingSpec: { path: "specs/sample.json", sha256: "a".repeat(64) },
    deviceContract: { path: "docs/c.json", sha256: "b".repeat(64), contract_name: "c", contract_version: "1.0.6", schema_version: 1 },
    packager: { name: "gulp-aero-guest-tools", version: "0.1.0" },
    files: [{ path: "version/version.txt", sha256: "c".repeat(64), size: 1 }],
  });

  it("takes package.version as the media version, with a contract and a packager recorded", () => {
    assert.equal(fallbackMediaVersion(full), "1.4.0");
  });

  it("has no key named version other than package.version, at any depth", () => {
    const found: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) { if (k === "version") found.push(`${at}.${k}`); walk(x, `${at}.${k}`); }
    };
    walk(JSON.parse(full), "");
    assert.deepEqual(found, [".package.version"]);
  });

  it("still records who built the media", () => {
    const m = JSON.parse(full) as { inputs: { packager: { name: string; packager_version: string } } };
    assert.deepEqual(m.inputs.packager, { name: "gulp-aero-guest-tools", packager_version: "0.1.0" });
  });
});
