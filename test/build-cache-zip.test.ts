/**
 * The zip assembler's cache hook: entries remembered from one assembly are written again without
 * reading or compressing their files, and the archive is byte-identical.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { assembleZip, dosDateTime, type CachedZipEntry, type ZipEntryCache, type ZipEntryInput } from "../plugins/deterministic-zip/index.js";
import { cleanupTempDirs, run, tempDir } from "./support/fixtures.js";

/** A Map behind the cache interface, counting what it is asked. */
class MapCache implements ZipEntryCache {
  entries = new Map<string, CachedZipEntry>();
  hits = 0;
  constructor(private readonly keep = true) {}
  getZipEntry(key: string, level: number) {
    const e = this.entries.get(key);
    if (e && e.level === level) {
      this.hits++;
      return e;
    }
    return undefined;
  }
  canKeepZipEntry() {
    return this.keep;
  }
  setZipEntry(key: string, entry: CachedZipEntry) {
    this.entries.set(key, entry);
  }
}

const FILES: Array<[string, Buffer]> = [
  ["a.txt", Buffer.from("hello hello hello\n")],
  ["empty.bin", Buffer.alloc(0)],
  // Above 4 MiB: compressed as a stream, in several output chunks.
  ["big.bin", Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(3 * 1024 * 1024, "aero ")])],
];

function entries(readable: boolean): ZipEntryInput[] {
  return FILES.map(([name, bytes]) => ({
    name,
    isDirectory: false,
    mode: 0o100644,
    size: bytes.length,
    cacheKey: `key:${name}`,
    open: () => {
      if (!readable) throw new Error(`${name} was read`);
      return Readable.from([bytes]);
    },
  }));
}

async function assemble(list: ZipEntryInput[], cache: ZipEntryCache | undefined, level = 6): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of assembleZip(list, { dos: dosDateTime(new Date(0)), level, ...(cache && { cache }) })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("assembleZip cache hook", () => {
  after(cleanupTempDirs);

  it("writes remembered entries without opening their files, byte for byte the same", async () => {
    const cache = new MapCache();
    const cold = await assemble(entries(true), cache);
    assert.equal(cache.entries.size, FILES.length);
    const warm = await assemble(entries(false), cache); // open() throws: nothing may be read
    assert.equal(cache.hits, FILES.length);
    assert.ok(warm.equals(cold));
    assert.ok(cold.equals(await assemble(entries(true), undefined)), "the cache changed the bytes of a cold assembly");
    const file = path.join(tempDir(), "warm.zip");
    writeFileSync(file, warm);
    run("unzip", ["-tqq", file]);
  });

  it("does not reuse an entry made at another deflate level or for another size", async () => {
    const cache = new MapCache();
    await assemble(entries(true), cache, 6);
    const level1 = await assemble(entries(true), cache, 1);
    assert.equal(cache.hits, 0);
    assert.ok(level1.equals(await assemble(entries(true), undefined, 1)));

    const grown = entries(true).map((e) => (e.name === "a.txt" ? { ...e, size: e.size + 1, open: () => Readable.from([Buffer.from("hello hello hello!\n")]) } : e));
    // Same key, new size (a file rewritten within one mtime tick would look like this): read again.
    const bytes = await assemble(grown, cache, 1);
    assert.ok(bytes.equals(await assemble(grown, undefined, 1)));
    const file = path.join(tempDir(), "grown.zip");
    writeFileSync(file, bytes);
    run("unzip", ["-tqq", file]);
    assert.equal(run("unzip", ["-p", file, "a.txt"]), "hello hello hello!\n");
  });

  it("keeps nothing the cache declines", async () => {
    const cache = new MapCache(false);
    await assemble(entries(true), cache);
    assert.equal(cache.entries.size, 0);
  });
});
