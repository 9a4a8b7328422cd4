import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import Vinyl from "vinyl";
import { spawn, spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { lstatSync, symlinkSync } from "node:fs";
import { atomicDest, LOCK_NAME, ownOutputFilter, TEMP_HOST_TAG, TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { cleanupTempDirs, snapshotDir, tempDir } from "./support/fixtures.js";
import { bufferFile, runPlugins } from "./support/streams.js";

function streamFile(relative: string, stream: Readable): Vinyl {
  return new Vinyl({ cwd: "/v", base: "/v", path: `/v/${relative}`, contents: stream });
}

describe("atomicDest", () => {
  after(cleanupTempDirs);

  it("writes every file (Buffer and stream) and creates a missing out dir", async () => {
    const out = path.join(tempDir(), "a", "b");
    await runPlugins([bufferFile("one.txt", "1"), streamFile("two.bin", Readable.from([Buffer.from("22")]))], atomicDest(out));
    assert.equal(readFileSync(path.join(out, "one.txt"), "utf8"), "1");
    assert.equal(readFileSync(path.join(out, "two.bin"), "utf8"), "22");
    assert.deepEqual(readdirSync(out).sort(), ["one.txt", "two.bin"]);
  });

  it("keeps the previous outputs and leaves no temp file when one output fails", async () => {
    const out = tempDir();
    writeFileSync(path.join(out, "one.txt"), "old one");
    writeFileSync(path.join(out, "keep.me"), "unrelated");
    const before = snapshotDir(out);
    const failing = new PassThrough();
    setTimeout(() => {
      failing.write("partial");
      failing.destroy(new Error("disk on fire"));
    }, 20);
    await assert.rejects(runPlugins([bufferFile("one.txt", "new one"), streamFile("two.bin", failing)], atomicDest(out)), /disk on fire/);
    assert.deepEqual(snapshotDir(out), before);
  });

  it("removes the temp files a killed build of this host left, and no one else's", async () => {
    const out = tempDir();
    mkdirSync(path.join(out, "sub"));
    // A pid that is certainly gone: a process that has exited and been reaped.
    const deadPid = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    const live = spawn("sleep", ["60"]);
    try {
      const name = (final: string, host: string, pid: number) => `${TEMP_PREFIX}${final}.${host}.${pid}.0123abcd`;
      const otherHost = TEMP_HOST_TAG === "00000000" ? "11111111" : "00000000";
      const stale = [name("aero-guest-tools.iso", TEMP_HOST_TAG, deadPid), `sub/${name("nested.txt", TEMP_HOST_TAG, deadPid)}`];
      const kept = [
        name("aero-guest-tools.zip", TEMP_HOST_TAG, live.pid!), // a build running now
        name("manifest.json", otherHost, deadPid), // another machine's (a shared file system)
        `${TEMP_PREFIX}made-by-hand`, // not one of our names
        "notes.txt",
      ];
      for (const p of [...stale, ...kept]) writeFileSync(path.join(out, p), "x");
      await runPlugins([bufferFile("one.txt", "1"), bufferFile("sub/nested.txt", "2")], atomicDest(out));
      const left = readdirSync(out, { recursive: true }).map(String).sort();
      assert.deepEqual(left, ["one.txt", "sub", "sub/nested.txt", ...kept].sort());
    } finally {
      live.kill();
    }
  });

  it("fails promptly when a sibling fails while a source has ended but is not yet drained", async () => {
    // A source that has pushed its end but still holds 64 MiB for the writer: when it is destroyed,
    // Node's pipeline waits for an 'end' that never comes unless the writer is destroyed too.
    const out = tempDir();
    const ended = new Readable({ read() {} });
    for (let i = 0; i < 64; i++) ended.push(Buffer.alloc(1024 * 1024, i));
    ended.push(null);
    const failing = new PassThrough();
    setImmediate(() => failing.destroy(new Error("disk on fire")));
    const outcome = runPlugins([streamFile("big.bin", ended), streamFile("two.bin", failing)], atomicDest(out)).then(
      () => "succeeded",
      (err: Error) => err.message,
    );
    const timeout = new Promise((r) => setTimeout(() => r("still waiting after 20 s"), 20_000).unref());
    assert.match(String(await Promise.race([outcome, timeout])), /disk on fire/);
    assert.deepEqual(readdirSync(out), []);
  }).timeout(30_000);

  it("removes an out dir it created when the build fails", async () => {
    const parent = tempDir();
    const out = path.join(parent, "fresh");
    const failing = new PassThrough();
    setTimeout(() => failing.destroy(new Error("boom")), 10);
    await assert.rejects(runPlugins([streamFile("x.bin", failing)], atomicDest(out)), /boom/);
    assert.equal(existsSync(out), false);
  });

  it("refuses an out dir that is a file", async () => {
    const parent = tempDir();
    const out = path.join(parent, "file");
    writeFileSync(out, "I am a file");
    await assert.rejects(runPlugins([bufferFile("x.txt", "x")], atomicDest(out)), /out dir is not a directory/);
    assert.equal(readFileSync(out, "utf8"), "I am a file");
  });

  it("writes into nested folders of the out dir", async () => {
    const out = tempDir();
    mkdirSync(path.join(out, "keep"));
    await runPlugins([bufferFile("sub/dir/x.txt", "x")], atomicDest(out));
    assert.equal(readFileSync(path.join(out, "sub/dir/x.txt"), "utf8"), "x");
  });
});

describe("atomicDest's out-dir lock", () => {
  after(cleanupTempDirs);

  const lockOf = (pid: number, host = hostname()) => `${JSON.stringify({ pid, host, since: "2026-01-01T00:00:00.000Z" })}\n`;
  const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

  it("takes over at once a lock left by a killed build of this host, and leaves none behind", async () => {
    const out = tempDir();
    writeFileSync(path.join(out, LOCK_NAME), lockOf(deadPid()));
    const waits: string[] = [];
    await runPlugins([bufferFile("one.txt", "1")], atomicDest(out, { onLockWait: (l) => waits.push(l), lockTimeoutMs: 5_000 }));
    assert.deepEqual(waits, []);
    assert.deepEqual(readdirSync(out), ["one.txt"]);
  });

  it("waits for a live build's lock, then fails clearly naming it, writing nothing and keeping its lock", async () => {
    const live = spawn("sleep", ["60"]);
    try {
      for (const [host, where] of [[hostname(), "this host"], ["build-box-2", "host build-box-2"]] as const) {
        const out = tempDir();
        // Another host's pid cannot be checked: even a dead pid there is waited for.
        writeFileSync(path.join(out, LOCK_NAME), lockOf(host === hostname() ? live.pid! : deadPid(), host));
        writeFileSync(path.join(out, "one.txt"), "old");
        const before = snapshotDir(out);
        const waits: string[] = [];
        await assert.rejects(
          runPlugins([bufferFile("one.txt", "new")], atomicDest(out, { onLockWait: (l) => waits.push(l), lockTimeoutMs: 400 })),
          (err: Error) => {
            assert.match(err.message, new RegExp(`another build has been writing into .* \\(pid \\d+ on ${where}, since .*; lock file .*${LOCK_NAME.replace(/\./g, "\\.")}\\); nothing was written`));
            assert.equal((err as Error & { showStack?: boolean }).showStack, false, "a user-facing error, no stack");
            return true;
          },
        );
        assert.equal(waits.length, 1, "one wait line");
        assert.match(waits[0]!, new RegExp(`waiting for another build writing into .* \\(pid \\d+ on ${where}`));
        assert.deepEqual(snapshotDir(out), before);
      }
    } finally {
      live.kill();
    }
  }).timeout(20_000);

  it("makes a second build of the same process wait until the first has renamed its outputs", async () => {
    const out = tempDir();
    const body = new PassThrough();
    const first = runPlugins([streamFile("shared.bin", body)], atomicDest(out));
    for (let i = 0; i < 200 && !existsSync(path.join(out, LOCK_NAME)); i++) await new Promise((r) => setTimeout(r, 5));
    const waits: string[] = [];
    const second = runPlugins([bufferFile("shared.bin", "second")], atomicDest(out, { onLockWait: (l) => waits.push(l) }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(waits.length, 1, "the second build waits");
    assert.equal(existsSync(path.join(out, "shared.bin")), false, "nothing renamed yet");
    body.end("first");
    await first;
    await second;
    assert.equal(readFileSync(path.join(out, "shared.bin"), "utf8"), "second");
    assert.deepEqual(readdirSync(out), ["shared.bin"], "no lock left");
  });
});

describe("ownOutputFilter", () => {
  after(cleanupTempDirs);

  it("is true for this build's outputs, temp and lock files in the out dir (also through a symlink), and nothing else", () => {
    const root = tempDir();
    const out = path.join(root, "tools", "out");
    mkdirSync(out, { recursive: true });
    symlinkSync(path.join(root, "tools"), path.join(root, "via-link"));
    const seen: string[] = [];
    const exclude = ownOutputFilter(out, ["media.iso", "manifest.json"], (p) => seen.push(p));
    const file = (p: string) => {
      writeFileSync(p, "x");
      return exclude(p, lstatSync(p));
    };
    assert.equal(file(path.join(out, "media.iso")), true);
    assert.equal(file(path.join(out, `${TEMP_PREFIX}media.iso.${TEMP_HOST_TAG}.1.0123abcd`)), true);
    assert.equal(file(path.join(out, LOCK_NAME)), true);
    writeFileSync(path.join(out, "manifest.json"), "{}");
    assert.equal(exclude(path.join(root, "via-link", "out", "manifest.json"), lstatSync(path.join(out, "manifest.json"))), true, "the same folder reached through a symlink");
    assert.equal(file(path.join(root, "tools", "media.iso")), false, "the same name elsewhere is an input");
    assert.equal(file(path.join(out, "notes.txt")), false, "another file in the out dir is an input");
    assert.equal(seen.length, 4);
    // A walk that reports folders: the out dir goes only while it holds nothing but ours.
    assert.equal(exclude(out, lstatSync(out)), false);
    rmSync(path.join(out, "notes.txt"));
    assert.equal(exclude(out, lstatSync(out)), true);
  });
});
