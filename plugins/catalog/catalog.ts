/**
 * Windows catalogs (.cat): DER PKCS#7 SignedData whose content is a Microsoft certificate trust
 * list (CTL, 1.3.6.1.4.1.311.10.1) listing file hashes. Parsed with asn1js + pkijs; pure (no I/O).
 *
 * CTL ::= SEQUENCE { version INTEGER OPTIONAL, subjectUsage SEQUENCE OF OID (catalog list),
 *   listIdentifier OCTET STRING OPTIONAL, sequenceNumber INTEGER OPTIONAL, thisUpdate Time,
 *   nextUpdate Time OPTIONAL, subjectAlgorithm AlgorithmIdentifier, members SEQUENCE OF
 *   SEQUENCE { tag OCTET STRING, attributes SET OF Attribute } OPTIONAL, extensions [0] OPTIONAL }
 * A member's SPC_INDIRECT_DATA attribute carries the digest Windows compares with the file's hash
 * (the Authenticode image hash for a PE file, the whole file's hash otherwise); its "File"
 * name-value attribute names the file. The tag is the digest (raw, or as hex in UTF-16LE).
 *
 * On the maintained 3.x lines of asn1js and pkijs (package.json), not 4.x: asn1js 4's byte-view
 * helper (@peculiar/utils toUint8Array) calls Object.prototype.toString four times per ASN.1 node,
 * which made the parse about a third of the catalog checks' cost; with 3.x a medium build and
 * `gulp validate` take about 8 % less time (five interleaved runs each, 2026-12-01).
 */
import { webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { DigestAlgorithm } from "./pe.js";

const crypto = webcrypto as unknown as Crypto;
const engine = new pkijs.CryptoEngine({ name: "node-webcrypto", crypto });

export const OID_CTL = "1.3.6.1.4.1.311.10.1";
const OID_CATALOG_LIST = "1.3.6.1.4.1.311.12.1.1";
const OID_NAME_VALUE = "1.3.6.1.4.1.311.12.2.1";
const OID_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4";
const OID_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15";
const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const DIGESTS: Record<string, DigestAlgorithm> = { "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256" };
/** Signature algorithms that name their digest (the SignerInfo's digestAlgorithm usually does). */
const SIGNATURE_DIGESTS: Record<string, DigestAlgorithm> = { "1.2.840.113549.1.1.5": "sha1", "1.2.840.113549.1.1.11": "sha256" };

export interface CatalogMember {
  /** The member's tag (subject identifier), hex. */
  tag: string;
  /** The "File" name-value attribute, when present. */
  name?: string;
  /** Digest algorithm of SPC_INDIRECT_DATA: "sha1", "sha256" or the OID of another one. */
  digestAlgorithm: string;
  digest: Buffer;
  /** The SPC_INDIRECT_DATA type: a PE image hash, or a flat file hash. */
  kind: "pe" | "flat";
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  selfIssued: boolean;
  notBefore: Date;
  notAfter: Date;
}

export interface ParsedCatalog {
  members: CatalogMember[];
  /** Digest algorithm of the signature ("sha1", "sha256" or an OID). */
  signatureDigest: string;
  signer?: CertificateSummary;
  /** @internal pkijs objects, for verifyCatalog. */
  readonly signed: pkijs.SignedData;
  readonly signerCertificate?: pkijs.Certificate;
  /** @internal the CTL's value bytes (what the signature's messageDigest covers). */
  readonly content: Uint8Array;
}

export class CatalogError extends Error {}

/** Parse a catalog. Throws CatalogError saying why the bytes are not a catalog. */
export function parseCatalog(bytes: Uint8Array): ParsedCatalog {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const top = asn1js.fromBER(view);
  if (top.offset === -1) throw new CatalogError(`not DER (${top.result.error || "undecodable"})`);
  let info: pkijs.ContentInfo;
  try {
    info = new pkijs.ContentInfo({ schema: top.result });
  } catch {
    throw new CatalogError("not a PKCS#7 ContentInfo");
  }
  if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new CatalogError(`PKCS#7 content is ${info.contentType}, not SignedData`);
  let signed: pkijs.SignedData;
  try {
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (err) {
    throw new CatalogError(`malformed SignedData (${(err as Error).message})`);
  }
  if (signed.encapContentInfo.eContentType !== OID_CTL) {
    throw new CatalogError(`signed content is ${signed.encapContentInfo.eContentType}, not a certificate trust list (${OID_CTL})`);
  }
  const ctl = signed.encapContentInfo.eContent as unknown as asn1js.BaseBlock | undefined;
  if (!(ctl instanceof asn1js.Sequence)) throw new CatalogError("the certificate trust list is missing or not a SEQUENCE");
  const whole = new Uint8Array(ctl.valueBeforeDecodeView);
  const content = whole.subarray(ctl.idBlock.blockLength + ctl.lenBlock.blockLength);

  const fields = ctl.valueBlock.value;
  let i = 0;
  if (fields[i] instanceof asn1js.Integer) i++;
  const usage = fields[i++];
  if (!(usage instanceof asn1js.Sequence) || !usage.valueBlock.value.some((o) => o instanceof asn1js.ObjectIdentifier && o.valueBlock.toString() === OID_CATALOG_LIST)) {
    throw new CatalogError("the trust list's subject usage is not the catalog list (1.3.6.1.4.1.311.12.1.1)");
  }
  if (fields[i] instanceof asn1js.OctetString) i++;
  if (fields[i] instanceof asn1js.Integer) i++;
  if (!(fields[i] instanceof asn1js.UTCTime || fields[i] instanceof asn1js.GeneralizedTime)) throw new CatalogError("the trust list has no thisUpdate time");
  i++;
  if (fields[i] instanceof asn1js.UTCTime || fields[i] instanceof asn1js.GeneralizedTime) i++;
  if (!(fields[i] instanceof asn1js.Sequence)) throw new CatalogError("the trust list has no subject algorithm");
  i++;
  const list = fields[i];
  const members: CatalogMember[] = [];
  if (list instanceof asn1js.Sequence) {
    for (const entry of list.valueBlock.value) {
      const member = parseMember(entry);
      if (member) members.push(member);
    }
  }

  const si = signed.signerInfos[0];
  if (!si) throw new CatalogError("the catalog has no signer");
  const signatureDigest = DIGESTS[si.digestAlgorithm.algorithmId] ?? SIGNATURE_DIGESTS[si.signatureAlgorithm.algorithmId] ?? si.digestAlgorithm.algorithmId;
  const signerCertificate = findSigner(signed, si);
  return { members, signatureDigest, signed, content, ...(signerCertificate ? { signerCertificate, signer: summarize(signerCertificate) } : {}) };
}

function parseMember(entry: asn1js.AsnType): CatalogMember | undefined {
  if (!(entry instanceof asn1js.Sequence)) return undefined;
  const [tagBlock, attrs] = entry.valueBlock.value;
  if (!(tagBlock instanceof asn1js.OctetString)) return undefined;
  const tag = Buffer.from(tagBlock.valueBlock.valueHexView).toString("hex");
  let name: string | undefined;
  let indirect: { digestAlgorithm: string; digest: Buffer; kind: "pe" | "flat" } | undefined;
  if (attrs instanceof asn1js.Set) {
    for (const attr of attrs.valueBlock.value) {
      if (!(attr instanceof asn1js.Sequence)) continue;
      const [type, values] = attr.valueBlock.value;
      if (!(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set)) continue;
      const value = values.valueBlock.value[0];
      const oid = type.valueBlock.toString();
      if (oid === OID_NAME_VALUE && value instanceof asn1js.Sequence) {
        const [t, , v] = value.valueBlock.value;
        if (t instanceof asn1js.BmpString && t.valueBlock.value === "File" && v instanceof asn1js.OctetString) {
          name = Buffer.from(v.valueBlock.valueHexView).toString("utf16le").replace(/\0+$/, "");
        }
      } else if (oid === OID_INDIRECT_DATA && value instanceof asn1js.Sequence) {
        indirect = parseIndirectData(value);
      }
    }
  }
  if (!indirect) return undefined; // a member without a digest covers nothing
  return { tag, ...(name !== undefined ? { name } : {}), ...indirect };
}

function parseIndirectData(seq: asn1js.Sequence): { digestAlgorithm: string; digest: Buffer; kind: "pe" | "flat" } | undefined {
  const [data, digestInfo] = seq.valueBlock.value;
  if (!(data instanceof asn1js.Sequence) || !(digestInfo instanceof asn1js.Sequence)) return undefined;
  const type = data.valueBlock.value[0];
  const [alg, digest] = digestInfo.valueBlock.value;
  if (!(alg instanceof asn1js.Sequence) || !(digest instanceof asn1js.OctetString)) return undefined;
  const algOid = alg.valueBlock.value[0];
  if (!(algOid instanceof asn1js.ObjectIdentifier)) return undefined;
  const oid = algOid.valueBlock.toString();
  const kind = type instanceof asn1js.ObjectIdentifier && type.valueBlock.toString() === OID_PE_IMAGE_DATA ? "pe" : "flat";
  return { digestAlgorithm: DIGESTS[oid] ?? oid, digest: Buffer.from(digest.valueBlock.valueHexView), kind };
}

function findSigner(signed: pkijs.SignedData, si: pkijs.SignerInfo): pkijs.Certificate | undefined {
  const certs = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    const sid = si.sid;
    return certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  }
  return undefined;
}

const NAME_LABELS: Record<string, string> = { "2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST" };

/** A distinguished name as `CN=..., O=...`. */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${NAME_LABELS[tv.type] ?? tv.type}=${tv.value.valueBlock.value}`).join(", ");
}

export function summarize(cert: pkijs.Certificate): CertificateSummary {
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    selfIssued: cert.subject.isEqual(cert.issuer),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
  };
}

/** Parse an X.509 certificate given as DER or PEM; throws with a reason. */
export function parseCertificate(bytes: Uint8Array): pkijs.Certificate {
  let der = bytes;
  const text = Buffer.from(bytes).toString("latin1");
  const pem = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(text);
  if (pem) der = new Uint8Array(Buffer.from(pem[1]!.replace(/\s+/g, ""), "base64"));
  const asn = asn1js.fromBER(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  if (asn.offset === -1) throw new Error("neither DER nor PEM");
  try {
    return new pkijs.Certificate({ schema: asn.result });
  } catch {
    throw new Error("not an X.509 certificate");
  }
}

/** The certificates of a PKCS#7 bundle (.p7b); throws when it holds none. */
export function parseCertificateBundle(bytes: Uint8Array): pkijs.Certificate[] {
  const asn = asn1js.fromBER(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (asn.offset === -1) throw new Error("not DER");
  let certs: pkijs.Certificate[];
  try {
    const info = new pkijs.ContentInfo({ schema: asn.result });
    const sd = new pkijs.SignedData({ schema: info.content });
    certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  } catch {
    throw new Error("not a PKCS#7 certificate bundle");
  }
  if (certs.length === 0) throw new Error("the PKCS#7 bundle holds no certificate");
  return certs;
}

export interface SignatureVerdict {
  /** The signature verifies over the catalog's content with the signer's key. */
  valid: boolean;
  reason?: string;
}

/** Check the catalog's own signature (messageDigest over the CTL, then the RSA/ECDSA signature). */
export async function verifyCatalogSignature(cat: ParsedCatalog): Promise<SignatureVerdict> {
  if (!cat.signerCertificate) return { valid: false, reason: "the signer's certificate is not in the catalog" };
  const si = cat.signed.signerInfos[0]!;
  const md = si.signedAttrs?.attributes.find((a) => a.type === OID_MESSAGE_DIGEST)?.values[0];
  if (!(md instanceof asn1js.OctetString)) return { valid: false, reason: "the signature has no messageDigest attribute" };
  const alg = cat.signatureDigest === "sha1" ? "SHA-1" : cat.signatureDigest === "sha256" ? "SHA-256" : undefined;
  if (!alg) return { valid: false, reason: `unsupported signature digest ${cat.signatureDigest}` };
  const digest = Buffer.from(await crypto.subtle.digest(alg, toArrayBuffer(cat.content)));
  if (!digest.equals(Buffer.from(md.valueBlock.valueHexView))) return { valid: false, reason: "the catalog's content does not match its signed digest (the catalog was altered after signing)" };
  try {
    const ok = await cat.signed.verify({ signer: 0, data: toArrayBuffer(cat.content), checkChain: false }, engine);
    return ok ? { valid: true } : { valid: false, reason: "the signature does not verify with the signer's public key" };
  } catch (err) {
    const e = err as { message?: string };
    return { valid: false, reason: `the signature does not verify (${e.message ?? String(err)})` };
  }
}

/**
 * Does the signer chain to one of `trusted`? Links are followed through the catalog's own
 * certificates and `trusted`, each verified with its issuer's key. No revocation, no time check.
 */
export async function chainsTo(cat: ParsedCatalog, trusted: readonly pkijs.Certificate[]): Promise<boolean> {
  const all = [...(cat.signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate), ...trusted];
  const trustedDer = trusted.map((c) => Buffer.from(c.toSchema().toBER(false)));
  const isTrusted = (c: pkijs.Certificate) => trustedDer.some((d) => d.equals(Buffer.from(c.toSchema().toBER(false))));
  let cert = cat.signerCertificate;
  for (let depth = 0; cert && depth < 8; depth++) {
    if (isTrusted(cert)) return true;
    const current: pkijs.Certificate = cert;
    let next: pkijs.Certificate | undefined;
    for (const candidate of all) {
      if (candidate === current || !candidate.subject.isEqual(current.issuer)) continue;
      if (await current.verify(candidate, engine).catch(() => false)) {
        next = candidate;
        break;
      }
    }
    if (!next || next.subject.isEqual(current.subject)) return next !== undefined && isTrusted(next);
    cert = next;
  }
  return false;
}

/** A self-signed certificate (issuer = subject and its own key verifies it). */
export async function isSelfSigned(cert: pkijs.Certificate): Promise<boolean> {
  if (!cert.subject.isEqual(cert.issuer)) return false;
  return cert.verify(cert, engine).catch(() => false);
}

function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}
