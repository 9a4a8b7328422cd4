/**
 * Regenerate the committed seed corpora under fuzz/corpus/<target>/ (run once after changing a
 * target's input format; the output is deterministic):
 *
 *   npx tsx fuzz/seeds.ts
 *
 * Seeds: ISO images written by isoWriter (and, when xorriso is installed, by xorriso with Rock
 * Ridge, and without Joliet) with their 32 KiB system area cut off; the real INFs, specs and
 * device contracts vendored in test/fixtures/reference plus the bundled sample; INFs re-encoded as UTF-16.
 * Also writes the hand-made findings of fuzz/crafted.ts into fuzz/regressions/.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Vinyl from "vinyl";
import { isoWriter } from "../plugins/iso-writer/index.js";
import { readAllContents } from "../plugins/shared/contents.js";
import { directoryReadAmplification, multiExtentOverclaim } from "./crafted.js";
import { SYSTEM_AREA } from "./targets/iso-reader.js";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

const FUZZ = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(FUZZ);
const REFERENCE = path.join(REPO, "test/fixtures/reference");
const EPOCH = 1_700_000_000;

function put(target: string, name: string, bytes: Buffer | string): void {
  const dir = path.join(FUZZ, "corpus", target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), bytes);
}

function filesIn(dir: string, ext: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith(ext)).sort().map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

async function ourImage(files: Record<string, Buffer | string>): Promise<Buffer> {
  const vinyls = Object.entries(files).map(
    ([p, data]) => new Vinyl({ cwd: "/v", base: "/v", path: `/v/${p}`, contents: Buffer.isBuffer(data) ? data : Buffer.from(data) }),
  );
  const out: Vinyl[] = [];
  await pipeline(
    Readable.from(vinyls, { objectMode: true }),
    isoWriter({ sourceDateEpoch: EPOCH, volumeId: "FUZZ" }),
    new Writable({ objectMode: true, write: (f: Vinyl, _e, cb) => (out.push(f), cb()) }),
  );
  return readAllContents(out[0]!);
}

function withoutSystemArea(image: Buffer): Buffer {
  if (image.subarray(0, SYSTEM_AREA).some((b) => b !== 0)) throw new Error("seed image has a non-zero system area");
  return image.subarray(SYSTEM_AREA);
}

const TREES: Record<string, Record<string, Buffer | string>> = {
  "one-file": { "a.txt": "a" },
  "media-like": {
    "setup.cmd": "@echo off\r\n",
    "README.md": "# Aero\n",
    "config/devices.cmd": 'set "AERO_VIRTIO_BLK_SERVICE=aero_virtio_blk"\r\n',
    "drivers/x86/virtio-net/aero_virtio_net.inf": "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n",
    "drivers/amd64/virtio-net/aero_virtio_net.sys": Buffer.alloc(2049, 7),
    "empty.bin": "",
  },
  "names-and-depth": {
    "Größe é/日本語 ファイル.txt": "x",
    [`${"n".repeat(60)}.txt`]: "long",
    "a/b/c/d/e/f/g/h/i/deep.txt": "deep",
    "UPPER.TXT": "u",
    "no-extension": "n",
  },
};

/** An image made by xorriso from the same tree (Rock Ridge + Joliet, or plain ISO9660 only). */
function xorrisoImage(files: Record<string, Buffer | string>, joliet: boolean): Buffer | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), "fuzz-seed-"));
  try {
    for (const [p, data] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, "in", p)), { recursive: true });
      writeFileSync(path.join(dir, "in", p), data);
    }
    // Rock Ridge records the inputs' times: pin them, so the seed is the same on every run.
    const pin = (p: string) => {
      for (const name of readdirSync(p)) if (statSync(path.join(p, name)).isDirectory()) pin(path.join(p, name));
      for (const name of readdirSync(p)) utimesSync(path.join(p, name), EPOCH, EPOCH);
    };
    pin(path.join(dir, "in"));
    utimesSync(path.join(dir, "in"), EPOCH, EPOCH);
    const iso = path.join(dir, "x.iso");
    const args = ["-as", "mkisofs", "-quiet", "-no-pad", ...(joliet ? ["-R", "-J", "-joliet-long"] : []), "-V", "FUZZ", "-o", iso, path.join(dir, "in")];
    const r = spawnSync("xorriso", args, { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } });
    if (r.error || r.status !== 0) return undefined;
    return readFileSync(iso);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function utf16(text: string, bigEndian: boolean, bom: boolean): Buffer {
  const le = Buffer.from(text, "utf16le");
  const body = bigEndian ? Buffer.from(le).swap16() : le;
  return bom ? Buffer.concat([Buffer.from(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]), body]) : body;
}

