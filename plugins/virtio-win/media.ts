/**
 * buildVirtioWinGuestToolsMedia(options): the guest-tools media built with the Windows 7 drivers
 * of an upstream virtio-win image. The image's plan comes first, so a missing required driver
 * fails before anything else is read; then buildGuestToolsMedia runs with the drivers and
 * licenses/virtio-win/ taken from the image and this flow's defaults: the profile's spec, the
 * virtio-win device contract, signing policy none, certificates left out (not refused).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuestToolsMedia, type GuestToolsMediaOptions, type MediaResult } from "../guest-tools-media/index.js";
import { openVirtioWin } from "./image.js";
import { VIRTIO_WIN_PROFILES, type VirtioWinPlan, type VirtioWinProfile } from "./layout.js";

/** specs/ of this package: plugins/virtio-win/ and, once built, lib/virtio-win/ both sit two levels below it. */
const SPECS_DIR = fileURLToPath(new URL("../../specs/", import.meta.url));

/** The device contract with the upstream service names (viostor, netkvm, viosnd, vioinput). */
export const VIRTIO_WIN_CONTRACT_PATH = path.join(SPECS_DIR, "windows-device-contract-virtio-win.json");

/** The packaging spec of a profile: specs/win7-virtio-full.json or specs/win7-virtio-win.json. */
export function virtioWinSpecPath(profile: VirtioWinProfile): string {
  return path.join(SPECS_DIR, VIRTIO_WIN_PROFILES[profile].spec);
}

export interface VirtioWinMediaOptions
  extends Omit<GuestToolsMediaOptions, "driversDir" | "driversSource" | "extraFiles" | "spec" | "windowsDeviceContract"> {
  /** The upstream virtio-win.iso. */
  virtioWinIso: string;
  /** Default "full". */
  profile?: VirtioWinProfile;
  /** Default: the profile's spec (virtioWinSpecPath). */
  spec?: string | undefined;
  /** Default: VIRTIO_WIN_CONTRACT_PATH. */
  windowsDeviceContract?: string | undefined;
}

export interface VirtioWinMediaResult extends MediaResult {
  /** Which image folder each driver came from, and the license files. */
  plan: VirtioWinPlan;
}

export async function buildVirtioWinGuestToolsMedia(options: VirtioWinMediaOptions): Promise<VirtioWinMediaResult> {
  const { virtioWinIso, profile, spec, windowsDeviceContract, ...rest } = options;
  const warnings: string[] = [];
  const image = openVirtioWin(virtioWinIso, {
    ...(profile !== undefined && { profile }),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    onWarning: (message) => warnings.push(message),
  });
  const plan = await image.plan();
  // Hash the image while the build runs; licenses() awaits it for driver-pack-manifest.json.
  image.info().catch(() => undefined);
  const result = await buildGuestToolsMedia({
    ...rest,
    driversSource: () => image.drivers(),
    extraFiles: () => image.licenses(),
    spec: spec ?? virtioWinSpecPath(image.profile),
    windowsDeviceContract: windowsDeviceContract ?? VIRTIO_WIN_CONTRACT_PATH,
    signingPolicy: options.signingPolicy ?? "none",
    certsOutsideTest: options.certsOutsideTest ?? "drop",
  });
  return { ...result, warnings: [...warnings, ...result.warnings], plan };
}
