/**
 * Properties of the whole build (buildGuestToolsMedia) over random trees, seeded so a failure
 * replays: the bundled sample plus random files under tools/, licenses/ and the driver folders,
 * with ASCII and non-ASCII BMP names, names at the 64-unit Joliet limit, case variants, sizes
 * around the 2048-byte sector (and a few MiB), and depth.
 *
 * - The ISO read back by our reader (plugins/iso-src) and by pycdlib, the zip extracted by
 *   `unzip`, and manifest.json all hold exactly the expected files with the same bytes.
 * - Building again (after changing every input's mtime) gives byte-identical outputs.
 * - A case variant of a packaged path, a name over 64 UTF-16 units or a character outside the
 *   BMP is refused, and the out dir keeps exactly what it held.
 *
 * fast-check shrinks failures of the in-process checks; pycdlib reads every image afterwards in
 * one python process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { buildGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { readIsoTree } from "../plugins/iso-src/index.js";
import { foldCase } from "../plugins/packaging-spec/names.js";
import { pycdlibRead, type PycdlibResult } from "./interop/iso-support.js";
import { cleanupTempDirs, copySample, listFiles, snapshotDir, tempDir } from "./support/fixtures.js";
import { requireTools } from "./support/tools.js";

const SEED = 0x9_a3_0;
const RUNS = 24;
const REFUSAL_RUNS = 12;
const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];
const UTF8 = { ...process.env, LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
type Media = Map<string, string>; // media path → sha256

// ---------------------------------------------------------------------------------------------
// Generators

/** Characters allowed on Windows and in Joliet names (no < > : " / \ | ? * ;), ASCII and BMP. */
const ASCII = [..."abcxyzABCXYZ0189 _-.~'()!#$%&+,=@[]^`{}"];
const BMP = [..."éÉßàÅøæœÆŒΩωжЖ日本語中文한글ﬁİıçÇ€™•…"];
const RESERVED = /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$/i;
/** Extensions the payload policy keeps everywhere (no INF, no build artifact, no key). */
const EXTENSIONS = ["", ".bin", ".dll", ".txt", ".dat", ".ps1", ".Ünï"];

const stem = (min: number, max: number) =>
  fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ASCII) }, { weight: 1, arbitrary: fc.constantFrom(...BMP) }), minLength: min, maxLength: max });

/** One path component: not hidden, no trailing dot or space, not a reserved device name. */
const component = fc
  .oneof(
    { weight: 6, arbitrary: fc.tuple(stem(1, 12), fc.constantFrom(...EXTENSIONS)) },
    // At the Joliet limit: 60..64 UTF-16 units in all.
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 64 }).chain((n) => fc.tuple(stem(n - 4, n - 4), fc.constantFrom(".bin", ".txt"))) },
  )
  .map(([s, ext]) => s + ext)
  .filter((name) => name.length <= 64 && !name.startsWith(".") && !/[. ]$/.test(name))
  .filter((name) => !RESERVED.test(name.slice(0, name.indexOf(".") < 0 ? name.length : name.indexOf(".")).replace(/ +$/, "")))
  .filter((name) => !["__macosx", "thumbs.db", "ehthumbs.db", "desktop.ini"].includes(name.toLowerCase()));

