/** Test helpers: temp dirs, the bundled sample copied to a scratch place, running gulp for real. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { requireCommand } from "./tools.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Reference specs, INFs and device contracts of the Rust tool, vendored (test/fixtures/reference/README.md). */
export const REFERENCE = path.join(REPO, "test/fixtures/reference");
export const SAMPLE_DRIVERS = path.join(REPO, "drivers-sample/drivers");
export const SAMPLE_GUEST_TOOLS = path.join(REPO, "drivers-sample/guest-tools");
export const SAMPLE_SPEC = path.join(REPO, "specs/sample.json");

const made: string[] = [];

/** A fresh temp dir, removed after the run. */
export function tempDir(prefix = "aero-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Copy the bundled sample (drivers + guest-tools + spec) into a temp dir and return its paths. */
export function copySample(): { root: string; drivers: string; guestTools: string; spec: string } {
  const root = tempDir("aero-sample-");
  cpSync(SAMPLE_DRIVERS, path.join(root, "drivers"), { recursive: true });
  cpSync(SAMPLE_GUEST_TOOLS, path.join(root, "guest-tools"), { recursive: true });
  cpSync(SAMPLE_SPEC, path.join(root, "spec.json"));
  return { root, drivers: path.join(root, "drivers"), guestTools: path.join(root, "guest-tools"), spec: path.join(root, "spec.json") };
}

const GULP_BIN = path.join(REPO, "node_modules/gulp/bin/gulp.js");

/**
 * Run `gulp <args>` with this repo's gulpfile in a real child process. gulp-cli finds .gulp.cjs
 * (which preloads tsx) only in its working directory, so the child gets tsx's hook directly,
 * as .gulp.cjs would give it.
 */
export function runGulp(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
  return spawnSync(process.execPath, ["--require", tsx, GULP_BIN, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", options.cwd ?? REPO, ...args], {
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...options.env },
    timeout: 300_000,
  });
}

/** Every regular file under dir, relative, "/"-separated, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(abs).isDirectory()) walk(abs, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** name → bytes of every file directly in dir (for "the out dir holds exactly what it held"). */
export function snapshotDir(dir: string): Map<string, string> {
  const snap = new Map<string, string>();
  try {
    for (const rel of listFiles(dir)) snap.set(rel, readFileSync(path.join(dir, rel)).toString("base64"));
  } catch {
    /* missing dir → empty snapshot */
  }
  return snap;
}

/** Run a command; a reader that is not installed skips the test (test/support/tools.ts). */
export function run(cmd: string, args: string[], cwd?: string): string {
  requireCommand(cmd);
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
