/**
 * Interrupting a build: SIGINT or SIGTERM while the outputs are being written leaves the previous
 * outputs intact and no temporary file behind, and the process ends by that signal (a shell
 * reports 130 / 143), as Unix tools should so that a calling script stops as well.
 *
 * The real thing runs `gulp guest-tools` as a child process on a 96 MiB payload (the sample plus
 * random blobs, generated once per run), waits until a temporary output holds at least 1 MiB, and
 * signals it. atomicDest's own behaviour (handlers
 * only while temporary files exist, the application's own listener respected) is checked in
 * process.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import os from "node:os";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import Vinyl from "vinyl";
import { atomicDest, LOCK_NAME, TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { cleanupTempDirs, REPO, snapshotDir, tempDir } from "./support/fixtures.js";
import { bigSample } from "./support/payload.js";
import { bufferFile, runPlugins } from "./support/streams.js";

const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];

/** The sample plus 96 MiB of incompressible blobs, made once (a build of it takes seconds). */
let payloadMade: ReturnType<typeof bigSample> | undefined;
function payload(): ReturnType<typeof bigSample> {
  return (payloadMade ??= bigSample(3, 32));
}

function tempFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX)) : [];
}

/** Largest temporary output in dir, in bytes (0 when there is none yet). */
function biggestTemp(dir: string): number {
  let max = 0;
  for (const n of tempFiles(dir)) {
    try {
      max = Math.max(max, statSync(path.join(dir, n)).size);
    } catch {
      /* renamed or removed meanwhile */
    }
  }
  return max;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Largest temporary output when the signal was sent. */
  tempBytes: number;
}

/**
 * Start `gulp guest-tools` on the payload into `out`, send `signal` once a temporary output
 * holds at least 1 MiB, and wait for the process (with `group`, for its whole process group,
 * as a terminal's Ctrl-C does) to end.
 */
async function interruptBuild(out: string, signal: NodeJS.Signals, options: { group?: boolean; cwd?: string } = {}): Promise<Interrupted> {
  const root = payload();
  const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
  const gulp = path.join(REPO, "node_modules/gulp/bin/gulp.js");
  // gulp-cli looks for .gulp.cjs from its cwd upwards and, finding the repository's (nodeFlags),
  // respawns node. From a folder outside the repository the build runs in this very process;
  // tsx comes from --require, as runGulp does it.
  const cwd = options.cwd ?? path.dirname(out);
  const args = ["--require", tsx, gulp, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", cwd, "guest-tools",
    "--drivers-dir", root.drivers, "--guest-tools-dir", root.guestTools, "--spec", root.spec,
    "--out-dir", out, "--quiet"];
  const child = spawn(process.execPath, args, { cwd, detached: options.group === true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, sig) => resolve({ code, signal: sig })));
  let tempBytes = 0;
  const deadline = Date.now() + 120_000;
  while ((tempBytes = biggestTemp(out)) < 1024 * 1024) {
    assert.ok(child.exitCode === null, `the build ended before it could be interrupted (exit ${child.exitCode}): ${stderr}`);
    assert.ok(Date.now() < deadline, "no temporary output grew to 1 MiB within 120 s");
    await sleep(20);
  }
  if (options.group) process.kill(-child.pid!, signal);
  else child.kill(signal);
  const { code, signal: sig } = await exited;
  if (options.group) {
    // A respawned build runs in a grandchild of ours: wait until the whole group is gone.
    for (let alive = true; alive; await sleep(20)) {
      try {
        process.kill(-child.pid!, 0);
      } catch {
        alive = false;
      }
    }
  }
  return { code, signal: sig, stderr, tempBytes };
}

function previousOutputs(out: string): Map<string, string> {
  mkdirSync(out, { recursive: true });
  for (const name of OUTPUTS) writeFileSync(path.join(out, name), `the previous ${name}\n`);
  writeFileSync(path.join(out, "notes.txt"), "not ours\n");
  return snapshotDir(out);
}

