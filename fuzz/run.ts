/**
 * Coverage-guided fuzzing of the parsers that read untrusted input, with Jazzer.js (libFuzzer).
 *
 *   npm run fuzz                          every target, FUZZ_SECONDS each (default 60)
 *   npm run fuzz -- iso-reader spec       some targets
 *   npm run fuzz -- --ci                  every target briefly (FUZZ_SECONDS default 3: ~30 s in all)
 *   npm run fuzz -- --replay inf FILE...  run one target on some inputs in-process, no fuzzer
 *
 * Environment: FUZZ_SECONDS (per target), FUZZ_TIMEOUT_MS (per input before it counts as a
 * hang, default 2000), FUZZ_SEED (libFuzzer's seed; random by default, 1 with --ci so that CI
 * explores the same way on every run). Each target starts from its committed seeds (fuzz/corpus/<target>/) and
 * the saved regressions (fuzz/regressions/<target>/); what it learns goes to .cache/fuzz/corpus/.
 * A finding (crash, hang, out-of-memory) is saved under .cache/fuzz/findings/<target>/ and
 * makes the run fail; copy the file into fuzz/regressions/<target>/, where
 * test/fuzz-regressions.test.ts replays it on every `npm test`.
 *
 * Each target runs in its own process with a 1 GiB V8 heap and libFuzzer's 2 GiB RSS limit; the
 * targets themselves bound single allocations (fuzz/targets/guard.ts).
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { JazzerCompatError, loadableAddon } from "./jazzer-compat.js";
import { TARGETS } from "./targets/index.js";

const FUZZ = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(FUZZ);
const CACHE = path.join(REPO, ".cache/fuzz");

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run fuzz -- [--ci] [target...] | --replay <target> <file...>\ntargets: ${Object.keys(TARGETS).join(", ")}\n`);
  process.exit(2);
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) usage(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Inputs of a folder, oldest name first (a missing folder has none). */
function inputs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((n) => path.join(dir, n)).filter((f) => statSync(f).isFile());
}

