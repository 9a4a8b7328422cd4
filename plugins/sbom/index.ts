/**
 * sbomWriter(options): the media's CycloneDX SBOM (`aero-guest-tools.cdx.json`) as one more
 * output of mediaImages (its `writers` list). Made from manifest.json (every file's SHA-256, the
 * package version, build id, epoch and packager) and the packaged INFs (DriverVer, Provider);
 * see document.ts.
 *
 *   mediaImages({ manifest: {...}, writers: [sbomWriter()] })
 */
import path from "node:path";
import Vinyl from "vinyl";
import type { MediaWriter } from "../media-images/index.js";
import { readDocumentFile } from "../shared/document-files.js";
import { digestBuffer } from "../atomic-dest/derived.js";
import { parseManifestFiles } from "../verify-media/compare.js";
import { toEpoch } from "../shared/epoch.js";
import { isDriverInf, packagePath } from "../shared/paths.js";
import { generatedStat } from "../shared/stat.js";
import { decodeInfText } from "../inf/inf.js";
import { buildSbomJson } from "./document.js";
import { DEFAULT_SBOM_NAME } from "./name.js";

export { DEFAULT_SBOM_NAME };

export interface SbomWriterOptions {
  /** Default DEFAULT_SBOM_NAME (aero-guest-tools.cdx.json). */
  fileName?: string;
}

export function sbomWriter(options: SbomWriterOptions = {}): MediaWriter {
  const name = options.fileName ?? DEFAULT_SBOM_NAME;
  return {
    names: [name],
    async write({ media, manifest }) {
      const infTexts = new Map<string, string>();
      for (const file of media) {
        const p = packagePath(file);
        if (isDriverInf(p)) infTexts.set(p, decodeInfText(await readDocumentFile("inf", file, p)));
      }
      const m = await manifest;
      const parsed = parseManifestFiles(m.contents as Buffer, packagePath(m));
      if (!parsed.document || parsed.problems.length > 0) throw new Error(`internal error: the manifest built is not valid: ${parsed.problems.join("; ")}`);
      const doc = parsed.document as {
        package: { name: string; version: string; build_id: string; source_date_epoch: number | string };
        inputs: { packager?: { name: string; packager_version?: string; version?: string } };
      };
      const packager = doc.inputs.packager;
      const json = buildSbomJson({
        packageName: doc.package.name,
        packageVersion: doc.package.version,
        buildId: doc.package.build_id,
        sourceDateEpoch: toEpoch(doc.package.source_date_epoch),
        packager: { name: packager?.name ?? "gulp-aero-guest-tools", version: packager?.packager_version ?? packager?.version ?? "" },
        files: [...[...parsed.files].map(([p, f]) => ({ path: p, ...f })), { path: packagePath(m), ...digestBuffer(m.contents as Buffer) }],
        infTexts,
      });
      const like = media[0] ?? m;
      const out = new Vinyl({ cwd: like.cwd, base: like.base, path: path.join(like.base, name), contents: Buffer.from(json) });
      out.stat = generatedStat(out.contents!.length as number, new Date(0));
      return [out];
    },
  };
}

export { buildSbomJson, SBOM_SPEC_VERSION, type SbomInput } from "./document.js";
