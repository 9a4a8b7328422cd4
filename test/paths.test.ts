/**
 * Package-path helpers (plugins/shared/paths.ts): the one rule for a driver's files and INFs that
 * media-diff, the SBOM writer and its document share.
 */
import assert from "node:assert/strict";
import { driverFile, isDriverInf } from "../plugins/shared/paths.js";

describe("shared/paths driver files", () => {
  it("splits drivers/<arch>/<driver>/<rel>, any arch folder name, rel kept whole", () => {
    assert.deepEqual(driverFile("drivers/amd64/viostor/sub/viostor.sys"), { arch: "amd64", driver: "viostor", rel: "sub/viostor.sys" });
    assert.deepEqual(driverFile("drivers/arm64/x/a.inf"), { arch: "arm64", driver: "x", rel: "a.inf" });
    for (const p of ["drivers/amd64/viostor", "drivers/amd64/viostor/", "setup.cmd", "config/drivers/a/b/c.inf", "drivers//x/a.inf", "Drivers/amd64/x/a.inf"]) {
      assert.equal(driverFile(p), undefined, p);
    }
  });

  it("knows a driver's INFs in any case and at any depth, and nothing else", () => {
    for (const p of ["drivers/x86/netkvm/netkvm.inf", "drivers/x86/netkvm/NETKVM.INF", "drivers/x86/netkvm/sub/dir/a.Inf"]) assert.ok(isDriverInf(p), p);
    for (const p of ["drivers/x86/netkvm.inf", "drivers/x86/netkvm/netkvm.inf.txt", "guest-tools/a.inf", "drivers/x86/netkvm/netkvm.cat"]) assert.ok(!isDriverInf(p), p);
  });
});
