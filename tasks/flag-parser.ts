/**
 * The flag parser of the gulp tasks. gulp-cli owns process.argv (and --version), so each task
 * reads its own flags from it with node:util's parseArgs: `--flag value` and `--flag=value`;
 * unknown flags, missing and bad values are errors that list what is accepted. gulp-cli's own
 * options are skipped with their arity (gulp-cli-options.ts); path flags must be UTF-8 (argv-utf8.ts).
 */
import { parseArgs } from "node:util";
import { rawArgv, utf8Problem } from "./argv-utf8.js";
import { gulpCliOptions } from "./gulp-cli-options.js";

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

/** `gulp --tasks` shows these under each task. */
export function flagDocs(specs: FlagSpec[]): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [`--${s.name}${s.type === "string" ? " VALUE" : ""}`, s.description]));
}

/** A string flag the task cannot do without; the error names every flag it needs. */
export function required(v: Map<string, string | true>, name: string, specs: FlagSpec[]): string {
  const value = v.get(name);
  if (typeof value !== "string") {
    const needed = specs.filter((s) => s.description.includes("(required)")).map((s) => `--${s.name}`).join(", ");
    throw new FlagError(`--${name} is required (this task needs ${needed})`);
  }
  return value;
}
