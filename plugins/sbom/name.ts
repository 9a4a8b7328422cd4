/**
 * The SBOM's default file name, apart from the writer so that the CLI flags can name it without
 * loading the CycloneDX library at start-up.
 */
export const DEFAULT_SBOM_NAME = "aero-guest-tools.cdx.json";
