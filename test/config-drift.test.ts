/**
 * Config drift (README "What is checked → Config drift"): devices.cmd hardware IDs against the spec
 * patterns, transitional virtio IDs under a modern-only spec, an on-disk devices.cmd against the
 * device contract that replaces it.
 */
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { validateGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, copySample, REPO } from "./support/fixtures.js";

type Sample = ReturnType<typeof copySample>;
interface SpecJson { modern_virtio_only?: boolean; drivers: Array<{ name: string; expected_hardware_ids?: string[] }> }

const editSpec = (s: Sample, edit: (spec: SpecJson) => void) => {
  const spec = JSON.parse(readFileSync(s.spec, "utf8")) as SpecJson;
  edit(spec);
  writeFileSync(s.spec, JSON.stringify(spec));
};
const run = (s: Sample) => validateGuestToolsMedia({ driversDir: s.drivers, guestToolsDir: s.guestTools, spec: s.spec, outDir: "unused", cwd: s.root });
async function failure(s: Sample): Promise<string> {
  try {
    await run(s);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("validation passed");
}
const devicesCmd = (s: Sample) => path.join(s.guestTools, "config/devices.cmd");

describe("config drift", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it("the bundled sample passes every drift rule (modern-only spec, with and without its contract)", async () => {
    const s = copySample();
    assert.equal((JSON.parse(readFileSync(s.spec, "utf8")) as SpecJson).modern_virtio_only, true);
    assert.deepEqual((await run(s)).warnings, []);
    mkdirSync(path.join(s.root, "docs"));
    cpSync(path.join(REPO, "drivers-sample/docs/windows-device-contract.json"), path.join(s.root, "docs/windows-device-contract.json"));
    assert.deepEqual((await run(s)).warnings, []);
  });

  it("refuses devices.cmd hardware IDs that the driver's spec patterns do not match", async () => {
    const s = copySample();
    editSpec(s, (spec) => (spec.drivers.find((d) => d.name === "virtio-blk")!.expected_hardware_ids = ["PCI\\\\VEN_1AF4&DEV_1042&REV_01"]));
    const msg = await failure(s);
    assert.match(msg, /config\/devices\.cmd AERO_VIRTIO_BLK_HWIDS declares PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01, PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4, PCI\\VEN_1AF4&DEV_1042 for virtio-blk, which no hardware-ID pattern of the spec's virtio-blk matches/);
    assert.match(msg, /\[devices-cmd-hwid-unmatched\]/);
  });

  it("under modern_virtio_only, refuses transitional IDs in patterns, devices.cmd and INFs, all at once", async () => {
    const s = copySample();
    editSpec(s, (spec) => spec.drivers.find((d) => d.name === "virtio-net")!.expected_hardware_ids!.push("PCI\\\\VEN_1AF4&DEV_1000"));
    appendFileSync(devicesCmd(s), 'set AERO_VIRTIO_LEGACY_HWIDS="PCI\\VEN_1AF4&DEV_1001&REV_00"\r\n');
    const inf = path.join(s.drivers, "x86/virtio-snd/aero_virtio_snd.inf");
    writeFileSync(inf, readFileSync(inf, "utf8").replace("[Strings]", "; PCI\\VEN_1AF4&DEV_1011 in a comment does not count\r\n[Strings]\r\nLegacy = \"PCI\\VEN_1AF4&DEV_1018\""));
    await regenerateCatalogs(s.drivers);
    const msg = await failure(s);
    assert.match(msg, /spec driver virtio-net: hardware-ID pattern PCI\\\\VEN_1AF4&DEV_1000 names the transitional virtio ID DEV_1000/);
    assert.match(msg, /config\/devices\.cmd AERO_VIRTIO_LEGACY_HWIDS lists the transitional virtio ID PCI\\VEN_1AF4&DEV_1001&REV_00/);
    assert.match(msg, /drivers\/x86\/virtio-snd\/aero_virtio_snd\.inf names the transitional virtio ID DEV_1018\b/);
    assert.doesNotMatch(msg, /DEV_1011/);
    assert.match(msg, /use DEV_1041 \(the transitional ID \+ 0x41\)/);
  });

  it("accepts transitional IDs when the spec is not modern-only", async () => {
    const s = copySample();
    editSpec(s, (spec) => (spec.modern_virtio_only = false));
    appendFileSync(devicesCmd(s), 'set AERO_VIRTIO_LEGACY_HWIDS="PCI\\VEN_1AF4&DEV_1001&REV_00"\r\n');
    await run(s);
  });

  it("warns about each difference between an on-disk devices.cmd and the contract that replaces it", async () => {
    const s = copySample();
    mkdirSync(path.join(s.root, "docs"));
    cpSync(path.join(REPO, "drivers-sample/docs/windows-device-contract.json"), path.join(s.root, "docs/windows-device-contract.json"));
    const text = readFileSync(devicesCmd(s), "utf8")
      .replace('set "AERO_VIRTIO_BLK_SERVICE=aero_virtio_blk"', 'set "AERO_VIRTIO_BLK_SERVICE=viostor"')
      .replace(' "PCI\\VEN_1AF4&DEV_1041&REV_01"', "");
    writeFileSync(devicesCmd(s), text);
    const { warnings } = await run(s);
    assert.ok(warnings.includes("the guest-tools dir's config/devices.cmd sets AERO_VIRTIO_BLK_SERVICE=viostor, the contract generates aero_virtio_blk; the generated file is packaged"), warnings.join("\n"));
    assert.ok(warnings.some((w) => /sets AERO_VIRTIO_NET_HWIDS without PCI\\VEN_1AF4&DEV_1041&REV_01 that the contract lists/.test(w)), warnings.join("\n"));
    assert.equal(warnings.length, 2);
  });
});
