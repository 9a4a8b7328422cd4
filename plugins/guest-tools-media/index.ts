/**
 * The whole media build as one composable unit, so the CLI, `gulp watch` and embedders get the
 * same behaviour: guestToolsSrc → normalizeArch → payloadPolicy → devicesCmd (when a contract is
 * used) → guestToolsLayout → validateSpec → manifest → mediaImages → atomicDest. The options
 * and their resolution are settings.ts, the composition pipeline.ts, the determinism check
 * self-check.ts; this module runs them.
 */
import { pipeline } from "node:stream/promises";
import { silentProgress } from "../shared/progress.js";
import { guestToolsPipeline, type MediaResult } from "./pipeline.js";
import { referenceBuild } from "./self-check.js";
import { resolveMediaSettings, type GuestToolsMediaOptions } from "./settings.js";

export {
  deviceContractPath,
  inputRecord,
  recordedPath,
  resolveMediaSettings,
  type GuestToolsMediaOptions,
  type MediaSettings,
} from "./settings.js";
export { guestToolsPipeline, type GuestToolsPipeline, type GuestToolsPipelineOptions, type MediaResult } from "./pipeline.js";

/** Run every check and write nothing. Resolves with the number of files that would be packaged. */
export async function validateGuestToolsMedia(options: GuestToolsMediaOptions): Promise<{ fileCount: number; warnings: string[]; signing: string[] }> {
  const media = guestToolsPipeline(await resolveMediaSettings(options), { write: false });
  await pipeline(media.stages);
  const { fileCount, warnings, signing } = media.result();
  return { fileCount, warnings, signing };
}

/** Build aero-guest-tools.iso, aero-guest-tools.zip and manifest.json into options.outDir, atomically. */
export async function buildGuestToolsMedia(options: GuestToolsMediaOptions): Promise<MediaResult> {
  const progress = options.progress ?? silentProgress;
  try {
    options.signal?.throwIfAborted();
    progress.phase("checking inputs");
    const settings = await resolveMediaSettings(options);
    const cache = options.cache;
    const beforeCommit = options.selfCheck ? await referenceBuild(guestToolsPipeline, settings) : undefined;
    const media = guestToolsPipeline(settings, { write: true, progress, ...(cache && { cache }), ...(beforeCommit && { beforeCommit }) });
    cache?.begin();
    await pipeline(media.stages, ...(options.signal ? [{ signal: options.signal }] : []));
    cache?.commit();
    return media.result();
  } finally {
    progress.end();
  }
}

export { referenceBuild } from "./self-check.js";
