/**
 * The CycloneDX SBOM of the media (`aero-guest-tools.cdx.json`), made with the OWASP
 * @cyclonedx/cyclonedx-library: one device-driver component per driver and arch (version from
 * its INF's DriverVer, supplier from Provider, and its files as nested components with their
 * SHA-256), one component for the guest-tools scripts and files, and the packager as the tool.
 * Deterministic: the timestamp is the source date epoch, the serial number is derived from the
 * document's content, lists are sorted.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type * as CDX from "@cyclonedx/cyclonedx-library";
import { clampIsoEpoch, type Epoch } from "../shared/epoch.js";
import { compareCodePoints, driverFile } from "../shared/paths.js";
import { infVersionInfo } from "../inf/version.js";

// Loaded on first use: only a build with --sbom needs it, and loading it costs about 150 ms.
let cdxModule: typeof CDX | undefined;
const cdx = (): typeof CDX => (cdxModule ??= createRequire(import.meta.url)("@cyclonedx/cyclonedx-library") as typeof CDX);

/** CycloneDX 1.6, the newest the library writes. */
export const SBOM_SPEC_VERSION = "1.6";

export interface SbomInput {
  packageName: string;
  packageVersion: string;
  buildId: string;
  sourceDateEpoch: Epoch;
  packager: { name: string; version: string };
  /** Every packaged file (manifest.json's `files`). */
  files: { path: string; sha256: string; size: number }[];
  /** Decoded text of every packaged INF, by package path. */
  infTexts: Map<string, string>;
}

export function buildSbomJson(input: SbomInput): string {
  const bom = makeBom(input, "urn:uuid:00000000-0000-0000-0000-000000000000");
  // The serial number is a name-based UUID of everything else in the document.
  const draft = serialize(bom);
  bom.serialNumber = `urn:uuid:${contentUuid(draft)}`;
  return serialize(bom);
}

function makeBom(input: SbomInput, serialNumber: string): CDX.Models.Bom {
  const { Models, Enums } = cdx();
  const bom = new Models.Bom({ serialNumber });
  bom.metadata.timestamp = clampIsoEpoch(input.sourceDateEpoch);
  bom.metadata.component = new Models.Component(Enums.ComponentType.Application, input.packageName, {
    version: input.packageVersion,
    bomRef: "media",
    description: `Aero Drivers / Guest Tools media, build ${input.buildId}`,
  });
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, input.packager.name, { version: input.packager.version, bomRef: "packager" }),
  );

  const drivers = new Map<string, { arch: string; name: string; files: SbomInput["files"] }>();
  const guestTools: SbomInput["files"] = [];
  for (const f of input.files) {
    const m = driverFile(f.path);
    if (!m) {
      guestTools.push(f);
      continue;
    }
    const key = `${m.arch}/${m.driver}`;
    const entry = drivers.get(key) ?? { arch: m.arch, name: m.driver, files: [] };
    entry.files.push(f);
    drivers.set(key, entry);
  }
  for (const [key, d] of [...drivers].sort(([a], [b]) => compareCodePoints(a, b))) {
    const infs = d.files.filter((f) => /\.inf$/i.test(f.path)).sort((a, b) => compareCodePoints(a.path, b.path));
    const info = infs.map((f) => infVersionInfo(input.infTexts.get(f.path) ?? "")).find((i) => i.version || i.provider);
    const driver = new Models.Component(Enums.ComponentType.DeviceDriver, d.name, {
      bomRef: `driver:${key}`,
      ...(info?.version && { version: info.version }),
      ...(info?.provider && { supplier: new Models.OrganizationalEntity({ name: info.provider }) }),
      description: `${d.name} for Windows 7 ${d.arch}`,
    });
    driver.properties.add(new Models.Property("aero:arch", d.arch));
    if (info?.driverVer) driver.properties.add(new Models.Property("aero:inf:DriverVer", info.driverVer));
    for (const f of d.files) driver.components.add(fileComponent(f));
    bom.components.add(driver);
  }
  const scripts = new Models.Component(Enums.ComponentType.Application, "aero-guest-tools-scripts", {
    version: input.packageVersion,
    bomRef: "guest-tools",
    description: "setup.cmd, verify.ps1 and the other guest-side files of the media",
  });
  for (const f of guestTools) scripts.components.add(fileComponent(f));
  bom.components.add(scripts);
  return bom;
}

function fileComponent(f: { path: string; sha256: string; size: number }): CDX.Models.Component {
  const { Models, Enums } = cdx();
  const c = new Models.Component(Enums.ComponentType.File, f.path, { bomRef: `file:${f.path}` });
  c.hashes.set(Enums.HashAlgorithm["SHA-256"], f.sha256);
  c.properties.add(new Models.Property("aero:size", String(f.size)));
  return c;
}

function serialize(bom: CDX.Models.Bom): string {
  const { Spec, Serialize } = cdx();
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

/** An RFC 9562 version-8 UUID from the SHA-256 of `text`. */
function contentUuid(text: string): string {
  const h = createHash("sha256").update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
