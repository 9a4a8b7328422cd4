/**
 * The external readers the tests check our outputs with, each with the Debian package that
 * provides it. A test that needs one calls `usesTools(...)` in its describe (or
 * `requireTools(this, ...)` in the test): when the reader is missing the test is skipped with a
 * line naming the package to install, so a fresh clone passes on a machine with only Node; with
 * AERO_REQUIRE_TOOLS=1 (set by .ci/run, which installs them all) a missing reader is a failure.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

interface ToolInfo {
  /** Debian package that provides it. */
  pkg: string;
  /** How to tell it is there: a command looked up on PATH, an absolute path, or a probe. */
  present: () => boolean;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && isExecutable(path.join(dir, command)));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const command = (name: string, pkg: string): ToolInfo => ({ pkg, present: () => onPath(name) });

/** Tests call Python and GNU time by absolute path (a PATH python may lack pycdlib; `time` is a shell keyword). */
export const PYTHON = "/usr/bin/python3";
export const GNU_TIME = "/usr/bin/time";

export const TOOLS = {
  xorriso: command("xorriso", "xorriso"),
  isoinfo: command("isoinfo", "genisoimage"),
  "7z": command("7z", "p7zip-full"),
  bsdtar: command("bsdtar", "libarchive-tools"),
  unzip: command("unzip", "unzip"),
  zip: command("zip", "zip"),
  pigz: command("pigz", "pigz"),
  osslsigncode: command("osslsigncode", "osslsigncode"),
  "x86_64-w64-mingw32-gcc": command("x86_64-w64-mingw32-gcc", "gcc-mingw-w64"),
  "i686-w64-mingw32-gcc": command("i686-w64-mingw32-gcc", "gcc-mingw-w64"),
  python3: { pkg: "python3", present: () => isExecutable(PYTHON) },
  pycdlib: { pkg: "python3-pycdlib", present: () => isExecutable(PYTHON) && spawnSync(PYTHON, ["-c", "import pycdlib"]).status === 0 },
  "gnu-time": { pkg: "time", present: () => isExecutable(GNU_TIME) && /GNU/.test(spawnSync(GNU_TIME, ["--version"], { encoding: "utf8" }).stdout + "") },
} satisfies Record<string, ToolInfo>;

export type Tool = keyof typeof TOOLS;

const known = new Map<Tool, boolean>();

/** Whether a reader is installed (looked up once per process). */
export function hasTool(tool: Tool): boolean {
  let present = known.get(tool);
  if (present === undefined) known.set(tool, (present = TOOLS[tool].present()));
  return present;
}

/** Missing readers, shared with test/support/ci-reporter.cjs, which lists them before its last line. */
const MISSING_KEY = Symbol.for("gulp-aero-guest-tools.missing-tools");
function missingRegistry(): Map<string, string> {
  const g = globalThis as { [MISSING_KEY]?: Map<string, string> };
  return (g[MISSING_KEY] ??= new Map());
}

/**
 * Skip the current test or suite (from a hook) unless every tool is installed; under
 * AERO_REQUIRE_TOOLS=1 throw instead, so that CI cannot pass by skipping.
 */
export function requireTools(ctx: Mocha.Context, ...tools: Tool[]): void {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => TOOLS[t].pkg))];
  const what = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not installed`;
  if (process.env.AERO_REQUIRE_TOOLS === "1") throw new Error(`${what} (AERO_REQUIRE_TOOLS=1): apt-get install ${pkgs.join(" ")}`);
  for (const t of missing) missingRegistry().set(t, TOOLS[t].pkg);
  const runnable = ctx.test; // the test itself, or the before hook of a suite
  const isHook = (runnable as { type?: string } | undefined)?.type === "hook";
  const title = (isHook ? runnable?.parent?.fullTitle() : runnable?.fullTitle()) ?? "";
  console.log(`      skipped "${title}": ${what}: apt-get install ${pkgs.join(" ")}`);
  ctx.skip();
}

/** In a describe: skip the whole suite (or fail it under AERO_REQUIRE_TOOLS=1) when a tool is missing. */
export function usesTools(...tools: Tool[]): void {
  before(function () {
    requireTools(this, ...tools);
  });
}
