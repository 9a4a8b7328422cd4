// gulp-cli loads this config file before gulpfile.ts, in the same process (no respawn, so no
// "Node flags detected" / "Respawned to PID" lines, and signals reach the build directly).
// - gulpfile.ts loads as one compiled bundle, made by esbuild into .cache/gulpfile/ and remade
//   whenever a source it was made from changes (tasks/compiled-gulpfile.js): through tsx's hook
//   the sample build's start-up cost about 1 s more. Registered here rather than through
//   gulp-cli's `preload` (which logs "Loaded external module"); any other .ts file still loads
//   through tsx. gulpfile.ts must not use top-level await (neither bundle nor tsx allow it).
// - A young generation that does not grow: V8 then collects the many short-lived read buffers of
//   a big build sooner, which keeps peak RSS flat (medium payload: about 160 MiB instead of 195).
//   --max-semi-space-size only acts at startup (it needed the respawn); the growth factor is read
//   whenever V8 would grow the new space, so setting it here still takes effect.
import v8 from "node:v8";
import { registerCompiledGulpfile } from "./tasks/compiled-gulpfile.js";

v8.setFlagsFromString("--semi-space-growth-factor=1");
registerCompiledGulpfile();

export default {};
