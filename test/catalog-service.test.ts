/**
 * plugins/catalog/service.ts: catalogs parsed in a worker thread give exactly the answers of
 * catalogs parsed in this thread (the checks never depend on where they ran), a few small
 * catalogs start no worker, and a worker closed with requests in flight still answers them.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CertificateFile } from "../plugins/catalog/facts.js";
import { catalogService, type CatalogService } from "../plugins/catalog/service.js";
import { buildCatalog } from "./fixtures/catalogs/catalog-builder.js";
import { REPO, SAMPLE_DRIVERS } from "./support/fixtures.js";

const FIXTURES = path.join(REPO, "test/fixtures/catalogs");
const SAMPLE_CERT = path.join(REPO, "drivers-sample/guest-tools/certs/aero-test-signing.cer");

/** Every catalog of the sample, plus one signed by another key, one altered after signing and a text file. */
async function catalogs(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const arch of ["x86", "amd64"]) {
    for (const dir of readdirSync(path.join(SAMPLE_DRIVERS, arch))) {
      for (const f of readdirSync(path.join(SAMPLE_DRIVERS, arch, dir)).filter((n) => n.endsWith(".cat"))) {
        out.push({ name: `${arch}/${dir}/${f}`, bytes: readFileSync(path.join(SAMPLE_DRIVERS, arch, dir, f)) });
      }
    }
  }
  const other = await buildCatalog({
    members: [{ name: "x.sys", bytes: Buffer.from("not a PE image") }],
    certificate: readFileSync(path.join(FIXTURES, "other-signing.pem"), "utf8"),
    privateKeyPem: readFileSync(path.join(FIXTURES, "other-signing.key"), "utf8"),
  });
  out.push({ name: "other-signer.cat", bytes: other });
  const altered = Buffer.from(out[0]!.bytes);
  altered[altered.length - 300]! ^= 0xff; // inside the certificate or signature: something no longer verifies
  out.push({ name: "altered.cat", bytes: altered });
  out.push({ name: "text.cat", bytes: Buffer.from("placeholder catalog\r\n") });
  return out;
}

async function answers(service: CatalogService, cats: Array<{ bytes: Uint8Array }>, trusted: CertificateFile[]) {
  const pending = cats.map((c) => service.catalog(c.bytes, trusted));
  const certs = [service.certificate(trusted[0]!), service.certificate({ path: "certs/bad.cer", bytes: Buffer.from("not a certificate") })];
  service.flush();
  try {
    return { catalogs: await Promise.all(pending), certificates: await Promise.all(certs) };
  } finally {
    service.close();
  }
}

describe("catalog service (worker thread or this one)", function () {
  this.timeout(60_000);
  const trusted: CertificateFile[] = [{ path: "certs/aero-test-signing.cer", bytes: readFileSync(SAMPLE_CERT) }];

  it("answers in a worker exactly as in this thread, Buffers and Dates included", async () => {
    const cats = await catalogs();
    const here = catalogService({ workerAfterBytes: Infinity });
    const there = catalogService({ workerAfterBytes: 0 });
    const a = await answers(here, cats, trusted);
    const b = await answers(there, cats, trusted);
    assert.equal(here.usedWorker, false);
    assert.equal(there.answeredByWorker, cats.length + 2, "the worker did not answer every request");
    assert.deepStrictEqual(b, a);
    // The answers are the real ones, not two agreeing failures.
    const byName = new Map(cats.map((c, i) => [c.name, a.catalogs[i]!]));
    const ok = byName.get("amd64/virtio-blk/aero_virtio_blk.cat")!;
    assert.ok(ok.ok && ok.facts.signature.valid && ok.facts.chainsToTrusted && ok.facts.members.length > 0);
    assert.ok(ok.ok && Buffer.isBuffer(ok.facts.members[0]!.digest) && ok.facts.signer!.notAfter instanceof Date);
    const other = byName.get("other-signer.cat")!;
    assert.ok(other.ok && other.facts.signature.valid && !other.facts.chainsToTrusted);
    const altered = byName.get("altered.cat")!;
    assert.ok(!altered.ok || !altered.facts.signature.valid || !altered.facts.chainsToTrusted);
    assert.equal(byName.get("text.cat")!.ok, false);
    assert.equal(a.certificates[0]!.ok, true);
    assert.equal(a.certificates[1]!.ok, false);
  });

  it("starts no worker for a few small catalogs (the sample's), and one past the threshold", async () => {
    const cats = await catalogs();
    const small = catalogService({ workerAfterBytes: 64 * 1024 });
    await answers(small, cats, trusted);
    assert.equal(small.usedWorker, false, `${cats.reduce((n, c) => n + c.bytes.byteLength, 0)} bytes of catalogs started a worker`);
    const big = catalogService({ workerAfterBytes: 64 * 1024 });
    await answers(big, [...cats, ...cats, ...cats, ...cats, ...cats, ...cats, ...cats, ...cats], trusted);
    assert.equal(big.usedWorker, true);
  });

  it("still answers every request when closed with requests in flight", async () => {
    const cats = await catalogs();
    const service = catalogService({ workerAfterBytes: 0 });
    const pending = cats.map((c) => service.catalog(c.bytes, trusted));
    service.close(); // the worker is stopped at once: what it held is answered here
    const results = await Promise.all(pending);
    assert.equal(results.length, cats.length);
    assert.ok(results.slice(0, 12).every((r) => r.ok && r.facts.signature.valid));
  });
});
