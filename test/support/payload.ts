/**
 * A payload big enough for a build to take a few seconds: the bundled sample plus incompressible
 * blobs under guest-tools/tools/ (packaged as they are). Generated in the test, in a temp dir.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { copySample } from "./fixtures.js";

export function bigSample(blobs: number, mibEach: number): ReturnType<typeof copySample> {
  const sample = copySample();
  for (let i = 0; i < blobs; i++) {
    writeFileSync(path.join(sample.guestTools, "tools", `blob-${i}.bin`), randomBytes(mibEach * 1024 * 1024));
  }
  return sample;
}
