/**
 * Tasks for building the Aero Guest Tools media. This file only reads flags and composes the
 * plugins in plugins/; all packaging logic lives there.
 *
 * guest-tools is one gulp pipeline, source to destination (guestToolsPipeline in
 * plugins/guest-tools-media, shared with validate, watch, guest-tools:virtio-win and the
 * buildGuestToolsMedia API):
 *
 *   guestToolsSrc(guest-tools dir, drivers dir)
 *     → normalizeArch() → payloadPolicy() → devicesCmd(contract) → guestToolsLayout()
 *     → validateSpec(spec)                       the gate: every problem at once
 *     → mediaImages({ manifest })                ISO + zip + manifest.json
 *     → atomicDest(out dir)                      renamed into place together
 *
 * Its settings (volume id, epoch, names, signing policy, spec, contract) are resolved once, by
 * resolveMediaSettings, from the flags.
 *
 *   npx gulp guest-tools [flags]   (also the default task)
 *   npx gulp validate [flags]
 *   npx gulp watch [flags]                                  (tasks/watch.ts)
 *   npx gulp guest-tools:virtio-win --virtio-win-iso FILE   (tasks/virtio-win.ts)
 *   npx gulp iso --in-dir DIR --out-iso FILE --volume-id ID [--source-date-epoch N]
 *   npx gulp iso-ls --iso FILE
 *   npx gulp verify --iso FILE [--zip FILE] [--manifest FILE]   (tasks/release.ts)
 *   npx gulp diff --from A --to B [--json]                       (tasks/release.ts)
 */
import type { TaskFunction } from "gulp";
import gulp from "gulp";
import log from "gulplog";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { atomicDest, ownOutputFilter } from "./plugins/atomic-dest/index.js";
import { guestToolsPipeline, referenceBuild, resolveMediaSettings, type MediaResult } from "./plugins/guest-tools-media/index.js";
import { listIso } from "./plugins/iso-src/index.js";
import { isoWriter } from "./plugins/iso-writer/index.js";
import { payloadPolicy } from "./plugins/payload-policy/index.js";
import { treeSrc } from "./plugins/tree-src/index.js";
import { userError } from "./plugins/shared/errors.js";
import { quietOnClosedStdout, reportingErrors, writeLines } from "./tasks/cli-output.js";
import { stopWhenParentDies } from "./tasks/orphan-guard.js";
import { cliProgressSink } from "./tasks/progress.js";
import {
  FlagError,
  GUEST_TOOLS_FLAGS,
  ISO_FLAGS,
  ISO_LS_FLAGS,
  flagDocs,
  parseGuestToolsFlags,
  parseIsoFlags,
  parseIsoLsFlags,
} from "./tasks/flags.js";

const { series } = gulp;

stopWhenParentDies();
quietOnClosedStdout();

/** Flag problems are user mistakes: report them like any plugin error, without a stack. */
function readFlags<T>(task: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FlagError) throw userError(task, err.message);
    throw err;
  }
}

/** What a finished build says, unless --quiet. */
function report(result: MediaResult, quiet: boolean, done: (result: MediaResult) => void): void {
  if (quiet) return;
  for (const warning of result.warnings) log.warn(`warning: ${warning}`);
  for (const line of result.signing) log.info(line);
  done(result);
}

export const guestTools: TaskFunction = reportingErrors(async () => {
  const flags = readFlags("guest-tools", () => parseGuestToolsFlags(process.argv.slice(2)));
  const progress = cliProgressSink({ quiet: flags.quiet });
  let media: ReturnType<typeof guestToolsPipeline>;
  try {
    progress.phase("checking inputs");
    const settings = await resolveMediaSettings(flags);
    // --self-check: a reference build first; the real one compares its outputs before renaming them.
    const beforeCommit = flags.selfCheck ? await referenceBuild(guestToolsPipeline, settings) : undefined;
    media = guestToolsPipeline(settings, { write: true, progress, ...(beforeCommit && { beforeCommit }) });
    await pipeline(media.stages);
  } finally {
    progress.end(); // the last phase's line before the summary
  }
  report(media.result(), flags.quiet, (result) => {
    log.info(`wrote ${result.fileCount} files into:`);
    for (const out of result.outputs) log.info(`- ${out}`);
  });
});
guestTools.displayName = "guest-tools";
guestTools.description = "Build aero-guest-tools.iso, aero-guest-tools.zip and manifest.json from a drivers tree, a guest-tools tree and a spec";
guestTools.flags = flagDocs(GUEST_TOOLS_FLAGS);

export const validate: TaskFunction = reportingErrors(async () => {
  const flags = readFlags("validate", () => parseGuestToolsFlags(process.argv.slice(2)));
  const media = guestToolsPipeline(await resolveMediaSettings(flags), { write: false });
  await pipeline(media.stages);
  report(media.result(), flags.quiet, (result) => log.info(`validation passed: ${result.fileCount} files would be packaged (nothing written)`));
});
validate.displayName = "validate";
validate.description = "Run every check of guest-tools and write nothing (exit 0 when the inputs would package)";
validate.flags = flagDocs(GUEST_TOOLS_FLAGS);

export const iso: TaskFunction = reportingErrors(() => {
  const flags = readFlags("iso", () => parseIsoFlags(process.argv.slice(2)));
  // An --out-iso inside --in-dir: the previous image (and our temp files) are no input.
  let noted = false;
  const exclude = ownOutputFilter(path.dirname(path.resolve(flags.outIso)), [path.basename(flags.outIso)], (p) => {
    if (!noted) log.warn(`left out of the image: ${p} (this task's own output, inside --in-dir)`);
    noted = true;
  });
  return pipeline(
    treeSrc(flags.inDir, { exclude }),
    payloadPolicy({ profile: "staged" }),
    isoWriter({ volumeId: flags.volumeId, sourceDateEpoch: flags.sourceDateEpoch, fileName: path.basename(flags.outIso), passThrough: [] }), // the image alone
    atomicDest(path.dirname(path.resolve(flags.outIso))),
  );
});
iso.displayName = "iso";
iso.description = "Write a deterministic ISO9660 + Joliet image of any staged folder (hidden files and OS metadata skipped)";
iso.flags = flagDocs(ISO_FLAGS);

export const isoLs: TaskFunction = reportingErrors(async () => {
  const flags = readFlags("iso-ls", () => parseIsoLsFlags(process.argv.slice(2)));
  // A reader that closes the pipe early (`| head`) ends the listing; that is not a failure.
  await writeLines(await listIso(flags.iso));
});
isoLs.displayName = "iso-ls";
isoLs.description = "Print the path of every file in an ISO image (Joliet names), one per line, sorted; add --silent for the list alone";
isoLs.flags = flagDocs(ISO_LS_FLAGS);

export { guestToolsVirtioWin } from "./tasks/virtio-win.js";
export { diff, verify } from "./tasks/release.js";
export { watch } from "./tasks/watch.js";
export default series(guestTools);
