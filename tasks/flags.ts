/**
 * The flags of the gulp tasks: what each task accepts (GUEST_TOOLS_FLAGS, ISO_FLAGS, ...), their
 * defaults (the API's constants) and the values they parse to (signing policy, epoch). The parser
 * itself is flag-parser.ts; its names are re-exported here, where the tasks import them from.
 */
import { parseEpoch, type Epoch } from "../plugins/shared/epoch.js";
// The defaults the API applies (resolveMediaSettings), written once there; light, pure modules.
import { DEFAULT_VOLUME_ID } from "../plugins/iso9660/names.js";
import { MANIFEST_DEFAULTS, type SigningPolicy } from "../plugins/manifest/document.js";
import { CHECKSUMS_NAME } from "../plugins/checksums/document.js";
import { DEFAULT_SBOM_NAME } from "../plugins/sbom/name.js";
import { FlagError, parseFlags, required, type FlagSpec } from "./flag-parser.js";

export { FlagError, flagDocs, parseFlags, type FlagSpec } from "./flag-parser.js";
export { gulpCliOptions, type GulpCliOption } from "./gulp-cli-options.js";
export { rawArgv, utf8Problem } from "./argv-utf8.js";

/** The environment variable that gives the signing policy when --signing-policy is not given. */
export const SIGNING_POLICY_ENV = "AERO_GUEST_TOOLS_SIGNING_POLICY";

/** Signing policies and their accepted aliases (as aero_packager accepts them). */
const SIGNING_POLICY_ALIASES: Record<string, SigningPolicy> = {
  test: "test",
  testsigning: "test",
  "test-signing": "test",
  production: "production",
  prod: "production",
  whql: "production",
  none: "none",
  nointegritychecks: "none",
  "no-integrity-checks": "none",
};

export function parseSigningPolicy(value: string, source: string): SigningPolicy {
  const policy = Object.hasOwn(SIGNING_POLICY_ALIASES, value) ? SIGNING_POLICY_ALIASES[value] : undefined;
  if (!policy) {
    throw new FlagError(
      `${source} must be one of test, production, none (aliases: testsigning, test-signing, prod, whql, nointegritychecks, no-integrity-checks), got ${JSON.stringify(value)}`,
    );
  }
  return policy;
}

export function parseEpochFlag(value: string, source: string): Epoch {
  const epoch = parseEpoch(value);
  if (epoch === undefined) {
    throw new FlagError(`${source} must be a whole number of seconds since 1970-01-01 UTC (a signed 64-bit integer), got ${JSON.stringify(value)}`);
  }
  return epoch;
}

export const GUEST_TOOLS_FLAGS: FlagSpec[] = [
  { name: "drivers-dir", type: "string", path: true, description: "drivers tree: x86/<driver>/** and amd64/<driver>/** (default drivers-sample/drivers)" },
  { name: "guest-tools-dir", type: "string", path: true, description: "setup scripts, config/, certs/, licenses/, tools/ (default drivers-sample/guest-tools)" },
  { name: "spec", type: "string", path: true, description: "packaging spec JSON (default specs/sample.json)" },
  { name: "out-dir", type: "string", path: true, description: "output folder, created if missing (default dist)" },
  { name: "package-version", type: "string", description: `manifest package.version (default ${MANIFEST_DEFAULTS.packageVersion})` },
  { name: "build-id", type: "string", description: `manifest package.build_id (default ${MANIFEST_DEFAULTS.buildId})` },
  { name: "volume-id", type: "string", description: `ISO volume label (default ${DEFAULT_VOLUME_ID})` },
  { name: "signing-policy", type: "string", description: `test | production | none (default ${MANIFEST_DEFAULTS.signingPolicy}, or env ${SIGNING_POLICY_ENV})` },
  { name: "source-date-epoch", type: "string", description: "timestamp of every ISO/zip entry (default env SOURCE_DATE_EPOCH, else 0)" },
  { name: "windows-device-contract", type: "string", path: true, description: "device contract JSON that generates config/devices.cmd (default: docs/windows-device-contract.json found from the guest-tools dir upwards)" },
  { name: "checksums", type: "boolean", description: `also write ${CHECKSUMS_NAME} (sha256sum -c format) over the outputs, in the same atomic step` },
  { name: "sbom", type: "boolean", description: `also write the CycloneDX SBOM ${DEFAULT_SBOM_NAME}` },
  { name: "self-check", type: "boolean", description: "build twice (the second time in another time zone) and fail, writing nothing, if any output byte differs" },
  { name: "quiet", type: "boolean", description: "print nothing but errors" },
];

