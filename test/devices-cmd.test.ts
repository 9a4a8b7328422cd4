import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import PluginError from "plugin-error";
import Vinyl from "vinyl";
import { FileContents } from "../plugins/shared/contents.js";
import { canonicalJsonSha256 } from "../plugins/shared/canonical-json.js";
import { runPlugins } from "./support/streams.js";
import {
  devicesCmd,
  devicesCmdVariables,
  generateDevicesCmd,
  legacyServiceOverrides,
  loadDeviceContract,
  parseDevicesCmdVars,
  type GeneratedDevicesCmdFile,
} from "../plugins/devices-cmd/index.js";

const CONTRACTS = path.resolve(import.meta.dirname, "fixtures/reference/contracts");
const CANONICAL = path.join(CONTRACTS, "windows-device-contract.json");
const VIRTIO_WIN = path.join(CONTRACTS, "windows-device-contract-virtio-win.json");
const REFERENCE_DEVICES_CMD = path.join(CONTRACTS, "devices.cmd");

type Json = any;

function contractFrom(file: string, edit?: (c: Json) => void) {
  const json = JSON.parse(readFileSync(file, "utf8"));
  edit?.(json);
  return loadDeviceContract(JSON.stringify(json), { path: path.basename(file) });
}

function varsOf(bytes: Buffer): Map<string, string> {
  return parseDevicesCmdVars(bytes.toString("utf8"));
}

const TEN_VARS = [
  "AERO_VIRTIO_BLK_SERVICE",
  "AERO_VIRTIO_BLK_HWIDS",
  "AERO_VIRTIO_NET_SERVICE",
  "AERO_VIRTIO_NET_HWIDS",
  "AERO_VIRTIO_INPUT_SERVICE",
  "AERO_VIRTIO_INPUT_HWIDS",
  "AERO_VIRTIO_SND_SERVICE",
  "AERO_VIRTIO_SND_HWIDS",
  "AERO_GPU_SERVICE",
  "AERO_GPU_HWIDS",
];

