/**
 * The files an INF references (aero_packager-behaviors.md §4.7): its catalog, the files its copy
 * sections name, its service binaries, and which of them a driver folder lacks. Pure.
 */
import { asciiLower, compareCodePoints } from "../shared/paths.js";
import { keyValue, parseInf, splitLines, stripComment, stripQuotes, trim, type ParsedInf } from "./lines.js";

/** Normalise a file token: trim, drop quotes and leading `.\`, use `/`. */
export function normalizeInfToken(token: string): string {
  let t = stripQuotes(trim(token));
  while (t.startsWith(".\\") || t.startsWith("./")) t = t.slice(2);
  return trim(t.replace(/\\/g, "/"));
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

export interface InfReferences {
  /** Referenced file tokens (normalised, as written), in discovery order, possibly repeated. */
  files: string[];
  /** The INF mentions a KMDF coinstaller without naming a WdfCoInstaller*.dll: any one must be present. */
  needsAnyWdfCoInstaller: boolean;
}

type Sections = ParsedInf["sections"];
/** Record one referenced file token (skipped when empty or a `%` substitution). */
type AddFile = (token: string) => void;

/**
 * The files an INF expects beside it: CatalogFile*, SourceDisksFiles*, CopyFiles (direct and via
 * file-list sections), CopyINF, ServiceBinary (via AddService and any `ServiceBinary=` line) and
 * WdfCoInstaller*.dll. Tokens with `%` (string substitutions) are left out. The steps run in
 * this order, which is the order of `files`.
 */
export function infReferencedFiles(text: string): InfReferences {
  const { sections } = parseInf(text);
  const files: string[] = [];
  const add: AddFile = (token) => {
    if (token && !token.includes("%")) files.push(token);
  };
  versionCatalogs(sections, add);
  const serviceSections = sectionReferences(sections, add);
  serviceBinaries(sections, serviceSections, add);
  const needsAnyWdfCoInstaller = textReferences(text, add);
  return { files, needsAnyWdfCoInstaller };
}

/** `CatalogFile*=` in [Version]. */
function versionCatalogs(sections: Sections, add: AddFile): void {
  for (const line of sections.get("version")?.lines ?? []) {
    const kv = keyValue(line);
    if (!kv || !asciiLower(kv.key).startsWith("catalogfile")) continue;
    const cat = normalizeInfToken(kv.value.split(",")[0]!);
    if (asciiLower(cat).endsWith(".cat")) add(cat);
  }
}

/**
 * SourceDisksFiles* entries, CopyFiles and CopyINF of every section, in section order; returns
 * the service-install sections that AddService lines name.
 */
function sectionReferences(sections: Sections, add: AddFile): Set<string> {
  const serviceSections = new Set<string>();
  for (const [key, section] of sections) {
    if (key.startsWith("sourcedisksfiles")) {
      for (const line of section.lines) {
        const eq = line.indexOf("=");
        if (eq >= 0) add(normalizeInfToken(line.slice(0, eq)));
      }
    }
    for (const line of section.lines) {
      const kv = keyValue(line);
      if (!kv) continue;
      const k = asciiLower(kv.key);
      if (k === "copyfiles") {
        copyFiles(kv.value, sections, add);
      } else if (k === "copyinf") {
        for (const raw of kv.value.split(",")) {
          const f = normalizeInfToken(raw).replace(/^@/, "");
          if (asciiLower(f).endsWith(".inf")) add(f);
        }
      } else if (k === "addservice") {
        const installSection = kv.value.split(",")[2];
        if (installSection !== undefined) serviceSections.add(asciiLower(stripQuotes(trim(installSection))));
      }
    }
  }
  return serviceSections;
}

/** One `CopyFiles=` value: `@file` directly, else a file-list section's entries, else the token as a file. */
function copyFiles(value: string, sections: Sections, add: AddFile): void {
  for (const raw of value.split(",")) {
    const t = trim(raw);
    if (t.startsWith("@")) {
      add(normalizeInfToken(t.slice(1)));
      continue;
    }
    const tok = normalizeInfToken(t);
    if (!tok || tok.includes("%")) continue;
    const list = sections.get(asciiLower(tok));
    if (!list) {
      add(tok);
      continue;
    }
    for (const entry of list.lines) {
      const f = normalizeInfToken(entry.split(",")[0]!).replace(/^@/, "");
      if (f.includes(".") || f.includes("/")) add(f);
    }
  }
}

/** `ServiceBinary=` (.sys) of the service-install sections. */
function serviceBinaries(sections: Sections, serviceSections: Set<string>, add: AddFile): void {
  for (const key of serviceSections) {
    for (const line of sections.get(key)?.lines ?? []) {
      const kv = keyValue(line);
      if (!kv || asciiLower(kv.key) !== "servicebinary") continue;
      const bin = trim(basename(normalizeInfToken(kv.value.split(",")[0]!)));
      if (asciiLower(bin).endsWith(".sys")) add(bin);
    }
  }
}

/**
 * Line patterns over the whole text (not section-aware), as the original also applies them:
 * CatalogFile and ServiceBinary lines, then WdfCoInstaller DLLs. True when the text mentions a
 * KMDF coinstaller without naming its DLL.
 */
function textReferences(text: string, add: AddFile): boolean {
  const lines = splitLines(text).map(stripComment);
  for (const line of lines) {
    const m =
      /^\s*CatalogFile(?:\.[^=]+)?\s*=\s*([^\s;]+)/iu.exec(line) ?? /^\s*ServiceBinary\s*=\s*([^\s;]+)/iu.exec(line);
    if (!m) continue;
    // Only the first comma field names the file (`CatalogFile=a.cat,x` means a.cat; the Rust tool
    // required a file literally named "a.cat,x").
    add(basename(normalizeInfToken(m[1]!.split(",")[0]!)));
  }
  const stripped = lines.join("\n");
  if (!/wdfcoinstaller/i.test(stripped)) return false;
  const named = stripped.match(/wdfcoinstaller[0-9a-z_]*\.dll/gi) ?? [];
  for (const dll of named) add(dll);
  return named.length === 0;
}

/** A referenced file that is not among the packaged files. */
export interface MissingReference {
  /** As first written in an INF (or `WdfCoInstaller*.dll`). */
  display: string;
  /** Driver-relative paths of the INFs referring to it, sorted. */
  referencedBy: string[];
}

/**
 * Check the references of every INF against the packaged files of one driver directory.
 * `infs` maps driver-relative INF path → text; `packagedFiles` are driver-relative paths.
 * A reference is satisfied by a packaged file of the same name anywhere in the driver directory
 * (names compared ignoring case), or by the exact relative path when it has folders.
 */
export function missingInfReferences(infs: Map<string, string>, packagedFiles: Iterable<string>): MissingReference[] {
  const paths = new Set<string>();
  const names = new Set<string>();
  for (const p of packagedFiles) {
    const lower = p.toLowerCase();
    paths.add(lower);
    names.add(basename(lower));
  }
  const misses = new Map<string, { display: string; by: Set<string> }>();
  const miss = (key: string, display: string, inf: string) => {
    let m = misses.get(key);
    if (!m) misses.set(key, (m = { display, by: new Set() }));
    m.by.add(inf);
  };
  for (const [infPath, text] of infs) {
    const refs = infReferencedFiles(text);
    for (const raw of refs.files) {
      const token = normalizeInfToken(raw);
      if (!token || token.includes("%")) continue;
      const key = token.toLowerCase();
      const ok = (key.includes("/") && paths.has(key)) || names.has(basename(key));
      if (!ok) miss(key, token, infPath);
    }
    if (refs.needsAnyWdfCoInstaller) {
      const any = [...names].some((n) => n.startsWith("wdfcoinstaller") && n.endsWith(".dll"));
      if (!any) miss("wdfcoinstaller*.dll", "WdfCoInstaller*.dll", infPath);
    }
  }
  return [...misses.keys()]
    .sort(compareCodePoints)
    .map((k) => ({ display: misses.get(k)!.display, referencedBy: [...misses.get(k)!.by].sort(compareCodePoints) }));
}