async function replay(name: string, files: string[]): Promise<number> {
  if (!TARGETS[name]) usage(`unknown target ${name}`);
  const mod = (await import(pathToFileURL(path.join(FUZZ, "targets", `${name}.ts`)).href)) as { fuzz(data: Buffer): unknown };
  let failed = 0;
  for (const file of files) {
    try {
      await mod.fuzz(readFileSync(file));
      process.stdout.write(`ok      ${file}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FINDING ${file}\n${(err as Error).stack ?? String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

interface Outcome {
  name: string;
  code: number | null;
  runs: string;
  coverage: string;
  findings: string[];
  log: string;
}

function fuzzOne(name: string, seconds: number, timeoutMs: number, seed: number | undefined, addon: string | undefined): Promise<Outcome> {
  const target = TARGETS[name]!;
  const work = path.join(CACHE, "corpus", name);
  const findings = path.join(CACHE, "findings", name);
  const logs = path.join(CACHE, "logs");
  for (const dir of [work, findings, logs]) mkdirSync(dir, { recursive: true });
  const before = new Set(inputs(findings));
  const corpora = [work, path.join(FUZZ, "corpus", name), path.join(FUZZ, "regressions", name)].filter((d) => existsSync(d));
  const dict = path.join(FUZZ, "dict", `${name}.dict`);
  const jazzer = createRequire(import.meta.url).resolve("@jazzer.js/core/dist/cli.js");
  const args = [
    "--require", path.join(FUZZ, "preload.cjs"),
    "--import", "tsx",
    "--max-old-space-size=1024",
    jazzer,
    // tsx resolves the .js name to the .ts file (jazzer appends ".js" to any other name).
    path.join(FUZZ, "targets", `${name}.js`),
    ...corpora,
    "--includes", path.join(REPO, "plugins") + path.sep,
    `--timeout=${timeoutMs}`,
    ...(target.sync ? ["--sync"] : []),
    "--",
    `-max_total_time=${seconds}`,
    `-max_len=${target.maxLen}`,
    "-rss_limit_mb=2048",
    ...(seed !== undefined ? [`-seed=${seed}`] : []),
    `-artifact_prefix=${findings}${path.sep}`,
    ...(existsSync(dict) ? [`-dict=${dict}`] : []),
  ];
  const log = path.join(logs, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...(addon && { AERO_JAZZER_ADDON: addon }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const started = Date.now();
  const collect = (chunk: Buffer) => {
    out.write(chunk);
    text = (text + chunk.toString("utf8")).slice(-64 * 1024);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      out.end();
      const runs = [...text.matchAll(/^#(\d+)\s/gm)].pop()?.[1] ?? "0";
      const cov = [...text.matchAll(/cov: (\d+) ft: (\d+)/g)].pop();
      resolve({
        name,
        code,
        runs: `${runs} runs in ${Math.round((Date.now() - started) / 1000)} s`,
        coverage: cov ? `cov ${cov[1]}, ft ${cov[2]}` : "",
        findings: inputs(findings).filter((f) => !before.has(f)),
        log: text,
      });
    });
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--replay") {
    if (argv.length < 3) usage("--replay needs a target and at least one file");
    return replay(argv[1]!, argv.slice(2));
  }
  const ci = argv.includes("--ci");
  const names = argv.filter((a) => a !== "--ci");
  for (const n of names) if (n.startsWith("-") || !TARGETS[n]) usage(`unknown target or option ${n}`);
  const seconds = positiveNumber("FUZZ_SECONDS", ci ? 3 : 60);
  const timeoutMs = positiveNumber("FUZZ_TIMEOUT_MS", 2000);
  const seed = process.env.FUZZ_SEED ? positiveNumber("FUZZ_SEED", 1) : ci ? 1 : undefined;

  let addon: string | undefined;
  const original = createRequire(import.meta.url).resolve(`@jazzer.js/fuzzer/prebuilds/fuzzer-${process.platform}-${process.arch}.node`);
  try {
    const usable = loadableAddon(original, path.join(CACHE, "jazzer"));
    if (usable !== original) {
      addon = usable;
      process.stdout.write(`fuzz: Jazzer.js's prebuilt addon needs a newer glibc/libstdc++; using the patched copy ${path.relative(REPO, usable)}\n`);
    }
  } catch (err) {
    if (!(err instanceof JazzerCompatError)) throw err;
    process.stderr.write(`fuzz: cannot run Jazzer.js here: ${err.message}\n`);
    return 1;
  }

  let failed = 0;
  for (const name of names.length ? names : Object.keys(TARGETS)) {
    const r = await fuzzOne(name, seconds, timeoutMs, seed, addon);
    if (r.code === 0 && r.findings.length === 0) {
      process.stdout.write(`fuzz ${name}: ${r.runs}, ${r.coverage}, no finding\n`);
      continue;
    }
    failed++;
    process.stdout.write(`fuzz ${name}: FAILED (exit ${r.code}) after ${r.runs}\n${r.log.split("\n").slice(-40).join("\n")}\n`);
    const saved = inputs(path.join(FUZZ, "regressions", name));
    for (const f of r.findings) {
      const bytes = readFileSync(f);
      const known = saved.find((g) => readFileSync(g).equals(bytes));
      process.stdout.write(
        known
          ? `  finding: ${path.relative(REPO, f)} is the saved regression ${path.relative(REPO, known)}: not fixed yet\n`
          : `  finding: ${path.relative(REPO, f)}\n  keep it: mkdir -p fuzz/regressions/${name} && cp ${path.relative(REPO, f)} fuzz/regressions/${name}/\n`,
      );
    }
  }
  process.stdout.write(`fuzz: ${failed === 0 ? "no finding" : `${failed} target(s) with findings`} (${seconds} s per target)\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
