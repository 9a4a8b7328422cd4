/**
 * How the tasks meet the terminal: a failed task's error is never hidden (gulp-cli prints nothing
 * at all under --silent, not even the error), and a stdout closed by the reader (`| head`) ends the
 * output quietly instead of with an EPIPE stack.
 */
import type { Domain } from "node:domain";
import type { EventEmitter } from "node:events";
import type { TaskFunction } from "gulp";
import log from "gulplog";

const logger = log as unknown as EventEmitter;

/**
 * Whether gulp-cli will print a failed task's error: it does so through gulplog's error level,
 * and under --silent it attaches only a no-op listener (named `noop`, "to keep from crashing").
 */
export function gulpCliPrintsErrors(): boolean {
  return logger.listeners("error").some((l) => l.name !== "noop");
}

/** The error as gulp-cli formats it: a PluginError's message (its own stack setting), else the stack. */
export function formatTaskError(err: unknown): string {
  if (err instanceof Error && typeof (err as { showStack?: unknown }).showStack === "boolean") return String(err);
  if (err instanceof Error && err.stack) return err.stack;
  return String(err);
}

/**
 * Wrap a task so that its failure is printed on stderr exactly once: by gulp-cli when it prints
 * errors, otherwise (--silent) by us. The failure still propagates, so the exit status is non-zero.
 *
 * The task runs outside the `domain` gulp (async-done) enters around every task: inside one, every
 * promise of the build is tagged with the domain and tracked until it is collected, which cost
 * about 0.6 s of CPU on the medium payload. async-done still gets the task's result (resolved or
 * rejected) from the returned promise; the domain would only catch an exception thrown outside
 * any promise or stream, which our tasks do not leave uncaught.
 */
export function reportingErrors(task: () => Promise<unknown>): TaskFunction {
  return async () => {
    leaveDomains();
    try {
      await task();
    } catch (err) {
      if (!gulpCliPrintsErrors()) process.stderr.write(`${formatTaskError(err)}\n`);
      throw err;
    }
  };
}

/** Leave every entered domain (none entered: nothing to do). */
function leaveDomains(): void {
  const running = process as NodeJS.Process & { domain?: Domain | null };
  while (running.domain) running.domain.exit();
}

let stdoutGuarded = false;

/** Ignore EPIPE on stdout from now on (the reader closed it: nothing left to say). Idempotent. */
export function quietOnClosedStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}

/**
 * Write lines to a stream, honouring backpressure. Resolves true when all were written, false
 * when the reader closed the stream first (EPIPE), which is not an error for a listing.
 */
export async function writeLines(lines: Iterable<string>, out: NodeJS.WritableStream = process.stdout): Promise<boolean> {
  const stream = out as NodeJS.WritableStream & EventEmitter & { destroyed?: boolean };
  let closed = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") failure = err;
    closed = true;
    wake?.();
  };
  stream.on("error", onError);
  try {
    let chunk = "";
    const flush = async () => {
      if (chunk === "" || closed) return;
      const ok = stream.write(chunk);
      chunk = "";
      if (!ok && !closed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          stream.once("drain", resolve);
        });
        stream.off("drain", wake!);
        wake = undefined;
      }
    };
    for (const line of lines) {
      if (closed || stream.destroyed) break;
      chunk += `${line}\n`;
      if (chunk.length >= 16_384) await flush();
    }
    await flush();
    // An EPIPE is reported after the write returns: let it arrive before judging.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (failure) throw failure;
    return !closed;
  } finally {
    stream.off("error", onError);
  }
}
