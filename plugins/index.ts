/**
 * gulp-aero-guest-tools: every plugin, and the pure helpers embedders need.
 * Each plugin is a factory returning an object-mode stream; see README.md for recipes.
 */

// Sources
export { treeSrc, guestToolsSrc, walkTree, ARCH_FOLDERS, GUEST_TOOLS_ROOT_FILES, GUEST_TOOLS_FOLDERS } from "./tree-src/index.js";
export type { TreeSrcOptions, GuestToolsSrcOptions, WalkEntry } from "./tree-src/index.js";
export * from "./iso-src/index.js";

// Checks and transforms
export * from "./normalize-arch/index.js";
export type { Arch } from "./normalize-arch/index.js";
export * from "./payload-policy/index.js";
export * from "./devices-cmd/index.js";
export * from "./guest-tools-layout/index.js";
export * from "./validate-spec/index.js";
export * from "./catalog/index.js";

// Formats shared by the plugins (moved out of validate-spec/ and iso-writer/; same names as before)
export { loadSpec, loadSpecFile } from "./shared/load-spec.js";
export {
  isLoadedSpec,
  packagingSpecSchema,
  compileRustRegex,
  translateRustRegex,
  rustRegexEscape,
  RustRegex,
  RustRegexError,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_NESTING,
  foldCase,
  normalizeDriverName,
  fileExtension,
  matchSpecDriver,
  type PackagingSpec,
  type DriverSpec,
  type LoadSpecOptions,
  type RustRegexOptions,
} from "./packaging-spec/index.js";
export {
  decodeInfText,
  parseInf,
  infContentLines,
  infAddServiceNames,
  infReferencedFiles,
  infsDeclareService,
  infsMatchPattern,
  missingInfReferences,
  pciBaseHardwareId,
  infVersionInfo,
  type ParsedInf,
  type LineMatcher,
  type InfSection,
  type InfReferences,
  type MissingReference,
  type InfVersionInfo,
} from "./inf/index.js";

// Writers
export * from "./manifest/index.js";
export * from "./iso-writer/index.js";
export * from "./deterministic-zip/index.js";
export * from "./media-images/index.js";
export * from "./atomic-dest/index.js";

// The whole build
export * from "./guest-tools-media/index.js";
export * from "./virtio-win/index.js";
export { BuildCache, contentsIdentity, isRacy, type BuildCacheOptions, type BuildCacheStats } from "./build-cache/index.js";

// Shared helpers
export { ProblemReport, type Problem, type SkippedFile } from "./shared/report.js";
export { FileContents, openContents, contentSize, materialize, readAllContents, isReopenable } from "./shared/contents.js";
export { canonicalJson, canonicalJsonSha256, parseJsonDocument } from "./shared/canonical-json.js";
export { compareCodePoints, packagePath, sortByPackagePath } from "./shared/paths.js";
export { SharedReads } from "./shared/shared-reads.js";
export { userError } from "./shared/errors.js";

// After the build: verify, compare, publish
export { verifyMedia, verifyMediaFiles, verifyError, readMedia, type VerifyMediaOptions, type VerifyReport, type MediaFile, type MediaListing } from "./verify-media/index.js";
export { diffMediaFiles, diffMedia, formatMediaDiff, loadMediaSide, type MediaDiff, type MediaSide } from "./media-diff/index.js";
export { sha256Sums, sha256SumsText, CHECKSUMS_NAME, type Sha256SumsOptions } from "./checksums/index.js";
export { sbomWriter, buildSbomJson, DEFAULT_SBOM_NAME, SBOM_SPEC_VERSION, type SbomWriterOptions, type SbomInput } from "./sbom/index.js";
