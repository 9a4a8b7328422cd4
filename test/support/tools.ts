/**
 * The external readers the tests check our outputs with, each with the Debian package that
 * provides it. `run()` of fixtures.ts checks the commands it runs; other uses call
 * `requireTools(...)` first, or `usesTools(...)` in a describe whose `before` needs them. When a
 * reader is missing the test is skipped with a line naming the package to install, so a fresh
 * clone passes on a machine with only Node; with AERO_REQUIRE_TOOLS=1 (set by .ci/run, which
 * installs them all) a missing reader is a failure.
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
  genisoimage: command("genisoimage", "genisoimage"),
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

/** Shared with test/support/ci-reporter.cjs: it publishes mocha's runner, and lists the missing readers before its last line. */
const SHARED_KEY = Symbol.for("gulp-aero-guest-tools.test-tools");
interface Shared {
  runner?: { currentRunnable?: Mocha.Runnable };
  missing?: Map<string, string>;
}
const shared = (): Shared => ((globalThis as { [SHARED_KEY]?: Shared })[SHARED_KEY] ??= {});

/**
 * Call before using a reader, from a test, a hook or a helper they call: when a tool is missing
 * the test (or, from a `before` hook, its whole suite) is skipped with the package to install;
 * under AERO_REQUIRE_TOOLS=1 it throws instead, so that CI cannot pass by skipping.
 */
export function requireTools(...tools: Tool[]): void {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => TOOLS[t].pkg))];
  const what = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not installed`;
  if (process.env.AERO_REQUIRE_TOOLS === "1") throw new Error(`${what} (AERO_REQUIRE_TOOLS=1): apt-get install ${pkgs.join(" ")}`);
  const runnable = shared().runner?.currentRunnable;
  // Without our reporter there is no runner to skip through: fail, naming the package.
  if (!runnable) throw new Error(`${what}: apt-get install ${pkgs.join(" ")}`);
  for (const t of missing) (shared().missing ??= new Map()).set(t, TOOLS[t].pkg);
  const isHook = (runnable as { type?: string }).type === "hook";
  const title = (isHook ? runnable.parent?.fullTitle() : runnable.fullTitle()) ?? "";
  console.log(`      skipped "${title}": ${what}: apt-get install ${pkgs.join(" ")}`);
  runnable.skip();
}

/** Tools known by the command a test runs (as `run()` of fixtures.ts gets it). */
const BY_COMMAND: Record<string, Tool> = { [PYTHON]: "python3", python3: "python3", [GNU_TIME]: "gnu-time" };
for (const t of Object.keys(TOOLS) as Tool[]) BY_COMMAND[t] ??= t;

/** requireTools for a command about to be run, when it is one of the readers. */
export function requireCommand(cmd: string): void {
  const tool = Object.hasOwn(BY_COMMAND, cmd) ? BY_COMMAND[cmd] : undefined;
  if (tool) requireTools(tool);
}

/** In a describe: skip the whole suite (or fail it under AERO_REQUIRE_TOOLS=1) when a tool is missing. */
export function usesTools(...tools: Tool[]): void {
  before(() => requireTools(...tools));
}
