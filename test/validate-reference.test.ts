import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { payloadPolicy } from "../plugins/payload-policy/index.js";
import { ProblemReport } from "../plugins/shared/report.js";
import { loadSpecFile } from "../plugins/shared/load-spec.js";
import { validateSpec } from "../plugins/validate-spec/index.js";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";
import { runPlugins } from "./support/streams.js";
import {
  readTree,
  REFERENCE_DEVICES_CMD,
  REFERENCE_DRIVERS,
  REFERENCE_SPECS,
  referenceVars,
  rejection,
  relPaths,
  writeReferenceDrivers,
} from "./support/validate-helpers.js";

const spec = (name: string) => loadSpecFile(path.join(REFERENCE_SPECS, name));
const ourSpec = (name: string) => loadSpecFile(path.join(REPO, "specs", name));

async function run(root: string, specName: string, withVars = true) {
  const s = spec(specName);
  const report = new ProblemReport();
  const opts = withVars ? { report, devicesCmdVars: referenceVars() } : { report };
  const out = await runPlugins(await readTree(root), payloadPolicy({ spec: s, report }), validateSpec(s, opts));
  return { out: relPaths(out), report };
}

describe("the reference drivers against the reference specs", () => {
  after(cleanupTempDirs);

  function referenceTree(edit?: (driver: string, inf: string, text: string) => string): string {
    const root = tempDir("aero-reference-");
    writeReferenceDrivers(root, edit ? { edit } : {});
    return root;
  }

  it("pass win7-signed.json with the contract's devices.cmd variables", async () => {
    const { out, report } = await run(referenceTree(), "win7-signed.json");
    assert.equal(report.errors.length, 0);
    const expected = Object.entries(REFERENCE_DRIVERS).flatMap(([driver, d]) => [...d.infs, ...d.placeholders].map((f) => `${driver}/${f}`));
    assert.deepEqual(out.filter((p) => p.startsWith("drivers/x86/")).map((p) => p.slice("drivers/x86/".length)).sort(), expected.sort());
    assert.equal(out.length, expected.length * 2);
  });

  it("pass win7-aero-guest-tools.json with the contract's devices.cmd variables", async () => {
    const { report } = await run(referenceTree(), "win7-aero-guest-tools.json");
    assert.equal(report.errors.length, 0);
  });

  it("pass when the variables come from config/devices.cmd in the tree", async () => {
    const root = referenceTree();
    mkdirSync(path.join(root, "config"));
    copyFileSync(REFERENCE_DEVICES_CMD, path.join(root, "config/devices.cmd"));
    const { out } = await run(root, "win7-aero-guest-tools.json", false);
    assert.ok(out.includes("config/devices.cmd"));
  });

  it("pass our copies of the specs the same way", async () => {
    const s = ourSpec("win7-signed.json");
    const out = await runPlugins(await readTree(referenceTree()), validateSpec(s, { devicesCmdVars: referenceVars() }));
    assert.equal(out.length, 42);
  });

  it("fail win7-aero-guest-tools.json when virtio-blk's INF has the transitional ID, naming virtio-blk and DEV_1042", async () => {
    const root = referenceTree((driver, _inf, text) =>
      driver === "virtio-blk" ? text.replaceAll("PCI\\VEN_1AF4&DEV_1042&REV_01", "PCI\\VEN_1AF4&DEV_1001&REV_01") : text,
    );
    const s = spec("win7-aero-guest-tools.json");
    const err = await rejection(runPlugins(await readTree(root), validateSpec(s, { devicesCmdVars: referenceVars() })));
    for (const arch of ["x86", "amd64"]) {
      assert.ok(
        err.message.includes(`driver virtio-blk (${arch}) INF files missing expected hardware ID pattern: PCI\\\\VEN_1AF4&DEV_1042`),
        err.message,
      );
    }
    assert.match(err.message, /^2 problems found:/);
  });

  it("leave the other drivers out with win7-aerogpu-only.json", async () => {
    const { out } = await run(referenceTree(), "win7-aerogpu-only.json");
    assert.ok(out.length > 0);
    assert.ok(out.every((p) => /^drivers\/(x86|amd64)\/aerogpu\//.test(p)), out.join("\n"));
  });

  it("pass without the optional virtio-snd, with a warning for each arch", async () => {
    const root = tempDir("aero-reference-");
    writeReferenceDrivers(root, { drivers: ["aerogpu", "virtio-blk", "virtio-net", "virtio-input"] });
    const { report } = await run(root, "win7-signed.json");
    assert.deepEqual(report.warnings.map((w) => w.message), [
      "optional driver directory missing: virtio-snd (x86)",
      "optional driver directory missing: virtio-snd (amd64)",
    ]);
  });
});
