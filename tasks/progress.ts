/**
 * How the CLI shows a build's progress: a cli-progress bar on a terminal (only once the build
 * has run for about a second), plain log lines with sizes and times when output is not a TTY
 * (CI logs), nothing with --quiet. Both go through gulplog's info level, so gulp-cli's --silent
 * and --log-level govern them as they govern gulp's own lines.
 */
import type { SingleBar } from "cli-progress";
import log from "gulplog";
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { ProgressSink } from "../plugins/shared/progress.js";

/** Whether anyone prints gulplog's info lines (gulp-cli does unless --silent or -L/-LL). */
export function infoShown(): boolean {
  return (log as unknown as EventEmitter).listenerCount("info") > 0;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

export function cliProgressSink(options: { quiet: boolean; tty?: boolean; delayMs?: number }): ProgressSink {
  if (options.quiet || !infoShown()) return { phase() {}, advance() {}, end() {} };
  return options.tty ?? process.stderr.isTTY ? terminalBar(options.delayMs ?? 1000) : logLines();
}

/** Plain lines: one when a phase starts, one when it ends, with bytes and seconds. */
function logLines(): ProgressSink {
  let current: { name: string; total: number | undefined; done: number; started: number } | undefined;
  const finish = () => {
    if (!current) return;
    const secs = ((performance.now() - current.started) / 1000).toFixed(2);
    const size = current.total !== undefined ? ` (${formatBytes(current.done)})` : "";
    log.info(`${current.name}: done in ${secs} s${size}`);
    current = undefined;
  };
  return {
    phase(name, totalBytes) {
      finish();
      current = { name, total: totalBytes, done: 0, started: performance.now() };
      log.info(`${name}${totalBytes !== undefined ? ` (${formatBytes(totalBytes)})` : ""}...`);
    },
    advance(bytes) {
      if (current) current.done += bytes;
    },
    end: finish,
  };
}

/** The bar itself; cli-progress is loaded only then, as most builds end before it would show. */
function newBar(): SingleBar {
  const cliProgress = createRequire(import.meta.url)("cli-progress") as typeof import("cli-progress");
  return new cliProgress.SingleBar(
    {
      format: "{phase} [{bar}] {percentage}% | {doneText} of {totalText}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** A single-line bar on stderr, shown only when the build outlasts delayMs. */
function terminalBar(delayMs: number): ProgressSink {
  let bar: SingleBar | undefined;
  let phase = "";
  let total = 0;
  let done = 0;
  const payload = () => ({ phase: phase.padEnd(18), doneText: formatBytes(done), totalText: formatBytes(total) });
  const timer = setTimeout(() => {
    bar = newBar();
    bar.start(Math.max(total, 1), done, payload());
  }, delayMs);
  timer.unref();
  return {
    phase(name, totalBytes) {
      phase = name;
      total = totalBytes ?? 0;
      done = 0;
      if (bar) {
        bar.setTotal(Math.max(total, 1));
        bar.update(0, payload());
      }
    },
    advance(bytes) {
      done += bytes;
      bar?.update(Math.min(done, Math.max(total, 1)), payload());
    },
    end() {
      clearTimeout(timer);
      bar?.stop();
    },
  };
}
