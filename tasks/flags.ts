/**
 * Command-line flags of the gulp tasks. gulp-cli owns process.argv (and --version), so each task
 * reads its own flags from it with node:util's parseArgs: `--flag value` and `--flag=value`;
 * unknown flags, missing and bad values are errors that list what is accepted. gulp-cli's own
 * options are recognised with their arity, read from the installed gulp-cli at run time, so
 * `--series`, `-L`, `-f FILE` and the rest never take one of ours as their value (or the reverse).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { parseEpoch, type Epoch } from "../plugins/shared/epoch.js";
import { displayRawName } from "../plugins/shared/paths.js";
// The defaults the API applies (resolveMediaSettings), written once there; light, pure modules.
import { DEFAULT_VOLUME_ID } from "../plugins/iso9660/names.js";
import { MANIFEST_DEFAULTS, type SigningPolicy } from "../plugins/manifest/document.js";
import { CHECKSUMS_NAME } from "../plugins/checksums/document.js";
import { DEFAULT_SBOM_NAME } from "../plugins/sbom/name.js";

export interface FlagSpec {
  /** Flag name without the leading dashes. */
  name: string;
  /** "string" flags take a value; "boolean" flags take none. */
  type: "string" | "boolean";
  /** One line for `gulp --tasks`. */
  description: string;
  /** The value names a file or folder: it must be valid UTF-8 (see utf8Problem). */
  path?: boolean;
}

export class FlagError extends Error {}

/** One of gulp-cli's options, as its yargs table declares it. */
export interface GulpCliOption {
  /** Long names: the option and its multi-letter aliases (`tasks-depth`, `depth`). */
  names: string[];
  /** One-letter aliases (`L`, `f`). */
  shorts: string[];
  /** "required": takes the next word (`-f FILE`); "none": a switch or a counter (`-LLL`); "optional": only `--x=value`. */
  value: "required" | "none" | "optional";
}

interface YargsOption {
  alias?: string | string[];
  type?: string;
  count?: boolean;
  requiresArg?: boolean;
}

let gulpCliTable: GulpCliOption[] | undefined;

/**
 * gulp-cli's options, from the gulp-cli that gulp runs (its yargs option table, required at run
 * time), so a gulp-cli upgrade that adds an option needs no change here.
 */
export function gulpCliOptions(): GulpCliOption[] {
  if (gulpCliTable) return gulpCliTable;
  const fromGulp = createRequire(createRequire(import.meta.url).resolve("gulp"));
  const table = fromGulp("gulp-cli/lib/shared/options/cli-options.js") as Record<string, YargsOption>;
  const options: GulpCliOption[] = [];
  for (const [name, o] of Object.entries(table)) {
    const aliases = o.alias === undefined ? [] : Array.isArray(o.alias) ? o.alias : [o.alias];
    const value = o.type === "string" || o.type === "number" || o.type === "array" ? "required" : o.type === undefined && !o.count ? "optional" : "none";
    const long = [name, ...aliases.filter((a) => a.length > 1)];
    // yargs also accepts the camelCase spelling (--tasksDepth), and --no-<name> for every switch.
    const names = [...long, ...long.filter((n) => n.includes("-")).map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()))];
    if (value === "none") for (const n of [...names]) if (!n.startsWith("no-") && !table[`no-${n}`]) names.push(`no-${n}`);
    options.push({ names, shorts: aliases.filter((a) => a.length === 1), value });
  }
  // flagged-respawn marks a respawned child (when node flags are given on the command line).
  options.push({ names: ["respawning", "no-respawning"], shorts: [], value: "none" });
  return (gulpCliTable = options);
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"] & object;

/**
 * Parse `argv` (process.argv.slice(2)) against the task's flags. Positionals (task names) and
 * gulp-cli's own options are skipped. Returns string values and `true` for booleans, keyed by flag
 * name. `raw` is the undecoded argv when known (rawArgv), for the UTF-8 check of path flags.
 */
