/**
 * The parts of `gulp watch` that run in-process: the debounce/queue loop, the watch plan, the
 * change summary, and stopping in the middle of a build.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { describeChanges, RebuildLoop, watchGuestTools, watchPlan, type Changes } from "../tasks/watch.js";
import { cleanupTempDirs, copySample, snapshotDir, tempDir } from "./support/fixtures.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loop whose builds take `buildMs` and are recorded. */
function recordingLoop(debounceMs: number, buildMs: number) {
  const runs: Array<{ changes: string[]; aborted: boolean }> = [];
  const loop = new RebuildLoop({
    debounceMs,
    run: async (changes, signal) => {
      const run = { changes: [...changes.keys()], aborted: false };
      runs.push(run);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, buildMs);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          run.aborted = true;
          resolve();
        });
      });
    },
  });
  return { loop, runs };
}

describe("RebuildLoop", () => {
  it("turns a burst of saves into one rebuild, after the burst has been quiet for debounceMs", async () => {
    const { loop, runs } = recordingLoop(300, 0);
    for (let i = 0; i < 5; i++) loop.notify("changed", `/w/file${i}`);
    await sleep(20);
    for (let i = 5; i < 10; i++) loop.notify("changed", `/w/file${i}`);
    assert.equal(runs.length, 0, "a rebuild started before the saves were quiet");
    await loop.idle();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.changes.length, 10);
  });

  it("queues exactly one more rebuild for all the changes made during a build", async () => {
    const { loop, runs } = recordingLoop(30, 400);
    loop.start();
    await sleep(50);
    assert.ok(loop.running);
    loop.notify("changed", "/w/a");
    loop.notify("deleted", "/w/b");
    await sleep(50);
    loop.notify("changed", "/w/a");
    assert.equal(runs.length, 1, "a second build started while the first ran");
    await loop.idle();
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[0]!.changes, []);
    assert.deepEqual(runs[1]!.changes.sort(), ["/w/a", "/w/b"]);
  });

  it("stop() aborts the running build, waits for it and ignores later changes", async () => {
    const { loop, runs } = recordingLoop(30, 10_000);
    loop.start();
    await sleep(20);
    loop.notify("changed", "/w/a");
    await loop.stop();
    assert.equal(loop.running, false);
    assert.equal(runs[0]!.aborted, true);
    loop.notify("changed", "/w/b");
    await sleep(80);
    assert.equal(runs.length, 1);
  });
});

describe("watchPlan", () => {
  const plan = watchPlan({
    guestToolsDir: "/p/guest-tools",
    driversDir: "/p/drivers",
    spec: "/p/specs/spec.json",
    contract: "/p/docs/windows-device-contract.json",
    outDir: "/p/drivers/dist",
  });

  it("watches the folders of the guest-tools dir, the drivers dir, the spec and the contract", () => {
    assert.deepEqual(plan.roots, ["/p/guest-tools", "/p/drivers", "/p/specs", "/p/docs"]);
  });

  it("counts only paths that can change the media", () => {
    const yes = ["/p/guest-tools/setup.cmd", "/p/guest-tools/config/devices.cmd", "/p/guest-tools/certs", "/p/guest-tools/drivers", "/p/guest-tools/drivers/README.md", "/p/drivers/x64/viostor/viostor.inf", "/p/specs/spec.json", "/p/docs/windows-device-contract.json", "/p/guest-tools"];
    const no = ["/p/guest-tools/notes.txt", "/p/guest-tools/setup.cmd.swp/x", "/p/guest-tools/drivers/other.md", "/p/specs/other.json", "/p/docs/readme.md", "/p/drivers/dist/aero-guest-tools.iso", "/p/drivers/x64/.aero-tmp-x.1.ab", "/elsewhere/setup.cmd"];
    for (const p of yes) assert.ok(plan.relevant(p), p);
    for (const p of no) assert.ok(!plan.relevant(p), p);
  });
});

