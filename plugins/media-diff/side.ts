/**
 * One side of a media diff, read from an ISO, a zip (in place, every file hashed, INFs kept for
 * their DriverVer) or a manifest.json.
 */
import { readDocument } from "../shared/documents.js";
import { driverFile, isDriverInf } from "../shared/paths.js";
import { decodeInfText } from "../inf/inf.js";
import { infVersionInfo } from "../inf/version.js";
import { parseManifestFiles } from "../verify-media/compare.js";
import { readMedia, sniffMediaKind } from "../verify-media/read.js";
import type { MediaSide } from "./diff.js";

export async function loadMediaSide(file: string): Promise<MediaSide> {
  const kind = await sniffMediaKind(file);
  if (kind === "json") {
    const bytes = await readDocument("manifest", file);
    const manifest = parseManifestFiles(bytes, file);
    if (!manifest.document) throw Object.assign(new Error(manifest.problems.join("; ")), { code: "EBADMANIFEST" });
    return { label: file, kind: "manifest", files: manifest.files, fields: flatten(manifest.document), driverVers: undefined };
  }
  const media = await readMedia(file, { keep: isDriverInf });
  if (media.problems.length > 0) throw Object.assign(new Error(`${file}: ${media.problems.join("; ")}`), { code: "EBADMEDIA" });
  const driverVers = new Map<string, string>();
  for (const [p, bytes] of media.kept) {
    const m = driverFile(p);
    if (!m || !isDriverInf(p)) continue;
    driverVers.set(`${m.driver} (${m.arch}) ${m.rel.slice(m.rel.lastIndexOf("/") + 1)}`, infVersionInfo(decodeInfText(bytes)).driverVer ?? "(no DriverVer)");
  }
  const fields = media.manifest ? flatten(parseManifestFiles(media.manifest, `${file}:manifest.json`).document ?? {}) : new Map<string, string>();
  return { label: file, kind: media.kind, files: media.files, fields, driverVers };
}

/** Scalar fields of a JSON object, by dotted path ("package.version"). */
function flatten(value: Record<string, unknown>, prefix = "", out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(value)) {
    if (k === "files") continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else if (v !== null && typeof v !== "object") out.set(key, String(v));
  }
  return out;
}