export function parseFlags(argv: string[], specs: FlagSpec[], raw: Array<Buffer | undefined> | undefined = rawArgv(argv)): Map<string, string | true> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const gulpNames = new Set<string>();
  const options: ParseArgsOptions = {};
  for (const g of gulpCliOptions()) {
    const type = g.value === "required" ? "string" : "boolean";
    g.names.forEach((n, i) => {
      if (byName.has(n)) return; // ours win (none clash today)
      gulpNames.add(n);
      options[n] = { type, multiple: true, ...(i === 0 && g.shorts[0] !== undefined && { short: g.shorts[0] }) };
    });
    for (const s of g.shorts.slice(1)) {
      gulpNames.add(s);
      options[s] = { type, multiple: true };
    }
  }
  for (const s of specs) options[s.name] = { type: s.type, multiple: true };

  const accepted = () =>
    `${specs.map((s) => `--${s.name}${s.type === "string" ? " VALUE" : ""}`).join(", ")} (and gulp-cli's own options, see npx gulp --help)`;
  // Not strict: parseArgs' own messages do not list what is accepted; every token is checked below.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string | true>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = byName.get(token.name);
    if (!spec) {
      if (gulpNames.has(token.name)) continue;
      throw new FlagError(`unknown flag ${token.rawName}; accepted: ${accepted()}`);
    }
    const name = spec.name;
    if (values.has(name)) throw new FlagError(`--${name} given more than once`);
    if (spec.type === "boolean") {
      if (token.inlineValue) throw new FlagError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    const value = token.value;
    // parseArgs takes the next word whatever it is; a value may start with "-" only when it is a
    // number (a negative epoch), so `--spec --out-dir x` is a missing value, not a spec named --out-dir.
    if (value === undefined || value === "" || (!token.inlineValue && value.startsWith("-") && !/^-\d+$/.test(value))) {
      throw new FlagError(`--${name} needs a value`);
    }
    if (spec.path) {
      const bytes = raw?.[token.inlineValue ? token.index : token.index + 1];
      const problem = utf8Problem(value, token.inlineValue ? bytes?.subarray(bytes.indexOf(0x3d) + 1) : bytes, raw !== undefined);
      if (problem) throw new FlagError(`--${name} ${problem}`);
    }
    values.set(name, value);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Paths that are not UTF-8. Node decodes argv lossily: an invalid byte reaches process.argv as
// U+FFFD, and the path then names a different file. The raw bytes are in /proc/self/cmdline only
// until something sets process.title (Liftoff, i.e. gulp-cli, does so before loading the
// gulpfile), and `npx` decodes and re-encodes the arguments before gulp starts. So: with the raw
// bytes, be exact; without them, a U+FFFD in a path cannot be told from a lost byte and is refused.

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The raw bytes of each of `argv` (process.argv.slice(2)) from /proc/self/cmdline, when it still
 * holds this process's arguments (each entry decodes to the same string); otherwise undefined.
 */
export function rawArgv(argv: string[] = process.argv.slice(2), cmdlinePath = "/proc/self/cmdline"): Buffer[] | undefined {
  if (!argv.some((a) => a.includes("\uFFFD"))) return undefined; // nothing to decide
  let cmdline: Buffer;
  try {
    cmdline = readFileSync(cmdlinePath);
  } catch {
    return undefined; // not Linux
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] === 0) {
      parts.push(cmdline.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < cmdline.length) return undefined; // overwritten by a process title
  const mine = parts.slice(parts.length - argv.length);
  if (mine.length !== argv.length || mine.some((b, i) => b.toString("utf8") !== argv[i])) return undefined;
  return mine;
}

/** Why a path flag's value is refused, or undefined. `bytes`: its raw bytes when known. */
export function utf8Problem(value: string, bytes: Buffer | undefined, rawKnown: boolean): string | undefined {
  if (!value.includes("\uFFFD")) return undefined;
  if (bytes && rawKnown) {
    try {
      strictUtf8.decode(bytes);
      return undefined; // a real U+FFFD in the name
    } catch {
      return `is not valid UTF-8: "${displayRawName(bytes)}"; rename the file or folder to a UTF-8 name`;
    }
  }
  return (
    `is not valid UTF-8: ${JSON.stringify(value)} (Node decodes the command line lossily, turning bytes that are not UTF-8 ` +
    `into U+FFFD, so this would name another file; a literal U+FFFD cannot be told apart and is refused too); rename it to a valid UTF-8 name`
  );
}

/** Signing policies and their accepted aliases (as aero_packager accepts them). */
/** The environment variable that gives the signing policy when --signing-policy is not given. */
export const SIGNING_POLICY_ENV = "AERO_GUEST_TOOLS_SIGNING_POLICY";

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

/** `gulp --tasks` shows these under each task. */
export function flagDocs(specs: FlagSpec[]): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [`--${s.name}${s.type === "string" ? " VALUE" : ""}`, s.description]));
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

export const ISO_LS_FLAGS: FlagSpec[] = [{ name: "iso", type: "string", path: true, description: "image to list (required)" }];

export function parseIsoLsFlags(argv: string[]): { iso: string } {
  return { iso: required(parseFlags(argv, ISO_LS_FLAGS), "iso", ISO_LS_FLAGS) };
}
