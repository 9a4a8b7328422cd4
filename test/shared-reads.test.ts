import assert from "node:assert/strict";
import { SharedReads } from "../plugins/shared/shared-reads.js";

const tick = () => new Promise((r) => setImmediate(r));
const bytes = (s: string) => Buffer.from(s);

describe("SharedReads (one read per file across two stages)", () => {
  it("hands a follower every byte, in order, and says it was served", async () => {
    const reads = new SharedReads();
    const file = {};
    reads.offer([file]);
    const got: string[] = [];
    const served = reads.follow(file, (c) => got.push(c.toString()));
    await tick();
    reads.chunk(file, 0, bytes("ab"));
    reads.chunk(file, 2, bytes("cde"));
    reads.end(file, true, 5);
    assert.equal(await served, true);
    assert.deepEqual(got, ["ab", "cde"]);
  });

  it("makes the reader wait for an expected file until it is followed or released", async () => {
    const reads = new SharedReads();
    const followed = {};
    const released = {};
    const other = {};
    reads.expect([followed, released]);
    reads.offer([followed, released, other]);
    assert.equal(reads.beforeRead(other), undefined, "not expected: no wait");
    let go1 = false;
    let go2 = false;
    void reads.beforeRead(followed)!.then(() => (go1 = true));
    void reads.beforeRead(released)!.then(() => (go2 = true));
    await tick();
    assert.deepEqual([go1, go2], [false, false]);
    const served = reads.follow(followed, () => undefined);
    reads.release(released);
    await tick();
    assert.deepEqual([go1, go2], [true, true]);
    reads.chunk(followed, 0, bytes("x"));
    reads.end(followed, true, 1);
    assert.equal(await served, true);
  });

  it("tells a follower to read for itself when it cannot be served", async () => {
    const reads = new SharedReads();
    const [begun, failed, gap, notOffered, closed] = [{}, {}, {}, {}, {}];
    reads.offer([begun, failed, gap, closed]);
    reads.chunk(begun, 0, bytes("a"));
    assert.equal(await reads.follow(begun, () => undefined), false, "its read began before it asked");
    assert.equal(await reads.follow(notOffered, () => undefined), false, "the reader does not read it");
    const f = reads.follow(failed, () => undefined);
    const g = reads.follow(gap, () => undefined);
    const c = reads.follow(closed, () => undefined);
    await tick();
    reads.chunk(failed, 0, bytes("a"));
    reads.end(failed, false, 1);
    reads.chunk(gap, 0, bytes("a"));
    reads.chunk(gap, 5, bytes("b"));
    reads.close();
    assert.deepEqual(await Promise.all([f, g, c]), [false, false, false]);
  });

  it("a follower that throws is dropped, not the reader", async () => {
    const reads = new SharedReads();
    const file = {};
    reads.offer([file]);
    const served = reads.follow(file, () => {
      throw new Error("boom");
    });
    await tick();
    reads.chunk(file, 0, bytes("a"));
    assert.equal(await served, false);
  });

  it("releases every waiting reader when closed, and serves nobody after the last file ended", async () => {
    const reads = new SharedReads();
    const [a, b] = [{}, {}];
    reads.expect([a]);
    const waiting = reads.beforeRead(a)!;
    reads.close();
    await waiting; // resolves: the test would time out otherwise
    const later = new SharedReads();
    later.offer([b]);
    later.end(b, true, 0);
    assert.equal(await later.follow(b, () => undefined), false);
  });

  it("does not keep the reader waiting for a follower that never comes", async function () {
    this.timeout(10_000);
    const reads = new SharedReads();
    const file = {};
    reads.expect([file]);
    reads.offer([file]);
    const started = Date.now();
    await reads.beforeRead(file);
    assert.ok(Date.now() - started < 5000);
  });
});