const AREAS = ["tools", "licenses", "drivers/x86/virtio-net", "drivers/amd64/aerogpu"] as const;
const size = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 2047, 2048, 2049, 4096) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(3 * 1024 * 1024 + 1, 2 * 1024 * 1024) },
);
const fileSpec = fc.record({
  area: fc.constantFrom(...AREAS),
  parts: fc.array(component, { minLength: 1, maxLength: 6 }),
  size,
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

interface Extra {
  /** Path in the input tree, relative to the sample root. */
  input: string;
  /** Path on the media. */
  media: string;
  data: Buffer;
}

/** Fast deterministic bytes (xorshift32), incompressible enough to exercise the zip. */
function bytesOf(length: number, seed: number): Buffer {
  const buf = Buffer.alloc(Math.ceil(length / 4) * 4);
  let x = seed | 1;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeInt32LE(x | 0, i);
  }
  return buf.subarray(0, length);
}

function inputPath(area: (typeof AREAS)[number], rel: string): string {
  return area.startsWith("drivers/") ? `${area}/${rel}` : `guest-tools/${area}/${rel}`;
}

/**
 * Keep the files whose paths Windows can tell apart: no two spellings of one folded path (a file
 * and a folder count too), and no file where another needs a folder. Paths stay within 240 units.
 */
function caseDistinct(base: Iterable<string>, specs: { area: (typeof AREAS)[number]; parts: string[]; size: number; seed: number }[]): Extra[] {
  const spelling = new Map<string, string>();
  const files = new Set<string>();
  const dirs = new Set<string>();
  const claim = (p: string, isDir: boolean): boolean => {
    for (const key of new Set([foldCase(p), p.toLowerCase(), p.toUpperCase()])) {
      const seen = spelling.get(key);
      if (seen !== undefined && seen !== p) return false;
    }
    return isDir ? !files.has(p) : !dirs.has(p) && !files.has(p);
  };
  const record = (p: string, isDir: boolean) => {
    for (const key of [foldCase(p), p.toLowerCase(), p.toUpperCase()]) spelling.set(key, p);
    (isDir ? dirs : files).add(p);
  };
  const add = (media: string): boolean => {
    const parts = media.split("/");
    const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
    if (!prefixes.every((d) => claim(d, true)) || !claim(media, false)) return false;
    prefixes.forEach((d) => record(d, true));
    record(media, false);
    return true;
  };
  for (const p of base) add(p);
  const extras: Extra[] = [];
  for (const s of specs) {
    const rel = s.parts.join("/");
    const media = s.area.startsWith("drivers/") ? `${s.area}/${rel}` : `${s.area}/${rel}`;
    if (media.length > 240 || !add(media)) continue;
    extras.push({ input: inputPath(s.area, rel), media, data: bytesOf(s.size, s.seed) });
  }
  return extras;
}

// ---------------------------------------------------------------------------------------------
// Reading the outputs back

async function isoByOurReader(iso: string): Promise<Media> {
  const tree = await readIsoTree(iso);
  const image = readFileSync(iso);
  const media: Media = new Map();
  for (const e of tree.entries) {
    if (!e.isDirectory) media.set(e.path, sha256(Buffer.concat(e.extents.map((x) => image.subarray(x.offset, x.offset + x.length)))));
  }
  return media;
}

function zipByUnzip(zip: string): Media {
  requireTools("unzip");
  const dir = tempDir("aero-unzip-");
  const r = spawnSync("unzip", ["-q", "-o", zip, "-d", dir], { env: UTF8, encoding: "utf8" });
  assert.equal(r.status, 0, `unzip failed: ${r.stderr}`);
  const media: Media = new Map(listFiles(dir).map((p) => [p, sha256(readFileSync(path.join(dir, p)))]));
  rmSync(dir, { recursive: true, force: true });
  return media;
}

function byManifest(out: string): Media {
  const bytes = readFileSync(path.join(out, "manifest.json"));
  const doc = JSON.parse(bytes.toString("utf8")) as { files: { path: string; sha256: string; size: number }[] };
  const media: Media = new Map(doc.files.map((f) => [f.path, f.sha256]));
  media.set("manifest.json", sha256(bytes)); // the manifest does not list itself
  return media;
}

function byPycdlib(result: PycdlibResult): Media {
  assert.equal(result.error, undefined, `pycdlib failed on ${result.image}: ${result.error}`);
  return new Map(result.joliet!.files.map((f) => [f.path.slice(1), f.sha256!]));
}

function assertSameMedia(actual: Media, expected: Media, who: string): void {
  const a = [...actual.keys()].sort();
  const e = [...expected.keys()].sort();
  assert.deepEqual(a, e, `${who}: the paths differ`);
  for (const [p, h] of expected) assert.equal(actual.get(p), h, `${who}: bytes of ${p}`);
}

// ---------------------------------------------------------------------------------------------

describe("whole build over random trees (property)", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  let sample: ReturnType<typeof copySample>;
  /** The sample's media without manifest.json: path → sha256. */
  let baseline: Media;

  const build = (root: string, outDir: string) =>
    buildGuestToolsMedia({
      driversDir: path.join(root, "drivers"),
      guestToolsDir: path.join(root, "guest-tools"),
      spec: path.join(root, "spec.json"),
      outDir,
      cwd: root,
      sourceDateEpoch: 1_700_000_000,
    });

  function treeWith(extras: Extra[]): string {
    const root = tempDir("aero-prop-");
    for (const part of ["drivers", "guest-tools", "spec.json"]) cpSync(path.join(sample.root, part), path.join(root, part), { recursive: true });
    for (const x of extras) {
      mkdirSync(path.dirname(path.join(root, x.input)), { recursive: true });
      writeFileSync(path.join(root, x.input), x.data);
    }
    return root;
  }

  before(async () => {
    sample = copySample();
    const out = path.join(tempDir(), "out");
    await build(sample.root, out);
    baseline = byManifest(out);
    baseline.delete("manifest.json");
  });

  it(`ISO (our reader), zip (unzip) and manifest hold exactly the input, and a rebuild is byte-identical (${RUNS} trees)`, async () => {
    const images: { iso: string; expected: Media }[] = [];
    let bigFiles = 0;
    let nonAscii = 0;
    let atLimit = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fileSpec, { minLength: 1, maxLength: 12 }), async (specs) => {
        const extras = caseDistinct(baseline.keys(), specs);
        const root = treeWith(extras);
        const out = path.join(root, "out");
        await build(root, out);

        const expected: Media = new Map(baseline);
        for (const x of extras) expected.set(x.media, sha256(x.data));
        const manifest = byManifest(out);
        const manifestHash = manifest.get("manifest.json")!;
        expected.set("manifest.json", manifestHash);
        assertSameMedia(manifest, expected, "manifest.json");
        assertSameMedia(await isoByOurReader(path.join(out, OUTPUTS[0]!)), expected, "our ISO reader");
        assertSameMedia(zipByUnzip(path.join(out, OUTPUTS[1]!)), expected, "unzip");

        // Same inputs, other mtimes, other out dir: the same bytes.
        for (const x of extras) utimesSync(path.join(root, x.input), new Date(86_400_000 * (1 + (x.data.length % 9000))), new Date(0));
        const again = path.join(root, "again");
        await build(root, again);
        for (const name of OUTPUTS) {
          assert.ok(readFileSync(path.join(out, name)).equals(readFileSync(path.join(again, name))), `${name} differs between two builds`);
        }
        rmSync(again, { recursive: true, force: true });
        rmSync(path.join(out, OUTPUTS[1]!));

        images.push({ iso: path.join(out, OUTPUTS[0]!), expected });
        bigFiles += extras.filter((x) => x.data.length >= 2 * 1024 * 1024).length;
        nonAscii += extras.filter((x) => /[^\x00-\x7f]/.test(x.media)).length;
        atLimit += extras.filter((x) => x.media.split("/").some((c) => c.length >= 60)).length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generators did reach the interesting cases.
    assert.ok(bigFiles > 0 && nonAscii > 0 && atLimit > 0, `big ${bigFiles}, non-ASCII ${nonAscii}, at the Joliet limit ${atLimit}`);

    const results = pycdlibRead(images.map((i) => i.iso));
    results.forEach((result, i) => assertSameMedia(byPycdlib(result), images[i]!.expected, `pycdlib (${result.image})`));
  });

  it(`refuses a case variant, a name over 64 UTF-16 units or a non-BMP character, leaving the out dir as it was (${REFUSAL_RUNS} trees)`, async () => {
    const variant = (name: string) => {
      const i = [...name].findIndex((c) => c.toUpperCase() !== c.toLowerCase());
      if (i < 0) return undefined;
      const chars = [...name];
      const c = chars[i]!;
      chars[i] = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return chars.join("");
    };
    const breakage = fc.constantFrom("case-variant", "name-65", "astral");
    await fc.assert(
      fc.asyncProperty(fc.array(fileSpec, { minLength: 1, maxLength: 6 }), breakage, async (specs, kind) => {
        const extras = caseDistinct(baseline.keys(), specs.map((s) => ({ ...s, size: Math.min(s.size, 5000) })));
        fc.pre(extras.length > 0);
        const victim = extras[0]!;
        const dir = path.posix.dirname(victim.input);
        const name = path.posix.basename(victim.input);
        let bad: string;
        let named: (message: string) => boolean;
        if (kind === "case-variant") {
          const other = variant(name);
          fc.pre(other !== undefined && other !== name);
          bad = `${dir}/${other}`;
          // Caught by normalizeArch in driver folders, by payloadPolicy elsewhere: both name both spellings.
          named = (m) => m.includes(`/${name}`) && m.includes(`/${other}`);
        } else if (kind === "name-65") {
          bad = `${dir}/${"n".repeat(61)}.bin`;
          named = (m) => m.includes("n".repeat(61)) && /at most 64/.test(m);
        } else {
          bad = `${dir}/emoji-\u{1F600}.bin`;
          named = (m) => m.includes("emoji-") && /Basic Multilingual Plane/.test(m);
        }
        const root = treeWith([...extras, { input: bad, media: bad, data: Buffer.from("bad") }]);
        const out = path.join(root, "out");
        mkdirSync(out);
        for (const n of OUTPUTS) writeFileSync(path.join(out, n), `previous ${n}`);
        writeFileSync(path.join(out, "unrelated.txt"), "kept");
        const before = snapshotDir(out);
        await assert.rejects(build(root, out), (err: Error) => named(err.message) || assert.fail(`unclear refusal: ${err.message}`));
        assert.deepEqual(snapshotDir(out), before, "the out dir changed");
      }),
      { seed: SEED + 1, numRuns: REFUSAL_RUNS },
    );
  });
});
