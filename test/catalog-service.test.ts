/**
 * plugins/catalog/service.ts: nothing is parsed before the checks ask (a build defers them to run
 * alongside the writing), then every catalog and certificate gets its facts.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CertificateFile } from "../plugins/catalog/facts.js";
import { catalogService } from "../plugins/catalog/service.js";
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

describe("catalog service", function () {
  this.timeout(60_000);
  const trusted: CertificateFile[] = [{ path: "certs/aero-test-signing.cer", bytes: readFileSync(SAMPLE_CERT) }];

  it("parses nothing before flush(), then answers every request with the catalog's facts", async () => {
    const cats = await catalogs();
    const service = catalogService();
    let answered = 0;
    const pending = cats.map((c) => service.catalog(c.bytes, trusted).then((r) => (answered++, r)));
    const certs = [service.certificate(trusted[0]!), service.certificate({ path: "certs/bad.cer", bytes: Buffer.from("not a certificate") })];
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(answered, 0, "a catalog was parsed before the checks asked (a build would parse it before writing)");
    service.flush();
    const results = await Promise.all(pending);
    const byName = new Map(cats.map((c, i) => [c.name, results[i]!]));
    const ok = byName.get("amd64/virtio-blk/aero_virtio_blk.cat")!;
    assert.ok(ok.ok && ok.facts.signature.valid && ok.facts.chainsToTrusted && ok.facts.selfSigned && ok.facts.members.length > 0);
    assert.ok(ok.ok && Buffer.isBuffer(ok.facts.members[0]!.digest) && ok.facts.signer!.notAfter instanceof Date);
    const other = byName.get("other-signer.cat")!;
    assert.ok(other.ok && other.facts.signature.valid && !other.facts.chainsToTrusted);
    const altered = byName.get("altered.cat")!;
    assert.ok(!altered.ok || !altered.facts.signature.valid || !altered.facts.chainsToTrusted);
    assert.equal(byName.get("text.cat")!.ok, false);
    const [good, bad] = await Promise.all(certs);
    assert.deepEqual(good, { ok: true, count: 1 });
    assert.equal(bad!.ok, false);
  });

  it("answers at once after flush()", async () => {
    const service = catalogService();
    service.flush();
    const r = await service.certificate(trusted[0]!);
    assert.deepEqual(r, { ok: true, count: 1 });
  });
});
