/**
 * What may go on the media, decided from a package path alone (aero_packager-behaviors.md §5):
 * refused (private keys, Windows-invalid names, case collisions), skipped (hidden files, OS
 * metadata, build artifacts) or kept. Pure; the stream in index.ts adds the checks that need the
 * file itself (symlinks, names that are not UTF-8).
 */
import { asciiLower, asciiUpper, compareCodePoints, parentDirs } from "../shared/paths.js";
import { fileExtension, foldCase } from "../packaging-spec/names.js";
import { compileRustRegex, type RustRegex } from "../packaging-spec/rust-regex.js";
import type { DriverSpec } from "../packaging-spec/spec.js";
import type { Problem } from "../shared/report.js";

/** Every rule payloadPolicy reports, with what it refuses: the one place a rule id is added. */
export const PAYLOAD_POLICY_RULES = {
  "private-key": "private-key material (.pfx, .pvk, .key, ...) anywhere, hidden folders included",
  "windows-invalid-name": "a name Windows cannot create (reserved device names, trailing dot or space, <>:\"|?*)",
  "non-utf8-name": "a file or folder name that is not valid UTF-8 (or holds U+FFFD, what a lost byte became)",
  symlink: "a symbolic link, which the media cannot hold",
  "duplicate-path": "two input files with the same package path",
  "case-collision": "two package paths that differ only in case (one file on Windows)",
} as const satisfies Record<string, string>;

/** A rule id payloadPolicy may report. */
export type PayloadPolicyRule = keyof typeof PAYLOAD_POLICY_RULES;

/** A problem payloadPolicy reports. */
export type PayloadPolicyProblem = Problem & { rule: PayloadPolicyRule };

/** Extensions of private-key material: refused anywhere, even in hidden folders. */
export const PRIVATE_KEY_EXTENSIONS: ReadonlySet<string> = new Set(
  "pfx p12 pvk snk key pem der p8 pk8 csr jks keystore ppk".split(" "),
);

/** Build artifacts left out of driver directories and tools/ unless a driver's allowlist re-includes them. */
export const DEFAULT_EXCLUDED_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    "pdb ipdb iobj dbg map cod obj lib exp ilk tlog log tmp lastbuildstate idb ncb c cc cpp cxx h hh hpp hxx " +
    "idl inl rc s asm sln vcxproj props targets suo user"
  ).split(" "),
);

/** File names (ASCII case-insensitive) that Windows Explorer leaves behind. */
export const OS_METADATA_NAMES: ReadonlySet<string> = new Set(["thumbs.db", "ehthumbs.db", "desktop.ini"]);

/** A driver's re-include rules for default-excluded build artifacts. */
export interface Allowlist {
  /** Lowercased extensions without dots. */
  extensions: Set<string>;
  /** Matched (unanchored, case-insensitive, in linear time) against the driver-relative path. */
  patterns: RustRegex[];
}

/** Compile a driver's `allow_extensions` / `allow_path_regexes`. Patterns are validated by loadSpec. */
export function compileAllowlist(driver: Pick<DriverSpec, "allow_extensions" | "allow_path_regexes">): Allowlist {
  const extensions = new Set<string>();
  for (const raw of driver.allow_extensions) {
    const ext = asciiLower(raw.trim().replace(/^\.+/, ""));
    if (ext) extensions.add(ext);
  }
  return { extensions, patterns: driver.allow_path_regexes.map((p) => compileRustRegex(p, { caseInsensitive: true })) };
}

export type Verdict =
  | { action: "keep" }
  | { action: "skip"; reason: string }
  | { action: "refuse"; rule: PayloadPolicyRule; message: string; hint: string };

/** Where a package path lives, for messages: "config directory", "driver directory drivers/x86/foo", ... */
export function areaOf(path: string): string {
  const parts = path.split("/");
  if (parts[0] === "drivers" && parts.length >= 4) return `driver directory ${parts.slice(0, 3).join("/")}`;
  if (parts.length >= 2 && ["config", "licenses", "certs", "tools"].includes(parts[0]!)) return `${parts[0]} directory`;
  return "guest tools";
}

/** The Rust tool's walk-root label for symlink messages ("guest_tools/config", "drivers/x86/foo"). */
export function rootLabel(path: string): string {
  const parts = path.split("/");
  if (parts[0] === "drivers" && parts.length >= 4) return parts.slice(0, 3).join("/");
  if (parts.length >= 2) return `guest_tools/${parts[0]}`;
  return "guest_tools";
}

/** `drivers/<arch>/<dir>/<rel>` → { dir, rel } (at least one file level below the driver directory). */
export function driverTreePath(path: string): { dir: string; rel: string } | null {
  const parts = path.split("/");
  if (parts[0] !== "drivers" || parts.length < 4) return null;
  return { dir: parts[2]!, rel: parts.slice(3).join("/") };
}

/**
 * Decide a package path's fate. Order as in the Rust filter: private key → hidden or __MACOSX
 * component → OS metadata file → build artifact (driver directories and tools/, unless the
 * driver's allowlist re-includes it) → Windows-invalid name.
 */
/**
 * The rules for a folder that is already a staged media tree (`gulp iso`, like the Rust aero_iso):
 * only hidden files and OS metadata are left out; nothing else is judged.
 */
