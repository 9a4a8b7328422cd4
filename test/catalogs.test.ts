/**
 * Catalogs and signatures (README "What is checked → Catalogs and signatures"). Debian's
 * osslsigncode is the judge: on the bundled sample and on each mutation, our verdict per PE file
 * (covered by its catalog or not; catalog signature trusted or not) equals osslsigncode's. INF
 * members, which osslsigncode cannot take, are judged against sha1sum / sha256sum.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CatalogError, chainsTo, parseCatalog, parseCertificate, verifyCatalogSignature } from "../plugins/catalog/catalog.js";
import { coverage, digestFile, FileDigester } from "../plugins/catalog/coverage.js";
import { validateGuestToolsMedia } from "../plugins/guest-tools-media/index.js";
import { buildCatalog } from "./fixtures/catalogs/catalog-builder.js";
import { plannedCatalogs, regenerateCatalogs } from "./fixtures/catalogs/make-catalogs.js";
import { cleanupTempDirs, copySample, REPO, run, runGulp, SAMPLE_DRIVERS, tempDir } from "./support/fixtures.js";
import { requireTools } from "./support/tools.js";

const FIXTURES = path.join(REPO, "test/fixtures/catalogs");
const SAMPLE_CERT_DER = path.join(REPO, "drivers-sample/guest-tools/certs/aero-test-signing.cer");
const key = (name: string) => readFileSync(path.join(FIXTURES, `${name}.key`), "utf8");
const pem = (name: string) => readFileSync(path.join(FIXTURES, `${name}.pem`), "utf8");
const isPe = (n: string) => /\.(sys|dll|exe)$/i.test(n);

/** The sample certificate as PEM, as osslsigncode's -CAfile wants it. */
function samplePem(): string {
  const file = path.join(tempDir("aero-ca-"), "ca.pem");
  const b64 = readFileSync(SAMPLE_CERT_DER).toString("base64").replace(/.{64}/g, "$&\n");
  writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
  return file;
}

/** osslsigncode's verdict: does FILE verify against CAT with this CA? */
function judgeFile(cat: string, file: string, ca: string): boolean {
  requireTools("osslsigncode");
  return spawnSync("osslsigncode", ["verify", "-catalog", cat, "-in", file, "-CAfile", ca], { encoding: "utf8" }).status === 0;
}
/** osslsigncode's verdict on the catalog's own signature. */
function judgeCatalog(cat: string, ca: string): boolean {
  requireTools("osslsigncode");
  return spawnSync("osslsigncode", ["verify", "-in", cat, "-CAfile", ca], { encoding: "utf8" }).status === 0;
}

/** Our verdict: the file is covered by the catalog, and the catalog's signature chains to `ca`. */
async function ours(cat: string, file: string, ca: string): Promise<boolean> {
  const parsed = parseCatalog(readFileSync(cat));
  const covered = coverage(parsed, path.basename(file), digestFile(file, readFileSync(file))).status === "covered";
  const sig = await verifyCatalogSignature(parsed);
  return covered && sig.valid && (await chainsTo(parsed, [parseCertificate(readFileSync(ca))]));
}

