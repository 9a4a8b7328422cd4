/**
 * Every image isoWriter makes must be read identically by independent readers: pycdlib (both
 * trees), xorriso, isoinfo, 7-Zip and libarchive (bsdtar), listing and extracting. Needs
 * xorriso, genisoimage, p7zip-full, libarchive-tools and python3-pycdlib (Debian packages).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listIso, readIsoTree, isoSrc } from "../../plugins/iso-src/index.js";
import { isoWriter } from "../../plugins/iso-writer/index.js";
import { contentsOf, runPlugins } from "../support/streams.js";
import type Vinyl from "vinyl";
import {
  assertPrimaryTree,
  assertSame,
  bsdtarExtract,
  bsdtarList,
  bsdtarPaths,
  expected,
  isoinfoPaths,
  isoinfoSizes,
  latin1View,
  pycdlibJoliet,
  pycdlibRead,
  run,
  sevenZipExtract,
  sevenZipList,
  sha256,
  vinylOf,
  writeIso,
  xorrisoList,
  type InputFile,
  type PycdlibResult,
  type Seen,
} from "./iso-support.js";

const text = (p: string, s: string): InputFile => ({ path: p, data: Buffer.from(s, "utf8") });
const bytes = (p: string, n: number, fill?: number): InputFile => ({ path: p, data: fill === undefined ? randomBytes(n) : Buffer.alloc(n, fill) });

const TREES: Record<string, () => InputFile[]> = {
  "nesting deeper than 8 levels": () => {
    const deep = Array.from({ length: 12 }, (_, i) => `level-${String(i + 1).padStart(2, "0")}`);
    return [
      text("top.txt", "top"),
      text(`${deep.slice(0, 3).join("/")}/mid.txt`, "middle"),
      text(`${deep.slice(0, 9).join("/")}/nine.txt`, "nine"),
      text(`${deep.join("/")}/deep.txt`, "deepest"),
    ];
  },
  "1,200 files in one directory": () => [
    ...Array.from({ length: 1200 }, (_, i) => text(`many/file-${String(i).padStart(4, "0")}.txt`, `file ${i}\n`)),
    text("many/sub/x.txt", "x"),
  ],
  "names of exactly 64 UTF-16 units": () => [
    text("x".repeat(60) + ".txt", "sixty-four"),
    text("D".repeat(64) + "/" + "y".repeat(64), "no extension"),
    text("日".repeat(60) + ".txt", "kanji"),
    text("é".repeat(64), "accents"),
  ],
  "Japanese and accented Latin names": () => [
    text("ドライバー/説明書.txt", "manual"),
    text("Café/Ünïcödé naïve.txt", "naive"),
    text("español/año.txt", "year"),
    text("Ελληνικά.txt", "greek"),
    text("Русский/файл.inf", "[Version]"),
  ],
  "names colliding after ISO9660 uppercasing": () => [
    text("Readme.txt", "1"),
    text("README.txt", "22"),
    text("readme.txt", "333"),
    text("ReadMe.TXT", "4444"),
    text("Docs/a.txt", "docs a"),
    text("docs/a.txt", "DOCS a"),
    text("DOCS/b.txt", "DOCS b"),
    text("a-b.txt", "dash"),
    text("a_b.txt", "underscore"),
    text("a b.txt", "space"),
    text("a.b.txt", "dot"),
    text("file.tar.gz", "tgz"),
    text("file_tar.gz", "tgz2"),
  ],
  "empty files and sector-sized files": () => [
    bytes("empty", 0),
    bytes("dir/empty.bin", 0),
    bytes("s2047.bin", 2047),
    bytes("s2048.bin", 2048),
    bytes("s2049.bin", 2049),
    bytes("s4096.bin", 4096),
    bytes("one.bin", 1),
    bytes("dir/zeros-2048.bin", 2048, 0),
    bytes("dir/random.bin", 100_000),
  ],
};

describe("ISO images read by independent readers", function () {
  this.timeout(300_000);
  let tmp: string;
  const images = new Map<string, { iso: string; files: InputFile[]; want: Seen }>();
  let pycdlib: Map<string, PycdlibResult>;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-interop-"));
    let i = 0;
    for (const [name, make] of Object.entries(TREES)) {
      const files = make();
      const iso = path.join(tmp, `tree-${i++}.iso`);
      await writeIso(files.map(vinylOf), iso, { volumeId: "Interop Test", sourceDateEpoch: 1_700_000_000 });
      images.set(name, { iso, files, want: expected(files) });
    }
    pycdlib = new Map(pycdlibRead([...images.values()].map((v) => v.iso)).map((r) => [r.image, r]));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const name of Object.keys(TREES)) {
    describe(name, () => {
      const image = () => images.get(name)!;

      it("pycdlib reads the Joliet tree with the same paths, sizes and bytes", () => {
        const result = pycdlib.get(image().iso)!;
        assertSame(pycdlibJoliet(result), image().want, "pycdlib (Joliet)");
        assert.equal(result.volumeId, "INTEROP TEST");
        assert.equal(result.jolietVolumeId, "INTEROP TEST");
      });

      it("pycdlib reads a primary tree of valid, unique identifiers holding the same files", () => {
        assertPrimaryTree(pycdlib.get(image().iso)!, image().files);
      });

      it("xorriso -find lists the same paths and sizes", () => {
        assertSame(xorrisoList(image().iso), image().want, "xorriso");
      });

      it("isoinfo -J -f and -l list the same paths and sizes", () => {
        const { want, iso } = image();
        assert.deepEqual(isoinfoPaths(iso), [...want.files.keys(), ...want.dirs].map(latin1View).sort());
        assert.deepEqual(isoinfoSizes(iso), [...want.files].map(([p, f]) => `${latin1View(p)} ${f.size}`).sort());
      });

      it("7z l lists the same paths and sizes", () => {
        assertSame(sevenZipList(image().iso), image().want, "7z l");
      });

      it("bsdtar -tf and -tvf list the same paths and sizes", () => {
        const { want, iso } = image();
        assert.deepEqual(bsdtarPaths(iso), [...want.files.keys(), ...want.dirs].sort());
        assertSame(bsdtarList(iso), want, "bsdtar -tv");
      });

      it("7z x extracts the same files with the same bytes", () => {
        assertSame(sevenZipExtract(image().iso, path.join(tmp, `7z-${name}`)), image().want, "7z x");
      });

      it("bsdtar -xf extracts the same files with the same bytes", () => {
        assertSame(bsdtarExtract(image().iso, path.join(tmp, `bsdtar-${name}`)), image().want, "bsdtar -x");
      });

      it("our reader reads back the same paths and bytes", async () => {
        const seen: Seen = { files: new Map(), dirs: new Set() };
        for await (const f of isoSrc(image().iso)) {
          const data = await contentsOf(f as Vinyl);
          seen.files.set((f as Vinyl).relative, { size: data.length, sha256: sha256(data) });
        }
        for (const e of (await readIsoTree(image().iso)).entries) if (e.isDirectory) seen.dirs.add(e.path);
        assertSame(seen, image().want, "isoSrc");
      });
    });
  }

  it("refuses a tree of 0 files and writes nothing", async () => {
    const out: Vinyl[] = [];
    await assert.rejects(runPlugins([], isoWriter()).then((o) => out.push(...o)), /refusing to create an empty ISO/);
    assert.equal(out.length, 0);
  });
});

describe("reading images made by other tools", function () {
  this.timeout(120_000);
  let tmp: string;
  let src: string;
  const files: InputFile[] = [
    text("a.txt", "alpha"),
    text("dir/b.txt", "bravo"),
    text("dir/sub/deeper/c.inf", "c".repeat(5000)),
    text("dir/empty.txt", ""),
    text("ドライバー/説明書.txt", "manual"),
    text("Café/naïve file.txt", "naive"),
  ];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-foreign-"));
    src = path.join(tmp, "src");
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(src, f.path)), { recursive: true });
      fs.writeFileSync(path.join(src, f.path), f.data);
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function ourView(iso: string): Promise<Seen> {
    const seen: Seen = { files: new Map(), dirs: new Set() };
    for await (const f of isoSrc(iso)) {
      const data = await contentsOf(f as Vinyl);
      seen.files.set((f as Vinyl).relative, { size: data.length, sha256: sha256(data) });
    }
    for (const e of (await readIsoTree(iso)).entries) if (e.isDirectory) seen.dirs.add(e.path);
    return seen;
  }

  it("isoSrc reads an image made by xorriso -as mkisofs -J -R", async () => {
    const iso = path.join(tmp, "xorriso.iso");
    run("xorriso", ["-as", "mkisofs", "-J", "-R", "-o", iso, src]);
    assert.equal((await readIsoTree(iso)).tree, "joliet");
    assertSame(await ourView(iso), expected(files), "isoSrc on xorriso");
  });

  it("isoSrc reads an image made by genisoimage -J -R", async () => {
    const iso = path.join(tmp, "genisoimage.iso");
    run("genisoimage", ["-quiet", "-J", "-R", "-o", iso, src]);
    assertSame(await ourView(iso), expected(files), "isoSrc on genisoimage");
  });

  it("listIso falls back to the primary tree of an image without Joliet", async () => {
    const plain = path.join(tmp, "plain");
    fs.mkdirSync(path.join(plain, "dir"), { recursive: true });
    fs.writeFileSync(path.join(plain, "a.txt"), "a");
    fs.writeFileSync(path.join(plain, "dir", "b.txt"), "b");
    const iso = path.join(tmp, "plain.iso");
    run("xorriso", ["-as", "mkisofs", "-o", iso, plain]);
    assert.equal((await readIsoTree(iso)).tree, "primary");
    assert.deepEqual(await listIso(iso), ["/A.TXT", "/DIR/B.TXT"]);
  });
});