describe("generateDevicesCmd", () => {
  it("generates the reference devices.cmd from the real contract (after newline normalisation)", () => {
    const generated = generateDevicesCmd(contractFrom(CANONICAL));
    assert.equal(generated.toString("utf8").replace(/\r\n/g, "\n"), readFileSync(REFERENCE_DEVICES_CMD, "utf8"));
  });

  it("ends every line with CRLF, the last one after an empty line", () => {
    const text = generateDevicesCmd(contractFrom(CANONICAL)).toString("latin1");
    assert.ok(text.endsWith('"PCI\\VEN_A3A0&DEV_0001"\r\n\r\n'));
    assert.equal(text.replace(/\r\n/g, "").includes("\n"), false);
    assert.equal(text.replace(/\r\n/g, "").includes("\r"), false);
  });

  it("gives the virtio-win contract its own service names and the same hardware IDs", () => {
    const aero = varsOf(generateDevicesCmd(contractFrom(CANONICAL)));
    const virtioWin = varsOf(generateDevicesCmd(contractFrom(VIRTIO_WIN)));
    for (const name of TEN_VARS) {
      assert.ok(aero.has(name), name);
      assert.ok(virtioWin.has(name), name);
      if (name.endsWith("_HWIDS")) assert.equal(virtioWin.get(name), aero.get(name), name);
    }
    assert.deepEqual(
      ["BLK", "NET", "INPUT", "SND"].map((d) => virtioWin.get(`AERO_VIRTIO_${d}_SERVICE`)),
      ["viostor", "netkvm", "vioinput", "viosnd"],
    );
    assert.equal(virtioWin.get("AERO_GPU_SERVICE"), "aerogpu");
    assert.equal(virtioWin.get("AERO_VIRTIO_BLK_SYS"), "");
  });

  it("names the contract, its schema version and version in the header", () => {
    const contract = contractFrom(VIRTIO_WIN, (c) => {
      c.contract_name = "  aero-windows-pci-device-contract-virtio-win ";
      c.contract_version = "2.0.0 ";
    });
    const lines = generateDevicesCmd(contract).toString("utf8").split("\r\n");
    assert.deepEqual(lines.slice(6, 9), [
      "rem Contract name: aero-windows-pci-device-contract-virtio-win",
      "rem Contract schema_version: 1",
      "rem Contract version: 2.0.0",
    ]);
  });

  it("lists the AeroGPU patterns as comment lines and ignores devices it does not need", () => {
    const contract = contractFrom(CANONICAL, (c) => {
      c.devices.find((d: Json) => d.device === "aero-virtio-input-tablet").driver_service_name = "tablet_only";
    });
    const text = generateDevicesCmd(contract).toString("utf8");
    assert.match(text, /rem AeroGPU HWIDs:\r\nrem {3}- PCI\\VEN_A3A0&DEV_0001&SUBSYS_0001A3A0\r\nrem {3}- PCI\\VEN_A3A0&DEV_0001\r\n/);
    assert.equal(text.includes("tablet_only"), false);
  });

  it("uses the legacy virtio-win service names with the canonical contract when the spec lists those drivers", () => {
    const contract = contractFrom(CANONICAL);
    const vars = varsOf(generateDevicesCmd(contract, { specDriverNames: [" VioStor", "netkvm", "aerogpu"] }));
    assert.equal(vars.get("AERO_VIRTIO_BLK_SERVICE"), "viostor");
    assert.equal(vars.get("AERO_VIRTIO_NET_SERVICE"), "netkvm");
    assert.equal(vars.get("AERO_VIRTIO_INPUT_SERVICE"), "aero_virtio_input");
    assert.equal(vars.get("AERO_VIRTIO_SND_SERVICE"), "aero_virtio_snd");
    assert.equal(vars.get("AERO_GPU_SERVICE"), "aerogpu");
    assert.deepEqual(legacyServiceOverrides(contract, ["vioinput", "viosnd"]), { virtioInput: "vioinput", virtioSnd: "viosnd" });
  });

  it("does not override the services of any other contract", () => {
    const custom = contractFrom(VIRTIO_WIN, (c) => {
      c.devices[0].driver_service_name = "viostor_custom";
    });
    const vars = varsOf(generateDevicesCmd(custom, { specDriverNames: ["viostor", "netkvm"] }));
    assert.equal(vars.get("AERO_VIRTIO_BLK_SERVICE"), "viostor_custom");
    const test = contractFrom(CANONICAL, (c) => {
      c.contract_name = "test-contract";
    });
    assert.deepEqual(legacyServiceOverrides(test, ["viostor"]), {});
  });

  it("lets explicit service overrides win over the contract and the legacy overrides", () => {
    const vars = varsOf(
      generateDevicesCmd(contractFrom(CANONICAL), { specDriverNames: ["viostor"], serviceOverrides: { virtioBlk: " myblk ", aeroGpu: "gpu2" } }),
    );
    assert.equal(vars.get("AERO_VIRTIO_BLK_SERVICE"), "myblk");
    assert.equal(vars.get("AERO_GPU_SERVICE"), "gpu2");
  });

  it("reports every missing required device entry at once", () => {
    const contract = contractFrom(CANONICAL, (c) => {
      c.devices = c.devices.filter((d: Json) => !["virtio-snd", "aero-gpu"].includes(d.device));
    });
    assert.throws(
      () => generateDevicesCmd(contract),
      (err: unknown) =>
        err instanceof PluginError &&
        /windows-device-contract\.json is missing required device entry: virtio-snd/.test(err.message) &&
        /is missing required device entry: aero-gpu/.test(err.message),
    );
  });

  it("finds the required entries by trimmed, ASCII-case-insensitive name", () => {
    const contract = contractFrom(CANONICAL, (c) => {
      c.devices[0].device = " Virtio-BLK ";
    });
    assert.equal(varsOf(generateDevicesCmd(contract)).get("AERO_VIRTIO_BLK_SERVICE"), "aero_virtio_blk");
  });

  it("rejects patterns with double quotes or line breaks, which would break the script", () => {
    for (const bad of ['PCI\\VEN_A3A0&DEV_0001"', "PCI\\VEN_A3A0&DEV_0001\r\nset X=1"]) {
      const contract = contractFrom(CANONICAL, (c) => {
        c.devices[5].hardware_id_patterns.push(bad);
      });
      assert.throws(() => generateDevicesCmd(contract), /must not contain (double quotes|line breaks)/, bad);
    }
  });

  it("rejects an empty virtio-blk service override", () => {
    assert.throws(() => generateDevicesCmd(contractFrom(CANONICAL), { serviceOverrides: { virtioBlk: " " } }), /virtio-blk entry has empty driver_service_name/);
  });
});

