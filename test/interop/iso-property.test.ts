/**
 * Property: for random trees (names mixing case, spaces, dots, accents, CJK, Cyrillic; sizes
 * around sector boundaries), our reader and pycdlib both see exactly the input. The writer and
 * our reader run inside fast-check (so failures shrink); pycdlib reads all images afterwards in
 * one python process.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { readIsoTree } from "../../plugins/iso-src/index.js";
import { isoWriter } from "../../plugins/iso-writer/index.js";
import { contentsOf, runPlugins } from "../support/streams.js";
import { assertPrimaryTree, assertSame, expected, pycdlibJoliet, pycdlibRead, sha256, vinylOf, type InputFile, type Seen } from "./iso-support.js";

const SEED = 0x150_9660;
const RUNS = 200;
const CHARS = [..."aAbBcCzZ09 -_.~'()é日本ßΩжÅñ"];

const segment = fc
  .string({ unit: fc.constantFrom(...CHARS), minLength: 1, maxLength: 12 })
  .filter((s) => s !== "." && s !== "..");
const size = fc.oneof(fc.constantFrom(0, 1, 2047, 2048, 2049, 4096), fc.integer({ min: 0, max: 6000 }));
const fileArb = fc.record({ parts: fc.array(segment, { minLength: 1, maxLength: 4 }), size, seed: fc.integer({ min: 0, max: 255 }) });

/** Unique paths; a path that is also another's directory is dropped. */
function toTree(specs: { parts: string[]; size: number; seed: number }[]): InputFile[] {
  const byPath = new Map<string, InputFile>();
  for (const s of specs) {
    const p = s.parts.join("/");
    const data = Buffer.alloc(s.size);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + s.seed) & 0xff;
    byPath.set(p, { path: p, data });
  }
  const paths = [...byPath.keys()];
  return paths.filter((p) => !paths.some((q) => q.startsWith(p + "/"))).map((p) => byPath.get(p)!);
}

describe("random trees (property)", function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iso-property-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`our reader and pycdlib see exactly the input for ${RUNS} random trees`, async () => {
    const written: { iso: string; files: InputFile[] }[] = [];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 25 }), async (specs) => {
        const files = toTree(specs);
        const [image] = await runPlugins(files.map(vinylOf), isoWriter({ sourceDateEpoch: n }));
        const iso = path.join(tmp, `p-${n++}.iso`);
        fs.writeFileSync(iso, await contentsOf(image!));
        const tree = await readIsoTree(iso);
        const data = fs.readFileSync(iso);
        const seen: Seen = { files: new Map(), dirs: new Set() };
        for (const e of tree.entries) {
          if (e.isDirectory) seen.dirs.add(e.path);
          else seen.files.set(e.path, { size: e.size, sha256: sha256(Buffer.concat(e.extents.map((x) => data.subarray(x.offset, x.offset + x.length)))) });
        }
        assertSame(seen, expected(files), "our reader");
        written.push({ iso, files });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.ok(written.length >= RUNS);
    const results = pycdlibRead(written.map((w) => w.iso));
    results.forEach((result, i) => {
      const { files } = written[i]!;
      try {
        assertSame(pycdlibJoliet(result), expected(files), "pycdlib (Joliet)");
        assertPrimaryTree(result, files);
      } catch (err) {
        throw new Error(`${(err as Error).message}\ntree: ${JSON.stringify(files.map((f) => [f.path, f.data.length]))}`);
      }
    });
  });
});
