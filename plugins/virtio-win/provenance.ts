/**
 * licenses/virtio-win/driver-pack-manifest.json: where the packaged virtio-win drivers came from.
 * Pure and deterministic: fixed key order, no timestamps, the image named by its file name only
 * (so the same image gives the same bytes wherever it sits).
 */
import type { VirtioWinPlan } from "./layout.js";

export const DRIVER_PACK_MANIFEST_PATH = "licenses/virtio-win/driver-pack-manifest.json";
export const LICENSES_DIR = "licenses/virtio-win";

/** What is recorded about the source image. */
export interface VirtioWinImageInfo {
  /** Base name of the image file. */
  fileName: string;
  size: number;
  /** Lowercase hex SHA-256 of the whole image. */
  sha256: string;
  /** Volume label of the tree that was read. */
  volumeId: string;
}

export interface DriverPackManifest {
  schema_version: 1;
  source: { kind: "virtio-win-iso"; file_name: string; size: number; sha256: string; volume_id: string };
  profile: string;
  drivers: Array<{
    name: string;
    upstream_dir: string;
    required: boolean;
    packaged: boolean;
    /** In-image folder per arch, null when not found. */
    source: { x86: string | null; amd64: string | null };
    /** Only for drivers left out. */
    reason?: string;
  }>;
  /** Each license file: where it is in the image, where it is on the media. */
  licenses: Array<{ source: string; path: string }>;
}

export function driverPackManifest(plan: VirtioWinPlan, image: VirtioWinImageInfo): DriverPackManifest {
  return {
    schema_version: 1,
    source: { kind: "virtio-win-iso", file_name: image.fileName, size: image.size, sha256: image.sha256, volume_id: image.volumeId },
    profile: plan.profile,
    drivers: plan.drivers.map((d) => ({
      name: d.name,
      upstream_dir: d.upstreamDir,
      required: d.required,
      packaged: d.packaged,
      source: { x86: d.sources.x86 ?? null, amd64: d.sources.amd64 ?? null },
      ...(d.reason !== undefined && { reason: d.reason }),
    })),
    licenses: plan.licenses.map((source) => ({ source, path: `${LICENSES_DIR}/${source}` })),
  };
}

/** The file's bytes: two-space JSON with a final newline (the object's key order is fixed above). */
export function driverPackManifestBytes(plan: VirtioWinPlan, image: VirtioWinImageInfo): Buffer {
  return Buffer.from(`${JSON.stringify(driverPackManifest(plan, image), null, 2)}\n`, "utf8");
}
