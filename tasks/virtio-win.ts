/**
 * The `guest-tools:virtio-win` task: the guest-tools media with the Windows 7 drivers of an
 * upstream virtio-win.iso, read in place on any OS. Its flags are the guest-tools task's (parsed
 * by parseGuestToolsFlags) without --drivers-dir, plus --virtio-win-iso and --profile, with this
 * flow's defaults: the profile's spec, the virtio-win device contract, signing policy none.
 */
import type { TaskFunction } from "gulp";
import log from "gulplog";
import { buildVirtioWinGuestToolsMedia } from "../plugins/virtio-win/media.js";
import { isVirtioWinProfile, VIRTIO_WIN_PROFILES, type VirtioWinProfile } from "../plugins/virtio-win/layout.js";
import { userError } from "../plugins/shared/errors.js";
import type { Epoch } from "../plugins/shared/epoch.js";
import { FlagError, GUEST_TOOLS_FLAGS, flagDocs, parseFlags, parseGuestToolsFlags, SIGNING_POLICY_ENV, type FlagSpec, type GuestToolsFlags } from "./flags.js";
import { reportingErrors } from "./cli-output.js";
import { cliProgressSink } from "./progress.js";

export const TASK_NAME = "guest-tools:virtio-win";

/** Descriptions that differ from the guest-tools task's, because the defaults differ. */
const OWN_DESCRIPTIONS: Record<string, string> = {
  spec: "packaging spec JSON (default: the profile's, specs/win7-virtio-full.json or specs/win7-virtio-win.json)",
  "signing-policy": `test | production | none (default none, or env ${SIGNING_POLICY_ENV}); certs/*.cer|crt|p7b are left out unless test`,
  "windows-device-contract": "device contract JSON that generates config/devices.cmd (default specs/windows-device-contract-virtio-win.json)",
};

export const VIRTIO_WIN_FLAGS: FlagSpec[] = [
  { name: "virtio-win-iso", type: "string", path: true, description: "the upstream virtio-win.iso to take the Windows 7 drivers from (required)" },
  {
    name: "profile",
    type: "string",
    description: `full (${VIRTIO_WIN_PROFILES.full.drivers.join(", ")}) or minimal (${VIRTIO_WIN_PROFILES.minimal.drivers.join(", ")}); default full`,
  },
  ...GUEST_TOOLS_FLAGS.filter((f) => f.name !== "drivers-dir").map((f) =>
    Object.hasOwn(OWN_DESCRIPTIONS, f.name) ? { ...f, description: OWN_DESCRIPTIONS[f.name]! } : f,
  ),
];

/** The guest-tools flags minus --drivers-dir, plus the image and the profile. */
export interface VirtioWinFlags extends Omit<GuestToolsFlags, "driversDir" | "spec" | "windowsDeviceContract"> {
  virtioWinIso: string;
  profile: VirtioWinProfile;
  /** undefined: the profile's spec. */
  spec: string | undefined;
  /** undefined: the virtio-win contract. */
  windowsDeviceContract: string | undefined;
}

export function parseVirtioWinFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): VirtioWinFlags {
  for (const token of argv) {
    if (/^--?drivers-dir(=|$)/.test(token)) {
      throw new FlagError(`--drivers-dir does not apply to ${TASK_NAME}: the drivers come from --virtio-win-iso`);
    }
  }
  const v = parseFlags(argv, VIRTIO_WIN_FLAGS);
  const iso = v.get("virtio-win-iso");
  if (typeof iso !== "string") throw new FlagError(`--virtio-win-iso FILE is required (the upstream virtio-win.iso to take the drivers from)`);
  const profile = (v.get("profile") as string | undefined) ?? "full";
  if (!isVirtioWinProfile(profile)) throw new FlagError(`--profile must be full or minimal, got ${JSON.stringify(profile)}`);

  // The shared flags go through the guest-tools parser, so both tasks read them alike.
  const shared: string[] = [];
  for (const [name, value] of v) {
    if (name === "virtio-win-iso" || name === "profile") continue;
    shared.push(value === true ? `--${name}` : `--${name}=${value}`);
  }
  const flags = parseGuestToolsFlags(shared, { ...env, [SIGNING_POLICY_ENV]: env[SIGNING_POLICY_ENV] ?? "none" });
  return {
    virtioWinIso: iso,
    profile,
    guestToolsDir: flags.guestToolsDir,
    spec: v.get("spec") as string | undefined,
    outDir: flags.outDir,
    packageVersion: flags.packageVersion,
    buildId: flags.buildId,
    volumeId: flags.volumeId,
    signingPolicy: flags.signingPolicy,
    sourceDateEpoch: flags.sourceDateEpoch,
    windowsDeviceContract: flags.windowsDeviceContract,
    checksums: flags.checksums,
    sbom: flags.sbom,
    selfCheck: flags.selfCheck,
    quiet: flags.quiet,
  };
}

export const guestToolsVirtioWin: TaskFunction = reportingErrors(async () => {
  let flags: VirtioWinFlags;
  try {
    flags = parseVirtioWinFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof FlagError) throw userError(TASK_NAME, err.message);
    throw err;
  }
  const result = await buildVirtioWinGuestToolsMedia({ ...flags, progress: cliProgressSink({ quiet: flags.quiet }) });
  if (flags.quiet) return;
  for (const driver of result.plan.drivers) {
    if (driver.packaged) log.info(`virtio-win ${driver.name}: x86 from ${driver.sources.x86}/, amd64 from ${driver.sources.amd64}/`);
  }
  for (const warning of result.warnings) log.warn(`warning: ${warning}`);
  log.info(`wrote ${result.fileCount} files into:`);
  for (const out of result.outputs) log.info(`- ${out}`);
});
guestToolsVirtioWin.displayName = TASK_NAME;
guestToolsVirtioWin.description =
  "Build the guest-tools media with the Windows 7 drivers of an upstream virtio-win.iso (read in place, any OS): profile full or minimal";
guestToolsVirtioWin.flags = flagDocs(VIRTIO_WIN_FLAGS);
