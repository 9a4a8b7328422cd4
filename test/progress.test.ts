/** The progress display obeys gulp-cli's log level like every other line of ours. */
import assert from "node:assert/strict";
import type { EventEmitter } from "node:events";
import log from "gulplog";
import { cliProgressSink } from "../tasks/progress.js";

const logger = log as unknown as EventEmitter;

/** Run a short build's worth of progress through a sink, capturing stderr (where the bar draws). */
async function drive(tty: boolean): Promise<string> {
  const original = process.stderr.write;
  const wasTTY = process.stderr.isTTY;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => ((text += String(chunk)), true)) as typeof process.stderr.write;
  // cli-progress draws only on a terminal: let stderr claim to be one.
  process.stderr.isTTY = tty;
  try {
    const sink = cliProgressSink({ quiet: false, tty, delayMs: 0 });
    sink.phase("writing ISO + zip", 1000);
    await new Promise((r) => setTimeout(r, 30));
    sink.advance(500);
    sink.end();
  } finally {
    process.stderr.write = original;
    process.stderr.isTTY = wasTTY;
  }
  return text;
}

describe("progress display", () => {
  it("draws the bar on a terminal only while gulp-cli prints info lines (not under --silent or -L)", async () => {
    assert.equal(logger.listenerCount("info"), 0);
    assert.equal(await drive(true), "", "drawn although nobody prints info lines");
    const lines: string[] = [];
    const onInfo = (l: string) => lines.push(l);
    logger.on("info", onInfo);
    try {
      assert.match(await drive(true), /writing ISO \+ zip/);
      assert.deepEqual(await drive(false), "");
      assert.deepEqual(lines.map((l) => l.replace(/[\d.]+ s/, "N s")), ["writing ISO + zip (1000 B)...", "writing ISO + zip: done in N s (500 B)"]);
    } finally {
      logger.off("info", onInfo);
    }
  });
});
