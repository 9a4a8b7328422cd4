import assert from "node:assert/strict";
import { checkGuestToolsLayout } from "../plugins/guest-tools-layout/rules.js";
import { guestToolsLayout } from "../plugins/guest-tools-layout/index.js";
import { bufferFile, runPlugins } from "./support/streams.js";

const BASE = ["setup.cmd", "uninstall.cmd", "README.md", "config/devices.cmd", "certs/test.cer"];

describe("guestToolsLayout", () => {
  it("accepts a complete tree", () => {
    assert.deepEqual(checkGuestToolsLayout({ files: BASE, signingPolicy: "test" }).errors, []);
  });

  it("names each missing required file", () => {
    const { errors } = checkGuestToolsLayout({ files: ["certs/a.cer"], signingPolicy: "test" });
    assert.deepEqual(errors.map((e) => e.path), ["setup.cmd", "uninstall.cmd", "README.md", "config/devices.cmd"]);
    assert.match(errors[0]!.message, /missing required file: setup\.cmd/);
  });

  it("requires verify.ps1 when verify.cmd is shipped, and nothing when neither is", () => {
    const { errors } = checkGuestToolsLayout({ files: [...BASE, "verify.cmd"], signingPolicy: "test" });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /verify\.cmd but not verify\.ps1/);
    assert.deepEqual(checkGuestToolsLayout({ files: [...BASE, "verify.cmd", "verify.ps1"], signingPolicy: "test" }).errors, []);
  });

  it("requires a top-level certificate for the test policy", () => {
    const none = checkGuestToolsLayout({ files: BASE.filter((f) => !f.startsWith("certs/")), signingPolicy: "test" });
    assert.match(none.errors[0]!.message, /no certificate files.*signing_policy=test/);
    const nested = checkGuestToolsLayout({ files: [...BASE.slice(0, 4), "certs/sub/a.crt"], signingPolicy: "test" });
    assert.match(nested.errors[0]!.message, /only in subfolders/);
  });

  it("refuses every certificate under production and none, keeping certs/README.md", () => {
    for (const policy of ["production", "none"] as const) {
      const { errors, dropped } = checkGuestToolsLayout({ files: [...BASE, "certs/README.md", "certs/b.P7B"], signingPolicy: policy });
      assert.deepEqual(errors.map((e) => e.path), ["certs/test.cer", "certs/b.P7B"]);
      assert.match(errors[0]!.message, new RegExp(`signing_policy=${policy}`));
      assert.match(errors[0]!.hint!, /--signing-policy test/);
      assert.equal(dropped.has("certs/README.md"), false);
    }
  });

  it("can leave certificates out instead of refusing them", () => {
    const { errors, dropped } = checkGuestToolsLayout({ files: BASE, signingPolicy: "none", certsOutsideTest: "drop" });
    assert.deepEqual(errors, []);
    assert.ok(dropped.has("certs/test.cer"));
  });

  it("drops files in certs/ that are neither certificates nor the top README", async () => {
    const files = [...BASE, "certs/notes.txt", "certs/sub/README.md", "certs/README.md"].map((p) => bufferFile(p, "x"));
    const out = await runPlugins(files, guestToolsLayout({ signingPolicy: "test" }));
    assert.deepEqual(out.map((f) => f.relative).sort(), [...BASE, "certs/README.md"].sort());
  });

  it("fails the stream with every problem when used on its own", async () => {
    await assert.rejects(runPlugins([bufferFile("setup.cmd", "x")], guestToolsLayout()), (e: Error) =>
      /uninstall\.cmd/.test(e.message) && /README\.md/.test(e.message) && /no certificate files/.test(e.message));
  });
});