async function main(): Promise<void> {
  rmSync(path.join(FUZZ, "corpus"), { recursive: true, force: true });

  for (const [name, tree] of Object.entries(TREES)) put("iso-reader", `ours-${name}.bin`, withoutSystemArea(await ourImage(tree)));
  const rr = xorrisoImage(TREES["media-like"]!, true);
  if (rr) put("iso-reader", "xorriso-rockridge-joliet.bin", withoutSystemArea(rr));
  const plain = xorrisoImage(TREES["names-and-depth"]!, false);
  if (plain) put("iso-reader", "xorriso-iso9660-only.bin", withoutSystemArea(plain));

  const infs = [...filesIn(path.join(REFERENCE, "infs"), ".inf"), path.join(REPO, "drivers-sample/drivers/x86/virtio-input/aero_virtio_input.inf")];
  for (const file of infs) put("inf", path.basename(file), readFileSync(file));
  const blk = readFileSync(path.join(REFERENCE, "infs/aero_virtio_blk.inf"), "utf8");
  put("inf", "utf16le-bom.inf", utf16(blk, false, true));
  put("inf", "utf16be-bom.inf", utf16(blk, true, true));
  put("inf", "utf16le-no-bom.inf", utf16(blk, false, false));

  for (const file of [path.join(REPO, "specs/sample.json"), ...filesIn(path.join(REFERENCE, "specs"), ".json")]) {
    put("spec", path.basename(file), readFileSync(file));
  }
  put("spec", "legacy-required-drivers.json", '{"required_drivers":[{"name":"viostor","expected_hardware_ids":["PCI\\\\\\\\VEN_1AF4&DEV_1001"]}]}');

  // Spec patterns: the first line is the pattern, the rest are lines to match.
  put("spec-pattern", "hardware-id.txt", "PCI\\\\VEN_1AF4\\&DEV_10(4|5)[12]\n%D% = I, PCI\\VEN_1AF4&DEV_1041&REV_01\nPCI\\VEN_8086&DEV_100E\n");
  put("spec-pattern", "nested-repetition.txt", "^(a+)+$\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n");
  put("spec-pattern", "word-boundaries.txt", "(?i)\\bsym\\w*\\.pdb\\b\nx/Symbols.PDB\n é_sym.pdb\n");

  const contracts = filesIn(path.join(REFERENCE, "contracts"), ".json").filter((f) => !f.endsWith(".schema.json"));
  for (const file of contracts) put("contract", path.basename(file), readFileSync(file));

  // The devices.cmd target reads the first half of its input as the on-disk file and the second
  // half as the generated one: a seed is two files back to back.
  const cmds = [path.join(REFERENCE, "contracts/devices.cmd"), path.join(REPO, "drivers-sample/guest-tools/config/devices.cmd")];
  const [ref, sample] = cmds.map((f) => readFileSync(f));
  put("devices-cmd", "reference-twice.cmd", Buffer.concat([ref!, ref!]));
  put("devices-cmd", "sample-then-reference.cmd", Buffer.concat([sample!, ref!.subarray(0, sample!.length)]));

  // Hand-made findings: specs whose patterns backtracked for minutes, overflowed V8's stack or
  // took gigabytes to compile before matching moved to re2js and patterns were capped.
  const specRegressions = path.join(FUZZ, "regressions/spec");
  mkdirSync(specRegressions, { recursive: true });
  const specWith = (patterns: string[]) => JSON.stringify({ drivers: [{ name: "t", required: true, expected_hardware_ids: patterns, allow_path_regexes: patterns }] });
  writeFileSync(path.join(specRegressions, "backtracking-patterns.json"), specWith(["^(a+)+$", "(x+x+)+y"]));
  writeFileSync(path.join(specRegressions, "deeply-nested-pattern.json"), specWith([`${"(".repeat(2000)}a${")".repeat(2000)}`]));
  writeFileSync(path.join(specRegressions, "over-long-pattern.json"), specWith(["a".repeat(5000)]));

  // Hand-made findings (fuzz/crafted.ts), kept with the fuzzer's own.
  const regressions = path.join(FUZZ, "regressions/iso-reader");
  mkdirSync(regressions, { recursive: true });
  writeFileSync(path.join(regressions, "multi-extent-overclaim.bin"), multiExtentOverclaim());
  writeFileSync(path.join(regressions, "directory-read-amplification.bin"), directoryReadAmplification(128).subarray(SYSTEM_AREA));
}

await main();
