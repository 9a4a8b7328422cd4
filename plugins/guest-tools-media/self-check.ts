/**
 * The determinism self-check (`--self-check`): the same build is run first into a temporary out
 * dir, in another time zone (a zip writer that used local time would differ), with no cache; the
 * real build then compares every output's SHA-256 with that reference just before its renames, so
 * a difference fails the build with the out dir untouched. Cost: one more build.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { WrittenOutput } from "../atomic-dest/index.js";
import { userError } from "../shared/errors.js";
import type { GuestToolsPipeline, GuestToolsPipelineOptions } from "./pipeline.js";
import type { MediaSettings } from "./settings.js";

const PLUGIN = "selfCheck";
/** UTC+14: as far from UTC (and from most build machines) as a zone gets. */
const OTHER_TIME_ZONE = "Pacific/Kiritimati";

type Compose = (s: MediaSettings, options: GuestToolsPipelineOptions) => GuestToolsPipeline;

/** Build once into a temporary dir and return a beforeCommit check against its outputs. */
export async function referenceBuild(compose: Compose, settings: MediaSettings): Promise<(outputs: WrittenOutput[]) => void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "aero-self-check-"));
  const zone = process.env.TZ;
  let expected: WrittenOutput[] = [];
  try {
    process.env.TZ = OTHER_TIME_ZONE;
    const reference = compose({ ...settings, outDir: dir }, { write: true, beforeCommit: (outputs) => void (expected = outputs) });
    await pipeline(reference.stages);
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    await rm(dir, { recursive: true, force: true });
  }
  return (outputs) => {
    const byName = new Map(expected.map((o) => [o.name, o]));
    const differ = outputs.filter((o) => byName.get(o.name)?.sha256 !== o.sha256).map((o) => o.name);
    const missing = expected.filter((o) => !outputs.some((x) => x.name === o.name)).map((o) => o.name);
    if (differ.length + missing.length > 0) {
      throw userError(
        PLUGIN,
        `the build is not deterministic: ${[...differ, ...missing].join(", ")} differ(s) between two builds of the same inputs ` +
          `(the second in time zone ${OTHER_TIME_ZONE}); nothing was written. Please report this with the inputs.`,
      );
    }
  };
}
