import assert from "node:assert/strict";
import domain from "node:domain";
import { reportingErrors } from "../tasks/cli-output.js";

type WithDomain = NodeJS.Process & { domain?: domain.Domain | null };
const current = () => (process as WithDomain).domain ?? undefined;

/** Run `fn` the way gulp's async-done runs a task: inside a domain of its own. */
function inGulpDomain<T>(fn: () => Promise<T>): Promise<T> {
  const d = domain.create();
  return new Promise<T>((resolve, reject) => {
    d.on("error", reject);
    d.run(() => fn().then(resolve, reject));
  });
}

describe("reportingErrors (tasks/cli-output.ts)", () => {
  it("runs the task outside gulp's domain, before and after its first await", async () => {
    const seen: Array<unknown> = [];
    const task = reportingErrors(async () => {
      seen.push(current());
      await new Promise((r) => setTimeout(r, 1));
      seen.push(current());
    });
    await inGulpDomain(async () => {
      assert.ok(current(), "the harness enters a domain");
      await (task as () => Promise<void>)();
    });
    assert.deepEqual(seen, [undefined, undefined]);
  });

  it("still hands the task's failure back to gulp", async () => {
    const task = reportingErrors(async () => {
      await new Promise((r) => setTimeout(r, 1));
      throw Object.assign(new Error("bad flag"), { showStack: false });
    });
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write; // gulp-cli's listener is absent here
    try {
      await assert.rejects(inGulpDomain(() => (task as () => Promise<void>)()), /bad flag/);
    } finally {
      process.stderr.write = write;
    }
  });
});
