/**
 * Hand-made hostile inputs for findings the fuzzer is unlikely to reach on its own, written to
 * fuzz/regressions/<target>/ by fuzz/seeds.ts and checked by test/fuzz-regressions.test.ts.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FLAG_MULTI_EXTENT, SECTOR, decodeDirRecord, decodeVolumeDescriptor, writeBoth16, writeBoth32 } from "../plugins/iso9660/records.js";

const FUZZ = path.dirname(fileURLToPath(import.meta.url));
const SYSTEM_AREA = 16 * SECTOR;

/**
 * A 100 KiB image (fuzz/corpus/iso-reader/ours-one-file.bin plus 24 sectors) whose Joliet root
 * holds one file, "a.txt", recorded as a multi-extent file of 1,103 extents that each claim the
 * whole image: 108 MiB of "contents". isoSrc({ buffer: true }) allocated all of it, and a
 * bigger directory makes it ask for more than Buffer can hold. Returned without the system area,
 * as the iso-reader target takes its input.
 */
export function multiExtentOverclaim(): Buffer {
  const seed = readFileSync(path.join(FUZZ, "corpus/iso-reader/ours-one-file.bin"));
  const original = SYSTEM_AREA + seed.length;
  const dirSectors = 24;
  const image = Buffer.alloc(original + dirSectors * SECTOR);
  seed.copy(image, SYSTEM_AREA);
  const jolietVd = 17 * SECTOR;
  const vd = decodeVolumeDescriptor(image.subarray(jolietVd, jolietVd + SECTOR));
  if (!vd.joliet || !vd.root) throw new Error("the seed image has no Joliet descriptor at sector 17");
  const rootDir = vd.root.extent * SECTOR;
  const dots = decodeDirRecord(image, rootDir).length + decodeDirRecord(image, rootDir + 34).length;
  const fileRecord = Buffer.from(image.subarray(rootDir + dots, rootDir + dots + decodeDirRecord(image, rootDir + dots).length));
  writeBoth32(fileRecord, 2, 0); // extent: sector 0
  writeBoth32(fileRecord, 10, image.length); // data length: the whole image
  fileRecord[25]! |= FLAG_MULTI_EXTENT;

  const dir = Buffer.alloc(dirSectors * SECTOR);
  image.copy(dir, 0, rootDir, rootDir + dots); // "." and ".."
  let last = 0;
  for (let sector = 0; sector < dirSectors; sector++) {
    // Records never cross a sector boundary.
    for (let at = sector === 0 ? dots : sector * SECTOR; at + fileRecord.length <= (sector + 1) * SECTOR; at += fileRecord.length) {
      fileRecord.copy(dir, at);
      last = at;
    }
  }
  dir[last + 25]! &= ~FLAG_MULTI_EXTENT; // the final extent
  dir.copy(image, original);
  writeBoth32(image, jolietVd + 156 + 2, original / SECTOR); // root directory record: extent
  writeBoth32(image, jolietVd + 156 + 10, dir.length); // and length
  return image.subarray(SYSTEM_AREA);
}

/**
 * An image of `sectors` sectors whose Joliet root lists one directory per free sector after
 * itself, each claiming every byte from its sector to the end of the image. Every directory is
 * read exactly once (no loop), yet the reader reads about sectors² × 1 KiB: 4 GiB for a 4 MiB
 * image, 1 TiB for a 64 MiB one. In a real image directory extents never overlap, so together
 * they never exceed the image. Returned whole (with its system area).
 */
export function directoryReadAmplification(sectors = 2048): Buffer {
  const seed = readFileSync(path.join(FUZZ, "corpus/iso-reader/ours-one-file.bin"));
  const first = (SYSTEM_AREA + seed.length) / SECTOR; // the root goes here
  const image = Buffer.alloc(sectors * SECTOR);
  seed.copy(image, SYSTEM_AREA);
  const jolietVd = 17 * SECTOR;
  const vd = decodeVolumeDescriptor(image.subarray(jolietVd, jolietVd + SECTOR));
  if (!vd.joliet || !vd.root) throw new Error("the seed image has no Joliet descriptor at sector 17");
  const oldRoot = vd.root.extent * SECTOR;
  const dots = Buffer.from(image.subarray(oldRoot, oldRoot + 68)); // "." and ".." (34 bytes each)
  // A directory record: 33 bytes + a 10-byte UCS-2 name "dNNNN" + 1 pad byte = 44.
  const record = (name: string, extent: number, length: number) => {
    const r = Buffer.alloc(44);
    r[0] = 44;
    writeBoth32(r, 2, extent);
    writeBoth32(r, 10, length);
    r[25] = 0x02; // directory
    writeBoth16(r, 28, 1);
    r[32] = 10;
    Buffer.from(name, "utf16le").swap16().copy(r, 33);
    return r;
  };
  const perSector = Math.floor(SECTOR / 44);
  // Solve for the root's size: it must hold one record per sector after it.
  let rootSectors = 1;
  while ((rootSectors * perSector) - 2 < sectors - first - rootSectors) rootSectors++;
  const root = Buffer.alloc(rootSectors * SECTOR);
  dots.copy(root, 0);
  let at = 68;
  for (let extent = first + rootSectors, n = 0; extent < sectors; extent++, n++) {
    if (Math.floor(at / SECTOR) !== Math.floor((at + 43) / SECTOR)) at = Math.ceil(at / SECTOR) * SECTOR;
    record(`d${String(n).padStart(4, "0")}`, extent, (sectors - extent) * SECTOR).copy(root, at);
    at += 44;
  }
  root.copy(image, first * SECTOR);
  writeBoth32(image, jolietVd + 156 + 2, first);
  writeBoth32(image, jolietVd + 156 + 10, root.length);
  writeBoth32(image, jolietVd + 80, sectors); // volume space size
  return image;
}