describe("describeChanges", () => {
  it("names up to three changes, then counts", () => {
    const one: Changes = new Map([["/repo/guest-tools/setup.cmd", "changed"]]);
    assert.equal(describeChanges(one, "/repo"), "guest-tools/setup.cmd changed");
    const two: Changes = new Map([["/repo/a.cmd", "changed"], ["/elsewhere/b.cmd", "deleted"]]);
    assert.equal(describeChanges(two, "/repo"), "a.cmd changed, /elsewhere/b.cmd deleted");
    const many: Changes = new Map(["a", "b", "c", "d", "e"].map((n) => [`/repo/${n}`, "added"]));
    assert.equal(describeChanges(many, "/repo"), "5 changes (a added, b added, +3 more)");
  });
});

describe("stopping in the middle of a build", function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  /** The sample plus 24 MiB, so the images are still being written when the abort comes. */
  function biggerSample() {
    const sample = copySample();
    writeFileSync(path.join(sample.guestTools, "tools/big.bin"), randomBytes(24 * 1024 * 1024));
    return sample;
  }

  it("an aborted build removes its temp files and leaves the last good media", async () => {
    const sample = biggerSample();
    const out = path.join(tempDir(), "dist");
    const options = { driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out };
    await buildGuestToolsMedia(options);
    const good = snapshotDir(out);
    writeFileSync(path.join(sample.guestTools, "setup.cmd"), "@echo changed\r\n");
    const abort = new AbortController();
    const progress = { phase: (name: string) => name.startsWith("writing") && setImmediate(() => abort.abort()), advance() {}, end() {} };
    await assert.rejects(buildGuestToolsMedia({ ...options, signal: abort.signal, progress }), { name: "AbortError" });
    assert.deepEqual(readdirSync(out).sort(), ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"]);
    assert.deepEqual(snapshotDir(out), good);
  });

  it("watchGuestTools stops during its first build: nothing written, no temp files, the promise resolves", async () => {
    const sample = biggerSample();
    const out = path.join(tempDir(), "dist");
    const stop = new AbortController();
    const lines: string[] = [];
    const logger = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const progress = { phase: (name: string) => name.startsWith("writing") && setImmediate(() => stop.abort()), advance() {}, end() {} };
    await watchGuestTools({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out, stop: stop.signal, progress, logger });
    assert.ok(!existsSync(out), `the out dir was left behind: ${existsSync(out) ? readdirSync(out).join(", ") : ""}`);
    assert.ok(lines.some((l) => /^build stopped/.test(l)), lines.join("\n"));
    assert.equal(lines.at(-1), "stopped watching");
  });

  it("SIGINT while the images are being written: atomicDest leaves the exit to the watch, which stops cleanly", async () => {
    const sample = biggerSample();
    const out = path.join(tempDir(), "dist");
    const lines: string[] = [];
    let read = 0;
    let sent = false;
    let listenersAtSend = 0;
    const listenersBefore = process.listenerCount("SIGINT");
    // If the build fails, or ends before the signal, stop the watch: the test then fails with the
    // log rather than hanging.
    const stop = new AbortController();
    const logger = {
      info: (l: string) => {
        lines.push(l);
        if (/^watching /.test(l) && !sent) stop.abort();
      },
      warn: (l: string) => lines.push(l),
      error: (l: string) => {
        lines.push(l);
        if (/failed/.test(l)) stop.abort();
      },
    };
    // Bytes flow only once atomicDest writes its temp files, so by now its signal handler is set.
    const advance = (n: number) => {
      read += n;
      if (read < 4 * 1024 * 1024 || sent) return;
      sent = true;
      listenersAtSend = process.listenerCount("SIGINT");
      setImmediate(() => process.emit("SIGINT", "SIGINT"));
    };
    const progress = { phase() {}, advance, end() {} };
    await watchGuestTools({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec: sample.spec, outDir: out, handleSignals: true, stop: stop.signal, progress, logger });
    assert.ok(sent, `the build finished before the signal was sent:\n${lines.join("\n")}`);
    assert.ok(listenersAtSend >= listenersBefore + 2, "the watch and atomicDest should both listen");
    assert.ok(!existsSync(out), `the out dir was left behind: ${existsSync(out) ? readdirSync(out).join(", ") : ""}`);
    assert.deepEqual(lines.slice(-3).map((l) => l.replace(/;.*/, "")), ["SIGINT: stopping", "build stopped", "stopped watching"], lines.join("\n"));
    assert.equal(process.listenerCount("SIGINT"), listenersBefore, "signal listeners left behind");
  });
});
