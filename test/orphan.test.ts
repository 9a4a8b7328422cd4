/**
 * No orphans: killing any process of the `npx gulp guest-tools` chain (here the `npm exec` at its
 * top, with SIGKILL, so it cannot pass anything on) stops the build with the usual cleanup: the
 * out dir keeps what it held, no temp or lock file stays, and every process of the chain ends.
 *
 * The chain is npm exec → sh -c gulp → gulp (gulp-cli) → the respawned node when .gulp.cjs sets
 * nodeFlags. Both shapes are run, from a scratch project whose .gulp.cjs sets nodeFlags or not and
 * whose node_modules/.bin/gulp is this repository's gulp.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TEMP_PREFIX } from "../plugins/atomic-dest/index.js";
import { brokenLink, type ChainLink } from "../tasks/orphan-guard.js";
import { createHash } from "node:crypto";
import { cleanupTempDirs, listFiles, REPO, tempDir } from "./support/fixtures.js";
import { bigSample } from "./support/payload.js";

const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** name → size and SHA-256 of every file in dir (short enough to print when it differs). */
function digestDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(dir)) {
    const bytes = readFileSync(path.join(dir, rel));
    out[rel] = `${bytes.length} bytes, ${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}`;
  }
  return out;
}

/** A project folder where `npx gulp` runs this repository's gulp with the given .gulp.cjs settings. */
function scratchProject(respawn: boolean): string {
  const dir = tempDir("aero-npx-");
  mkdirSync(path.join(dir, "node_modules/.bin"), { recursive: true });
  symlinkSync(path.join(REPO, "node_modules/gulp/bin/gulp.js"), path.join(dir, "node_modules/.bin/gulp"));
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "aero-npx-scratch", private: true })}\n`);
  const config = { preload: [path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs")], ...(respawn && { nodeFlags: ["--max-semi-space-size=4"] }) };
  writeFileSync(path.join(dir, ".gulp.cjs"), `module.exports = ${JSON.stringify(config)};\n`);
  return dir;
}

/** pid → ppid and state of every process (Linux /proc). */
function processTable(): Map<number, { ppid: number; state: string; cmd: string }> {
  const table = new Map<number, { ppid: number; state: string; cmd: string }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      table.set(Number(name), { state: rest[0]!, ppid: Number(rest[1]), cmd });
    } catch {
      /* ended meanwhile */
    }
  }
  return table;
}

function descendants(root: number): number[] {
  const table = processTable();
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of table) if (p.ppid === pid) (out.push(child), walk(child));
  };
  walk(root);
  return out;
}

/** Still running (a zombie waiting to be reaped has ended). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function biggestTemp(dir: string): number {
  let max = 0;
  for (const n of readdirSync(dir).filter((x) => x.startsWith(TEMP_PREFIX))) {
    try {
      max = Math.max(max, statSync(path.join(dir, n)).size);
    } catch {
      /* renamed or removed meanwhile */
    }
  }
  return max;
}

describe("no orphans: kill -9 of the npm exec running `npx gulp guest-tools`", function () {
  this.timeout(240_000);
  let sample: ReturnType<typeof bigSample>;
  before(() => {
    sample = bigSample(3, 40);
  });
  after(cleanupTempDirs);

  for (const respawn of [true, false]) {
    it(`${respawn ? "with" : "without"} gulp-cli's respawn: the build stops, the out dir is as it was, no process is left`, async () => {
      const project = scratchProject(respawn);
      const out = path.join(tempDir(), "dist");
      mkdirSync(out);
      for (const name of OUTPUTS) writeFileSync(path.join(out, name), `the previous ${name}\n`);
      const before = digestDir(out);
      const npx = spawn("npx", ["gulp", "guest-tools", "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", project,
        "--drivers-dir", sample.drivers, "--guest-tools-dir", sample.guestTools, "--spec", sample.spec, "--out-dir", out], {
        cwd: project,
        detached: true, // its own process group, so whatever is left can be cleaned up below
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1" },
      });
      let log = "";
      npx.stdout.on("data", (c: Buffer) => (log += c.toString("utf8")));
      npx.stderr.on("data", (c: Buffer) => (log += c.toString("utf8")));
      let chain: number[] = [];
      try {
        for (const deadline = Date.now() + 120_000; biggestTemp(out) < 1024 * 1024; await sleep(20)) {
          assert.ok(npx.exitCode === null && Date.now() < deadline, `the build did not start writing:\n${log}`);
        }
        chain = descendants(npx.pid!);
        const shapes = chain.map((pid) => processTable().get(pid)?.cmd ?? "?");
        assert.ok(chain.length >= (respawn ? 3 : 2), `npm exec → sh → gulp${respawn ? " → respawned node" : ""}, found: ${shapes.join(" | ")}`);
        process.kill(npx.pid!, "SIGKILL");
        // The build had seconds of work left; every process of the chain must end well before.
        for (const deadline = Date.now() + 15_000; chain.some(running) && Date.now() < deadline; ) await sleep(50);
        const left = chain.filter(running).map((pid) => `${pid} ${processTable().get(pid)?.cmd}`);
        assert.deepEqual(left, [], `processes left running after the kill:\n${log}`);
        assert.match(log, new RegExp(`process ${npx.pid}, of the chain that started this build, has ended: stopping the build`));
        assert.deepEqual(readdirSync(out).filter((n) => n.startsWith(TEMP_PREFIX)), [], "no temp or lock file left");
        assert.deepEqual(digestDir(out), before, "the previous outputs are intact");
      } finally {
        for (const pid of chain) if (running(pid)) process.kill(pid, "SIGKILL");
        try {
          process.kill(-npx.pid!, "SIGKILL");
        } catch {
          /* the group is gone */
        }
      }
    });
  }
});

describe("orphan guard: brokenLink", () => {
  it("is the link whose process ended or changed parent, and none while the chain stands", async () => {
    // A chain of our own: sh (child of this process) → sleep.
    const sh = spawn("sh", ["-c", "sleep 60 & wait"], { stdio: "ignore" });
    try {
      let sleepPid: number | undefined;
      for (let i = 0; i < 100 && sleepPid === undefined; i++, await sleep(20)) sleepPid = descendants(sh.pid!)[0];
      assert.ok(sleepPid !== undefined, "sh started sleep");
      const links: ChainLink[] = [{ pid: sleepPid, ppid: sh.pid! }, { pid: sh.pid!, ppid: process.pid }];
      assert.equal(brokenLink(links), undefined);
      process.kill(sh.pid!, "SIGKILL"); // sleep is reparented: its parent is no longer sh
      for (let i = 0; i < 100 && processTable().get(sleepPid)?.ppid === sh.pid; i++) await sleep(20);
      assert.deepEqual(brokenLink(links), links[0]);
      process.kill(sleepPid, "SIGKILL");
      for (let i = 0; i < 100 && running(sleepPid); i++) await sleep(20);
      assert.deepEqual(brokenLink([links[1]!]), links[1], "a zombie or reaped process has ended");
    } finally {
      sh.kill("SIGKILL");
    }
  });
});
