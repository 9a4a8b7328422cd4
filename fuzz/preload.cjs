// Loaded with `node --require` by fuzz/run.ts: when AERO_JAZZER_ADDON names a patched copy of
// Jazzer.js's native addon (see fuzz/jazzer-compat.ts), load that copy instead of the original.
"use strict";
const replacement = process.env.AERO_JAZZER_ADDON;
if (replacement) {
  const path = require("node:path");
  const dlopen = process.dlopen;
  process.dlopen = function (module, filename, ...rest) {
    if (/^fuzzer-[a-z0-9]+-[a-z0-9]+\.node$/.test(path.basename(filename)) && filename.includes("@jazzer.js")) {
      filename = replacement;
    }
    return dlopen.call(this, module, filename, ...rest);
  };
}
