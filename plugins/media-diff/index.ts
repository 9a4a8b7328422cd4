/**
 * diffMedia: what changed between two releases, each given as an ISO, a zip or a manifest.json
 * (`npx gulp diff --from A --to B`). See diff.ts for what is compared.
 */
import { asPluginError } from "../shared/errors.js";
import { diffMedia, type MediaDiff } from "./diff.js";
import { loadMediaSide } from "./side.js";

const PLUGIN = "diffMedia";

export async function diffMediaFiles(from: string, to: string): Promise<MediaDiff> {
  try {
    const [a, b] = await Promise.all([loadMediaSide(from), loadMediaSide(to)]);
    return diffMedia(a, b);
  } catch (err) {
    throw asPluginError(PLUGIN, err);
  }
}

export { DIFF_FIELDS, diffMedia, formatMediaDiff, type MediaDiff, type MediaSide } from "./diff.js";
export { loadMediaSide } from "./side.js";
