/**
 * The extra fields plugins put on vinyl files are declared in one module (issue 18, item 4):
 * typed getters and setters, and no plugin re-declares a field with a cast or touches one directly.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Vinyl from "vinyl";
import {
  VINYL_FIELDS,
  deviceContractInfo,
  nonUtf8Path,
  replacedDevicesCmd,
  setDeviceContractInfo,
  setNonUtf8Path,
  setReplacedDevicesCmd,
} from "../plugins/shared/vinyl-fields.js";
import { REPO } from "./support/fixtures.js";

const file = () => new Vinyl({ cwd: "/w", base: "/w", path: "/w/a.txt", contents: Buffer.from("x") });

describe("the vinyl fields plugins share (shared/vinyl-fields.ts)", () => {
  it("reads back what was set, and undefined on a file without the field", () => {
    const f = file();
    assert.equal(nonUtf8Path(f), undefined);
    assert.equal(replacedDevicesCmd(f), undefined);
    assert.equal(deviceContractInfo(f), undefined);
    const info = { path: "c.json", sha256: "ab".repeat(32), contract_name: "n", contract_version: "1", schema_version: 1 };
    setNonUtf8Path(f, "bad\\xff");
    setReplacedDevicesCmd(f, Buffer.from("set A=1\r\n"));
    setDeviceContractInfo(f, info);
    assert.equal(nonUtf8Path(f), "bad\\xff");
    assert.deepEqual(replacedDevicesCmd(f), Buffer.from("set A=1\r\n"));
    assert.deepEqual(deviceContractInfo(f), info);
    // The field names are the documented ones (plugins/devices-cmd/README.md, tree-src).
    assert.deepEqual(Object.keys(f).filter((k) => VINYL_FIELDS.includes(k as never)).sort(), ["aeroDeviceContract", "aeroReplacedDevicesCmd", "nonUtf8Path"]);
  });

  it("ignores a field of the wrong type (set by someone else's plugin)", () => {
    const f = file() as Vinyl & Record<string, unknown>;
    f.nonUtf8Path = 42;
    f.aeroReplacedDevicesCmd = "text";
    f.aeroDeviceContract = "x";
    assert.equal(nonUtf8Path(f), undefined);
    assert.equal(replacedDevicesCmd(f), undefined);
    assert.equal(deviceContractInfo(f), undefined);
  });

  it("is the only place a plugin reads or writes them", () => {
    const offenders: string[] = [];
    for (const e of readdirSync(path.join(REPO, "plugins"), { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !e.name.endsWith(".ts")) continue;
      const rel = path.relative(REPO, path.join(e.parentPath, e.name));
      if (rel === path.join("plugins", "shared", "vinyl-fields.ts")) continue;
      const lines = readFileSync(path.join(REPO, rel), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/^\s*(\*|\/\/)/.test(line)) return; // comments may name them
        if (/as Vinyl & \{|\(\w+ as any\)|\.(nonUtf8Path|aeroReplacedDevicesCmd|aeroDeviceContract)\b/.test(line) && !/\bentry\.nonUtf8Path\b/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
});
