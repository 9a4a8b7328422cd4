/**
 * Every kind of vinyl file a gulp pipeline can hand our plugins: Buffers, streams (gulp 4's
 * readable-stream, gulp 5's streamx), directories, null files (`read: false`), and contents gulp
 * decoded as text. Plugins are driven directly, then through real gulp 4 and gulp 5 runs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable, type Transform } from "node:stream";
import { pathToFileURL } from "node:url";
import Vinyl from "vinyl";
import {
  atomicDest,
  deterministicZip,
  devicesCmd,
  guestToolsLayout,
  isoWriter,
  manifest,
  mediaImages,
  normalizeArch,
  payloadPolicy,
  ProblemReport,
  validateSpec,
} from "../plugins/index.js";
import { cleanupTempDirs, REPO, run, SAMPLE_SPEC, tempDir } from "./support/fixtures.js";
import { readmeExample } from "./support/readme.js";
import { bufferFile, contentsOf, runPlugins } from "./support/streams.js";
import { requireTools } from "./support/tools.js";

const CONTRACT = path.join(REPO, "drivers-sample/docs/windows-device-contract.json");

/** Every exported transform, each as a fresh instance, and whether it needs the bytes. */
const PLUGINS: Array<{ name: string; make: (dir: string) => Transform; needs: "bytes" | "paths" }> = [
  { name: "normalizeArch", make: () => normalizeArch(), needs: "paths" },
  { name: "payloadPolicy", make: () => payloadPolicy(), needs: "paths" },
  { name: "devicesCmd", make: () => devicesCmd(CONTRACT), needs: "paths" },
  { name: "guestToolsLayout", make: () => guestToolsLayout({ signingPolicy: "none", report: new ProblemReport() }), needs: "paths" },
  { name: "validateSpec", make: () => validateSpec(SAMPLE_SPEC), needs: "bytes" },
  { name: "manifest", make: () => manifest(), needs: "bytes" },
  { name: "isoWriter", make: () => isoWriter(), needs: "bytes" },
  { name: "deterministicZip", make: () => deterministicZip(), needs: "bytes" },
  { name: "mediaImages", make: () => mediaImages(), needs: "bytes" },
  { name: "atomicDest", make: (dir) => atomicDest(path.join(dir, "out")), needs: "bytes" },
];

/** A file as gulp.src gives it: path, history and stat from disk, contents as given. */
function fromDisk(abs: string, base: string, contents: Buffer | NodeJS.ReadableStream | null): Vinyl {
  return new Vinyl({ cwd: base, base, path: abs, stat: statSync(abs), contents: contents as Buffer | null });
}

async function failure(files: Vinyl[], ...stages: Transform[]): Promise<Error & { plugin?: string }> {
  try {
    await runPlugins(files, ...stages);
  } catch (err) {
    return err as Error & { plugin?: string };
  }
  assert.fail("the stream should have failed");
}

