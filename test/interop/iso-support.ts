/**
 * Interop helpers: write images with isoWriter, then ask independent readers (pycdlib,
 * xorriso, isoinfo, 7-Zip, libarchive's bsdtar) what they see, normalized to
 * path → size (+ sha256) maps that tests compare with the input.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import Vinyl from "vinyl";
import { isoWriter, type IsoWriterOptions } from "../../plugins/iso-writer/index.js";
import { runPlugins } from "../support/streams.js";
import { requireCommand, requireTools } from "../support/tools.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = "/usr/bin/python3";
const UTF8_ENV = { ...process.env, LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

export interface InputFile {
  path: string;
  data: Buffer;
}

/** What a reader sees: files (path → size, optional sha256) and directories. */
export interface Seen {
  files: Map<string, { size: number; sha256?: string }>;
  dirs: Set<string>;
}

export function expected(files: InputFile[]): Seen {
  const seen: Seen = { files: new Map(), dirs: new Set() };
  for (const f of files) {
    seen.files.set(f.path, { size: f.data.length, sha256: sha256(f.data) });
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) seen.dirs.add(parts.slice(0, i).join("/"));
  }
  return seen;
}

/** Compare paths and sizes (and hashes when the reader gave them). */
export function assertSame(actual: Seen, wanted: Seen, reader: string): void {
  assert.deepEqual([...actual.files.keys()].sort(), [...wanted.files.keys()].sort(), `${reader}: file paths`);
  for (const [p, info] of actual.files) {
    const want = wanted.files.get(p)!;
    assert.equal(info.size, want.size, `${reader}: size of ${p}`);
    if (info.sha256 !== undefined) assert.equal(info.sha256, want.sha256, `${reader}: bytes of ${p}`);
  }
  assert.deepEqual([...actual.dirs].sort(), [...wanted.dirs].sort(), `${reader}: directories`);
}

export function vinylOf(f: InputFile): Vinyl {
  return new Vinyl({ cwd: "/virtual", base: "/virtual", path: `/virtual/${f.path}`, contents: f.data });
}

/** Write the image of `files` to `isoPath` (zero runs skipped, so huge images stay sparse). */
export async function writeIso(vinyls: Vinyl[], isoPath: string, options: IsoWriterOptions = {}): Promise<number> {
  const [image] = await runPlugins(vinyls, isoWriter(options));
  return writeSparse(image!.contents as Readable, isoPath);
}

const ZERO = Buffer.alloc(1 << 20);

export async function writeSparse(stream: AsyncIterable<Buffer>, file: string): Promise<number> {
  const fd = fs.openSync(file, "w");
  let pos = 0;
  try {
    for await (const chunk of stream) {
      let zero = true;
      for (let o = 0; o < chunk.length && zero; o += ZERO.length) {
        const part = chunk.subarray(o, o + ZERO.length);
        zero = part.equals(ZERO.subarray(0, part.length));
      }
      if (!zero) fs.writeSync(fd, chunk, 0, chunk.length, pos);
      pos += chunk.length;
    }
    fs.ftruncateSync(fd, pos);
  } finally {
    fs.closeSync(fd);
  }
  return pos;
}

