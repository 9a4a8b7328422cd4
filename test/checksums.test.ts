import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Vinyl from "vinyl";
import { atomicDest } from "../plugins/atomic-dest/index.js";
import { sha256Sums, sha256SumsText } from "../plugins/checksums/index.js";
import { cleanupTempDirs, snapshotDir, tempDir } from "./support/fixtures.js";

function file(name: string, contents: Buffer | Readable): Vinyl {
  return new Vinyl({ cwd: "/", base: "/m", path: `/m/${name}`, contents: contents as Buffer });
}

describe("SHA256SUMS", () => {
  after(cleanupTempDirs);

  it("is written by atomicDest from the bytes it wrote, in the coreutils format sha256sum -c accepts", async () => {
    const out = tempDir();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await pipeline(
      Readable.from([file("a.iso", Readable.from([big.subarray(0, 1000), big.subarray(1000)])), file("b.zip", Buffer.from("zip")), file("manifest.json", Buffer.from("{}"))]),
      atomicDest(out, { derived: [sha256Sums()] }),
    );
    const sums = readFileSync(path.join(out, "SHA256SUMS"), "utf8");
    assert.equal(sums.split("\n").length, 4);
    assert.match(sums, /^[0-9a-f]{64} {2}a\.iso\n[0-9a-f]{64} {2}b\.zip\n[0-9a-f]{64} {2}manifest\.json\n$/);
    const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /a\.iso: OK\nb\.zip: OK\nmanifest\.json: OK/);
  });

  it("stays with the outputs it lists: a failed build leaves the previous four files as they were", async () => {
    const out = tempDir();
    await pipeline(Readable.from([file("a.iso", Buffer.from("one")), file("manifest.json", Buffer.from("{}"))]), atomicDest(out, { derived: [sha256Sums()] }));
    const before = snapshotDir(out);
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk went away"));
      },
    });
    await assert.rejects(
      pipeline(Readable.from([file("a.iso", Buffer.from("two")), file("manifest.json", failing)]), atomicDest(out, { derived: [sha256Sums()] })),
      /disk went away/,
    );
    assert.deepEqual(snapshotDir(out), before);
  });

  it("refuses a name sha256sum would have to escape", () => {
    assert.throws(() => sha256SumsText([{ name: "a\nb", sha256: "0".repeat(64) }]), /newline or backslash/);
  });
});
