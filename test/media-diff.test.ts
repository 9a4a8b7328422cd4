import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { diffMediaFiles, formatMediaDiff } from "../plugins/media-diff/index.js";
import { infVersionInfo } from "../plugins/inf/version.js";
import { regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, copySample, run, tempDir } from "./support/fixtures.js";

const ISO = "aero-guest-tools.iso";
const ZIP = "aero-guest-tools.zip";
const BLK_INF = "drivers/amd64/virtio-blk/aero_virtio_blk.inf";

describe("diffMedia", function () {
  let before1: string;
  let after1: string;

  before(async () => {
    const sample = copySample();
    before1 = tempDir("aero-diff-a-");
    await buildGuestToolsMedia({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: before1, packageVersion: "1.0.0", buildId: "a" });
    // The next release: a new DriverVer in one INF, a file added, a file removed, a file changed.
    const inf = path.join(sample.drivers, "amd64/virtio-blk/aero_virtio_blk.inf");
    writeFileSync(inf, readFileSync(inf, "latin1").replace(/DriverVer\s*=\s*[^\r\n]+/, "DriverVer   = 02/20/2026,0.2.0.0"), "latin1");
    await regenerateCatalogs(sample.drivers); // a new DriverVer comes with a new catalog
    mkdirSync(path.join(sample.guestTools, "tools"), { recursive: true });
    writeFileSync(path.join(sample.guestTools, "tools/added.cmd"), "@echo added\r\n");
    rmSync(path.join(sample.guestTools, "licenses"), { recursive: true, force: true });
    writeFileSync(path.join(sample.guestTools, "README.md"), "new readme\n");
    after1 = tempDir("aero-diff-b-");
    await buildGuestToolsMedia({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: after1, packageVersion: "1.1.0", buildId: "b" });
  });
  after(cleanupTempDirs);

  it("finds nothing between an ISO, its zip, its manifest and the Rust tool's layout of the same tree", async () => {
    for (const [a, b] of [
      [path.join(before1, ISO), path.join(before1, ZIP)],
      [path.join(before1, ZIP), path.join(before1, "manifest.json")],
    ] as const) {
      const d = await diffMediaFiles(a, b);
      assert.equal(d.equal, true, formatMediaDiff(d));
      assert.equal(formatMediaDiff(d), `no differences between ${a} and ${b}`);
    }
    const tree = tempDir("aero-tree-");
    run("unzip", ["-q", path.join(before1, ZIP), "-d", tree]);
    const theirs = path.join(tempDir(), "xorriso.iso");
    run("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-R", "-o", theirs, tree]);
    const theirZip = path.join(tempDir(), "info-zip.zip");
    run("zip", ["-X", "-r", "-q", theirZip, "."], tree);
    assert.equal((await diffMediaFiles(path.join(before1, ISO), theirs)).equal, true);
    assert.equal((await diffMediaFiles(theirZip, path.join(before1, ISO))).equal, true);
  });

  it("lists added, removed and changed files, DriverVer and package fields between two releases", async () => {
    const d = await diffMediaFiles(path.join(before1, ISO), path.join(after1, ZIP));
    assert.equal(d.equal, false);
    assert.deepEqual(d.added.map((f) => f.path), ["tools/added.cmd"]);
    assert.ok(d.removed.length > 0 && d.removed.every((f) => f.path.startsWith("licenses/")), JSON.stringify(d.removed));
    const changed = d.changed.map((f) => f.path);
    assert.ok(changed.includes("README.md") && changed.includes(BLK_INF), changed.join(", "));
    assert.ok(!changed.includes("manifest.json"));
    const readme = d.changed.find((f) => f.path === "README.md")!;
    assert.equal(readme.toSize, "new readme\n".length);
    assert.deepEqual(d.drivers, [{ inf: "virtio-blk (amd64) aero_virtio_blk.inf", from: "01/10/2026,0.1.0.0", to: "02/20/2026,0.2.0.0" }]);
    assert.deepEqual(
      d.fields.map((f) => [f.field, f.from, f.to]),
      [
        ["package.version", "1.0.0", "1.1.0"],
        ["package.build_id", "a", "b"],
      ],
    );
    const table = formatMediaDiff(d);
    assert.match(table, /^package \(2\)\n {2}package\.version +1\.0\.0 +→ +1\.1\.0$/m);
    assert.match(table, /^ {2}\+ +tools\/added\.cmd +13 B$/m);
    assert.match(table, /^ {2}virtio-blk \(amd64\) aero_virtio_blk\.inf +01\/10\/2026,0\.1\.0\.0 +→ +02\/20\/2026,0\.2\.0\.0$/m);
  });

  it("compares a manifest with an image by the manifest's files and fields, without DriverVer", async () => {
    const d = await diffMediaFiles(path.join(before1, "manifest.json"), path.join(after1, ISO));
    assert.equal(d.equal, false);
    assert.deepEqual(d.drivers, []);
    assert.ok(d.changed.some((f) => f.path === BLK_INF));
  });

  it("reads DriverVer and Provider through [Strings], as Windows does", () => {
    const info = infVersionInfo('[Version]\r\nSignature="$WINDOWS NT$"\r\nProvider=%Mfg% ; who\r\nDriverVer = 09/13/2024, 1.2.3.4\r\n[Strings]\r\nMFG = "Aero Project"\r\n');
    assert.deepEqual(info, { driverVer: "09/13/2024, 1.2.3.4", date: "09/13/2024", version: "1.2.3.4", provider: "Aero Project", className: undefined });
  });
});
