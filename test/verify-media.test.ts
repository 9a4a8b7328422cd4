import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readIsoTree } from "../plugins/iso-src/index.js";
import { diffMediaFiles } from "../plugins/media-diff/index.js";
import { parseManifestFiles, verifyMedia } from "../plugins/verify-media/index.js";
import { buildSample } from "./support/media.js";
import { cleanupTempDirs, copySample, run, tempDir } from "./support/fixtures.js";

const ISO = "aero-guest-tools.iso";
const ZIP = "aero-guest-tools.zip";

/** A copy of `file` with `edit` applied to its bytes. */
function corrupt(file: string, edit: (b: Buffer) => void): string {
  const bytes = readFileSync(file);
  edit(bytes);
  const out = path.join(tempDir("aero-corrupt-"), path.basename(file));
  writeFileSync(out, bytes);
  return out;
}

function indexOfOnce(hay: Buffer, needle: Buffer, from = 0): number {
  const i = hay.indexOf(needle, from);
  assert.ok(i >= 0, `${needle.toString("latin1")} not found`);
  return i;
}

describe("verifyMedia", function () {
  let out: string;
  let iso: string;
  let zip: string;

  before(async () => {
    const sample = copySample();
    out = tempDir("aero-verify-");
    await buildSample(sample, out);
    iso = path.join(out, ISO);
    zip = path.join(out, ZIP);
  });
  after(cleanupTempDirs);

  it("accepts a fresh build: ISO and zip against the manifest inside them, and against the side-car", async () => {
    const report = await verifyMedia({ iso, zip });
    assert.deepEqual(report.problems, []);
    assert.ok(report.fileCount > 30);
    const sideCar = await verifyMedia({ iso, zip, manifest: path.join(out, "manifest.json") });
    assert.deepEqual(sideCar.problems, []);
  });

  it("accepts media of the Rust tool's layout: xorriso -as mkisofs -J -R and zip -X -r of the same tree", async () => {
    const tree = tempDir("aero-tree-");
    run("unzip", ["-q", zip, "-d", tree]);
    const theirIso = path.join(tempDir(), "xorriso.iso");
    run("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-R", "-o", theirIso, tree]);
    const theirZip = path.join(tempDir(), "info-zip.zip");
    run("zip", ["-X", "-r", "-q", theirZip, "."], tree);
    assert.deepEqual((await verifyMedia({ iso: theirIso, zip: theirZip })).problems, []);
    // ...and notices when that ISO and our zip disagree on one file.
    writeFileSync(path.join(tree, "setup.cmd"), "@echo changed\r\n");
    const changedIso = path.join(tempDir(), "changed.iso");
    run("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-R", "-o", changedIso, tree]);
    const problems = (await verifyMedia({ iso: changedIso, zip })).problems;
    assert.ok(problems.some((p) => /^size mismatch: setup\.cmd is \d+ bytes in the ISO/.test(p)), problems.join("\n"));
    assert.ok(problems.some((p) => /^ISO and zip differ: setup\.cmd/.test(p)), problems.join("\n"));
  });

  it("names a file whose bytes were changed inside the ISO", async () => {
    const tree = await readIsoTree(iso);
    const entry = tree.entries.find((e) => e.path === "setup.cmd")!;
    const bad = corrupt(iso, (b) => {
      b[entry.extents[0]!.offset + 3]! ^= 0x20;
    });
    const { problems } = await verifyMedia({ iso: bad });
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^hash mismatch: setup\.cmd in the ISO .* has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/);
  });

  it("names the files behind a corrupted directory record of the ISO (a Joliet name, a size)", async () => {
    const joliet = Buffer.from("uninstall.cmd", "utf16le").swap16();
    const renamed = corrupt(iso, (b) => {
      const at = indexOfOnce(b, joliet);
      b[at + 1] = "X".charCodeAt(0); // "Xninstall.cmd"
    });
    const problems = (await verifyMedia({ iso: renamed })).problems;
    assert.ok(problems.includes(`missing: uninstall.cmd is in the manifest but not in the ISO ${renamed}`), problems.join("\n"));
    assert.ok(problems.includes(`extra: Xninstall.cmd is in the ISO ${renamed} but not in the manifest`), problems.join("\n"));

    // The data length (both-endian, at record offset 10) of the Joliet record of README.md.
    const name = Buffer.from("README.md", "utf16le").swap16();
    const resized = corrupt(iso, (b) => {
      const rec = indexOfOnce(b, name) - 33;
      const size = b.readUInt32LE(rec + 10);
      b.writeUInt32LE(size - 1, rec + 10);
      b.writeUInt32BE(size - 1, rec + 14);
    });
    const sized = (await verifyMedia({ iso: resized })).problems;
    assert.ok(sized.some((p) => /^size mismatch: README\.md is \d+ bytes in the ISO/.test(p)), sized.join("\n"));
    assert.ok(sized.some((p) => /^primary ISO9660 name \/README\.MD .* maps to no file of the Joliet tree$/.test(p)), sized.join("\n"));
  });

  it("names the entry behind a corrupted central directory of the zip, and corrupted compressed data", async () => {
    const bytes = readFileSync(zip);
    const cd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const renamed = corrupt(zip, (b) => {
      const at = indexOfOnce(b, Buffer.from("setup.cmd"), cd);
      b[at] = "S".charCodeAt(0);
    });
    const problems = (await verifyMedia({ zip: renamed })).problems;
    assert.ok(problems.includes(`missing: setup.cmd is in the manifest but not in the zip ${renamed}`), problems.join("\n"));
    assert.ok(problems.includes(`extra: Setup.cmd is in the zip ${renamed} but not in the manifest`), problems.join("\n"));

    // A flipped CRC-32 in the central directory record of README.md (offset 16 of the record).
    const crc = corrupt(zip, (b) => {
      const rec = indexOfOnce(b, Buffer.from("README.md"), cd) - 46;
      b[rec + 16]! ^= 0xff;
    });
    const crcProblems = (await verifyMedia({ zip: crc })).problems;
    assert.ok(crcProblems.some((p) => /^unreadable: README\.md in .*CRC-32 [0-9a-f]{8} of its bytes differs/.test(p)), crcProblems.join("\n"));
  });

  it("reports a side-car manifest that differs from the embedded one, with what it disagrees on", async () => {
    const doc = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    const entry = doc.files.find((f: { path: string }) => f.path === "setup.cmd");
    entry.sha256 = "0".repeat(64);
    doc.files.push({ path: "gone.txt", sha256: "1".repeat(64), size: 3 });
    const sideCar = path.join(tempDir(), "manifest.json");
    writeFileSync(sideCar, JSON.stringify(doc, null, 2));
    const { problems } = await verifyMedia({ iso, zip, manifest: sideCar });
    assert.ok(problems.includes(`side-car manifest ${sideCar} differs from the manifest.json inside ${iso}`), problems.join("\n"));
    assert.ok(problems.includes(`missing: gone.txt is in the manifest but not in the ISO ${iso}`));
    assert.ok(problems.some((p) => p.startsWith(`hash mismatch: setup.cmd in the zip ${zip}`)));
  });

  it("refuses unsafe manifest paths and an image without a manifest", async () => {
    const doc = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    doc.files.push({ path: "../escape.txt", sha256: "1".repeat(64), size: 3 });
    const sideCar = path.join(tempDir(), "manifest.json");
    writeFileSync(sideCar, JSON.stringify(doc));
    const { problems } = await verifyMedia({ iso, manifest: sideCar });
    assert.ok(problems.some((p) => /unsafe path "\.\.\/escape\.txt"/.test(p)), problems.join("\n"));

    const tree = tempDir("aero-tree-");
    mkdirSync(path.join(tree, "sub"));
    copyFileSync(path.join(out, "manifest.json"), path.join(tree, "sub", "m.json"));
    const bare = path.join(tempDir(), "bare.iso");
    run("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-o", bare, tree]);
    const none = (await verifyMedia({ iso: bare })).problems;
    assert.ok(none.some((p) => p.startsWith("no manifest to verify against")), none.join("\n"));
  });

  it("refuses a FIFO or a device as an image or a side-car manifest instead of blocking on it", async function () {
    this.timeout(10_000);
    const fifo = path.join(tempDir(), "pipe.iso");
    run("mkfifo", [fifo]);
    await assert.rejects(verifyMedia({ iso: fifo }), /pipe\.iso is not a regular file/);
    await assert.rejects(verifyMedia({ zip: "/dev/zero" }), /\/dev\/zero is not a regular file/);
    await assert.rejects(verifyMedia({ iso, manifest: fifo }), /manifest .*pipe\.iso is a FIFO, not a regular file \(--manifest\)/);
    await assert.rejects(diffMediaFiles(fifo, iso), /pipe\.iso is not a regular file/);
  });
});

describe("parseManifestFiles", () => {
  const entry = `{"path": "a.txt", "size": 1, "sha256": "${"0".repeat(64)}"}`;

  it("refuses a manifest that repeats a key, naming where (JSON.parse would keep the last)", () => {
    const text = `{\n  "files": [${entry}],\n  "files": []\n}`;
    assert.deepEqual(parseManifestFiles(Buffer.from(text), "m.json").problems, ["m.json is not valid JSON: duplicate field `files` at line 3 column 3"]);
  });

  it("names the line and column of a syntax error", () => {
    const text = `{\n  "files": [${entry},\n  ]\n}`;
    assert.deepEqual(parseManifestFiles(Buffer.from(text), "m.json").problems, ["m.json is not valid JSON: trailing comma at line 3 column 3"]);
  });
});
