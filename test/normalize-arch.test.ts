import assert from "node:assert/strict";
import { normalizeArch, normalizeArchPath } from "../plugins/normalize-arch/index.js";
import { bufferFile, runPlugins } from "./support/streams.js";

describe("normalizeArch", () => {
  it("maps every accepted arch folder name to x86 or amd64", () => {
    const cases: Array<[string, string]> = [
      ["x86/viostor/a.inf", "drivers/x86/viostor/a.inf"],
      ["win32/viostor/a.inf", "drivers/x86/viostor/a.inf"],
      ["i386/viostor/a.inf", "drivers/x86/viostor/a.inf"],
      ["amd64/viostor/a.inf", "drivers/amd64/viostor/a.inf"],
      ["x64/viostor/a.inf", "drivers/amd64/viostor/a.inf"],
      ["x86_64/viostor/a.inf", "drivers/amd64/viostor/a.inf"],
      ["x86-64/viostor/sub/a.sys", "drivers/amd64/viostor/sub/a.sys"],
      ["drivers/X64/viostor/a.inf", "drivers/amd64/viostor/a.inf"],
    ];
    for (const [from, to] of cases) assert.equal(normalizeArchPath(from), to, from);
  });

  it("leaves paths outside arch folders alone", () => {
    for (const p of ["setup.cmd", "drivers/README.md", "tools/x64/foo.exe", "config/devices.cmd", "x64"]) {
      assert.equal(normalizeArchPath(p), p);
    }
  });

  it("renames the vinyl file so file.relative is the media path", async () => {
    const out = await runPlugins([bufferFile("x64/netkvm/netkvm.inf", "x"), bufferFile("setup.cmd", "y")], normalizeArch());
    assert.deepEqual(out.map((f) => f.relative), ["drivers/amd64/netkvm/netkvm.inf", "setup.cmd"]);
  });

  it("fails naming both inputs when two of them map to one output path", async () => {
    await assert.rejects(
      runPlugins([bufferFile("amd64/a/a.inf", "1"), bufferFile("x64/a/a.inf", "2")], normalizeArch()),
      (e: Error) => /drivers\/amd64\/a\/a\.inf/.test(e.message) && /amd64\/a\/a\.inf and x64\/a\/a\.inf/.test(e.message),
    );
  });
});
