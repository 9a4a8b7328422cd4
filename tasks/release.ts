/**
 * The release tasks that run after a build: `verify` (is this media what its manifest says?) and
 * `diff` (what changed between two releases?). Flag parsing and output only; the work is in
 * plugins/verify-media and plugins/media-diff.
 */
import type { TaskFunction } from "gulp";
import log from "gulplog";
import { diffMediaFiles, formatMediaDiff } from "../plugins/media-diff/index.js";
import { userError } from "../plugins/shared/errors.js";
import { verifyError, verifyMedia } from "../plugins/verify-media/index.js";
import { reportingErrors } from "./cli-output.js";
import { FlagError, flagDocs, parseFlags, type FlagSpec } from "./flags.js";
import { cliProgressSink } from "./progress.js";

export const VERIFY_FLAGS: FlagSpec[] = [
  { name: "iso", type: "string", path: true, description: "ISO image to check (an ISO and/or a zip is required)" },
  { name: "zip", type: "string", path: true, description: "zip to check, against the manifest and the ISO" },
  { name: "manifest", type: "string", path: true, description: "side-car manifest.json to check against (default: the one inside the image)" },
  { name: "quiet", type: "boolean", description: "print nothing but problems" },
];

export const DIFF_FLAGS: FlagSpec[] = [
  { name: "from", type: "string", path: true, description: "the older media: an ISO, a zip or a manifest.json (required)" },
  { name: "to", type: "string", path: true, description: "the newer media: an ISO, a zip or a manifest.json (required)" },
  { name: "json", type: "boolean", description: "print the difference as JSON" },
];

function flags(task: string, specs: FlagSpec[]): Map<string, string | true> {
  try {
    return parseFlags(process.argv.slice(2), specs);
  } catch (err) {
    if (err instanceof FlagError) throw userError(task, err.message);
    throw err;
  }
}

const text = (v: Map<string, string | true>, name: string) => (typeof v.get(name) === "string" ? (v.get(name) as string) : undefined);

export const verify: TaskFunction = reportingErrors(async () => {
  const v = flags("verify", VERIFY_FLAGS);
  const quiet = v.get("quiet") === true;
  const report = await verifyMedia({ iso: text(v, "iso"), zip: text(v, "zip"), manifest: text(v, "manifest"), progress: cliProgressSink({ quiet }) });
  const error = verifyError(report);
  if (error) throw error;
  if (!quiet) log.info(`verified: ${report.fileCount} files match ${report.manifestSource}`);
});
verify.displayName = "verify";
verify.description = "Re-hash an ISO and/or zip in place against its manifest; exit 0 only when every file matches";
verify.flags = flagDocs(VERIFY_FLAGS);

export const diff: TaskFunction = reportingErrors(async () => {
  const v = flags("diff", DIFF_FLAGS);
  const from = text(v, "from");
  const to = text(v, "to");
  if (!from || !to) throw userError("diff", "--from and --to are both required (each an ISO, a zip or a manifest.json)");
  const d = await diffMediaFiles(from, to);
  process.stdout.write(`${v.get("json") === true ? JSON.stringify(d, null, 2) : formatMediaDiff(d)}\n`);
  // Like diff(1): 0 when equal, 1 when different (an error exits 1 too, with its message).
  if (!d.equal) process.exitCode = 1;
});
diff.displayName = "diff";
diff.description = "Compare two releases (ISO, zip or manifest.json each): files, DriverVer, package fields; exit 1 when they differ";
diff.flags = flagDocs(DIFF_FLAGS);