/** Run files through devicesCmd and collect the output (or the error). */
const run = (files: Vinyl[], stage: ReturnType<typeof devicesCmd>): Promise<Vinyl[]> => runPlugins(files, stage);

describe("devicesCmd plugin", () => {
  let root: string;
  let guestTools: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "devices-cmd-test-"));
    guestTools = path.join(root, "guest-tools");
    mkdirSync(path.join(guestTools, "config"), { recursive: true });
    writeFileSync(path.join(guestTools, "setup.cmd"), "@echo off\r\n");
    writeFileSync(path.join(guestTools, "config", "devices.cmd"), 'set "AERO_VIRTIO_BLK_SERVICE=old"\r\nset AERO_EXTRA=kept\r\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A vinyl read from the temp guest-tools dir, with lazily streamed contents like tree sources make. */
  function diskFile(relative: string): Vinyl {
    const abs = path.join(guestTools, relative);
    const stat = statSync(abs);
    return new Vinyl({ cwd: root, base: guestTools, path: abs, stat, contents: new FileContents(abs, stat.size) });
  }

  it("replaces config/devices.cmd with the generated file and passes everything else through", async () => {
    const out = await run([diskFile("setup.cmd"), diskFile("config/devices.cmd")], devicesCmd(CANONICAL));
    assert.deepEqual(out.map((f) => f.relative.split(path.sep).join("/")), ["setup.cmd", "config/devices.cmd"]);
    const generated = out[1] as GeneratedDevicesCmdFile;
    assert.deepEqual(generated.contents, generateDevicesCmd(contractFrom(CANONICAL)));
    assert.equal(generated.contents.toString("utf8").replace(/\r\n/g, "\n"), readFileSync(REFERENCE_DEVICES_CMD, "utf8"));
    assert.equal(generated.cwd, root);
    assert.equal(generated.base, guestTools);
    assert.equal(generated.stat?.mode, 0o100644);
    assert.equal(generated.stat?.isFile(), true);
    assert.equal(generated.stat?.size, generated.contents.length);
    assert.ok(out[0]!.contents instanceof FileContents, "other files are passed through untouched");
  });

  it("keeps the replaced file's bytes so validation can merge its variables under the generated ones", async () => {
    const out = await run([diskFile("config/devices.cmd")], devicesCmd(CANONICAL));
    const generated = out[0] as GeneratedDevicesCmdFile;
    assert.deepEqual(generated.aeroReplacedDevicesCmd, readFileSync(path.join(guestTools, "config", "devices.cmd")));
    const vars = devicesCmdVariables(generated.contents, generated.aeroReplacedDevicesCmd);
    assert.equal(vars.get("AERO_VIRTIO_BLK_SERVICE"), "aero_virtio_blk");
    assert.equal(vars.get("AERO_EXTRA"), "kept");
    assert.equal(vars.get("AERO_GPU_SERVICE"), "aerogpu");
  });

  it("attaches the contract's provenance for the manifest", async () => {
    const [generated] = (await run([], devicesCmd(VIRTIO_WIN))) as GeneratedDevicesCmdFile[];
    assert.deepEqual(generated!.aeroDeviceContract, {
      path: VIRTIO_WIN,
      sha256: canonicalJsonSha256(readFileSync(VIRTIO_WIN)),
      contract_name: "aero-windows-pci-device-contract-virtio-win",
      contract_version: "1.0.6",
      schema_version: 1,
    });
    assert.equal(generated!.aeroReplacedDevicesCmd, undefined);
    assert.equal(generated!.cwd, process.cwd());
  });

  it("drops a config/devices.cmd whose name differs only in ASCII case", async () => {
    const upper = new Vinyl({ cwd: root, base: guestTools, path: path.join(guestTools, "CONFIG", "Devices.CMD"), contents: Buffer.from("set A=1\r\n") });
    const other = new Vinyl({ cwd: root, base: guestTools, path: path.join(guestTools, "config", "devices.cmd.bak"), contents: Buffer.from("x") });
    const out = await run([upper, other], devicesCmd(CANONICAL));
    assert.deepEqual(out.map((f) => f.relative.split(path.sep).join("/")), ["config/devices.cmd.bak", "config/devices.cmd"]);
    assert.deepEqual((out[1] as GeneratedDevicesCmdFile).aeroReplacedDevicesCmd, Buffer.from("set A=1\r\n"));
  });

  it("accepts the contract as a Buffer or as an already loaded contract", async () => {
    const bytes = readFileSync(CANONICAL);
    const [fromBuffer] = (await run([], devicesCmd(bytes))) as GeneratedDevicesCmdFile[];
    const [fromObject] = (await run([], devicesCmd(loadDeviceContract(bytes, { path: "given.json" })))) as GeneratedDevicesCmdFile[];
    assert.deepEqual(fromBuffer!.contents, fromObject!.contents);
    assert.equal(fromBuffer!.aeroDeviceContract.path, undefined);
    assert.equal(fromObject!.aeroDeviceContract.path, "given.json");
  });

  it("applies the legacy overrides from the spec's driver names", async () => {
    const [generated] = (await run([], devicesCmd(CANONICAL, { specDriverNames: ["viostor", "netkvm"] }))) as GeneratedDevicesCmdFile[];
    assert.equal(varsOf(generated!.contents).get("AERO_VIRTIO_BLK_SERVICE"), "viostor");
  });

  it("fails the stream before passing any file on when the contract is invalid", async () => {
    const bad = path.join(root, "bad-contract.json");
    writeFileSync(bad, JSON.stringify({ schema_version: 2, contract_name: "x", contract_version: "1", devices: [] }));
    const passed: string[] = [];
    const stage = devicesCmd(bad);
    await assert.rejects(
      pipeline(
        Readable.from([diskFile("setup.cmd")], { objectMode: true }),
        stage,
        new Writable({
          objectMode: true,
          write(file: Vinyl, _e, cb) {
            passed.push(file.relative);
            cb();
          },
        }),
      ),
      (err: unknown) => {
        assert.ok(err instanceof PluginError);
        assert.equal(err.plugin, "devicesCmd");
        assert.match(err.message, /bad-contract\.json/);
        assert.match(err.message, /unsupported windows-device-contract schema_version 2/);
        return true;
      },
    );
    assert.deepEqual(passed, []);
  });

  it("fails the stream when the contract file does not exist", async () => {
    await assert.rejects(run([], devicesCmd(path.join(root, "missing.json"))), /cannot read windows device contract/);
  });

  it("fails the stream when the contract lacks a required device", async () => {
    const partial = path.join(root, "partial.json");
    const json = JSON.parse(readFileSync(CANONICAL, "utf8"));
    json.devices = json.devices.filter((d: Json) => d.device !== "virtio-net");
    writeFileSync(partial, JSON.stringify(json));
    await assert.rejects(run([], devicesCmd(partial)), /missing required device entry: virtio-net/);
  });

  it("checks its arguments when it is created", () => {
    assert.throws(() => devicesCmd(""), PluginError);
    assert.throws(() => devicesCmd({} as never), /contract must be a path/);
    assert.throws(() => devicesCmd(CANONICAL, { specDriverNames: "viostor" as never }), /specDriverNames must be an array of strings/);
    assert.throws(() => devicesCmd(CANONICAL, { serviceOverrides: { blk: "x" } as never }), /unknown key "blk"/);
  });
});

describe("devicesCmdVariables", () => {
  it("keeps a BOM on the first line of the on-disk file, as the Rust lossy decoding does", () => {
    const generated = Buffer.from('set "AERO_GPU_SERVICE=aerogpu"\r\n');
    const onDisk = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("set FIRST=1\r\nset SECOND=2\r\n")]);
    const vars = devicesCmdVariables(generated, onDisk);
    assert.equal(vars.has("FIRST"), false, "the BOM makes the first line not start with `set`");
    assert.equal(vars.get("SECOND"), "2");
    assert.equal(vars.get("AERO_GPU_SERVICE"), "aerogpu");
  });
});