describe("every kind of vinyl file", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  describe("null files (gulp.src read: false)", () => {
    for (const p of PLUGINS) {
      if (p.needs === "bytes") {
        it(`${p.name} refuses one with a PluginError that says the contents are needed`, async () => {
          const dir = tempDir();
          writeFileSync(path.join(dir, "setup.cmd"), "@echo off\r\n");
          const err = await failure([fromDisk(path.join(dir, "setup.cmd"), dir, null)], p.make(dir));
          assert.equal(err.plugin, p.name);
          assert.match(err.message, /setup\.cmd has no contents .*read: false/);
          assert.ok(!existsSync(path.join(dir, "out")), "nothing written");
        });
      } else {
        it(`${p.name} passes one through untouched`, async () => {
          const dir = tempDir();
          writeFileSync(path.join(dir, "README.md"), "x");
          const file = fromDisk(path.join(dir, "README.md"), dir, null);
          const out = await runPlugins([file], p.make(dir));
          assert.ok(out.includes(file), "the same file comes out");
          assert.ok(file.isNull());
        });
      }
    }
  });

  describe("the encoding trap", () => {
    /** A driver binary as gulp 5's default encoding "utf8" hands it over. */
    function decodedSys(dir: string): Vinyl {
      const bytes = Buffer.alloc(20_480);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
      const abs = path.join(dir, "viostor.sys");
      writeFileSync(abs, bytes);
      return fromDisk(abs, dir, Buffer.from(bytes.toString("utf8"), "utf8"));
    }

    for (const p of PLUGINS) {
      it(`${p.name} refuses a binary decoded as UTF-8, naming the file and { encoding: false }`, async () => {
        const dir = tempDir();
        const file = decodedSys(dir);
        assert.notEqual((file.contents as Buffer).length, 20_480);
        const err = await failure([file], p.make(dir));
        assert.equal(err.plugin, p.name);
        assert.match(err.message, /viostor\.sys: contents are \d+ bytes but the file is 20480 bytes: gulp\.src decoded it .*\{ encoding: false \}/);
      });
    }

    it("refuses a UTF-8 BOM stripped by decoding (40 → 37 bytes)", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "a.inf");
      writeFileSync(abs, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("[Version]\r\nSignature=\"$Windows NT$\"\r\n")]));
      const file = fromDisk(abs, dir, readFileSync(abs).subarray(3));
      assert.equal((file.contents as Buffer).length, statSync(abs).size - 3);
      const err = await failure([file], manifest());
      assert.match(err.message, /a\.inf: contents are \d+ bytes .*encoding: false/);
    });

    it("refuses a truncated UTF-8 sequence decoded to U+FFFD of the same length", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "odd.txt");
      const bytes = Buffer.from([0x61, 0xf0, 0x90, 0x80, 0x62]); // F0 90 80 → EF BF BD: 5 bytes either way
      writeFileSync(abs, bytes);
      const decoded = Buffer.from(bytes.toString("utf8"), "utf8");
      assert.equal(decoded.length, bytes.length);
      const err = await failure([fromDisk(abs, dir, decoded)], isoWriter());
      assert.match(err.message, /odd\.txt: .*encoding: false/);
    });

    it("accepts pure ASCII read with the default encoding (decoding changes nothing)", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "setup.cmd");
      writeFileSync(abs, "@echo off\r\n");
      const [iso] = await runPlugins([fromDisk(abs, dir, readFileSync(abs))], isoWriter());
      assert.ok(iso);
    });

    it("accepts contents an upstream plugin changed (stat.size stale, not a decoding)", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "README.md");
      writeFileSync(abs, "version @VERSION@\n");
      const out = await runPlugins([fromDisk(abs, dir, Buffer.from("version 1.2.3-long\n"))], manifest());
      const m = JSON.parse(out.find((f) => f.relative === "manifest.json")!.contents!.toString());
      assert.equal(m.files[0].size, 19);
    });

    it("accepts a file with a literal U+FFFD that is the file's real bytes", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "notes.txt");
      writeFileSync(abs, "replacement: \uFFFD\n");
      await runPlugins([fromDisk(abs, dir, readFileSync(abs))], isoWriter());
    });
  });

  describe("streaming files (gulp.src buffer: false)", () => {
    it("a one-shot stream is read once and written into the ISO and the zip with the same bytes", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "blob.bin");
      const bytes = Buffer.alloc(300_000, 0x5a);
      writeFileSync(abs, bytes);
      // Not an async iterable and not a node Readable: as old-style streams are.
      const stream = Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]);
      const oldStyle = Object.assign(Object.create(null), {
        on: stream.on.bind(stream),
        once: stream.once.bind(stream),
        removeListener: stream.removeListener.bind(stream),
        pause: stream.pause.bind(stream),
        resume: stream.resume.bind(stream),
        pipe: stream.pipe.bind(stream),
        readable: true,
      });
      const file = fromDisk(abs, dir, stream);
      (file as unknown as { _contents: unknown })._contents = oldStyle;
      const out = await runPlugins([file], manifest(), mediaImages());
      assert.deepEqual(out.map((f) => f.relative).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
      const m = JSON.parse((await contentsOf(out.find((f) => f.relative === "manifest.json")!)).toString());
      assert.equal(m.files[0].size, 300_000);
      const zip = path.join(dir, "t.zip");
      writeFileSync(zip, await contentsOf(out.find((f) => f.relative === "aero-guest-tools.zip")!));
      requireTools("unzip");
      assert.ok(spawnSync("unzip", ["-p", zip, "blob.bin"]).stdout.equals(bytes), "unzip reads the same bytes back");
    });

    it("a decoded stream (buffer: false with the default encoding) is refused", async () => {
      const dir = tempDir();
      const abs = path.join(dir, "x.cat");
      const bytes = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x80, 0x00]);
      writeFileSync(abs, bytes);
      const file = fromDisk(abs, dir, Readable.from([Buffer.from(bytes.toString("utf8"))]));
      const err = await failure([file], deterministicZip());
      assert.match(err.message, /x\.cat: contents are \d+ bytes but the file is 6 bytes.*encoding: false/);
    });
  });

  describe("directories", () => {
    // validateSpec and guestToolsLayout need a whole media tree: the gulp runs below give them directories.
    for (const p of PLUGINS.filter((q) => q.name !== "validateSpec" && q.name !== "guestToolsLayout")) {
      it(`${p.name} does not fail on a directory entry`, async () => {
        const dir = tempDir();
        mkdirSync(path.join(dir, "config"));
        writeFileSync(path.join(dir, "setup.cmd"), "x");
        const files = [fromDisk(path.join(dir, "config"), dir, null), bufferFile("setup.cmd", "x", dir)];
        await runPlugins(files, p.make(dir));
      });
    }
  });

  describe("manifest() followed by a writer", () => {
    for (const [name, writer, image] of [
      ["isoWriter", () => isoWriter(), "aero-guest-tools.iso"],
      ["deterministicZip", () => deterministicZip(), "aero-guest-tools.zip"],
    ] as const) {
      it(`${name} passes manifest.json on after the image, once`, async () => {
        const out = await runPlugins([bufferFile("setup.cmd", "x"), bufferFile("README.md", "y")], manifest(), writer());
        assert.deepEqual(out.map((f) => f.relative), [image, "manifest.json"]);
      });
    }

    it("mediaImages passes it on once, not once per image", async () => {
      const out = await runPlugins([bufferFile("setup.cmd", "x")], manifest(), mediaImages());
      assert.deepEqual(out.map((f) => f.relative).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
    });
  });

  describe("real gulp runs, gulp 4 and gulp 5", () => {
    const TSX = pathToFileURL(path.join(REPO, "node_modules/tsx/dist/loader.mjs")).href;
    const EXAMPLE_STAGES = readmeExample();
    let project: string;
    let cli: Map<string, string>;

    before(() => {
      project = tempDir("aero-kinds-");
      cpSync(path.join(REPO, "drivers-sample"), path.join(project, "drivers-sample"), { recursive: true });
      mkdirSync(path.join(project, "specs"));
      cpSync(SAMPLE_SPEC, path.join(project, "specs/sample.json"));
      const cliOut = path.join(project, "cli");
      const r = spawnSync(process.execPath, ["--require", path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs"), path.join(REPO, "node_modules/gulp/bin/gulp.js"),
        "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", project, "guest-tools", "--quiet",
        "--drivers-dir", "drivers-sample/drivers", "--guest-tools-dir", "drivers-sample/guest-tools", "--spec", "specs/sample.json", "--out-dir", "cli"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      cli = hashes(cliOut);
    });

    function gulpfile(gulpMajor: 4 | 5, srcOptions: string): string {
      const dir = path.join(project, `g${gulpMajor}-${Math.random().toString(36).slice(2)}`);
      mkdirSync(path.join(dir, "node_modules"), { recursive: true });
      symlinkSync(path.join(REPO, "node_modules", gulpMajor === 4 ? "gulp4" : "gulp"), path.join(dir, "node_modules/gulp"));
      for (const d of ["drivers-sample", "specs"]) symlinkSync(path.join(project, d), path.join(dir, d));
      const body = EXAMPLE_STAGES
        .replace(/from "gulp-aero-guest-tools"/, `from ${JSON.stringify(pathToFileURL(path.join(REPO, "plugins/index.ts")).href)}`)
        .replaceAll("encoding: false", srcOptions);
      writeFileSync(path.join(dir, "gulpfile.mjs"), body);
      return dir;
    }

    function gulp(dir: string, gulpMajor: 4 | 5) {
      const bin = path.join(REPO, "node_modules", gulpMajor === 4 ? "gulp4" : "gulp", "bin/gulp.js");
      return spawnSync(process.execPath, ["--import", TSX, bin, "--gulpfile", path.join(dir, "gulpfile.mjs"), "--cwd", dir, "media"], {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, FORCE_COLOR: "0" },
      });
    }

    for (const major of [4, 5] as const) {
      for (const [kind, options] of [["buffer", "encoding: false"], ["streaming", "encoding: false, buffer: false"]] as const) {
        it(`gulp ${major}, ${kind} files: the README pipeline gives the CLI's three outputs byte for byte`, () => {
          const dir = gulpfile(major, major === 4 ? options.replace("encoding: false", "removeBOM: false") : options);
          const r = gulp(dir, major);
          assert.equal(r.status, 0, r.stdout + r.stderr);
          assert.deepEqual(hashes(path.join(dir, "dist")), cli);
        });
      }

      it(`gulp ${major}, null files (read: false): one PluginError, exit non-zero, nothing written`, () => {
        const dir = gulpfile(major, "encoding: false, read: false");
        const r = gulp(dir, major);
        assert.notEqual(r.status, 0);
        assert.match(r.stdout + r.stderr, /has no contents .*read: false/);
        assert.ok(!existsSync(path.join(dir, "dist")), "no out dir");
      });
    }

    it("gulp 5, the default encoding: refused naming the file and { encoding: false }, nothing written", () => {
      const dir = gulpfile(5, "dot: true");
      const r = gulp(dir, 5);
      assert.notEqual(r.status, 0);
      const size = statSync(path.join(REPO, "drivers-sample/guest-tools/certs/aero-test-signing.cer")).size;
      assert.match(r.stdout + r.stderr, new RegExp(`aero-test-signing\\.cer: contents are \\d+ bytes but the file is ${size} bytes.*encoding: false`));
      assert.ok(!existsSync(path.join(dir, "dist")), "no out dir");
    });

    it("gulp 4, the default removeBOM on a file with a BOM: refused, nothing written", () => {
      const dir = gulpfile(4, "dot: true");
      // Its own copy of the guest tools, with a BOM in front of README.md.
      const own = path.join(dir, "own");
      cpSync(path.join(project, "drivers-sample"), own, { recursive: true });
      const readme = path.join(own, "guest-tools/README.md");
      writeFileSync(readme, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(readme)]));
      const g = path.join(dir, "gulpfile.mjs");
      writeFileSync(g, readFileSync(g, "utf8").replaceAll('"drivers-sample/', '"own/'));
      const r = gulp(dir, 4);
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /README\.md: contents are \d+ bytes but the file is \d+ bytes.*removeBOM: false/);
      assert.ok(!existsSync(path.join(dir, "dist")), "no out dir");
    });
  });
});

function hashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]) {
    out.set(name, run("sha256sum", [path.join(dir, name)]).split(" ")[0]!);
  }
  return out;
}
