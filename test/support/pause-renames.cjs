// Test hook, preloaded (--require) only by tests into a real gulp run: with AERO_TEST_PAUSE_DIR
// set, the first rename of a temp file onto its final name writes `<dir>/paused` and then blocks
// the process until `<dir>/go` exists, so a test can start a second build between one build's
// renames. Synchronous on purpose: atomicDest renames in one synchronous loop.
const fs = require("node:fs");
const path = require("node:path");
const { syncBuiltinESMExports } = require("node:module");

const dir = process.env.AERO_TEST_PAUSE_DIR;
if (dir) {
  const rename = fs.renameSync;
  let paused = false;
  fs.renameSync = function renameSync(from, to) {
    const result = rename.call(this, from, to);
    if (!paused && path.basename(String(from)).startsWith(".aero-tmp-") && !path.basename(String(to)).startsWith(".aero-tmp-")) {
      paused = true;
      fs.writeFileSync(path.join(dir, "paused"), String(to));
      const cell = new Int32Array(new SharedArrayBuffer(4));
      const until = Date.now() + 120_000;
      while (!fs.existsSync(path.join(dir, "go")) && Date.now() < until) Atomics.wait(cell, 0, 0, 50);
    }
    return result;
  };
  syncBuiltinESMExports(); // ESM named imports of node:fs see the patch too
}
