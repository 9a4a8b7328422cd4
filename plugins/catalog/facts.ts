/**
 * What the checks need to know of a catalog and of the certificates in certs/, computed from their
 * bytes alone and returned as plain data (no asn1js trees, which are big): so the results can be
 * remembered between the builds of `gulp watch` and the parse (asn1js + pkijs, about 15 ms per
 * 12 KiB catalog) is done once. No I/O.
 */
import type * as pkijs from "pkijs";
import {
  CatalogError,
  chainsTo,
  isSelfSigned,
  parseCatalog,
  parseCertificate,
  parseCertificateBundle,
  verifyCatalogSignature,
  type CatalogMember,
  type CertificateSummary,
  type SignatureVerdict,
} from "./catalog.js";

/** A certificate file as read: its package path (the extension decides DER/PEM vs .p7b) and bytes. */
export interface CertificateFile {
  path: string;
  bytes: Uint8Array;
}

export interface CatalogFacts {
  members: CatalogMember[];
  /** Digest algorithm of the signature ("sha1", "sha256" or an OID). */
  signatureDigest: string;
  signer?: CertificateSummary;
  signature: SignatureVerdict;
  /** The signer's certificate is self-signed (test-signed media). */
  selfSigned: boolean;
  /** The signer chains to one of the certificates of `trusted` given with the catalog. */
  chainsToTrusted: boolean;
}

export type CatalogFactsResult = { ok: true; facts: CatalogFacts } | { ok: false; error: string };

export type CertificateFacts = { ok: true; count: number } | { ok: false; error: string };

/** A question for catalogFacts() or certificateFacts(). */
export type FactsRequest = { op: "catalog"; bytes: Uint8Array; trusted: CertificateFile[] } | { op: "certificate"; file: CertificateFile };

/** One request's answer. */
export async function answer(r: FactsRequest): Promise<CatalogFactsResult | CertificateFacts> {
  return r.op === "catalog" ? catalogFacts(r.bytes, r.trusted) : certificateFacts(r.file);
}

/** Parse a catalog and judge its signature, its signer and the signer's chain to `trusted`. */
export async function catalogFacts(bytes: Uint8Array, trusted: readonly CertificateFile[]): Promise<CatalogFactsResult> {
  let cat;
  try {
    cat = parseCatalog(bytes);
  } catch (err) {
    return { ok: false, error: err instanceof CatalogError ? err.message : (err as Error).message };
  }
  const signature = await verifyCatalogSignature(cat);
  const selfSigned = cat.signerCertificate ? await isSelfSigned(cat.signerCertificate) : false;
  const chainsToTrusted = signature.valid ? await chainsTo(cat, trustedCertificates(trusted)) : false;
  return {
    ok: true,
    facts: { members: cat.members, signatureDigest: cat.signatureDigest, ...(cat.signer && { signer: cat.signer }), signature, selfSigned, chainsToTrusted },
  };
}

/** Does each file of certs/ parse as X.509 (DER or PEM; a .p7b as a PKCS#7 bundle)? */
export function certificateFacts(file: CertificateFile): CertificateFacts {
  try {
    return { ok: true, count: parseCertificateFile(file).length };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function parseCertificateFile(file: CertificateFile): pkijs.Certificate[] {
  return /\.p7b$/i.test(file.path) ? parseCertificateBundle(file.bytes) : [parseCertificate(file.bytes)];
}

/** Parsed once per file's bytes: every catalog of a build is judged against the same certs/. */
const parsedTrusted = new WeakMap<Uint8Array, pkijs.Certificate[]>();

/** The certificates of the files that parse (those that do not are reported by certificateFacts). */
function trustedCertificates(files: readonly CertificateFile[]): pkijs.Certificate[] {
  return files.flatMap((f) => {
    let certs = parsedTrusted.get(f.bytes);
    if (!certs) {
      try {
        certs = parseCertificateFile(f);
      } catch {
        certs = [];
      }
      parsedTrusted.set(f.bytes, certs);
    }
    return certs;
  });
}
