/**
 * Layout planning. The worked example is aero_packager-behaviors.md §8.10 (its LBAs do not
 * change under the standard ordering for that tree); the orderings are ECMA-119 6.9.1 (path
 * tables) and 9.3 (directory records); sector packing is 6.8.1.1.
 */
import assert from "node:assert/strict";
import {
  IsoLayoutError,
  MAX_EXTENT_BYTES,
  directoryExtentSize,
  fileExtents,
  planLayout,
  type LayoutInput,
} from "../plugins/iso-writer/layout.js";

const GiB = 1024 ** 3;
const files = (...specs: [string, number][]): LayoutInput[] => specs.map(([path, size]) => ({ path, size }));
const isoIds = (layout: ReturnType<typeof planLayout>, dirPath: string) =>
  [...layout.isoDirs.find((d) => d.path === dirPath)!.iso.children].map((c) => c.id.toString("latin1"));

describe("iso-writer layout", () => {
  describe("worked example (a.txt, dir/b.txt)", () => {
    const layout = planLayout(files(["a.txt", 2], ["dir/b.txt", 2]));

    it("sizes the path tables 22 bytes (ISO) and 24 bytes (Joliet)", () => {
      assert.equal(layout.isoPathTable.size, 10 + 12);
      assert.equal(layout.jolietPathTable.size, 10 + 14);
    });

    it("places path tables at 19-22, directories at 23-26 and file data at 27-28", () => {
      assert.deepEqual(
        [layout.isoPathTable.lLba, layout.isoPathTable.mLba, layout.jolietPathTable.lLba, layout.jolietPathTable.mLba],
        [19, 20, 21, 22],
      );
      assert.deepEqual(layout.isoDirs.map((d) => d.iso.lba), [23, 24]);
      assert.deepEqual(layout.jolietDirs.map((d) => d.joliet.lba), [25, 26]);
      assert.deepEqual(layout.files.map((f) => [f.path, f.lba]), [["a.txt", 27], ["dir/b.txt", 28]]);
    });

    it("ends the volume at 29 sectors (59,392 bytes)", () => {
      assert.equal(layout.totalSectors, 29);
      assert.equal(layout.totalSectors * 2048, 59_392);
    });

    it("names the ISO entries DIR, A.TXT;1 and B.TXT;1", () => {
      assert.deepEqual(isoIds(layout, ""), ["A.TXT;1", "DIR"]);
      assert.deepEqual(isoIds(layout, "dir"), ["B.TXT;1"]);
    });
  });

  it("orders the path table by level, then parent number, then identifier", () => {
    const layout = planLayout(files(["b/x/f", 1], ["a/y/f", 1], ["a/z/f", 1], ["c", 1]));
    // A full-path sort would give a, a/y, a/z, b, b/x; level order puts b before a's children.
    assert.deepEqual(layout.isoDirs.map((d) => d.path), ["", "a", "b", "a/y", "a/z", "b/x"]);
    assert.deepEqual(layout.isoDirs.map((d) => d.iso.number), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(layout.isoDirs.map((d) => (d.parent ?? d).iso.number), [1, 1, 1, 2, 2, 3]);
  });

  it("orders each tree by its own identifiers", () => {
    // ISO: "B" < "C"; Joliet: "C" (U+0043) < "b" (U+0062).
    const layout = planLayout(files(["b/f", 1], ["C/f", 1]));
    assert.deepEqual(layout.isoDirs.map((d) => d.path), ["", "b", "C"]);
    assert.deepEqual(layout.jolietDirs.map((d) => d.path), ["", "C", "b"]);
  });

  it("sorts directory records by identifier with files and directories mixed", () => {
    const layout = planLayout(files(["c.txt", 1], ["b/f", 1], ["a.txt", 1]));
    assert.deepEqual(isoIds(layout, ""), ["A.TXT;1", "B", "C.TXT;1"]);
  });

  it("writes file data in package-path order whatever the input order", () => {
    const input = files(["z", 1], ["a/b", 3000], ["m", 0], ["a/a", 2048]);
    const forward = planLayout(input);
    const backward = planLayout([...input].reverse());
    assert.deepEqual(forward.files.map((f) => f.path), ["a/a", "a/b", "m", "z"]);
    assert.deepEqual(backward.files.map((f) => [f.path, f.lba]), forward.files.map((f) => [f.path, f.lba]));
  });

  it("gives an empty file LBA 0 and no sector", () => {
    const layout = planLayout(files(["a", 1], ["b", 0], ["c", 1]));
    const [a, b, c] = layout.files;
    assert.equal(b!.lba, 0);
    assert.deepEqual(b!.extents, [{ lba: 0, length: 0 }]);
    assert.equal(c!.lba, a!.lba + 1);
  });

  it("gives a 2048-byte file exactly one sector and a 2049-byte file two", () => {
    const layout = planLayout(files(["a", 2048], ["b", 2049], ["c", 1]));
    const [a, b, c] = layout.files;
    assert.equal(b!.lba, a!.lba + 1);
    assert.equal(c!.lba, b!.lba + 2);
    assert.equal(layout.totalSectors, c!.lba + 1);
  });

  describe("directory extents", () => {
    it("starts a record that would cross a sector boundary in the next sector", () => {
      // "." and ".." (34 + 34) and 19 records of 100 fill 1,968 bytes; the 20th moves on.
      const lengths = [34, 34, ...new Array<number>(40).fill(100)];
      // sector 0: dots + 19 records; sector 1: 20 records (2,000 bytes); sector 2: the last one.
      assert.equal(directoryExtentSize(lengths), 3 * 2048);
    });

    it("spreads 1,200 files over many sectors", () => {
      const many = Array.from({ length: 1200 }, (_, i) => ({ path: `many/file-${String(i).padStart(4, "0")}.txt`, size: 1 }));
      const layout = planLayout(many);
      const dir = layout.isoDirs.find((d) => d.path === "many")!;
      // "FILE_0000.TXT;1" is 15 bytes → 48-byte records. Sector 0 holds "." and ".." (68 bytes)
      // and 41 records; the other 1,159 go 42 to a sector: 28 more sectors.
      assert.equal(dir.iso.size, (1 + 28) * 2048);
      assert.equal(dir.iso.children.length, 1200);
    });
  });

  describe("files of 4 GiB and more", () => {
    it("keeps a file of 4 GiB - 1 byte in one extent", () => {
      assert.deepEqual(fileExtents(100, 4 * GiB - 1), [{ lba: 100, length: 4 * GiB - 1 }]);
    });

    it("splits a 4 GiB file into a 0xFFFFF800-byte extent and the rest, contiguous", () => {
      assert.deepEqual(fileExtents(100, 4 * GiB), [
        { lba: 100, length: MAX_EXTENT_BYTES },
        { lba: 100 + MAX_EXTENT_BYTES / 2048, length: 2048 },
      ]);
    });

    it("plans one directory record per extent and the sectors of the whole file", () => {
      const layout = planLayout(files(["big.bin", 5 * GiB], ["z.txt", 1]));
      const [big, z] = layout.files;
      assert.equal(big!.extents.length, 2);
      assert.equal(z!.lba, big!.lba + (5 * GiB) / 2048);
      const root = layout.isoDirs[0]!;
      // ".", "..", two records of BIG.BIN;1 and one of Z.TXT;1.
      assert.equal(root.iso.size, 2048);
    });
  });

  describe("refusals", () => {
    const fails = (input: LayoutInput[], ...patterns: RegExp[]) => {
      assert.throws(
        () => planLayout(input),
        (err: unknown) => {
          assert.ok(err instanceof IsoLayoutError);
          for (const p of patterns) assert.match(err.message, p);
          return true;
        },
      );
    };

    it("refuses an empty input set", () => fails([], /empty ISO/));

    it("refuses the same path twice", () => fails(files(["a/b", 1], ["a/b", 2]), /"a\/b": the same path is given twice/));

    it("refuses a path that is both a file and a directory", () => fails(files(["a", 1], ["a/b", 1]), /"a": is a file/));

    it("refuses dot components and leading slashes", () => {
      fails(files(["a/../b", 1]), /not a relative package path/);
      fails(files(["/etc/passwd", 1]), /not a relative package path/);
      fails(files(["a//b", 1]), /not a relative package path/);
    });

    it("refuses a 65-unit Joliet name, naming the path, the rule and the limit", () => {
      const name = "n".repeat(61) + ".txt";
      fails(files([`config/${name}`, 1]), new RegExp(`"config/${name}": invalid Joliet file name`), /65 UTF-16/, /max=64/);
    });

    it("refuses a 65-unit directory name once, naming the directory", () => {
      const dir = "d".repeat(65);
      fails(files([`${dir}/a`, 1], [`${dir}/b`, 1]), new RegExp(`^"${dir}": invalid Joliet directory name`));
    });

    it("refuses a name outside the BMP", () => fails(files(["config/emoji-😀.txt", 1]), /"config\/emoji-😀.txt"/, /U\+1F600/, /UCS-2/));

    it("refuses a path longer than 240 UTF-16 units", () => {
      const path = Array.from({ length: 5 }, () => "p".repeat(48)).join("/") + "/f"; // 5*49 + 1 = 246
      fails(files([path, 1]), /246 UTF-16 code units/, /max=240/);
    });

    it("lists every offending path in one error", () => {
      fails(files(["a:b", 1], ["ok", 1], ["c?d", 1]), /2 paths cannot be written/, /"a:b"/, /"c\?d"/);
    });
  });
});
