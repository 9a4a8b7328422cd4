/**
 * What every fuzz target enforces, beyond "does not hang" (the fuzzer's per-input timeout):
 *
 * - Errors: only our own clear errors may escape. That is a PluginError made by `userError`
 *   (showStack false: a user-facing message) whose message names the input. Anything else
 *   (a TypeError, a RangeError, a PluginError wrapping an internal bug) is a finding.
 * - Allocation: no single Buffer larger than MAX_ALLOCATION bytes. The inputs are small
 *   (at most a few hundred KiB), so a bigger allocation means the input's claims were trusted.
 *   Buffer.alloc/allocUnsafe/allocUnsafeSlow are wrapped, but check only while a target runs
 *   (bounded/boundedSync), so replaying inputs inside mocha leaves other tests alone; a
 *   violation is remembered even if the code under test catches the error.
 *
 * Targets throw a FuzzFinding (or let an unexpected error escape); the fuzzer saves the input.
 */
import { PluginError } from "../../plugins/shared/errors.js";

/** A property of a target was broken. */
export class FuzzFinding extends Error {
  override name = "FuzzFinding";
}

/** Largest single Buffer a target may allocate (the biggest fuzz input is 1 MiB). */
export const MAX_ALLOCATION = 64 * 1024 * 1024;

let violation: string | undefined;
let armed = 0;
let wrapped = false;

/** Wrap Buffer's allocators once; they only check while a target runs (see bounded). */
function wrapAllocators(): void {
  if (wrapped) return;
  wrapped = true;
  const B = Buffer as unknown as Record<"alloc" | "allocUnsafe" | "allocUnsafeSlow", (size: number, ...rest: unknown[]) => Buffer>;
  for (const name of ["alloc", "allocUnsafe", "allocUnsafeSlow"] as const) {
    const original = B[name].bind(Buffer);
    B[name] = (size: number, ...rest: unknown[]) => {
      if (armed > 0 && typeof size === "number" && size > MAX_ALLOCATION) {
        violation ??= `Buffer.${name}(${size}) exceeds the ${MAX_ALLOCATION}-byte bound`;
        throw new FuzzFinding(violation);
      }
      return original(size, ...rest);
    };
  }
}

/** Throw if an over-sized allocation happened (even if the code under test caught the error). */
function checkAllocations(): void {
  if (violation === undefined) return;
  const message = violation;
  violation = undefined;
  throw new FuzzFinding(message);
}

/** Run one input of a synchronous target with the allocation bound armed. */
export function boundedSync<T>(body: () => T): T {
  wrapAllocators();
  armed++;
  try {
    const result = body();
    checkAllocations();
    return result;
  } finally {
    armed--;
    violation = undefined;
  }
}

/** Run one input of an asynchronous target with the allocation bound armed. */
export async function bounded<T>(body: () => Promise<T>): Promise<T> {
  wrapAllocators();
  armed++;
  try {
    const result = await body();
    checkAllocations();
    return result;
  } finally {
    armed--;
    violation = undefined;
  }
}

/** True for the errors a target may end with: a user-facing PluginError whose message names `label`. */
export function isClearError(err: unknown, label: string): boolean {
  if (!(err instanceof PluginError)) return false;
  const options = err as PluginError & { showStack?: boolean };
  if (options.showStack !== false) return false;
  return typeof err.message === "string" && err.message.includes(label);
}

/**
 * Run one input: `body` may end with a clear error naming `label`; anything else escapes as a
 * finding. Returns the body's result, or undefined when it ended with a clear error.
 */
export async function expectClearErrors<T>(label: string, body: () => Promise<T> | T): Promise<T | undefined> {
  try {
    const result = await body();
    checkAllocations();
    return result;
  } catch (err) {
    return settleError(err, label);
  }
}

/** The synchronous flavour, for the pure targets (the fuzzer runs them with --sync). */
export function expectClearErrorsSync<T>(label: string, body: () => T): T | undefined {
  try {
    const result = body();
    checkAllocations();
    return result;
  } catch (err) {
    return settleError(err, label);
  }
}

/** After a throw: a clear error naming `label` ends the input (undefined); anything else is a finding. */
function settleError(err: unknown, label: string): undefined {
  checkAllocations();
  if (err instanceof FuzzFinding) throw err;
  if (isClearError(err, label)) return undefined;
  throw err;
}

/** A named invariant; throws a FuzzFinding with `message` when `ok` is false. */
export function invariant(ok: boolean, message: string): asserts ok {
  if (!ok) throw new FuzzFinding(message);
}
