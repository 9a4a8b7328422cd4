/**
 * The difference between two media (each an ISO, a zip or a manifest.json), as data: files
 * added, removed and changed; per driver and arch the DriverVer of each INF; the package and
 * input fields of the manifests. Pure: `loadMediaSide` (side.ts) does the reading.
 */
import { DEFAULT_MANIFEST_NAME } from "../manifest/document.js";
import { compareCodePoints } from "../shared/paths.js";

export interface MediaSide {
  /** What the user named (a path). */
  label: string;
  kind: "iso" | "zip" | "manifest";
  files: Map<string, { size: number; sha256: string | undefined }>;
  /** Fields of the manifest (embedded or given), flattened: "package.version" → "1.4.0". */
  fields: Map<string, string>;
  /** "driver (arch) file.inf" → DriverVer; only when the side is an image. */
  driverVers: Map<string, string> | undefined;
}

export interface Change<T> {
  from: T | undefined;
  to: T | undefined;
}

export interface MediaDiff {
  from: string;
  to: string;
  added: { path: string; size: number }[];
  removed: { path: string; size: number }[];
  changed: { path: string; fromSize: number; toSize: number }[];
  /** Per INF whose DriverVer differs (both sides images), "driver (arch) file.inf". */
  drivers: ({ inf: string } & Change<string>)[];
  /** Manifest fields that differ. */
  fields: ({ field: string } & Change<string>)[];
  /** True when nothing differs. */
  equal: boolean;
}

/** The manifest fields shown in a diff, in this order. */
export const DIFF_FIELDS = [
  "package.version",
  "package.build_id",
  "package.source_date_epoch",
  "signing_policy",
  "inputs.packaging_spec.sha256",
  "inputs.windows_device_contract.sha256",
  "inputs.windows_device_contract.contract_version",
];

export function diffMedia(a: MediaSide, b: MediaSide): MediaDiff {
  const added: MediaDiff["added"] = [];
  const removed: MediaDiff["removed"] = [];
  const changed: MediaDiff["changed"] = [];
  const paths = [...new Set([...a.files.keys(), ...b.files.keys()])].sort(compareCodePoints);
  for (const p of paths) {
    // Each side's manifest is compared field by field below, not as a file.
    if (p === DEFAULT_MANIFEST_NAME) continue;
    const x = a.files.get(p);
    const y = b.files.get(p);
    if (!x) added.push({ path: p, size: y!.size });
    else if (!y) removed.push({ path: p, size: x.size });
    else if (x.size !== y.size || x.sha256 !== y.sha256) changed.push({ path: p, fromSize: x.size, toSize: y.size });
  }
  const drivers: MediaDiff["drivers"] = [];
  if (a.driverVers && b.driverVers) {
    const infs = [...new Set([...a.driverVers.keys(), ...b.driverVers.keys()])].sort(compareCodePoints);
    for (const inf of infs) {
      const from = a.driverVers.get(inf);
      const to = b.driverVers.get(inf);
      if (from !== to) drivers.push({ inf, from, to });
    }
  }
  const fields: MediaDiff["fields"] = [];
  for (const field of DIFF_FIELDS) {
    const from = a.fields.get(field);
    const to = b.fields.get(field);
    if (from !== to) fields.push({ field, from, to });
  }
  const equal = added.length + removed.length + changed.length + drivers.length + fields.length === 0;
  return { from: a.label, to: b.label, added, removed, changed, drivers, fields, equal };
}

/** A table for a terminal: one section per kind of change, aligned columns. */
export function formatMediaDiff(d: MediaDiff): string {
  if (d.equal) return `no differences between ${d.from} and ${d.to}`;
  const lines = [`--- ${d.from}`, `+++ ${d.to}`];
  const table = (title: string, rows: string[][]) => {
    if (rows.length === 0) return;
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    lines.push("", `${title} (${rows.length})`);
    for (const r of rows) lines.push(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`.trimEnd());
  };
  const show = (v: string | undefined) => v ?? "(none)";
  table("package", d.fields.map((f) => [f.field, show(f.from), "→", show(f.to)]));
  table("drivers (DriverVer)", d.drivers.map((x) => [x.inf, show(x.from), "→", show(x.to)]));
  table("added", d.added.map((f) => ["+", f.path, bytes(f.size)]));
  table("removed", d.removed.map((f) => ["-", f.path, bytes(f.size)]));
  table("changed", d.changed.map((f) => ["~", f.path, `${bytes(f.fromSize)} → ${bytes(f.toSize)}`]));
  return lines.join("\n");
}

const bytes = (n: number) => `${n} B`;
