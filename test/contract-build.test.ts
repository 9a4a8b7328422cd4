/**
 * Issue 5 end to end: config/devices.cmd generated from a Windows device contract, manifest v4
 * provenance, relocatable builds. Real gulp runs; outputs read back with bsdtar.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, copySample, run, runGulp, REFERENCE, tempDir } from "./support/fixtures.js";

const CONTRACT = path.join(REFERENCE, "contracts/windows-device-contract.json");
const REFERENCE_DEVICES_CMD = path.join(REFERENCE, "contracts/devices.cmd");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

type Sample = ReturnType<typeof copySample>;

/** Build with paths relative to the sample root (the working directory). */
function build(sample: Sample, extra: string[] = [], out = "dist") {
  return runGulp(["guest-tools", "--drivers-dir", "drivers", "--guest-tools-dir", "guest-tools", "--spec", "spec.json", "--out-dir", out, ...extra], { cwd: sample.root });
}

function mustBuild(sample: Sample, extra: string[] = [], out = "dist"): string {
  const r = build(sample, extra, out);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return path.join(sample.root, out);
}

function fromZip(out: string, member: string): Buffer {
  return Buffer.from(run("bsdtar", ["-xOf", path.join(out, "aero-guest-tools.zip"), member]), "utf8");
}

function manifestOf(out: string) {
  return JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
}

