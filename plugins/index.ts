// Public API: every plugin and the pure helpers embedders need. Filled in as plugins land.
export { ProblemReport, type Problem, type SkippedFile } from "./shared/report.js";
export { FileContents, openContents, contentSize, materialize } from "./shared/contents.js";
export { parseDevicesCmdVars, parseTokenList } from "./devices-cmd/parse.js";
