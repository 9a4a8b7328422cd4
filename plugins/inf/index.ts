/**
 * Windows INF files as a format: decoding (UTF-16/UTF-8/ANSI), the line and section parser, the
 * queries the driver checks and the catalog coverage make, and the [Version] facts (DriverVer,
 * provider, catalog) the manifest diff and the SBOM report. Pure: no streams, no plugin code.
 */
export {
  decodeInfText,
  parseInf,
  infContentLines,
  infAddServiceNames,
  infReferencedFiles,
  infsDeclareService,
  infsMatchPattern,
  missingInfReferences,
  normalizeInfToken,
  pciBaseHardwareId,
  type ParsedInf,
  type LineMatcher,
  type InfSection,
  type InfReferences,
  type MissingReference,
} from "./inf.js";
export { infVersionInfo, type InfVersionInfo } from "./version.js";
