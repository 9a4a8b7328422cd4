/**
 * Builds of a copied sample for the incremental-build tests, and the check they all end with: the
 * outputs equal a cold build of the same inputs, byte for byte, and independent readers accept them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { BuildCache } from "../../plugins/build-cache/index.js";
import { buildGuestToolsMedia } from "../../plugins/guest-tools-media/index.js";
import { copySample, run, tempDir } from "./fixtures.js";

export const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];
export type Sample = ReturnType<typeof copySample>;

export interface SampleBuildOptions {
  sourceDateEpoch?: number;
  signal?: AbortSignal;
  /** Called when the images start being written. */
  onWriting?: () => void;
}

export function buildSample(sample: Sample, outDir: string, cache?: BuildCache, extra: SampleBuildOptions = {}) {
  return buildGuestToolsMedia({
    driversDir: sample.drivers,
    guestToolsDir: sample.guestTools,
    spec: sample.spec,
    outDir,
    sourceDateEpoch: extra.sourceDateEpoch ?? 1700000000,
    ...(cache && { cache }),
    ...(extra.signal && { signal: extra.signal }),
    ...(extra.onWriting && {
      progress: {
        phase: (name: string) => (name.startsWith("writing") ? extra.onWriting!() : undefined),
        advance: () => undefined,
        end: () => undefined,
      },
    }),
  });
}

/** The outputs equal a cold build's (no cache, another out dir), and unzip and bsdtar accept them. */
export async function assertSameAsCold(sample: Sample, outDir: string, sourceDateEpoch = 1700000000): Promise<void> {
  const cold = path.join(tempDir(), "cold");
  await buildSample(sample, cold, undefined, { sourceDateEpoch });
  for (const name of OUTPUTS) {
    const a = readFileSync(path.join(outDir, name));
    const b = readFileSync(path.join(cold, name));
    assert.ok(a.equals(b), `${name} differs from a cold build (${a.length} vs ${b.length} bytes)`);
  }
  run("unzip", ["-tqq", path.join(outDir, "aero-guest-tools.zip")]);
  assert.match(run("bsdtar", ["-tf", path.join(outDir, "aero-guest-tools.iso")]), /setup\.cmd/);
}