export interface GuestToolsFlags {
  driversDir: string;
  guestToolsDir: string;
  spec: string;
  outDir: string;
  packageVersion: string;
  buildId: string;
  volumeId: string;
  signingPolicy: SigningPolicy;
  sourceDateEpoch: Epoch;
  windowsDeviceContract: string | undefined;
  checksums: boolean;
  sbom: boolean;
  selfCheck: boolean;
  quiet: boolean;
}

export function parseGuestToolsFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): GuestToolsFlags {
  const v = parseFlags(argv, GUEST_TOOLS_FLAGS);
  const str = (name: string, fallback: string) => (v.get(name) as string | undefined) ?? fallback;
  const policyFlag = v.get("signing-policy") as string | undefined;
  const policyEnv = env[SIGNING_POLICY_ENV];
  const signingPolicy = policyFlag !== undefined
    ? parseSigningPolicy(policyFlag, "--signing-policy")
    : policyEnv !== undefined
      ? parseSigningPolicy(policyEnv, SIGNING_POLICY_ENV)
      : MANIFEST_DEFAULTS.signingPolicy;
  const sourceDateEpoch = epochFrom(v, env);
  return {
    driversDir: str("drivers-dir", "drivers-sample/drivers"),
    guestToolsDir: str("guest-tools-dir", "drivers-sample/guest-tools"),
    spec: str("spec", "specs/sample.json"),
    outDir: str("out-dir", "dist"),
    packageVersion: str("package-version", MANIFEST_DEFAULTS.packageVersion),
    buildId: str("build-id", MANIFEST_DEFAULTS.buildId),
    volumeId: str("volume-id", DEFAULT_VOLUME_ID),
    signingPolicy,
    sourceDateEpoch,
    windowsDeviceContract: v.get("windows-device-contract") as string | undefined,
    checksums: v.get("checksums") === true,
    sbom: v.get("sbom") === true,
    selfCheck: v.get("self-check") === true,
    quiet: v.get("quiet") === true,
  };
}

export const ISO_FLAGS: FlagSpec[] = [
  { name: "in-dir", type: "string", path: true, description: "folder to put in the image (required)" },
  { name: "out-iso", type: "string", path: true, description: "image file to write; its folder is created (required)" },
  { name: "volume-id", type: "string", description: "volume label, A-Z 0-9 _ space, at most 32 characters (required)" },
  { name: "source-date-epoch", type: "string", description: "timestamp of every record (default env SOURCE_DATE_EPOCH, else 0)" },
];

export interface IsoFlags {
  inDir: string;
  outIso: string;
  volumeId: string;
  sourceDateEpoch: Epoch;
}

function epochFrom(v: Map<string, string | true>, env: NodeJS.ProcessEnv): Epoch {
  const flag = v.get("source-date-epoch") as string | undefined;
  if (flag !== undefined) return parseEpochFlag(flag, "--source-date-epoch");
  const fromEnv = env.SOURCE_DATE_EPOCH;
  return fromEnv !== undefined && fromEnv !== "" ? parseEpochFlag(fromEnv, "SOURCE_DATE_EPOCH") : 0n;
}

export function parseIsoFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): IsoFlags {
  const v = parseFlags(argv, ISO_FLAGS);
  return {
    inDir: required(v, "in-dir", ISO_FLAGS),
    outIso: required(v, "out-iso", ISO_FLAGS),
    volumeId: required(v, "volume-id", ISO_FLAGS),
    sourceDateEpoch: epochFrom(v, env),
  };
}

export const ISO_LS_FLAGS: FlagSpec[] = [{ name: "iso", type: "string", path: true, description: "image to list (required)" }];

export function parseIsoLsFlags(argv: string[]): { iso: string } {
  return { iso: required(parseFlags(argv, ISO_LS_FLAGS), "iso", ISO_LS_FLAGS) };
}
