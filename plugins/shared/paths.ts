/**
 * Path and string helpers shared by every plugin. Package paths always use "/" and never
 * start with "/"; ordering is by Unicode code point (= UTF-8 byte order), never by UTF-16 unit.
 */
import type Vinyl from "vinyl";

/** Compare two strings by code point (UTF-8 byte order), the order every output is sorted in. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/**
 * Rank UTF-16 code units so that comparing ranks equals comparing code points: surrogates
 * (0xD800-0xDFFF, which encode code points above 0xFFFF) sort after 0xE000-0xFFFF.
 */
function codeUnitRank(u: number): number {
  return u < 0xd800 ? u : u >= 0xe000 ? u - 0x800 : u + 0x2000;
}

/** Package paths computed before, valid while the file's path and base are the same strings. */
const packagePaths = new WeakMap<Vinyl, { path: string; base: string; packagePath: string }>();

/**
 * The package path of a vinyl file: its relative path with "/" separators. Remembered per file
 * (every plugin asks, sorting asks n log n times, and path.relative is not cheap); a plugin that
 * moves the file (new path or base) gets the new one.
 */
export function packagePath(file: Vinyl): string {
  const known = packagePaths.get(file);
  const filePath = file.path;
  const base = file.base;
  if (known && known.path === filePath && known.base === base) return known.packagePath;
  const result = file.relative.split("\\").join("/");
  packagePaths.set(file, { path: filePath, base, packagePath: result });
  return result;
}

/** Sort vinyl files by package path, in place. */
export function sortByPackagePath<T extends Vinyl>(files: T[]): T[] {
  return files.sort((a, b) => compareCodePoints(packagePath(a), packagePath(b)));
}

/** Lowercase A-Z only (Rust's to_ascii_lowercase): the folding aero_packager uses for names. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Uppercase a-z only. */
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

/** Every proper ancestor directory of a package path: "a/b/c.txt" → ["a", "a/b"]. */
export function parentDirs(path: string): string[] {
  const parts = path.split("/");
  const dirs: string[] = [];
  for (let i = 1; i < parts.length; i++) dirs.push(parts.slice(0, i).join("/"));
  return dirs;
}

/** Render bytes that are not valid UTF-8 the way Rust's Debug does: "\xFF". */
export function displayRawName(raw: Buffer): string {
  let out = "";
  let i = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  while (i < raw.length) {
    // Find the longest valid UTF-8 sequence starting at i (1-4 bytes).
    let done = false;
    for (let len = 1; len <= 4 && i + len <= raw.length; len++) {
      try {
        const s = decoder.decode(raw.subarray(i, i + len));
        out += s;
        i += len;
        done = true;
        break;
      } catch {
        /* try a longer sequence */
      }
    }
    if (!done) {
      out += `\\x${raw[i]!.toString(16).toUpperCase().padStart(2, "0")}`;
      i += 1;
    }
  }
  return out;
}

/** `drivers/<arch>/<driver>/<rel>`: the layout every packaged driver file has (normalize-arch). */
const DRIVER_FILE = /^drivers\/([^/]+)\/([^/]+)\/(.+)$/;

/** A packaged driver file's arch folder, driver folder and path inside it, or undefined. */
export function driverFile(path: string): { arch: string; driver: string; rel: string } | undefined {
  const m = DRIVER_FILE.exec(path);
  return m ? { arch: m[1]!, driver: m[2]!, rel: m[3]! } : undefined;
}

/** True for a driver's INF, at any depth in its folder, `.inf` in any case. */
export function isDriverInf(path: string): boolean {
  return driverFile(path) !== undefined && asciiLower(path).endsWith(".inf");
}
