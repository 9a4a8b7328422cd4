import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as CDX from "@cyclonedx/cyclonedx-library";
import { buildSbomJson, type SbomInput } from "../plugins/sbom/document.js";
import { REPO } from "./support/fixtures.js";

const blkInf = readFileSync(path.join(REPO, "drivers-sample/drivers/amd64/virtio-blk/aero_virtio_blk.inf"), "latin1");

function input(overrides: Partial<SbomInput> = {}): SbomInput {
  return {
    packageName: "aero-guest-tools",
    packageVersion: "1.4.0",
    buildId: "ci-1",
    sourceDateEpoch: 1700000000n,
    packager: { name: "gulp-aero-guest-tools", version: "0.1.0" },
    files: [
      { path: "drivers/amd64/virtio-blk/aero_virtio_blk.cat", sha256: "c".repeat(64), size: 3 },
      { path: "drivers/amd64/virtio-blk/aero_virtio_blk.inf", sha256: "a".repeat(64), size: blkInf.length },
      { path: "drivers/amd64/virtio-blk/aero_virtio_blk.sys", sha256: "b".repeat(64), size: 2 },
      { path: "setup.cmd", sha256: "d".repeat(64), size: 9 },
    ],
    infTexts: new Map([["drivers/amd64/virtio-blk/aero_virtio_blk.inf", blkInf]]),
    ...overrides,
  };
}

describe("SBOM document", () => {
  it("is valid CycloneDX 1.6 by the library's own schema validator", async () => {
    const json = buildSbomJson(input());
    const problems = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(json);
    assert.equal(problems, null, JSON.stringify(problems));
  });

  it("has one device-driver component per driver and arch with DriverVer, Provider and file hashes", () => {
    const doc = JSON.parse(buildSbomJson(input()));
    assert.equal(doc.specVersion, "1.6");
    assert.equal(doc.metadata.timestamp, "2023-11-14T22:13:20.000Z");
    assert.deepEqual(doc.metadata.tools.components.map((c: { name: string; version: string }) => [c.name, c.version]), [["gulp-aero-guest-tools", "0.1.0"]]);
    const driver = doc.components.find((c: { type: string }) => c.type === "device-driver");
    assert.equal(driver.name, "virtio-blk");
    assert.equal(driver.version, "0.1.0.0");
    assert.equal(driver.supplier.name, "Aero Project"); // Provider = %Aero%, [Strings] Aero = "Aero Project"
    assert.deepEqual(driver.properties.find((p: { name: string }) => p.name === "aero:arch").value, "amd64");
    const files = Object.fromEntries(driver.components.map((c: { name: string; hashes: { content: string }[] }) => [c.name.split("/").pop(), c.hashes[0]!.content]));
    assert.deepEqual(files, { "aero_virtio_blk.cat": "c".repeat(64), "aero_virtio_blk.inf": "a".repeat(64), "aero_virtio_blk.sys": "b".repeat(64) });
    const scripts = doc.components.find((c: { name: string }) => c.name === "aero-guest-tools-scripts");
    assert.deepEqual(scripts.components.map((c: { name: string }) => c.name), ["setup.cmd"]);
  });

  it("is deterministic, with a serial number that follows the content", () => {
    const a = buildSbomJson(input());
    assert.equal(buildSbomJson(input({ files: [...input().files].reverse() })), a);
    const serial = JSON.parse(a).serialNumber;
    assert.match(serial, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(JSON.parse(buildSbomJson(input({ buildId: "ci-2" }))).serialNumber, serial);
  });
});