describe("interrupting a build", function () {
  this.timeout(300_000);
  after(cleanupTempDirs);

  /** What a shell reports: 128 + the signal number when the process died of it. */
  const shellStatus = (r: Interrupted) => r.code ?? 128 + os.constants.signals[r.signal!];

  for (const [signal, exit] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal} mid-write: status ${exit}, the previous outputs intact, no temporary file left`, async () => {
      const out = path.join(tempDir(), "dist");
      const before = previousOutputs(out);
      const r = await interruptBuild(out, signal);
      assert.ok(r.tempBytes >= 1024 * 1024);
      assert.equal(r.signal, signal, `ended by ${r.signal ?? `exit ${r.code}`}, not by ${signal}: ${r.stderr}`);
      assert.equal(shellStatus(r), exit);
      assert.deepEqual(tempFiles(out), []);
      assert.deepEqual(snapshotDir(out), before);
    });
  }

  it("Ctrl-C on `npx gulp` from the repository (gulp-cli respawns node for .gulp.cjs's flags) cleans up too", async () => {
    const out = path.join(tempDir(), "dist");
    const before = previousOutputs(out);
    // SIGINT to the whole process group, as a terminal sends it: the respawned child cleans up.
    const r = await interruptBuild(out, "SIGINT", { group: true, cwd: REPO });
    assert.equal(shellStatus(r), 130, `exit ${r.code} / ${r.signal}: ${r.stderr}`);
    assert.deepEqual(tempFiles(out), []);
    assert.deepEqual(snapshotDir(out), before);
  });

  it("a fresh out dir that was interrupted is removed again", async () => {
    const parent = tempDir();
    const out = path.join(parent, "new", "dist");
    const r = await interruptBuild(out, "SIGTERM", { cwd: parent });
    assert.equal(shellStatus(r), 143, r.stderr);
    assert.deepEqual(readdirSync(parent), []);
  });
});

describe("atomicDest signal handlers", () => {
  after(cleanupTempDirs);

  const slowFile = (relative: string, stream: Readable) => new Vinyl({ cwd: "/v", base: "/v", path: `/v/${relative}`, contents: stream });

  it("are installed only while temporary files exist", async () => {
    const listeners = () => process.listenerCount("SIGINT") + process.listenerCount("SIGTERM");
    const idle = listeners();
    const out = tempDir();
    const body = new PassThrough();
    const done = runPlugins([slowFile("slow.bin", body)], atomicDest(out));
    await sleep(20);
    assert.equal(listeners(), idle + 2, "SIGINT and SIGTERM handled while writing");
    body.end("bytes");
    await done;
    assert.equal(listeners(), idle, "handlers removed after the rename");
    await assert.rejects(runPlugins([bufferFile("x.txt", "x"), slowFile("y.bin", Readable.from((async function* () {
      yield Buffer.from("y");
      throw new Error("source failed");
    })()))], atomicDest(out)), /source failed/);
    assert.equal(listeners(), idle, "handlers removed after a failure");
  });

  it("leave the exit to an application that listens for the signal itself, abandoning the writes", async () => {
    const out = tempDir();
    writeFileSync(path.join(out, "slow.bin"), "previous");
    const before = snapshotDir(out);
    let appSawIt = false;
    const app = () => (appSawIt = true);
    process.on("SIGINT", app);
    try {
      const body = new PassThrough();
      body.write("partial");
      const done = runPlugins([slowFile("slow.bin", body)], atomicDest(out));
      const tempOutputs = () => tempFiles(out).filter((n) => n !== LOCK_NAME);
      for (let i = 0; i < 100 && tempOutputs().length === 0; i++) await sleep(10);
      assert.equal(tempOutputs().length, 1);
      process.emit("SIGINT", "SIGINT");
      await assert.rejects(done, /interrupted by SIGINT: nothing was written/);
      assert.ok(appSawIt);
      assert.deepEqual(tempFiles(out), []);
      assert.deepEqual(snapshotDir(out), before);
    } finally {
      process.off("SIGINT", app);
    }
  });
});
