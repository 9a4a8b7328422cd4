/**
 * End to end: `gulp guest-tools` as a user runs it (a real child process), outputs read back with
 * independent readers (bsdtar for the ISO, unzip and Python's zipfile for the zip).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, copySample, listFiles, run, runGulp, snapshotDir, tempDir } from "./support/fixtures.js";

interface Manifest {
  schema_version: number;
  package: { name: string; version: string; build_id: string; source_date_epoch: number };
  inputs: { packaging_spec: { path: string; sha256: string }; packager: { name: string; packager_version: string } };
  signing_policy: string;
  certs_required: boolean;
  provenance: Record<string, string | null>;
  files: Array<{ path: string; sha256: string; size: number }>;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function build(sample: ReturnType<typeof copySample>, out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runGulp(
    ["guest-tools", "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec, "--out-dir", out, ...extra],
    { cwd: sample.root, env },
  );
}

function mustBuild(sample: ReturnType<typeof copySample>, out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = build(sample, out, extra, env);
  assert.equal(r.status, 0, `gulp failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

function readManifest(out: string): Manifest {
  return JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as Manifest;
}

/** Extract an archive with bsdtar (libarchive reads ISO9660/Joliet and zip) into a fresh dir. */
function extract(archive: string): string {
  const dir = tempDir("aero-extract-");
  run("bsdtar", ["-xf", archive, "-C", dir]);
  return dir;
}

function outputsOf(out: string): Record<string, string> {
  return Object.fromEntries(["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"].map((n) => [n, sha256(readFileSync(path.join(out, n)))]));
}

