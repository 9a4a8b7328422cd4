/**
 * Problems found by the checking plugins, collected so that one run reports all of them.
 *
 * A checking plugin keeps its own report. When a shared report is passed in its options, the
 * plugin adds its problems there and lets a later gate (validateSpec) fail the stream once,
 * with everything; on its own it fails the stream itself at the end.
 */
import { compareCodePoints } from "./paths.js";

export interface Problem {
  /** Short rule id, e.g. "symlink", "missing-required-file". */
  rule: string;
  /** One clear sentence naming the file and what is wrong. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Group heading, e.g. "virtio-blk (amd64)" or "guest-tools"; problems print grouped. */
  group?: string;
  /** The path the problem is about (package path or input path). */
  path?: string;
}

/** A file a filter left out on purpose (hidden, OS metadata, build artifact). */
export interface SkippedFile {
  /** Package path the file would have had. */
  path: string;
  reason: string;
}

/**
 * A report as one checking plugin's code sees it: only the rule ids of that plugin's registry
 * (its rules.ts) type-check. A ProblemReport is one, so it is passed as it is.
 */
export interface RuleReport<R extends string> {
  error(problem: Problem & { rule: R }): void;
  warn(problem: Problem & { rule: R }): void;
}

export class ProblemReport {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  /** Files filters skipped; validateSpec uses them to tell "missing" from "excluded". */
  readonly skipped: SkippedFile[] = [];

  error(problem: Problem): void {
    this.errors.push(problem);
  }

  warn(problem: Problem): void {
    this.warnings.push(problem);
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  /** Move everything from another report into this one. */
  absorb(other: ProblemReport): void {
    if (other === this) return;
    this.errors.push(...other.errors);
    this.warnings.push(...other.warnings);
    this.skipped.push(...other.skipped);
    other.errors.length = 0;
    other.warnings.length = 0;
    other.skipped.length = 0;
  }

  /** A readable multi-line report of the errors, grouped by group, in a stable order. */
  formatErrors(): string {
    return formatProblems(this.errors, "problem");
  }

  formatWarnings(): string {
    return formatProblems(this.warnings, "warning");
  }
}

function formatProblems(problems: Problem[], noun: string): string {
  if (problems.length === 0) return "";
  const groups = new Map<string, Problem[]>();
  for (const p of problems) {
    const key = p.group ?? "";
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(p);
  }
  const lines: string[] = [`${problems.length} ${noun}${problems.length === 1 ? "" : "s"} found:`];
  for (const key of [...groups.keys()].sort(compareCodePoints)) {
    if (key) lines.push("", `${key}:`);
    else lines.push("");
    for (const p of groups.get(key)!) {
      const [first, ...rest] = p.message.split("\n");
      lines.push(`  - ${first} [${p.rule}]`);
      for (const line of rest) lines.push(`    ${line}`);
      if (p.hint) lines.push(`    fix: ${p.hint}`);
    }
  }
  return lines.join("\n");
}
