import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import * as CDX from "@cyclonedx/cyclonedx-library";
import { BuildCache } from "../plugins/build-cache/index.js";
import { buildGuestToolsMedia, guestToolsPipeline, referenceBuild, resolveMediaSettings } from "../plugins/guest-tools-media/index.js";
import { cleanupTempDirs, copySample, runGulp, snapshotDir, tempDir } from "./support/fixtures.js";

const SUMS = "SHA256SUMS";
const SBOM = "aero-guest-tools.cdx.json";

function sha256sumCheck(dir: string): string {
  const r = spawnSync("sha256sum", ["-c", SUMS], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

describe("release outputs: --checksums, --sbom, --self-check", function () {
  after(cleanupTempDirs);

  it("a real gulp run writes SHA256SUMS that sha256sum -c accepts and a valid CycloneDX SBOM, byte-identical on a rebuild", async () => {
    const sample = copySample();
    const out = path.join(tempDir(), "dist");
    const args = ["guest-tools", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec, "--out-dir", out, "--checksums", "--sbom", "--source-date-epoch", "1700000000"];
    const first = runGulp(args);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.deepEqual([...snapshotDir(out).keys()].sort(), [SUMS, SBOM, "aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"].sort());
    assert.match(sha256sumCheck(out), /^aero-guest-tools\.cdx\.json: OK\naero-guest-tools\.iso: OK\naero-guest-tools\.zip: OK\nmanifest\.json: OK\n$/);
    const sbom = readFileSync(path.join(out, SBOM), "utf8");
    assert.equal(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(sbom), null);
    const doc = JSON.parse(sbom);
    const drivers = doc.components.filter((c: { type: string }) => c.type === "device-driver");
    assert.equal(drivers.length, 10, "5 drivers × 2 arches");
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    const inf = manifest.files.find((f: { path: string }) => f.path === "drivers/x86/virtio-net/aero_virtio_net.inf");
    const net = drivers.find((c: { name: string; properties: { name: string; value: string }[] }) => c.name === "virtio-net" && c.properties.some((p) => p.value === "x86"));
    assert.equal(net.components.find((c: { name: string }) => c.name === inf.path).hashes[0].content, inf.sha256);
    const before = snapshotDir(out);
    const again = runGulp(args);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(snapshotDir(out), before);
  });

  it("a failed build leaves the previous five files as they were", async () => {
    const sample = copySample();
    const out = path.join(tempDir(), "dist");
    const options = { driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out, checksums: true, sbom: true };
    await buildGuestToolsMedia(options);
    const before = snapshotDir(out);
    writeFileSync(path.join(sample.guestTools, "setup.cmd"), "@echo changed\r\n");
    writeFileSync(path.join(sample.guestTools, "certs", "key.pfx"), "private");
    await assert.rejects(buildGuestToolsMedia(options), /key\.pfx/);
    assert.deepEqual(snapshotDir(out), before);
  });

  it("SHA256SUMS stays right when gulp watch's cache updates the images in place", async () => {
    const sample = copySample();
    const out = path.join(tempDir(), "dist");
    const cache = new BuildCache({ racyMs: 0 });
    const options = { driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out, checksums: true, cache };
    await buildGuestToolsMedia(options);
    writeFileSync(path.join(sample.guestTools, "setup.cmd"), `${readFileSync(path.join(sample.guestTools, "setup.cmd"), "latin1")}rem edited\r\n`, "latin1");
    await buildGuestToolsMedia(options);
    assert.equal(cache.stats.outputsUpdated, 2, "the ISO and the zip were updated in place, not rewritten");
    sha256sumCheck(out);
  });

  it("--self-check passes on the sample, and a reference build that differs fails before anything is written", async () => {
    const sample = copySample();
    const out = path.join(tempDir(), "dist");
    const r = runGulp(["guest-tools", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec, "--out-dir", out, "--self-check"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const before = snapshotDir(out);
    // A reference that does not match (another build id) stands for a build that is not deterministic.
    const settings = await resolveMediaSettings({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out, buildId: "other" });
    const check = await referenceBuild((s, o) => guestToolsPipeline({ ...s, buildId: o.beforeCommit && s.outDir !== out ? "reference" : s.buildId }, o), settings);
    await assert.rejects(pipeline(guestToolsPipeline(settings, { write: true, beforeCommit: check }).stages), /not deterministic: aero-guest-tools\.iso, aero-guest-tools\.zip, manifest\.json differ/);
    assert.deepEqual(snapshotDir(out), before);
  });
});
