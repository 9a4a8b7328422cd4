/**
 * Paths that are not UTF-8. Node decodes argv lossily: an invalid byte reaches process.argv as
 * U+FFFD, and the path then names a different file. The raw bytes are in /proc/self/cmdline only
 * until something sets process.title (Liftoff, i.e. gulp-cli, does so before loading the
 * gulpfile), and `npx` decodes and re-encodes the arguments before gulp starts. So: with the raw
 * bytes, be exact; without them, a U+FFFD in a path cannot be told from a lost byte and is refused.
 */
import { readFileSync } from "node:fs";
import { displayRawName } from "../plugins/shared/paths.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The raw bytes of each of `argv` (process.argv.slice(2)) from /proc/self/cmdline, when it still
 * holds this process's arguments (each entry decodes to the same string); otherwise undefined.
 */
export function rawArgv(argv: string[] = process.argv.slice(2), cmdlinePath = "/proc/self/cmdline"): Buffer[] | undefined {
  if (!argv.some((a) => a.includes("\uFFFD"))) return undefined; // nothing to decide
  let cmdline: Buffer;
  try {
    cmdline = readFileSync(cmdlinePath);
  } catch {
    return undefined; // not Linux
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] === 0) {
      parts.push(cmdline.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < cmdline.length) return undefined; // overwritten by a process title
  const mine = parts.slice(parts.length - argv.length);
  if (mine.length !== argv.length || mine.some((b, i) => b.toString("utf8") !== argv[i])) return undefined;
  return mine;
}

/** Why a path flag's value is refused, or undefined. `bytes`: its raw bytes when known. */
export function utf8Problem(value: string, bytes: Buffer | undefined, rawKnown: boolean): string | undefined {
  if (!value.includes("\uFFFD")) return undefined;
  if (bytes && rawKnown) {
    try {
      strictUtf8.decode(bytes);
      return undefined; // a real U+FFFD in the name
    } catch {
      return `is not valid UTF-8: "${displayRawName(bytes)}"; rename the file or folder to a UTF-8 name`;
    }
  }
  return (
    `is not valid UTF-8: ${JSON.stringify(value)} (Node decodes the command line lossily, turning bytes that are not UTF-8 ` +
    `into U+FFFD, so this would name another file; a literal U+FFFD cannot be told apart and is refused too); rename it to a valid UTF-8 name`
  );
}