function run(cmd: string, args: string[], input?: string): Buffer {
  requireCommand(cmd);
  const r = spawnSync(cmd, args, { env: UTF8_ENV, input, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------

export interface PycdlibTree {
  files: { path: string; size: number; sha256?: string; read?: number }[];
  dirs: string[];
}
export interface PycdlibResult {
  image: string;
  error?: string;
  volumeId?: string;
  jolietVolumeId?: string | null;
  joliet?: PycdlibTree | null;
  iso?: PycdlibTree;
}

/** One python process for many images. */
export function pycdlibRead(images: string[], data = true): PycdlibResult[] {
  requireTools("pycdlib");
  const out = run(PYTHON, [path.join(HERE, "pycdlib_tree.py")], JSON.stringify({ images, data }));
  return JSON.parse(out.toString("utf8")) as PycdlibResult[];
}

export function pycdlibJoliet(result: PycdlibResult): Seen {
  assert.equal(result.error, undefined, `pycdlib failed on ${result.image}: ${result.error}`);
  assert.ok(result.joliet, "pycdlib found no Joliet tree");
  const seen: Seen = { files: new Map(), dirs: new Set(result.joliet.dirs.map((d) => d.slice(1))) };
  for (const f of result.joliet.files) {
    if (f.read !== undefined) assert.equal(f.read, f.size, `pycdlib read ${f.read} bytes of ${f.path} (${f.size})`);
    seen.files.set(f.path.slice(1), { size: f.size, ...(f.sha256 && { sha256: f.sha256 }) });
  }
  return seen;
}

const ISO_FILE_ID = /^[A-Z0-9_]*\.[A-Z0-9_]*;1$/;
const ISO_DIR_ID = /^[A-Z0-9_]+$/;

/**
 * The primary tree as pycdlib sees it must hold the same files (count, sizes, bytes) and as
 * many directories, under valid level-2 identifiers that are unique in their directory.
 */
export function assertPrimaryTree(result: PycdlibResult, files: InputFile[]): void {
  const tree = result.iso!;
  const want = expected(files);
  assert.equal(tree.files.length, files.length, "primary tree file count");
  assert.equal(tree.dirs.length, want.dirs.size, "primary tree directory count");
  const sizes = (list: number[]) => [...list].sort((a, b) => a - b);
  assert.deepEqual(sizes(tree.files.map((f) => f.size)), sizes(files.map((f) => f.data.length)), "primary tree sizes");
  if (tree.files[0]?.sha256 !== undefined) {
    assert.deepEqual(tree.files.map((f) => f.sha256).sort(), files.map((f) => sha256(f.data)).sort(), "primary tree bytes");
  }
  const seen = new Set<string>();
  for (const entry of [...tree.files.map((f) => ({ p: f.path, dir: false })), ...tree.dirs.map((p) => ({ p, dir: true }))]) {
    const name = entry.p.slice(entry.p.lastIndexOf("/") + 1);
    assert.ok(name.length <= 31, `ISO identifier longer than 31: ${entry.p}`);
    assert.match(name, entry.dir ? ISO_DIR_ID : ISO_FILE_ID, `ISO identifier ${entry.p}`);
    assert.ok(!seen.has(entry.p), `duplicate ISO path ${entry.p}`);
    seen.add(entry.p);
  }
}

/** xorriso -find with lsdl: "-r-xr-xr-x 1 0 0 SIZE Mon DD YYYY '/path'". */
export function xorrisoList(iso: string): Seen {
  const out = run("xorriso", ["-indev", iso, "-find", "/", "-exec", "lsdl", "--"]).toString("utf8");
  const seen: Seen = { files: new Map(), dirs: new Set() };
  for (const line of out.split("\n")) {
    const m = /^([-d])\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+.*?'(\/.*)'$/.exec(line);
    if (!m) continue;
    const p = m[3]!.slice(1);
    if (p === "") continue;
    if (m[1] === "d") seen.dirs.add(p);
    else seen.files.set(p, { size: Number(m[2]) });
  }
  return seen;
}

/**
 * Debian's isoinfo has no UTF-8 output charset for Joliet names; with iso8859-1 it prints
 * U+0000-U+00FF as Latin-1 bytes and anything else as "_". `latin1View` maps expected names
 * the same way.
 */
export function latin1View(name: string): string {
  let out = "";
  for (const ch of name) out += ch.codePointAt(0)! <= 0xff ? ch : "_";
  return out;
}

/** `isoinfo -J -f`: every path (files and directories), as a sorted list. */
export function isoinfoPaths(iso: string): string[] {
  const out = run("isoinfo", ["-J", "-j", "iso8859-1", "-f", "-i", iso]).toString("latin1");
  return out.split("\n").filter(Boolean).map((l) => l.slice(1)).sort();
}

/** `isoinfo -J -l`: files with sizes (path in the Latin-1 view), as a sorted list of "path size". */
export function isoinfoSizes(iso: string): string[] {
  const out = run("isoinfo", ["-J", "-j", "iso8859-1", "-l", "-i", iso]).toString("latin1");
  const lines: string[] = [];
  let dir = "";
  for (const line of out.split("\n")) {
    const head = /^Directory listing of \/(.*)$/.exec(line);
    if (head) {
      dir = head[1]!;
      continue;
    }
    const m = /^-\S*\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\w{3}\s+\d+\s+\d+\s+\[\s*\d+\s+\S+\]\s\s(.*) $/.exec(line);
    if (m) lines.push(`${dir}${m[2]} ${m[1]}`);
  }
  return lines.sort();
}

/** `7z l -slt`: Path / Folder / Size blocks. */
export function sevenZipList(iso: string): Seen {
  const out = run("7z", ["l", "-slt", "-sccUTF-8", iso]).toString("utf8");
  const seen: Seen = { files: new Map(), dirs: new Set() };
  const body = out.slice(out.indexOf("----------"));
  for (const block of body.split(/\n\s*\n/)) {
    const p = /^Path = (.*)$/m.exec(block)?.[1];
    if (p === undefined) continue;
    if (/^Folder = \+$/m.test(block)) seen.dirs.add(p);
    else seen.files.set(p, { size: Number(/^Size = (\d+)$/m.exec(block)?.[1]) });
  }
  return seen;
}

/** `bsdtar -tvf`: ls-style lines; the root "." is dropped. */
export function bsdtarList(iso: string): Seen {
  const out = run("bsdtar", ["-tvf", iso]).toString("utf8");
  const seen: Seen = { files: new Map(), dirs: new Set() };
  for (const line of out.split("\n")) {
    const m = /^([-d])\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s(.*)$/.exec(line);
    if (!m || m[3] === ".") continue;
    if (m[1] === "d") seen.dirs.add(m[3]!);
    else seen.files.set(m[3]!, { size: Number(m[2]) });
  }
  return seen;
}

/** `bsdtar -tf`: plain paths, "." dropped. */
export function bsdtarPaths(iso: string): string[] {
  return run("bsdtar", ["-tf", iso]).toString("utf8").split("\n").filter((l) => l && l !== ".").sort();
}

/** Every file (size + sha256) and directory under `dir`. */
export function walkExtracted(dir: string): Seen {
  const seen: Seen = { files: new Map(), dirs: new Set() };
  const walk = (abs: string, rel: string) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      const a = path.join(abs, entry.name);
      if (entry.isDirectory()) {
        seen.dirs.add(r);
        walk(a, r);
      } else {
        const data = fs.readFileSync(a);
        seen.files.set(r, { size: data.length, sha256: sha256(data) });
      }
    }
  };
  walk(dir, "");
  return seen;
}

export function sevenZipExtract(iso: string, dir: string, only: string[] = []): Seen {
  fs.mkdirSync(dir, { recursive: true });
  run("7z", ["x", "-y", "-sccUTF-8", `-o${dir}`, iso, ...only]);
  return walkExtracted(dir);
}

export function bsdtarExtract(iso: string, dir: string, only: string[] = []): Seen {
  fs.mkdirSync(dir, { recursive: true });
  run("bsdtar", ["-xf", iso, "-C", dir, ...only]);
  return walkExtracted(dir);
}

export { run };
