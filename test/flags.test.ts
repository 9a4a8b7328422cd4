import assert from "node:assert/strict";
import { FlagError, parseGuestToolsFlags } from "../tasks/flags.js";

describe("guest-tools flags", () => {
  it("uses the documented defaults when no flag is given", () => {
    const f = parseGuestToolsFlags(["guest-tools"], {});
    assert.deepEqual(f, {
      driversDir: "drivers-sample/drivers",
      guestToolsDir: "drivers-sample/guest-tools",
      spec: "specs/sample.json",
      outDir: "dist",
      packageVersion: "0.0.0",
      buildId: "local",
      volumeId: "AERO_GUEST_TOOLS",
      signingPolicy: "test",
      sourceDateEpoch: 0n,
      windowsDeviceContract: undefined,
      quiet: false,
    });
  });

  it("accepts both --flag value and --flag=value", () => {
    const f = parseGuestToolsFlags(["guest-tools", "--out-dir", "o1", "--build-id=ci-7", "--package-version", "1.2.3"], {});
    assert.equal(f.outDir, "o1");
    assert.equal(f.buildId, "ci-7");
    assert.equal(f.packageVersion, "1.2.3");
  });

  it("maps every signing-policy alias and prefers the flag over the environment", () => {
    const cases: Array<[string, string]> = [
      ["test", "test"], ["testsigning", "test"], ["test-signing", "test"],
      ["production", "production"], ["prod", "production"], ["whql", "production"],
      ["none", "none"], ["nointegritychecks", "none"], ["no-integrity-checks", "none"],
    ];
    for (const [given, expected] of cases) {
      assert.equal(parseGuestToolsFlags([`--signing-policy=${given}`], {}).signingPolicy, expected, given);
    }
    assert.equal(parseGuestToolsFlags([], { AERO_GUEST_TOOLS_SIGNING_POLICY: "prod" }).signingPolicy, "production");
    assert.equal(parseGuestToolsFlags(["--signing-policy", "none"], { AERO_GUEST_TOOLS_SIGNING_POLICY: "prod" }).signingPolicy, "none");
  });

  it("reads the epoch from the flag, then SOURCE_DATE_EPOCH, as an exact 64-bit integer", () => {
    assert.equal(parseGuestToolsFlags([], { SOURCE_DATE_EPOCH: "1700000000" }).sourceDateEpoch, 1700000000n);
    assert.equal(parseGuestToolsFlags(["--source-date-epoch", "5"], { SOURCE_DATE_EPOCH: "9" }).sourceDateEpoch, 5n);
    assert.equal(parseGuestToolsFlags(["--source-date-epoch", "-5"], {}).sourceDateEpoch, -5n);
    assert.equal(parseGuestToolsFlags(["--source-date-epoch=9223372036854775807"], {}).sourceDateEpoch, 9223372036854775807n);
  });

  it("rejects a bad value with a message listing what is accepted", () => {
    assert.throws(() => parseGuestToolsFlags(["--signing-policy", "maybe"], {}), (e: Error) => e instanceof FlagError && /test, production, none/.test(e.message) && /"maybe"/.test(e.message));
    assert.throws(() => parseGuestToolsFlags(["--source-date-epoch", "soon"], {}), /whole number of seconds.*"soon"/);
    assert.throws(() => parseGuestToolsFlags(["--source-date-epoch=9223372036854775808"], {}), /signed 64-bit integer/);
    assert.throws(() => parseGuestToolsFlags([], { SOURCE_DATE_EPOCH: "yesterday" }), /SOURCE_DATE_EPOCH must be/);
  });

  it("rejects an unknown flag and lists the accepted ones", () => {
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--out", "x"], {}), /unknown flag --out; accepted: --drivers-dir VALUE.*--quiet/);
  });

  it("rejects a flag without its value, or given twice", () => {
    assert.throws(() => parseGuestToolsFlags(["--spec"], {}), /--spec needs a value/);
    assert.throws(() => parseGuestToolsFlags(["--spec", "--out-dir", "x"], {}), /--spec needs a value/);
    assert.throws(() => parseGuestToolsFlags(["--spec=a", "--spec=b"], {}), /given more than once/);
  });

  it("ignores gulp-cli's own flags", () => {
    const f = parseGuestToolsFlags(["--gulpfile", "/x/gulpfile.ts", "--cwd", "/x", "guest-tools", "--color", "--quiet"], {});
    assert.equal(f.quiet, true);
  });
});