describe("device contract and manifest provenance (end to end)", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  it("generates config/devices.cmd from --windows-device-contract, equal to the reference file", () => {
    const s = copySample();
    cpSync(CONTRACT, path.join(s.root, "contract.json"));
    // A stale on-disk devices.cmd must not reach the media.
    writeFileSync(path.join(s.guestTools, "config/devices.cmd"), "@echo off\r\nset \"AERO_EXTRA=1\"\r\n");
    const out = mustBuild(s, ["--windows-device-contract", "contract.json"]);
    const generated = fromZip(out, "config/devices.cmd");
    assert.ok(generated.includes("\r\n"), "CRLF line endings");
    assert.equal(generated.toString("utf8").replace(/\r\n/g, "\n"), readFileSync(REFERENCE_DEVICES_CMD, "utf8").replace(/\r\n/g, "\n"));
  });

  it("records the spec and the contract in manifest v4, with paths relative to the working directory", () => {
    const s = copySample();
    cpSync(CONTRACT, path.join(s.root, "contract.json"));
    const out = mustBuild(s, ["--windows-device-contract", "contract.json"]);
    const m = manifestOf(out);
    assert.equal(m.schema_version, 4);
    const contractJson = JSON.parse(readFileSync(CONTRACT, "utf8"));
    assert.deepEqual(m.inputs.windows_device_contract, {
      path: "contract.json",
      sha256: m.provenance.windows_device_contract_sha256,
      contract_name: contractJson.contract_name,
      contract_version: contractJson.contract_version,
      schema_version: 1,
    });
    assert.match(m.inputs.windows_device_contract.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(m.inputs.packaging_spec, { path: "spec.json", sha256: m.provenance.packaging_spec_sha256 });
    assert.equal(m.provenance.packaging_spec_path, "spec.json");
    assert.equal(m.provenance.windows_device_contract_path, "contract.json");
    assert.equal(typeof m.inputs.packager.packager_version, "string");
  });

  it("records only the basename of an input outside the working directory", () => {
    const s = copySample();
    const elsewhere = path.join(tempDir(), "my-contract.json");
    cpSync(CONTRACT, elsewhere);
    const out = mustBuild(s, ["--windows-device-contract", elsewhere]);
    assert.equal(manifestOf(out).inputs.windows_device_contract.path, "my-contract.json");
  });

  it("finds docs/windows-device-contract.json above the guest-tools dir when the flag is absent", () => {
    const s = copySample();
    mkdirSync(path.join(s.root, "docs"));
    cpSync(CONTRACT, path.join(s.root, "docs/windows-device-contract.json"));
    const out = mustBuild(s);
    assert.equal(manifestOf(out).inputs.windows_device_contract.path, "docs/windows-device-contract.json");
  });

  it("packages the guest-tools dir's own devices.cmd unchanged when there is no contract", () => {
    const s = copySample();
    const onDisk = readFileSync(path.join(s.guestTools, "config/devices.cmd"));
    const out = mustBuild(s);
    assert.ok(fromZip(out, "config/devices.cmd").equals(onDisk));
    const m = manifestOf(out);
    assert.equal(m.inputs.windows_device_contract, undefined);
    assert.equal(m.provenance.windows_device_contract_path, null);
  });

  it("validates against the generated variables, which override the on-disk file", () => {
    const s = copySample();
    cpSync(CONTRACT, path.join(s.root, "contract.json"));
    const devices = path.join(s.guestTools, "config/devices.cmd");
    writeFileSync(devices, readFileSync(devices, "utf8").replace('AERO_VIRTIO_BLK_SERVICE=aero_virtio_blk"', 'AERO_VIRTIO_BLK_SERVICE=not_in_any_inf"'));
    const onDiskOnly = build(s);
    assert.notEqual(onDiskOnly.status, 0, `the on-disk variable alone fails validation:\n${onDiskOnly.stdout}`);
    mustBuild(s, ["--windows-device-contract", "contract.json"]);
    const contract = JSON.parse(readFileSync(CONTRACT, "utf8"));
    contract.devices.find((d: { device: string }) => d.device === "virtio-input").driver_service_name = "vioinput_missing";
    writeFileSync(path.join(s.root, "bad-service.json"), JSON.stringify(contract));
    const r = build(s, ["--windows-device-contract", "bad-service.json"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /virtio-input[\s\S]*vioinput_missing/);
  });

  it("accepts a contract saved with a UTF-8 BOM, hashing it like the same contract without one", () => {
    const s = copySample();
    cpSync(CONTRACT, path.join(s.root, "plain.json"));
    writeFileSync(path.join(s.root, "bom.json"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(CONTRACT)]));
    const plain = manifestOf(mustBuild(s, ["--windows-device-contract", "plain.json"], "o1"));
    const bom = manifestOf(mustBuild(s, ["--windows-device-contract", "bom.json"], "o2"));
    assert.equal(bom.inputs.windows_device_contract.sha256, plain.inputs.windows_device_contract.sha256);
  });

  it("hashes two differently formatted but equal specs the same, and builds the same bytes", () => {
    const s = copySample();
    const spec = JSON.parse(readFileSync(s.spec, "utf8"));
    const o1 = mustBuild(s, [], "o1");
    // Reversed key order, no whitespace: the same JSON value.
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    writeFileSync(s.spec, JSON.stringify(reversed(spec)));
    const o2 = mustBuild(s, [], "o2");
    assert.equal(manifestOf(o2).inputs.packaging_spec.sha256, manifestOf(o1).inputs.packaging_spec.sha256);
    for (const f of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
      assert.equal(sha256(readFileSync(path.join(o2, f))), sha256(readFileSync(path.join(o1, f))), f);
    }
  });

  it("is relocatable: the same inputs built from another directory give the same bytes", () => {
    const s = copySample();
    cpSync(CONTRACT, path.join(s.root, "contract.json"));
    const o1 = mustBuild(s, ["--windows-device-contract", "contract.json"]);
    const moved = path.join(tempDir("aero-moved-"), "deeper", "checkout");
    cpSync(s.root, moved, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
    const r = runGulp(["guest-tools", "--drivers-dir", "drivers", "--guest-tools-dir", "guest-tools", "--spec", "spec.json", "--out-dir", "dist", "--windows-device-contract", "contract.json"], { cwd: moved });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const f of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
      assert.ok(readFileSync(path.join(moved, "dist", f)).equals(readFileSync(path.join(o1, f))), f);
    }
  });

  it("refuses an invalid contract with a clear error and writes nothing", () => {
    const s = copySample();
    const contract = JSON.parse(readFileSync(CONTRACT, "utf8"));
    contract.schema_version = 2;
    writeFileSync(path.join(s.root, "bad.json"), JSON.stringify(contract));
    const r = build(s, ["--windows-device-contract", "bad.json"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /schema_version 2/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
    assert.throws(() => readFileSync(path.join(s.root, "dist/manifest.json")));
  });
});
