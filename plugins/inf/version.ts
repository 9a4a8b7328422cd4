/**
 * What an INF says about its driver package in its [Version] section: `DriverVer` (date and
 * version) and `Provider`, with `%key%` tokens resolved from [Strings] as Windows does. Pure; used
 * by the media diff and the SBOM.
 */
import { parseInf, type ParsedInf } from "./inf.js";

export interface InfVersionInfo {
  /** `DriverVer` as written, e.g. "09/13/2024,1.2.3.4"; undefined when absent. */
  driverVer: string | undefined;
  /** The version part of DriverVer ("1.2.3.4"). */
  version: string | undefined;
  /** The date part of DriverVer ("09/13/2024"). */
  date: string | undefined;
  /** `Provider`, %strings% resolved. */
  provider: string | undefined;
  /** `Class`. */
  className: string | undefined;
}

export function infVersionInfo(text: string): InfVersionInfo {
  const inf = parseInf(text);
  const strings = stringTable(inf);
  const value = (key: string) => {
    const line = inf.sections.get("version")?.lines.find((l) => l.split("=")[0]!.trim().toLowerCase() === key);
    if (line === undefined) return undefined;
    return resolveStrings(line.slice(line.indexOf("=") + 1).trim(), strings) || undefined;
  };
  const driverVer = value("driverver");
  const [date, version] = driverVer ? driverVer.split(",").map((s) => s.trim()) : [];
  return { driverVer, date: date || undefined, version: version || undefined, provider: value("provider"), className: value("class") };
}

/** [Strings] (and its localized variants' fallback: the plain section wins) as key → value. */
function stringTable(inf: ParsedInf): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of inf.sections.get("strings")?.lines ?? []) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    table.set(line.slice(0, eq).trim().toLowerCase(), unquote(line.slice(eq + 1).trim()));
  }
  return table;
}

function resolveStrings(value: string, strings: Map<string, string>): string {
  return unquote(value.replace(/%([^%]+)%/g, (whole, key: string) => strings.get(key.toLowerCase()) ?? whole));
}

const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);
