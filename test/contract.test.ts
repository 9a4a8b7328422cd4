import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import PluginError from "plugin-error";
import {
  loadDeviceContract,
  readDeviceContract,
  type ContractError,
  type ContractProblem,
} from "../plugins/devices-cmd/index.js";
import { requireTools } from "./support/tools.js";

const CONTRACTS = path.resolve(import.meta.dirname, "fixtures/reference/contracts");
const CANONICAL = path.join(CONTRACTS, "windows-device-contract.json");
const VIRTIO_WIN = path.join(CONTRACTS, "windows-device-contract-virtio-win.json");

type Json = any;

/** A fresh, mutable copy of the real canonical contract. */
function realContract(): Json {
  return JSON.parse(readFileSync(CANONICAL, "utf8"));
}

function device(contract: Json, name: string): Json {
  return contract.devices.find((d: Json) => d.device === name);
}

function load(contract: Json | string) {
  return loadDeviceContract(typeof contract === "string" ? contract : JSON.stringify(contract, null, 2), { path: "test-contract.json" });
}

/** The problems of an invalid contract (fails the test if it loads). */
function problemsOf(contract: Json | string): ContractProblem[] {
  try {
    load(contract);
  } catch (err) {
    assert.ok(err instanceof PluginError, `expected a PluginError, got ${String(err)}`);
    return (err as ContractError).problems;
  }
  assert.fail("the contract loaded, but it should have been rejected");
}