describe("gulp guest-tools (end to end)", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  let sample: ReturnType<typeof copySample>;
  let out: string;
  before(() => {
    sample = copySample();
    out = path.join(tempDir(), "dist");
    mustBuild(sample, out, ["--package-version", "1.2.3", "--build-id", "ci-42", "--source-date-epoch", "1700000000"]);
  });

  it("writes the ISO, the zip and manifest.json into the out dir", () => {
    assert.deepEqual(readdirSync(out).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
  });

  it("records every manifest field the guest scripts read", () => {
    const m = readManifest(out);
    assert.equal(m.schema_version, 4);
    assert.deepEqual(m.package, { name: "aero-guest-tools", version: "1.2.3", build_id: "ci-42", source_date_epoch: 1700000000 });
    assert.equal(m.signing_policy, "test");
    assert.equal(m.certs_required, true);
    assert.equal(m.inputs.packaging_spec.path, "spec.json");
    assert.match(m.inputs.packaging_spec.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.inputs.packager.name, "gulp-aero-guest-tools");
    assert.equal(m.provenance.packaging_spec_sha256, m.inputs.packaging_spec.sha256);
    const paths = m.files.map((f) => f.path);
    assert.deepEqual(paths, [...paths].sort(), "files sorted by path");
    assert.ok(!paths.includes("manifest.json"), "the manifest does not list itself");
  });

  it("lays the media out as documented, identically in the ISO and the zip", () => {
    const m = readManifest(out);
    const expected = [...m.files.map((f) => f.path), "manifest.json"].sort();
    const fromIso = listFiles(extract(path.join(out, "aero-guest-tools.iso")));
    const fromZip = listFiles(extract(path.join(out, "aero-guest-tools.zip")));
    assert.deepEqual(fromIso, expected);
    assert.deepEqual(fromZip, expected);
    for (const p of ["setup.cmd", "uninstall.cmd", "verify.cmd", "verify.ps1", "README.md", "THIRD_PARTY_NOTICES.md",
      "config/devices.cmd", "certs/aero-test-signing.cer", "certs/README.md", "licenses/LICENSE-aero.txt", "tools/collect-logs.cmd",
      "drivers/README.md", "drivers/x86/virtio-blk/aero_virtio_blk.inf", "drivers/amd64/aerogpu/aerogpu_d3d9_x64.dll"]) {
      assert.ok(expected.includes(p), `${p} on the media`);
    }
  });

  it("lists the SHA-256 and size of the exact bytes on the media", () => {
    const m = readManifest(out);
    const iso = extract(path.join(out, "aero-guest-tools.iso"));
    for (const f of m.files) {
      const bytes = readFileSync(path.join(iso, f.path));
      assert.equal(f.size, bytes.length, f.path);
      assert.equal(f.sha256, sha256(bytes), f.path);
    }
    const inIso = readFileSync(path.join(iso, "manifest.json"));
    assert.ok(inIso.equals(readFileSync(path.join(out, "manifest.json"))), "manifest.json on the media equals the one beside it");
  });

  it("is byte-identical across time zones, touched and chmod-ed inputs, and a renamed arch folder", () => {
    const again = copySample();
    for (const f of listFiles(again.root)) {
      const abs = path.join(again.root, f);
      utimesSync(abs, new Date(2001, 1, 1), new Date(2011, 1, 1));
      chmodSync(abs, 0o600);
    }
    renameSync(path.join(again.drivers, "amd64"), path.join(again.drivers, "x64"));
    const out2 = path.join(tempDir(), "dist");
    mustBuild(again, out2, ["--package-version", "1.2.3", "--build-id", "ci-42", "--source-date-epoch", "1700000000"], { TZ: "Asia/Kolkata", LANG: "tr_TR.UTF-8" });
    assert.deepEqual(outputsOf(out2), outputsOf(out));
  });

  it("passes bytes through untouched: all 256 byte values, a UTF-16LE INF and a UTF-8-with-BOM INF", async () => {
    const s = copySample();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    writeFileSync(path.join(s.drivers, "x86/virtio-blk/all-bytes.bin"), all);
    const netInf = path.join(s.drivers, "amd64/virtio-net/aero_virtio_net.inf");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(netInf, "utf8"), "utf16le")]);
    writeFileSync(netInf, utf16);
    const blkInf = path.join(s.drivers, "amd64/virtio-blk/aero_virtio_blk.inf");
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(blkInf)]);
    writeFileSync(blkInf, bom);
    await regenerateCatalogs(s.drivers); // the catalogs hash the INFs' bytes
    const o = path.join(tempDir(), "dist");
    mustBuild(s, o);
    for (const dir of [extract(path.join(o, "aero-guest-tools.iso")), extract(path.join(o, "aero-guest-tools.zip"))]) {
      assert.ok(readFileSync(path.join(dir, "drivers/x86/virtio-blk/all-bytes.bin")).equals(all));
      assert.ok(readFileSync(path.join(dir, "drivers/amd64/virtio-net/aero_virtio_net.inf")).equals(utf16));
      assert.ok(readFileSync(path.join(dir, "drivers/amd64/virtio-blk/aero_virtio_blk.inf")).equals(bom));
    }
    const unzipped = tempDir();
    run("unzip", ["-q", path.join(o, "aero-guest-tools.zip"), "-d", unzipped]);
    assert.ok(readFileSync(path.join(unzipped, "drivers/x86/virtio-blk/all-bytes.bin")).equals(all));
  });

  it("labels the ISO with --volume-id and dates it from --source-date-epoch", () => {
    const o = path.join(tempDir(), "dist");
    mustBuild(sample, o, ["--volume-id=My Drivers-2", "--source-date-epoch=1700000000"]);
    const info = run("isoinfo", ["-d", "-i", path.join(o, "aero-guest-tools.iso")]);
    assert.match(info, /Volume id: MY DRIVERS_2\s*$/m);
    const pvd = run("xorriso", ["-indev", path.join(o, "aero-guest-tools.iso"), "-pvd_info"]);
    assert.match(pvd, /Creation Time: 2023111422132000/);
  });

  it("takes SOURCE_DATE_EPOCH from the environment when the flag is absent", () => {
    const o = path.join(tempDir(), "dist");
    mustBuild(sample, o, [], { SOURCE_DATE_EPOCH: "1700000000" });
    assert.equal(readManifest(o).package.source_date_epoch, 1700000000);
    const zipinfo = run("/usr/bin/python3", ["-c", "import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).infolist()[0].date_time)", path.join(o, "aero-guest-tools.zip")]);
    assert.equal(zipinfo.trim(), "(2023, 11, 14, 22, 13, 20)");
  });

  it("builds production media without certificates, and refuses certificates under it", async () => {
    const s = copySample();
    await regenerateCatalogs(s.drivers, { signer: "release-signing" }); // production drivers are not test-signed
    const o = path.join(tempDir(), "dist");
    const refused = build(s, o, ["--signing-policy", "production"]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /refusing to package certificate file for signing_policy=production: certs\/aero-test-signing\.cer/);
    assert.equal(existsSync(o), false, "nothing written");
    rmSync(path.join(s.guestTools, "certs/aero-test-signing.cer"));
    mustBuild(s, o, [], { AERO_GUEST_TOOLS_SIGNING_POLICY: "whql" });
    const m = readManifest(o);
    assert.equal(m.signing_policy, "production");
    assert.equal(m.certs_required, false);
    assert.ok(m.files.some((f) => f.path === "certs/README.md"));
    assert.ok(!m.files.some((f) => f.path.endsWith(".cer")));
  });

  it("fails with one clear message, a non-zero exit and the out dir untouched when validation fails", () => {
    const s = copySample();
    const o = path.join(tempDir(), "dist");
    mustBuild(s, o);
    writeFileSync(path.join(o, "unrelated.txt"), "keep me");
    const before = snapshotDir(o);
    rmSync(path.join(s.drivers, "x86/virtio-net/aero_virtio_net.sys"));
    rmSync(path.join(s.guestTools, "uninstall.cmd"));
    const r = build(s, o, ["--package-version", "9.9.9"]);
    const text = r.stdout + r.stderr;
    assert.notEqual(r.status, 0);
    assert.match(text, /virtio-net/);
    assert.match(text, /x86/);
    assert.match(text, /\.sys/);
    assert.match(text, /uninstall\.cmd/);
    assert.doesNotMatch(text, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace for a user mistake");
    assert.deepEqual(snapshotDir(o), before);
  });

  it("rejects an unknown flag and a bad value, listing what is accepted", () => {
    const unknown = runGulp(["guest-tools", "--outdir", "x"]);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stdout + unknown.stderr, /unknown flag --outdir; accepted: .*--out-dir VALUE/);
    const bad = runGulp(["guest-tools", "--source-date-epoch", "soon"]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /--source-date-epoch must be a whole number/);
  });

  it("lists every task with a description and its flags under --tasks", () => {
    const r = runGulp(["--tasks"]);
    assert.equal(r.status, 0, r.stderr);
    for (const t of ["guest-tools", "validate", "default"]) assert.match(r.stdout, new RegExp(`\\b${t}\\b`));
    assert.match(r.stdout, /--drivers-dir VALUE/);
    assert.match(r.stdout, /--signing-policy VALUE/);
  });

  it("builds the bundled sample into dist/ with no flags at all", () => {
    const repoCopy = tempDir("aero-repo-");
    // The default flags are relative to the gulpfile's folder: run from a copy of the repo layout.
    for (const d of ["drivers-sample", "specs"]) cpSync(path.join(process.cwd(), d), path.join(repoCopy, d), { recursive: true });
    mkdirSync(path.join(repoCopy, "dist"));
    const r = runGulp([], { cwd: repoCopy });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(readdirSync(path.join(repoCopy, "dist")).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
  });
});
