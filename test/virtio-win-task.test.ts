/** `gulp guest-tools:virtio-win`: its flags, and the task run as a user runs it (a real gulp process). */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseVirtioWinFlags, VIRTIO_WIN_FLAGS } from "../tasks/virtio-win.js";
import { FlagError } from "../tasks/flags.js";
import { cleanupTempDirs, listFiles, REPO, run, runGulp, SAMPLE_GUEST_TOOLS, tempDir } from "./support/fixtures.js";
import { writeVirtioWinTree, xorrisoImage } from "./fixtures/virtio-win/image.js";

describe("guest-tools:virtio-win flags", () => {
  it("needs --virtio-win-iso and defaults to the full profile, signing policy none and the library's spec and contract", () => {
    const f = parseVirtioWinFlags(["guest-tools:virtio-win", "--virtio-win-iso", "v.iso"], {});
    assert.deepEqual(f, {
      virtioWinIso: "v.iso",
      profile: "full",
      guestToolsDir: "drivers-sample/guest-tools",
      spec: undefined,
      outDir: "dist",
      packageVersion: "0.0.0",
      buildId: "local",
      volumeId: "AERO_GUEST_TOOLS",
      signingPolicy: "none",
      sourceDateEpoch: 0n,
      windowsDeviceContract: undefined,
      checksums: false,
      sbom: false,
      selfCheck: false,
      quiet: false,
    });
    assert.throws(() => parseVirtioWinFlags(["--profile", "full"], {}), (e: Error) => e instanceof FlagError && /--virtio-win-iso FILE is required/.test(e.message));
  });

  it("reads the shared flags as the guest-tools task does, in both spellings", () => {
    const f = parseVirtioWinFlags(
      ["--virtio-win-iso=v.iso", "--profile=minimal", "--guest-tools-dir", "gt", "--spec", "s.json", "--out-dir=o", "--package-version", "2.0",
        "--build-id", "b", "--volume-id", "VW", "--signing-policy", "prod", "--source-date-epoch", "-5", "--windows-device-contract", "c.json", "--quiet"],
      { SOURCE_DATE_EPOCH: "9" },
    );
    assert.equal(f.profile, "minimal");
    assert.equal(f.guestToolsDir, "gt");
    assert.equal(f.spec, "s.json");
    assert.equal(f.outDir, "o");
    assert.equal(f.packageVersion, "2.0");
    assert.equal(f.buildId, "b");
    assert.equal(f.volumeId, "VW");
    assert.equal(f.signingPolicy, "production");
    assert.equal(f.sourceDateEpoch, -5n);
    assert.equal(f.windowsDeviceContract, "c.json");
    assert.equal(f.quiet, true);
  });

  it("takes the signing policy from the flag, then AERO_GUEST_TOOLS_SIGNING_POLICY, then none", () => {
    assert.equal(parseVirtioWinFlags(["--virtio-win-iso", "v"], { AERO_GUEST_TOOLS_SIGNING_POLICY: "testsigning" }).signingPolicy, "test");
    assert.equal(parseVirtioWinFlags(["--virtio-win-iso", "v", "--signing-policy", "none"], { AERO_GUEST_TOOLS_SIGNING_POLICY: "test" }).signingPolicy, "none");
    assert.throws(() => parseVirtioWinFlags(["--virtio-win-iso", "v", "--signing-policy", "lax"], {}), /--signing-policy must be one of/);
  });

  it("rejects a bad profile, --drivers-dir and unknown flags with what is accepted", () => {
    assert.throws(() => parseVirtioWinFlags(["--virtio-win-iso", "v", "--profile", "Full"], {}), /--profile must be full or minimal, got "Full"/);
    assert.throws(() => parseVirtioWinFlags(["--virtio-win-iso", "v", "--drivers-dir=d"], {}), /--drivers-dir does not apply to guest-tools:virtio-win/);
    assert.throws(() => parseVirtioWinFlags(["--virtio-win-iso", "v", "--nope"], {}), /unknown flag --nope; accepted: --virtio-win-iso VALUE, --profile VALUE, /);
    assert.throws(() => parseVirtioWinFlags(["--virtio-win-iso", "v", "--virtio-win-iso", "w"], {}), /given more than once/);
  });

  it("documents every flag it accepts", () => {
    assert.deepEqual(
      VIRTIO_WIN_FLAGS.map((f) => f.name).sort(),
      ["build-id", "checksums", "guest-tools-dir", "out-dir", "package-version", "profile", "quiet", "sbom", "self-check", "signing-policy", "source-date-epoch", "spec", "virtio-win-iso", "volume-id", "windows-device-contract"],
    );
  });
});

describe("gulp guest-tools:virtio-win (end to end)", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  let iso: string;
  before(() => {
    const root = tempDir("virtio-win-task-");
    writeVirtioWinTree(path.join(root, "tree"), { arches: { vioinput: ["amd64"] } });
    iso = xorrisoImage(path.join(root, "tree"), path.join(root, "virtio-win-0.1.999.iso"));
  });

  it("builds the media from the image with the flow's defaults and says what it took and left out", () => {
    const out = path.join(tempDir(), "dist");
    const r = runGulp(["guest-tools:virtio-win", "--virtio-win-iso", iso, "--guest-tools-dir", SAMPLE_GUEST_TOOLS, "--out-dir", out, "--source-date-epoch", "1700000000"]);
    const log = r.stdout + r.stderr;
    assert.equal(r.status, 0, log);
    assert.deepEqual(readdirSync(out).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
    assert.match(log, /virtio-win netkvm: x86 from NetKVM\/w7\/x86\/, amd64 from NetKVM\/w7\/amd64\//);
    assert.match(log, /warning: optional driver vioinput is present for amd64 only/);
    assert.match(log, /left out certs\/aero-test-signing\.cer \(signing_policy=none\)/);
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as { signing_policy: string; inputs: { packaging_spec: { path: string } } };
    assert.equal(manifest.signing_policy, "none");
    assert.equal(manifest.inputs.packaging_spec.path, "specs/win7-virtio-full.json", "recorded relative to the working directory (the repo)");
    const media = tempDir();
    run("bsdtar", ["-xf", path.join(out, "aero-guest-tools.iso"), "-C", media]);
    const files = listFiles(media);
    assert.ok(files.includes("drivers/x86/viosnd/viosnd.inf"));
    assert.ok(!files.some((p) => p.includes("vioinput")));
    const provenance = JSON.parse(readFileSync(path.join(media, "licenses/virtio-win/driver-pack-manifest.json"), "utf8")) as { source: { file_name: string } };
    assert.equal(provenance.source.file_name, "virtio-win-0.1.999.iso");
  });

  it("fails with a clear message and writes nothing when a required driver is missing", () => {
    const root = tempDir("virtio-win-task-");
    writeVirtioWinTree(path.join(root, "tree"), { drivers: ["netkvm"] });
    const broken = xorrisoImage(path.join(root, "tree"), path.join(root, "broken.iso"));
    const out = path.join(tempDir(), "dist");
    const r = runGulp(["guest-tools:virtio-win", "--virtio-win-iso", broken, "--profile", "minimal", "--out-dir", out], { cwd: REPO });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /required driver viostor: no folder viostor at the image root/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, "no stack trace for a user mistake");
    assert.equal(existsSync(out), false);
  });
});