function messageOf(contract: Json | string): string {
  try {
    load(contract);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("the contract loaded, but it should have been rejected");
}

/** Python's canonical JSON hash of a file: an independent reference for the recorded sha256. */
function pythonCanonicalSha256(file: string): string {
  requireTools("python3");
  const script =
    "import hashlib, json, sys; d = json.load(open(sys.argv[1], encoding='utf-8-sig'));" +
    "print(hashlib.sha256(json.dumps(d, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()).hexdigest())";
  return execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" }).trim();
}

describe("device contract loading", () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "contract-test-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("loads the real canonical contract with its raw fields and parsed ids", async () => {
    const contract = await readDeviceContract(CANONICAL);
    assert.equal(contract.path, CANONICAL);
    assert.equal(contract.schema_version, 1);
    assert.equal(contract.contract_name, "aero-windows-pci-device-contract");
    assert.equal(contract.contract_version, "1.0.6");
    assert.deepEqual(
      contract.devices.map((d) => [d.device, d.vendorId, d.deviceId, d.virtio_device_type, d.driver_service_name]),
      [
        ["virtio-blk", 0x1af4, 0x1042, 2, "aero_virtio_blk"],
        ["virtio-net", 0x1af4, 0x1041, 1, "aero_virtio_net"],
        ["virtio-snd", 0x1af4, 0x1059, 25, "aero_virtio_snd"],
        ["virtio-input", 0x1af4, 0x1052, 18, "aero_virtio_input"],
        ["aero-virtio-input-tablet", 0x1af4, 0x1052, undefined, "aero_virtio_input"],
        ["aero-gpu", 0xa3a0, 0x0001, undefined, "aerogpu"],
      ],
    );
    assert.equal(contract.devices[3]!.hardware_id_patterns.length, 6);
  });

  it("records the canonical-JSON sha256 of the contract (checked against Python)", async () => {
    for (const file of [CANONICAL, VIRTIO_WIN]) {
      assert.equal((await readDeviceContract(file)).sha256, pythonCanonicalSha256(file), file);
    }
  });

  it("accepts a contract saved with a UTF-8 BOM and hashes it like the same contract without one", async () => {
    const withBom = path.join(tmp, "bom.json");
    writeFileSync(withBom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(CANONICAL)]));
    const contract = await readDeviceContract(withBom);
    assert.equal(contract.contract_name, "aero-windows-pci-device-contract");
    assert.equal(contract.sha256, pythonCanonicalSha256(CANONICAL));
  });

  it("ignores unknown fields at both levels", () => {
    const c = realContract();
    c.notes = { anything: [1, 2] };
    c.devices[0].pci_subsystem = "whatever";
    const loaded = load(c);
    assert.equal(loaded.devices.length, 6);
    assert.ok(!("notes" in loaded));
  });

  it("keeps contract_name and contract_version untrimmed", () => {
    const c = realContract();
    c.contract_version = " 1.0.6\t";
    assert.equal(load(c).contract_version, " 1.0.6\t");
  });

  it("rejects a known key given twice, naming the field and its line", () => {
    const text = readFileSync(CANONICAL, "utf8").replace('"contract_version": "1.0.6",', '"contract_version": "1.0.6",\n  "contract_version": "1.0.7",');
    const problems = problemsOf(text);
    assert.deepEqual(problems.map((p) => p.rule), ["duplicate-field"]);
    assert.match(problems[0]!.message, /duplicate field `contract_version` \(line 6 column 3\)/);
    // An unknown key given twice is ignored, like every unknown key.
    load(readFileSync(CANONICAL, "utf8").replace('"schema_version": 1,', '"x": 1, "x": 2, "schema_version": 1,'));
  });

  it("rejects invalid JSON with the path, line and column", () => {
    const message = messageOf('{\n  "schema_version": 1,\n}');
    assert.match(message, /invalid windows device contract test-contract\.json/);
    assert.match(message, /not valid JSON: trailing comma at line 3 column 1/);
  });

  it("rejects missing fields and wrong types, listing each of them", () => {
    const c = realContract();
    delete c.contract_name;
    c.devices[0].virtio_device_type = "2";
    c.devices[1].hardware_id_patterns = "PCI\\VEN_1AF4&DEV_1041";
    delete c.devices[2].inf_name;
    c.devices[5] = "aero-gpu";
    const problems = problemsOf(c);
    assert.deepEqual(problems.map((p) => [p.rule, p.index]), [
      ["missing-field", undefined],
      ["wrong-type", 0],
      ["wrong-type", 1],
      ["missing-field", 2],
      ["wrong-type", 5],
    ]);
    assert.match(problems[0]!.message, /missing field `contract_name`/);
    assert.match(problems[1]!.message, /devices\[0\]: virtio_device_type: expected an unsigned integer, found string "2"/);
  });

  it("treats a null virtio_device_type as absent", () => {
    const c = realContract();
    device(c, "aero-gpu").virtio_device_type = null;
    assert.equal(load(c).devices[5]!.virtio_device_type, undefined);
  });

  it("rejects a negative or fractional virtio_device_type (it is a u32)", () => {
    for (const bad of [-1, 2.5, 4294967296]) {
      const c = realContract();
      device(c, "virtio-blk").virtio_device_type = bad;
      assert.deepEqual(problemsOf(c).map((p) => p.rule), ["wrong-type"], String(bad));
    }
  });

  describe("rule 1: schema_version", () => {
    it("accepts schema_version 1", () => {
      assert.equal(load(realContract()).schema_version, 1);
    });

    it("rejects another schema_version, reporting only that", () => {
      const c = realContract();
      c.schema_version = 999;
      c.devices = [];
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["schema-version"]);
      assert.match(problems[0]!.message, /unsupported windows-device-contract schema_version 999 \(expected 1\)/);
    });

    it("rejects schema_version 1.0 (not an integer)", () => {
      const c = readFileSync(CANONICAL, "utf8").replace('"schema_version": 1,', '"schema_version": 1.0,');
      assert.deepEqual(problemsOf(c).map((p) => p.rule), ["wrong-type"]);
    });
  });

  describe("rule 2: contract name, version and devices", () => {
    it("rejects a blank contract_name and contract_version", () => {
      const c = realContract();
      c.contract_name = " ";
      c.contract_version = "\u3000";
      assert.deepEqual(problemsOf(c).map((p) => p.rule), ["contract-name", "contract-version"]);
    });

    it("rejects an empty device list", () => {
      const c = realContract();
      c.devices = [];
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["no-devices"]);
      assert.match(problems[0]!.message, /contains no devices/);
    });
  });

  describe("rule 3: device names and ids", () => {
    it("rejects a blank device name", () => {
      const c = realContract();
      device(c, "aero-gpu").device = "  ";
      assert.deepEqual(problemsOf(c).map((p) => [p.rule, p.index]), [["device-name", 5]]);
    });

    it("requires virtio_device_type for virtio-* names, ASCII-case-insensitively", () => {
      const c = realContract();
      const blk = device(c, "virtio-blk");
      delete blk.virtio_device_type;
      blk.device = "VIRTIO-blk";
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-type-missing"]);
      assert.match(problems[0]!.message, /device "VIRTIO-blk" \(devices\[0\]\): missing virtio_device_type/);
    });

    it("does not require virtio_device_type for other names", () => {
      const c = realContract();
      assert.equal(device(c, "aero-virtio-input-tablet").virtio_device_type, undefined);
      load(c);
    });

    it("rejects duplicate device names after trimming, ASCII-case-insensitively", () => {
      const c = realContract();
      device(c, "aero-gpu").device = " Virtio-Net ";
      const problems = problemsOf(c);
      assert.ok(problems.some((p) => p.rule === "duplicate-device" && p.index === 5 && /also devices\[1\]/.test(p.message)));
    });

    it("accepts hex ids with or without 0x, in either case, with surrounding spaces", () => {
      const c = realContract();
      const gpu = device(c, "aero-gpu");
      gpu.pci_vendor_id = " a3a0 ";
      gpu.pci_device_id = "0X1";
      const loaded = load(c).devices[5]!;
      assert.deepEqual([loaded.vendorId, loaded.deviceId, loaded.pci_vendor_id], [0xa3a0, 0x0001, " a3a0 "]);
    });

    it("rejects ids that are not 1-4 hex digits", () => {
      for (const bad of ["0x", "", "0x12345", "0xZZZZ", "+A3A0", "0x-1", "A3A0h"]) {
        const c = realContract();
        device(c, "aero-gpu").pci_vendor_id = bad;
        const problems = problemsOf(c);
        assert.deepEqual(problems.map((p) => p.rule), ["hex-id"], bad);
        assert.match(problems[0]!.message, /pci_vendor_id .* is not a 16-bit hex value/);
      }
    });
  });

  describe("rule 4: virtio devices", () => {
    it("requires vendor 0x1AF4 whenever virtio_device_type is set, whatever the name", () => {
      const c = realContract();
      const gpu = device(c, "aero-gpu");
      gpu.virtio_device_type = 16;
      gpu.pci_vendor_id = "0x1234";
      gpu.pci_device_id = "0x1050";
      gpu.hardware_id_patterns = ["PCI\\VEN_1234&DEV_1050&REV_01"];
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-vendor"]);
      assert.match(problems[0]!.message, /0x1AF4/);
    });

    it("requires pci_device_id = 0x1040 + virtio_device_type", () => {
      const c = realContract();
      const net = device(c, "virtio-net");
      net.pci_device_id = "0x1000";
      net.hardware_id_patterns = ["PCI\\VEN_1AF4&DEV_1000&REV_01"];
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-device-id"]);
      assert.match(problems[0]!.message, /pci_device_id 0x1000 does not match virtio_device_type 1 \(expected 0x1041 = 0x1040 \+ virtio_device_type\)/);
    });

    it("rejects a virtio_device_type whose device id would overflow 16 bits", () => {
      const c = realContract();
      device(c, "virtio-net").virtio_device_type = 0xffff - 0x1040 + 1;
      assert.deepEqual(problemsOf(c).map((p) => p.rule), ["virtio-device-id"]);
    });

    it("requires at least one REV_01 pattern", () => {
      const c = realContract();
      const blk = device(c, "virtio-blk");
      blk.hardware_id_patterns = blk.hardware_id_patterns.filter((p: string) => !p.includes("REV_"));
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-revision"]);
      assert.match(problems[0]!.message, /missing a REV_01-qualified entry/);
    });

    it("accepts a lower-case rev_01 qualifier", () => {
      const c = realContract();
      device(c, "virtio-blk").hardware_id_patterns = ["pci\\ven_1af4&dev_1042&rev_01"];
      load(c);
    });

    it("rejects any other revision", () => {
      const c = realContract();
      device(c, "virtio-blk").hardware_id_patterns.push("PCI\\VEN_1AF4&DEV_1042&REV_00");
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-revision"]);
      assert.match(problems[0]!.message, /unsupported virtio PCI revision ID 0x00/);
    });

    it("rejects a truncated REV_ qualifier", () => {
      const c = realContract();
      device(c, "virtio-blk").hardware_id_patterns.push("PCI\\VEN_1AF4&DEV_1042&REV_0");
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["virtio-revision"]);
      assert.match(problems[0]!.message, /truncated REV_ qualifier/);
    });

    it("does not apply revision rules to devices without virtio_device_type", () => {
      const c = realContract();
      device(c, "aero-gpu").hardware_id_patterns.push("PCI\\VEN_A3A0&DEV_0001&REV_07");
      load(c);
    });
  });

  describe("rule 5: service, INF name and hardware ID patterns", () => {
    it("rejects a blank driver_service_name", () => {
      const c = realContract();
      device(c, "virtio-snd").driver_service_name = " ";
      assert.deepEqual(problemsOf(c).map((p) => [p.rule, p.index]), [["service-name", 2]]);
    });

    it("requires inf_name to end with .inf, ASCII-case-insensitively", () => {
      const ok = realContract();
      device(ok, "aero-gpu").inf_name = "AEROGPU.INF ";
      load(ok);
      for (const bad of ["", "aerogpu.sys", "aerogpu.inf.bak"]) {
        const c = realContract();
        device(c, "aero-gpu").inf_name = bad;
        assert.deepEqual(problemsOf(c).map((p) => p.rule), ["inf-name"], bad);
      }
    });

    it("rejects an empty pattern list and blank patterns", () => {
      const c = realContract();
      device(c, "aero-gpu").hardware_id_patterns = [];
      device(c, "aero-virtio-input-tablet").hardware_id_patterns.push("  ");
      assert.deepEqual(problemsOf(c).map((p) => [p.rule, p.index]), [
        ["hardware-id-patterns", 4],
        ["hardware-id-patterns", 5],
      ]);
    });

    it("requires a PCI\\VEN_xxxx&DEV_yyyy prefix somewhere in each pattern", () => {
      const c = realContract();
      device(c, "aero-gpu").hardware_id_patterns.push("USB\\VID_A3A0&PID_0001");
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["hardware-id-patterns"]);
      assert.match(problems[0]!.message, /invalid PCI hardware_id_patterns entry "USB\\VID_A3A0&PID_0001"/);
    });

    it("requires each pattern to name the device's own vendor and device id", () => {
      const c = realContract();
      device(c, "virtio-blk").hardware_id_patterns.push("PCI\\VEN_1AF4&DEV_1041&REV_01");
      const problems = problemsOf(c);
      assert.deepEqual(problems.map((p) => p.rule), ["hardware-id-patterns"]);
      assert.match(problems[0]!.message, /expected to contain VEN_1AF4&DEV_1042/);
    });
  });

  it("collects every problem of the contract into one error, in rule order", () => {
    const c = realContract();
    c.contract_version = "";
    device(c, "virtio-net").pci_device_id = "0x1000";
    device(c, "aero-gpu").inf_name = "aerogpu.sys";
    device(c, "aero-gpu").hardware_id_patterns.push("PCI\\VEN_A3A0&DEV_0002");
    let caught: unknown;
    try {
      load(c);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof PluginError);
    const error = caught as ContractError;
    assert.equal(error.plugin, "devicesCmd");
    assert.equal(error.fileName, "test-contract.json");
    assert.deepEqual(error.problems.map((p) => [p.rule, p.index]), [
      ["contract-version", undefined],
      ["virtio-device-id", 1],
      ["hardware-id-patterns", 1],
      ["hardware-id-patterns", 1],
      ["hardware-id-patterns", 1],
      ["hardware-id-patterns", 1],
      ["inf-name", 5],
      ["hardware-id-patterns", 5],
    ]);
    const lines = error.message.split("\n");
    assert.equal(lines[0], "invalid windows device contract test-contract.json (8 problems):");
    assert.equal(lines.length, 9);
    assert.match(lines[7]!, /^ {2}- device "aero-gpu" \(devices\[5\]\): inf_name "aerogpu.sys" must end with \.inf \[inf-name\]$/);
  });

  it("names the file when it cannot be read", async () => {
    const missing = path.join(tmp, "nope.json");
    await assert.rejects(readDeviceContract(missing), (err: unknown) => {
      assert.ok(err instanceof PluginError);
      assert.match(err.message, /cannot read windows device contract .*nope\.json/);
      return true;
    });
  });
});