export function classifyStagedPath(path: string): Verdict {
  const parts = path.split("/");
  const name = parts[parts.length - 1]!;
  const hidden = parts.find((c) => c.startsWith("."));
  if (hidden !== undefined) return { action: "skip", reason: `hidden ${hidden === name ? "file" : `folder ${hidden}`}` };
  if (parts.some((c) => asciiLower(c) === "__macosx")) return { action: "skip", reason: "macOS metadata folder __MACOSX" };
  if (OS_METADATA_NAMES.has(asciiLower(name))) return { action: "skip", reason: `Windows shell metadata file ${name}` };
  return { action: "keep" };
}

export function classifyPath(path: string, allowlistFor?: (driverDir: string) => Allowlist | undefined): Verdict {
  const parts = path.split("/");
  const name = parts[parts.length - 1]!;
  const ext = fileExtension(name);
  if (ext !== null && PRIVATE_KEY_EXTENSIONS.has(ext)) {
    return {
      action: "refuse",
      rule: "private-key",
      message: `refusing to package private key material in ${areaOf(path)}: ${path}`,
      hint: `remove the .${ext} file from the input; signing keys must never ship (a .der certificate must be converted to .cer)`,
    };
  }
  const hidden = parts.find((c) => c.startsWith("."));
  if (hidden !== undefined) return { action: "skip", reason: `hidden ${hidden === name ? "file" : `folder ${hidden}`}` };
  if (parts.some((c) => asciiLower(c) === "__macosx")) return { action: "skip", reason: "macOS metadata folder __MACOSX" };
  if (OS_METADATA_NAMES.has(asciiLower(name))) return { action: "skip", reason: `Windows shell metadata file ${name}` };

  if (ext !== null && DEFAULT_EXCLUDED_EXTENSIONS.has(ext)) {
    const driver = driverTreePath(path);
    if (driver) {
      const allow = allowlistFor?.(driver.dir);
      const allowed = allow && (allow.extensions.has(ext) || allow.patterns.some((re) => re.test(driver.rel)));
      if (!allowed) return { action: "skip", reason: `build artifact (.${ext}); re-include with allow_extensions or allow_path_regexes` };
    } else if (parts[0] === "tools" && parts.length >= 2) {
      return { action: "skip", reason: `build artifact (.${ext})` };
    }
  }

  const bad = windowsPathProblem(path);
  if (bad) return { action: "refuse", rule: "windows-invalid-name", message: bad, hint: "rename it: Windows cannot create this name" };
  return { action: "keep" };
}

const RESERVED_NAMES = new Set([
  "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
  ...[..."0123456789¹²³"].flatMap((d) => [`COM${d}`, `LPT${d}`]),
]);
const INVALID_CHARS = new Set('<>:"/\\|?*');

/** Why one path component cannot be a Windows file name, or null when it can. */
export function windowsNameProblem(component: string): string | null {
  if (component === "") return "an empty component";
  if (component === "." || component === "..") return `an invalid component: ${JSON.stringify(component)}`;
  for (const ch of component) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20) return `a Windows-invalid component (control character U+${cp.toString(16).toUpperCase().padStart(4, "0")}): ${JSON.stringify(component)}`;
    if (INVALID_CHARS.has(ch)) return `a Windows-invalid component (invalid character '${ch}'): ${JSON.stringify(component)}`;
  }
  if (component.endsWith(".") || component.endsWith(" ")) {
    return `a Windows-invalid component (trailing '.' or space): ${JSON.stringify(component)}`;
  }
  const dot = component.indexOf(".");
  const stem = asciiUpper(dot < 0 ? component : component.slice(0, dot)).replace(/ +$/, "");
  if (RESERVED_NAMES.has(stem)) return `a Windows-invalid reserved device name: ${JSON.stringify(component)}`;
  return null;
}

/** Why a package path cannot be created on Windows, or null. */
export function windowsPathProblem(path: string): string | null {
  for (const component of path.split("/")) {
    const problem = windowsNameProblem(component);
    if (problem) return `package path ${JSON.stringify(path)} contains ${problem}`;
  }
  return null;
}

export interface CaseCollision {
  /** The folded key, lowercased for display. */
  key: string;
  /** The distinct spellings (directories end in "/"), sorted. */
  spellings: string[];
}

/**
 * Paths (and the directories they imply) that Windows would treat as the same name. Folding
 * covers all of Unicode (see foldCase), so `Ä.txt`/`ä.txt` collide, and a file `foo` collides
 * with a directory `Foo/`. Exact duplicates are not collisions here.
 */
export function findCaseCollisions(paths: Iterable<string>): CaseCollision[] {
  const spellings = new Map<string, Set<string>>();
  const add = (key: string, spelling: string) => {
    let set = spellings.get(key);
    if (!set) spellings.set(key, (set = new Set()));
    set.add(spelling);
  };
  for (const p of paths) {
    add(foldCase(p), p);
    for (const d of parentDirs(p)) add(foldCase(d), `${d}/`);
  }
  const out: CaseCollision[] = [];
  for (const [key, set] of spellings) {
    if (set.size > 1) out.push({ key: key.toLowerCase(), spellings: [...set].sort(compareCodePoints) });
  }
  return out.sort((a, b) => compareCodePoints(a.key, b.key));
}
