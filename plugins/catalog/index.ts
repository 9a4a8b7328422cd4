/** Windows catalogs and PE images: pure parsing and hashing (no streams); validateSpec uses them. */
export { peLayout, isPeLayout, authenticodeDigests, flatDigests, isPeName, MACHINE_AMD64, MACHINE_I386, type PeLayout, type DigestAlgorithm } from "./pe.js";
export {
  parseCatalog,
  parseCertificate,
  parseCertificateBundle,
  verifyCatalogSignature,
  chainsTo,
  isSelfSigned,
  formatName,
  CatalogError,
  OID_CTL,
  type ParsedCatalog,
  type CatalogMember,
  type CertificateSummary,
  type SignatureVerdict,
} from "./catalog.js";
export {
  infCatalogFile,
  catalogCoveredNames,
  infBootStartBinaries,
  digestFile,
  coverage,
  type FileDigest,
  type CoverageVerdict,
  type CatalogArch,
} from "./coverage.js";
