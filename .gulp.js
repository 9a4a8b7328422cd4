// gulp-cli loads this config file before gulpfile.ts, in the same process (no respawn, so no
// "Node flags detected" / "Respawned to PID" lines, and signals reach the build directly).
// - tsx's CommonJS hook, registered by importing it here rather than through gulp-cli's `preload`
//   (which logs "Loaded external module"), so gulpfile.ts and the TypeScript plugins load.
//   gulpfile.ts must therefore not use top-level await. (A `.gulp.cjs` would log the same line for
//   interpret's cjs-stub; this file is ESM, like the package.)
// - A young generation that does not grow: V8 then collects the many short-lived read buffers of
//   a big build sooner, which keeps peak RSS flat (medium payload: about 160 MiB instead of 195).
//   --max-semi-space-size only acts at startup (it needed the respawn); the growth factor is read
//   whenever V8 would grow the new space, so setting it here still takes effect.
import v8 from "node:v8";
import "tsx/cjs";

v8.setFlagsFromString("--semi-space-growth-factor=1");

export default {};
