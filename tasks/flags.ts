/**
 * Command-line flags of the gulp tasks. gulp-cli owns process.argv (and --version), so each task
 * reads its own flags from it: `--flag value` and `--flag=value`, unknown flags and bad values
 * are errors that list what is accepted.
 */
import { parseEpoch, type Epoch } from "../plugins/shared/epoch.js";

export interface FlagSpec {
  /** Flag name without the leading dashes. */
  name: string;
  /** "string" flags take a value; "boolean" flags take none. */
  type: "string" | "boolean";
  /** One line for `gulp --tasks`. */
  description: string;
}

export class FlagError extends Error {}

/** gulp-cli's own flags: skipped (those that take a value consume it). */
const GULP_FLAGS_WITH_VALUE = new Set(["cwd", "gulpfile", "preload", "require", "log-level", "depth", "series", "L"]);
const GULP_FLAGS = new Set(["respawning", "tasks", "T", "tasks-simple", "tasks-json", "color", "no-color", "silent", "continue", "verify", "help", "h", "v", "version", "S"]);

/**
 * Parse `argv` (process.argv.slice(2)) against the task's flags. Positionals (task names) are ignored.
 * Returns string values and `true` for booleans, keyed by flag name.
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): Map<string, string | true> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | true>();
  const accepted = () => specs.map((s) => `--${s.name}${s.type === "string" ? " VALUE" : ""}`).join(", ");
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith("-") || token === "-") continue; // task names
    const body = token.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) {
      if (GULP_FLAGS.has(name) || GULP_FLAGS.has(name.replace(/^no-/, ""))) continue;
      if (GULP_FLAGS_WITH_VALUE.has(name)) {
        if (eq < 0) i++;
        continue;
      }
      throw new FlagError(`unknown flag ${token}; accepted: ${accepted()}`);
    }
    if (values.has(name)) throw new FlagError(`--${name} given more than once`);
    if (spec.type === "boolean") {
      if (eq >= 0) throw new FlagError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // A value may start with "-" only when it is a number (a negative epoch).
      if (next !== undefined && (!next.startsWith("-") || /^-\d+$/.test(next))) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === "") throw new FlagError(`--${name} needs a value`);
    values.set(name, value);
  }
  return values;
}

/** Signing policies and their accepted aliases (as aero_packager accepts them). */
const SIGNING_POLICY_ALIASES: Record<string, "test" | "production" | "none"> = {
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

export function parseSigningPolicy(value: string, source: string): "test" | "production" | "none" {
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
  { name: "drivers-dir", type: "string", description: "drivers tree: x86/<driver>/** and amd64/<driver>/** (default drivers-sample/drivers)" },
  { name: "guest-tools-dir", type: "string", description: "setup scripts, config/, certs/, licenses/, tools/ (default drivers-sample/guest-tools)" },
  { name: "spec", type: "string", description: "packaging spec JSON (default specs/sample.json)" },
  { name: "out-dir", type: "string", description: "output folder, created if missing (default dist)" },
  { name: "package-version", type: "string", description: "manifest package.version (default 0.0.0)" },
  { name: "build-id", type: "string", description: "manifest package.build_id (default local)" },
  { name: "volume-id", type: "string", description: "ISO volume label (default AERO_GUEST_TOOLS)" },
  { name: "signing-policy", type: "string", description: "test | production | none (default test, or env AERO_GUEST_TOOLS_SIGNING_POLICY)" },
  { name: "source-date-epoch", type: "string", description: "timestamp of every ISO/zip entry (default env SOURCE_DATE_EPOCH, else 0)" },
  { name: "windows-device-contract", type: "string", description: "device contract JSON that generates config/devices.cmd (default: docs/windows-device-contract.json found from the guest-tools dir upwards)" },
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
  signingPolicy: "test" | "production" | "none";
  sourceDateEpoch: Epoch;
  windowsDeviceContract: string | undefined;
  quiet: boolean;
}

export function parseGuestToolsFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): GuestToolsFlags {
  const v = parseFlags(argv, GUEST_TOOLS_FLAGS);
  const str = (name: string, fallback: string) => (v.get(name) as string | undefined) ?? fallback;
  const policyFlag = v.get("signing-policy") as string | undefined;
  const policyEnv = env.AERO_GUEST_TOOLS_SIGNING_POLICY;
  const signingPolicy = policyFlag !== undefined
    ? parseSigningPolicy(policyFlag, "--signing-policy")
    : policyEnv !== undefined
      ? parseSigningPolicy(policyEnv, "AERO_GUEST_TOOLS_SIGNING_POLICY")
      : "test";
  const sourceDateEpoch = epochFrom(v, env);
  return {
    driversDir: str("drivers-dir", "drivers-sample/drivers"),
    guestToolsDir: str("guest-tools-dir", "drivers-sample/guest-tools"),
    spec: str("spec", "specs/sample.json"),
    outDir: str("out-dir", "dist"),
    packageVersion: str("package-version", "0.0.0"),
    buildId: str("build-id", "local"),
    volumeId: str("volume-id", "AERO_GUEST_TOOLS"),
    signingPolicy,
    sourceDateEpoch,
    windowsDeviceContract: v.get("windows-device-contract") as string | undefined,
    quiet: v.get("quiet") === true,
  };
}

/** `gulp --tasks` shows these under each task. */
export function flagDocs(specs: FlagSpec[]): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [`--${s.name}${s.type === "string" ? " VALUE" : ""}`, s.description]));
}

export const ISO_FLAGS: FlagSpec[] = [
  { name: "in-dir", type: "string", description: "folder to put in the image (required)" },
  { name: "out-iso", type: "string", description: "image file to write; its folder is created (required)" },
  { name: "volume-id", type: "string", description: "volume label, A-Z 0-9 _ space, at most 32 characters (required)" },
  { name: "source-date-epoch", type: "string", description: "timestamp of every record (default env SOURCE_DATE_EPOCH, else 0)" },
];

export interface IsoFlags {
  inDir: string;
  outIso: string;
  volumeId: string;
  sourceDateEpoch: Epoch;
}

function required(v: Map<string, string | true>, name: string, specs: FlagSpec[]): string {
  const value = v.get(name);
  if (typeof value !== "string") {
    const needed = specs.filter((s) => s.description.includes("(required)")).map((s) => `--${s.name}`).join(", ");
    throw new FlagError(`--${name} is required (this task needs ${needed})`);
  }
  return value;
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

export const ISO_LS_FLAGS: FlagSpec[] = [{ name: "iso", type: "string", description: "image to list (required)" }];

export function parseIsoLsFlags(argv: string[]): { iso: string } {
  return { iso: required(parseFlags(argv, ISO_LS_FLAGS), "iso", ISO_LS_FLAGS) };
}
