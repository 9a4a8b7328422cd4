/**
 * gulp-cli's own options (`--series`, `-L`, `-f FILE`, ...) with their arity, read from the
 * installed gulp-cli at run time, so that parseFlags never takes one of ours as their value (or
 * the reverse).
 */
import { createRequire } from "node:module";

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