async function validateError(sample: ReturnType<typeof copySample>, signingPolicy: "test" | "production" | "none" = "test", spec = sample.spec): Promise<string> {
  try {
    await validateGuestToolsMedia({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec, outDir: "unused", signingPolicy, cwd: sample.root });
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("validation passed");
}

async function validateOk(sample: ReturnType<typeof copySample>, signingPolicy: "test" | "production" | "none" = "test", spec = sample.spec) {
  return validateGuestToolsMedia({ driversDir: sample.drivers, guestToolsDir: sample.guestTools, spec, outDir: "unused", signingPolicy, cwd: sample.root });
}

/** Rebuild a catalog of the sample (in a copy) with other options. */
async function remakeCatalog(dir: string, catName: string, opts: { members?: (names: string[]) => string[]; digest?: "sha1" | "sha256"; signer?: string }) {
  const arch = dir.includes(`${path.sep}amd64${path.sep}`) ? "amd64" : "x86";
  let members = plannedCatalogs(dir, arch).get(catName)!;
  if (opts.members) members = opts.members(members);
  const signer = opts.signer ?? "test-signing";
  const bytes = await buildCatalog({
    members: members.map((name) => ({ name, bytes: readFileSync(path.join(dir, name)) })),
    certificate: pem(signer),
    privateKeyPem: key(signer),
    ...(opts.digest && { digest: opts.digest }),
  });
  writeFileSync(path.join(dir, catName), bytes);
}

/** Compile a different (unsigned) driver image in place: "rebuilt after its catalog". */
function rebuildSys(file: string, amd64: boolean) {
  const cc = amd64 ? "x86_64-w64-mingw32-gcc" : "i686-w64-mingw32-gcc";
  run(cc, ["-O2", "-nostdlib", "-ffreestanding", "-s", "-shared", "-Wl,--no-insert-timestamp", "-Wl,--disable-auto-image-base",
    "-Wl,--subsystem,native", `-Wl,--entry,${amd64 ? "DriverEntry" : "_DriverEntry@8"}`, '-DAERO_NAME="rebuilt"', "-o", file, path.join(FIXTURES, "driver.c")]);
}

describe("catalogs and signatures", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  describe("the bundled sample", () => {
    it("regenerates its catalogs byte for byte (make-catalogs.ts --check)", () => {
      const r = spawnSync(process.execPath, ["--import", "tsx", path.join(FIXTURES, "make-catalogs.ts"), "--check"], { cwd: REPO, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    });

    it("agrees with osslsigncode on every PE file against every catalog of its folder", async () => {
      const ca = samplePem();
      let agreed = 0;
      let covered = 0;
      for (const arch of ["x86", "amd64"]) {
        for (const driver of readdirSync(path.join(SAMPLE_DRIVERS, arch))) {
          const dir = path.join(SAMPLE_DRIVERS, arch, driver);
          const names = readdirSync(dir);
          for (const cat of names.filter((n) => n.endsWith(".cat"))) {
            assert.ok(judgeCatalog(path.join(dir, cat), ca), `osslsigncode verifies ${arch}/${driver}/${cat}`);
            for (const file of names.filter(isPe)) {
              const theirs = judgeFile(path.join(dir, cat), path.join(dir, file), ca);
              assert.equal(await ours(path.join(dir, cat), path.join(dir, file), ca), theirs, `${arch}/${driver}/${file} in ${cat}`);
              agreed++;
              if (theirs) covered++;
            }
          }
        }
      }
      assert.ok(agreed >= 20 && covered >= 20, `${agreed} verdicts compared, ${covered} covered`);
    });

    it("lists each INF under the hash sha1sum gives it", () => {
      const dir = path.join(SAMPLE_DRIVERS, "amd64/virtio-input");
      for (const [cat, members] of plannedCatalogs(dir, "amd64")) {
        const parsed = parseCatalog(readFileSync(path.join(dir, cat)));
        for (const inf of members.filter((m) => m.endsWith(".inf"))) {
          const sha1 = run("sha1sum", [path.join(dir, inf)]).split(" ")[0]!;
          const member = parsed.members.find((m) => m.name === inf);
          assert.equal(member?.digest.toString("hex"), sha1, `${cat} lists ${inf}`);
          assert.equal(member?.kind, "flat");
        }
      }
    });

    it("hashes the same streamed in chunks of any size as in one piece (signed and unsigned PE, flat)", () => {
      const unsigned = path.join(tempDir(), "u.sys");
      rebuildSys(unsigned, false);
      for (const file of [path.join(SAMPLE_DRIVERS, "amd64/virtio-blk/aero_virtio_blk.sys"), unsigned, path.join(SAMPLE_DRIVERS, "x86/aerogpu/aerogpu_dx11.inf")]) {
        const bytes = readFileSync(file);
        const whole = digestFile(file, bytes);
        for (const size of [1, 7, 300, 4096, 1 << 20]) {
          const d = new FileDigester(file, bytes.length, ["sha1", "sha256"]);
          for (let at = 0; at < bytes.length; at += size) d.update(bytes.subarray(at, at + size));
          const streamed = d.digest();
          assert.equal(streamed.pe, whole.pe);
          for (const alg of ["sha1", "sha256"] as const) assert.ok(streamed.digests.get(alg)!.equals(whole.digests.get(alg)!), `${path.basename(file)} ${alg} in chunks of ${size}`);
        }
      }
    });

    it("passes validate with the catalog summary (real gulp run)", () => {
      const s = copySample();
      const r = runGulp(["validate", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec], { cwd: s.root });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /catalogs: 12 checked, signed by CN=Aero Test Signing \(sample, do not trust\) \(issued by CN=Aero Test Signing/);
      assert.match(r.stdout, /embedded signatures: 10 of 10 \.sys files signed/);
      assert.doesNotMatch(r.stdout + r.stderr, /warning/);
    });
  });

  describe("in a build (checked alongside the writing, awaited before anything is renamed)", () => {
    const outputsOf = (dir: string) => readdirSync(dir).sort().map((n) => `${n} ${createHash("sha256").update(readFileSync(path.join(dir, n))).digest("hex")}`);

    it("a catalog problem fails gulp guest-tools, names it, and leaves the previous outputs as they were", () => {
      const s = copySample();
      const args = ["guest-tools", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", "out"];
      const good = runGulp(args, { cwd: s.root });
      assert.equal(good.status, 0, good.stdout + good.stderr);
      const before = outputsOf(path.join(s.root, "out"));
      rebuildSys(path.join(s.drivers, "amd64/virtio-blk/aero_virtio_blk.sys"), true);
      const r = runGulp(args, { cwd: s.root });
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /drivers\/amd64\/virtio-blk\/aero_virtio_blk\.sys does not match catalog drivers\/amd64\/virtio-blk\/aero_virtio_blk\.cat: its SHA-1 Authenticode image hash/);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.ts:\d+/, "no stack trace");
      assert.deepEqual(outputsOf(path.join(s.root, "out")), before, "the out dir changed (or holds temp files)");
    });

    it("a catalog problem and another one are reported together, and nothing is written", () => {
      const s = copySample();
      rebuildSys(path.join(s.drivers, "x86/virtio-snd/aero_virtio_snd.sys"), false);
      mkdirSync(path.join(s.guestTools, "tools"), { recursive: true });
      writeFileSync(path.join(s.guestTools, "tools/signing.pvk"), "a private key");
      const r = runGulp(["guest-tools", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec, "--out-dir", "out"], { cwd: s.root });
      assert.notEqual(r.status, 0);
      const out = r.stdout + r.stderr;
      assert.match(out, /aero_virtio_snd\.sys does not match catalog/);
      assert.match(out, /refusing to package private key material in tools directory: tools\/signing\.pvk/);
      assert.deepEqual(readdirSync(s.root).filter((n) => n === "out"), [], "the out dir was created");
    });
  });

  describe("mutations", () => {
    it("a .sys rebuilt after its catalog: not covered (ours = osslsigncode), a real gulp run fails naming file, catalog, algorithm and fix", async () => {
      const s = copySample();
      const dir = path.join(s.drivers, "amd64/virtio-blk");
      rebuildSys(path.join(dir, "aero_virtio_blk.sys"), true);
      const ca = samplePem();
      const cat = path.join(dir, "aero_virtio_blk.cat");
      assert.equal(judgeFile(cat, path.join(dir, "aero_virtio_blk.sys"), ca), false);
      assert.equal(await ours(cat, path.join(dir, "aero_virtio_blk.sys"), ca), false);
      const r = runGulp(["validate", "--drivers-dir", s.drivers, "--guest-tools-dir", s.guestTools, "--spec", s.spec], { cwd: s.root });
      assert.notEqual(r.status, 0);
      const out = r.stdout + r.stderr;
      assert.match(out, /virtio-blk \(amd64\):/);
      assert.match(out, /drivers\/amd64\/virtio-blk\/aero_virtio_blk\.sys does not match catalog drivers\/amd64\/virtio-blk\/aero_virtio_blk\.cat: its SHA-1 Authenticode image hash is [0-9a-f]{40}, the catalog lists [0-9a-f]{40}/);
      assert.match(out, /regenerate the catalog after rebuilding the driver/);
      assert.doesNotMatch(out, /\n\s+at .*\.ts:\d+/, "no stack trace");
    });

    it("a member removed: not listed (ours = osslsigncode)", async () => {
      const s = copySample();
      const dir = path.join(s.drivers, "x86/virtio-net");
      await remakeCatalog(dir, "aero_virtio_net.cat", { members: (m) => m.filter((n) => !n.endsWith(".sys")) });
      const ca = samplePem();
      assert.equal(judgeFile(path.join(dir, "aero_virtio_net.cat"), path.join(dir, "aero_virtio_net.sys"), ca), false);
      assert.equal(await ours(path.join(dir, "aero_virtio_net.cat"), path.join(dir, "aero_virtio_net.sys"), ca), false);
      const msg = await validateError(s);
      assert.match(msg, /drivers\/x86\/virtio-net\/aero_virtio_net\.sys is not listed in catalog drivers\/x86\/virtio-net\/aero_virtio_net\.cat \(SHA-1; no member has its Authenticode image hash\)/);
      assert.match(msg, /\[catalog-not-covering\]/);
    });

    it("every problem at once, per driver and arch", async () => {
      const s = copySample();
      rebuildSys(path.join(s.drivers, "amd64/virtio-blk/aero_virtio_blk.sys"), true);
      rebuildSys(path.join(s.drivers, "x86/virtio-snd/aero_virtio_snd.sys"), false);
      writeFileSync(path.join(s.drivers, "x86/virtio-net/aero_virtio_net.inf"), readFileSync(path.join(s.drivers, "x86/virtio-net/aero_virtio_net.inf"), "utf8") + "\r\n; edited\r\n");
      const msg = await validateError(s);
      assert.match(msg, /virtio-blk \(amd64\):[\s\S]*aero_virtio_blk\.sys does not match/);
      assert.match(msg, /virtio-snd \(x86\):[\s\S]*aero_virtio_snd\.sys does not match/);
      assert.match(msg, /virtio-net \(x86\):[\s\S]*aero_virtio_net\.inf does not match catalog .*: its SHA-1 file hash/);
    });

    it("a catalog signed by another key: its members match but it is not trusted under test (ours = osslsigncode)", async () => {
      const s = copySample();
      const dir = path.join(s.drivers, "amd64/virtio-net");
      await remakeCatalog(dir, "aero_virtio_net.cat", { signer: "other-signing" });
      const cat = path.join(dir, "aero_virtio_net.cat");
      const sys = path.join(dir, "aero_virtio_net.sys");
      const ca = samplePem();
      const other = path.join(FIXTURES, "other-signing.pem");
      assert.equal(judgeFile(cat, sys, ca), false);
      assert.equal(await ours(cat, sys, ca), false);
      assert.equal(judgeFile(cat, sys, other), true);
      assert.equal(await ours(cat, sys, other), true);
      const msg = await validateError(s);
      assert.match(msg, /drivers\/amd64\/virtio-net\/aero_virtio_net\.cat is signed by CN=Another Publisher \(test fixture\) \(issued by CN=Another Publisher \(test fixture\)\), which does not chain to a certificate in certs\//);
      assert.doesNotMatch(msg, /not listed|does not match/);
    });

    it("a SHA-256-only catalog: covered (ours = osslsigncode), with the KB3033929 warning under test", async () => {
      const s = copySample();
      const dir = path.join(s.drivers, "amd64/aerogpu");
      await remakeCatalog(dir, "aerogpu_dx11.cat", { digest: "sha256" });
      const ca = samplePem();
      const cat = path.join(dir, "aerogpu_dx11.cat");
      for (const f of readdirSync(dir).filter(isPe)) {
        assert.equal(judgeFile(cat, path.join(dir, f), ca), true, f);
        assert.equal(await ours(cat, path.join(dir, f), ca), true, f);
      }
      assert.ok(parseCatalog(readFileSync(cat)).members.every((m) => m.digestAlgorithm === "sha256"));
      const result = await validateOk(s);
      assert.ok(result.warnings.some((w) => /aerogpu_dx11\.cat has only a SHA-256 signature: stock Windows 7 without KB3033929/.test(w)), result.warnings.join("\n"));
    });

    it("a text file named .cat: not a catalog (ours = osslsigncode)", async () => {
      const s = copySample();
      const cat = path.join(s.drivers, "x86/virtio-blk/aero_virtio_blk.cat");
      writeFileSync(cat, "placeholder catalog\r\n");
      assert.equal(judgeCatalog(cat, samplePem()), false);
      assert.throws(() => parseCatalog(readFileSync(cat)), CatalogError);
      const msg = await validateError(s);
      assert.match(msg, /drivers\/x86\/virtio-blk\/aero_virtio_blk\.cat \(the catalog of drivers\/x86\/virtio-blk\/aero_virtio_blk\.inf\) is not a Windows catalog/);
    });

    it("a catalog altered after signing: its signature fails (ours = osslsigncode)", async () => {
      const s = copySample();
      const cat = path.join(s.drivers, "amd64/virtio-snd/aero_virtio_snd.cat");
      const bytes = readFileSync(cat);
      const at = bytes.indexOf(Buffer.from("aero_virtio_snd.inf", "utf16le"));
      bytes[at] = "A".charCodeAt(0); // the member's file name: inside the signed content
      writeFileSync(cat, bytes);
      assert.equal(judgeCatalog(cat, samplePem()), false);
      assert.equal((await verifyCatalogSignature(parseCatalog(bytes))).valid, false);
      assert.match(await validateError(s), /the signature of drivers\/amd64\/virtio-snd\/aero_virtio_snd\.cat does not verify: .*altered after signing/);
    });
  });

  describe("signing policies", () => {
    it("production: the self-signed sample catalogs are test-signed drivers on production media", async () => {
      const s = copySample();
      rmSync(path.join(s.guestTools, "certs/aero-test-signing.cer"));
      const msg = await validateError(s, "production");
      assert.match(msg, /drivers\/amd64\/virtio-blk\/aero_virtio_blk\.cat is signed by the self-signed certificate CN=Aero Test Signing \(sample, do not trust\): test-signed drivers on production media/);
    });

    it("production: release-signed catalogs pass, the summary shows the signer's subject and issuer", async () => {
      const s = copySample();
      rmSync(path.join(s.guestTools, "certs/aero-test-signing.cer"));
      await regenerateCatalogs(s.drivers, { signer: "release-signing" });
      const result = await validateOk(s, "production");
      assert.deepEqual(result.warnings, []);
      assert.match(result.signing[0]!, /^catalogs: 12 checked, signed by CN=Aero Release Signing \(test fixture\) \(issued by CN=Aero Release Root \(test fixture\)\)$/);
    });

    it("none: coverage and signature problems are warnings, the build passes", async () => {
      const s = copySample();
      rmSync(path.join(s.guestTools, "certs/aero-test-signing.cer"));
      rebuildSys(path.join(s.drivers, "amd64/virtio-blk/aero_virtio_blk.sys"), true);
      writeFileSync(path.join(s.drivers, "x86/virtio-blk/aero_virtio_blk.cat"), "not a catalog");
      const result = await validateOk(s, "none");
      assert.ok(result.warnings.some((w) => /aero_virtio_blk\.sys does not match catalog/.test(w)), result.warnings.join("\n"));
      assert.ok(result.warnings.some((w) => /aero_virtio_blk\.cat .* is not a Windows catalog/.test(w)));
    });

    it("test: a file in certs/ that is not an X.509 certificate is an error", async () => {
      const s = copySample();
      writeFileSync(path.join(s.guestTools, "certs/broken.cer"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
      assert.match(await validateError(s), /certs\/broken\.cer is not an X\.509 certificate/);
    });

    it("a PEM certificate in certs/ is as good as DER", async () => {
      const s = copySample();
      rmSync(path.join(s.guestTools, "certs/aero-test-signing.cer"));
      writeFileSync(path.join(s.guestTools, "certs/aero-test-signing.crt"), pem("test-signing"));
      await validateOk(s);
    });

    it("an amd64 boot-start driver without an embedded signature warns; the summary says so", async () => {
      const s = copySample();
      const dir = path.join(s.drivers, "amd64/virtio-blk");
      rebuildSys(path.join(dir, "aero_virtio_blk.sys"), true);
      await remakeCatalog(dir, "aero_virtio_blk.cat", {});
      const result = await validateOk(s);
      assert.ok(result.warnings.some((w) => /aero_virtio_blk\.sys is a boot-start driver without an embedded signature/.test(w)), result.warnings.join("\n"));
      assert.ok(result.signing.some((l) => /9 of 10 \.sys files signed \(absent: drivers\/amd64\/virtio-blk\/aero_virtio_blk\.sys\)/.test(l)), result.signing.join("\n"));
    });
  });

  describe("waive_checks", () => {
    it("waives the catalog checks of one driver only", async () => {
      const s = copySample();
      rebuildSys(path.join(s.drivers, "amd64/virtio-blk/aero_virtio_blk.sys"), true);
      rebuildSys(path.join(s.drivers, "amd64/virtio-net/aero_virtio_net.sys"), true);
      const spec = JSON.parse(readFileSync(s.spec, "utf8")) as { drivers: Array<{ name: string; waive_checks?: string[] }> };
      spec.drivers.find((d) => d.name === "virtio-blk")!.waive_checks = ["catalog-coverage", "embedded-signature"];
      writeFileSync(s.spec, JSON.stringify(spec));
      const msg = await validateError(s);
      assert.doesNotMatch(msg, /virtio-blk/);
      assert.match(msg, /aero_virtio_net\.sys does not match/);
    });

    it("refuses an unknown check name", async () => {
      const s = copySample();
      const spec = JSON.parse(readFileSync(s.spec, "utf8")) as { drivers: Array<{ waive_checks?: string[] }> };
      spec.drivers[0]!.waive_checks = ["catalogs"];
      writeFileSync(s.spec, JSON.stringify(spec));
      assert.match(await validateError(s), /waive_checks/);
    });
  });
});
