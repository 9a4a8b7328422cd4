import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import PluginError from "plugin-error";
import { packagingSpecSchema, parseSpec, SpecError } from "../plugins/packaging-spec/index.js";
import { loadSpec, loadSpecFile } from "../plugins/shared/load-spec.js";
import { cleanupTempDirs, REPO, tempDir } from "./support/fixtures.js";
import { REFERENCE_SPECS } from "./support/validate-helpers.js";

const SPECS = path.join(REPO, "specs");

/** The message of the error loading `json` (written to a real file) throws. */
function loadError(json: string | Buffer, name = "spec.json"): string {
  const file = path.join(tempDir("aero-spec-"), name);
  writeFileSync(file, json);
  try {
    loadSpecFile(file);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("the spec loaded, but an error was expected");
}

function loadText(json: string) {
  const file = path.join(tempDir("aero-spec-"), "spec.json");
  writeFileSync(file, json);
  return loadSpecFile(file);
}

const minimal = (driver: object) => JSON.stringify({ drivers: [{ name: "testdrv", required: true, ...driver }] });

describe("packaging spec loading", () => {
  after(cleanupTempDirs);

  describe("the specs shipped in specs/", () => {
    const specFiles = readdirSync(SPECS).filter((f) => f.endsWith(".json") && f !== "packaging-spec.schema.json" && !f.startsWith("windows-device-contract"));

    it("include a copy of every reference spec", () => {
      for (const f of readdirSync(REFERENCE_SPECS)) assert.ok(specFiles.includes(f), `specs/${f} is missing`);
    });

    for (const f of specFiles) {
      it(`${f} loads and points $schema at the schema file beside it`, () => {
        const raw = JSON.parse(readFileSync(path.join(SPECS, f), "utf8")) as { $schema?: string };
        assert.equal(raw.$schema, "./packaging-spec.schema.json");
        assert.ok(existsSync(path.join(SPECS, raw.$schema)));
        assert.ok(loadSpecFile(path.join(SPECS, f)).drivers.length > 0);
      });
    }

    it("win7-* copies differ from the reference specs only in the $schema path", () => {
      for (const f of readdirSync(REFERENCE_SPECS)) {
        const ours = JSON.parse(readFileSync(path.join(SPECS, f), "utf8")) as Record<string, unknown>;
        const theirs = JSON.parse(readFileSync(path.join(REFERENCE_SPECS, f), "utf8")) as Record<string, unknown>;
        assert.equal(theirs.$schema, "../packaging-spec.schema.json");
        assert.deepEqual({ ...ours, $schema: null }, { ...theirs, $schema: null });
      }
    });
  });

  describe("the schema", () => {
    it("specs/packaging-spec.schema.json is the schema the loader uses", () => {
      const onDisk = JSON.parse(readFileSync(path.join(SPECS, "packaging-spec.schema.json"), "utf8")) as unknown;
      assert.deepEqual(onDisk, JSON.parse(JSON.stringify(packagingSpecSchema)), "regenerate the JSON file from plugins/packaging-spec/schema.ts");
    });

    it("is a valid draft 2020-12 schema with a description on every field", () => {
      new Ajv2020({ strict: true, allowUnionTypes: true }).compile(packagingSpecSchema);
      const defs = packagingSpecSchema.$defs;
      for (const props of [packagingSpecSchema.properties, defs.driver.properties, defs.legacyDriver.properties]) {
        for (const [key, prop] of Object.entries(props)) {
          const described = "description" in prop || ("$ref" in prop && prop.$ref === "#/$defs/driverName");
          assert.ok(described, `${key} has no description`);
        }
      }
    });
  });

  describe("strictness", () => {
    it("rejects an unknown top-level field, naming it and its JSON pointer", () => {
      const msg = loadError(JSON.stringify({ drivers: [{ name: "a", required: true }], unknown_top_level_key: 1 }));
      assert.match(msg, /\/unknown_top_level_key: unknown field "unknown_top_level_key"/);
    });

    it("rejects an unknown driver field such as a typo", () => {
      const msg = loadError(minimal({ expected_hardware_idz: [] }));
      assert.match(msg, /\/drivers\/0\/expected_hardware_idz: unknown field "expected_hardware_idz", expected one of: name, required/);
    });

    it("rejects an unknown field in a legacy required_drivers entry", () => {
      const msg = loadError(JSON.stringify({ required_drivers: [{ name: "a", required: true }] }));
      assert.match(msg, /\/required_drivers\/0\/required: unknown field "required"/);
    });

    it("rejects a duplicate key, naming its pointer", () => {
      const msg = loadError('{"drivers":[{"name":"a","required":false,"required":true}]}');
      assert.match(msg, /\/drivers\/0\/required: duplicate field "required"/);
    });

    it("treats escaped and plain spellings of a key as the same key", () => {
      const msg = loadError('{"drivers":[{"name":"a","required":true,"n\\u0061me":"b"}]}');
      assert.match(msg, /\/drivers\/0\/name: duplicate field "name"/);
    });

    it("rejects a wrong type, naming expected and actual type", () => {
      assert.match(loadError(minimal({ required: "true" })), /\/drivers\/0\/required: must be boolean, got string/);
      assert.match(loadError(minimal({ expected_inf_files: null })), /\/drivers\/0\/expected_inf_files: must be array, got null/);
    });

    it("requires name and required on a driver", () => {
      const msg = loadError(JSON.stringify({ drivers: [{ name: "a" }, { required: true }] }));
      assert.match(msg, /\/drivers\/0: missing field "required"/);
      assert.match(msg, /\/drivers\/1: missing field "name"/);
    });

    it("reports every problem at once and names the spec file", () => {
      const msg = loadError('{"drivers":[{"name":"a","required":1,"x":2,"x":3}],"y":4}', "broken.json");
      assert.match(msg, /packaging spec .*broken\.json is invalid \(4 problems\)/);
      for (const pointer of ["/drivers/0/required", "/drivers/0/x: duplicate", "/drivers/0/x: unknown", "/y: unknown"]) {
        assert.ok(msg.includes(pointer), `${pointer} missing from:\n${msg}`);
      }
    });

    it("rejects invalid JSON with a line and column", () => {
      assert.match(loadError('{\n  "drivers": [\n    {"name": "a", "required": true},\n  ]\n}'), /not valid JSON at line 4, column 3/);
    });

    it("rejects bytes that are not UTF-8", () => {
      assert.match(loadError(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8/);
    });

    it("tolerates a UTF-8 BOM", () => {
      const withBom = loadText(`\uFEFF${minimal({})}`);
      assert.deepEqual(withBom, loadText(minimal({})));
    });

    it("accepts $schema as a string or null without changing the loaded spec", () => {
      const full = {
        require_optional_drivers_on_all_arches: true,
        fail_on_unlisted_driver_dirs: true,
        drivers: [{ name: "a", required: false, expected_inf_files: ["a.inf"], allow_extensions: ["pdb"] }],
        required_drivers: [{ name: "A", expected_hardware_ids: ["PCI\\\\VEN_1234"] }],
      };
      const plain = loadText(JSON.stringify(full));
      assert.deepEqual(loadText(JSON.stringify({ $schema: "./packaging-spec.schema.json", ...full })), plain);
      assert.deepEqual(loadText(JSON.stringify({ $schema: null, ...full })), plain);
    });

    it("names the missing spec file when it cannot be read", () => {
      assert.throws(() => loadSpecFile("/nonexistent/spec.json"), /packaging spec not found or unreadable: \/nonexistent\/spec.json \(ENOENT\)/);
    });
  });

  describe("inputs", () => {
    it("loads JSON text, bytes and objects alike", () => {
      const text = minimal({ expected_inf_files: ["t.inf"] });
      const fromText = loadSpec(text);
      assert.deepEqual(loadSpec(Buffer.from(text)), fromText);
      assert.deepEqual(loadSpec(JSON.parse(text) as object), fromText);
    });

    it("fills every default and does not change the object it was given", () => {
      const input = { drivers: [{ name: "aero-gpu", required: true }] };
      const before = structuredClone(input);
      const spec = loadSpec(input);
      assert.deepEqual(input, before);
      assert.deepEqual(spec, {
        require_optional_drivers_on_all_arches: false,
        fail_on_unlisted_driver_dirs: false,
        modern_virtio_only: false,
        drivers: [
          {
            name: "aerogpu",
            required: true,
            expected_inf_files: [],
            expected_add_services: [],
            expected_add_services_from_devices_cmd_var: null,
            expected_hardware_ids: [],
            expected_hardware_ids_from_devices_cmd_var: null,
            allow_extensions: [],
            allow_path_regexes: [],
            waive_checks: [],
          },
        ],
      });
      assert.ok(Object.isFrozen(spec.drivers[0]));
    });

    it("points to loadSpecFile when given something that looks like a path", () => {
      assert.throws(() => loadSpec("specs/win7-signed.json"), /loadSpec takes JSON text; use loadSpecFile\(path\)/);
    });

    it("names the given path in messages for bytes", () => {
      assert.throws(() => loadSpec(Buffer.from("{}"), { path: "specs/mine.json" }), /packaging spec specs\/mine\.json is invalid/);
    });

    it("throws a SpecError from the pure loader and validateSpec's PluginError (no stack) from loadSpec", () => {
      const bad = Buffer.from('{"drivers": 1}');
      assert.throws(
        () => parseSpec(bad, { path: "specs/mine.json" }),
        (err: unknown) => err instanceof SpecError && !(err instanceof PluginError) && err.code === "ESPEC" && err.fileName === "specs/mine.json",
      );
      assert.throws(
        () => loadSpec(bad, { path: "specs/mine.json" }),
        (err: unknown) =>
          err instanceof PluginError && err.plugin === "validateSpec" && err.fileName === "specs/mine.json" && /packaging spec specs\/mine\.json is invalid/.test(err.message) && !/\n\s+at /.test(err.toString()),
      );
    });
  });

  describe("driver names", () => {
    it("normalises aero-gpu (any case) to aerogpu", () => {
      assert.equal(loadText(minimal({ name: "AERO-GPU" })).drivers[0]!.name, "aerogpu");
    });

    it("rejects leading or trailing whitespace", () => {
      assert.match(loadError(minimal({ name: "testdrv " })), /\/drivers\/0\/name: packaging spec driver name must not contain leading\/trailing whitespace: "testdrv "/);
    });

    it("rejects an empty name", () => {
      assert.match(loadError(minimal({ name: "" })), /contains a driver with an empty name/);
    });

    it("rejects . and ..", () => {
      assert.match(loadError(minimal({ name: ".." })), /invalid driver name: \.\./);
      assert.match(loadError(minimal({ name: "." })), /invalid driver name: \./);
    });

    it("rejects path separators", () => {
      assert.match(loadError(minimal({ name: "a/b" })), /invalid driver name containing path separators: a\/b/);
      assert.match(loadError(minimal({ name: "a\\b" })), /invalid driver name containing path separators: a\\b/);
    });

    it("rejects the same driver twice ignoring case", () => {
      const msg = loadError(JSON.stringify({ drivers: [{ name: "testdrv", required: true }, { name: "TESTDRV", required: false }] }));
      assert.match(msg, /\/drivers\/1\/name: packaging spec lists the same driver multiple times \(case-insensitive\): TESTDRV/);
    });

    it("compares names with Unicode case folding, as Windows does", () => {
      const msg = loadError(JSON.stringify({ drivers: [{ name: "Ärger", required: true }, { name: "ärger", required: true }] }));
      assert.match(msg, /lists the same driver multiple times/);
    });

    it("treats aero-gpu and aerogpu as the same driver", () => {
      const msg = loadError(JSON.stringify({ drivers: [{ name: "aerogpu", required: true }, { name: "aero-gpu", required: true }] }));
      assert.match(msg, /lists the same driver multiple times \(case-insensitive\): aerogpu/);
    });

    it("rejects a spec without drivers", () => {
      assert.match(loadError('{"drivers":[]}'), /\/drivers: packaging spec contains no drivers/);
      assert.match(loadError("{}"), /packaging spec contains no drivers/);
    });
  });

  describe("legacy required_drivers", () => {
    it("merges into a driver of the same name ignoring ASCII case: required, extra hardware IDs", () => {
      const spec = loadText(
        JSON.stringify({
          drivers: [{ name: "testdrv", required: false, expected_hardware_ids: ["A"] }],
          required_drivers: [{ name: "TESTDRV", expected_hardware_ids: ["A", "B"], expected_hardware_ids_from_devices_cmd_var: "V" }],
        }),
      );
      assert.equal(spec.drivers.length, 1);
      assert.equal(spec.drivers[0]!.name, "testdrv");
      assert.equal(spec.drivers[0]!.required, true);
      assert.deepEqual(spec.drivers[0]!.expected_hardware_ids, ["A", "B"]);
      assert.equal(spec.drivers[0]!.expected_hardware_ids_from_devices_cmd_var, "V");
    });

    it("keeps the driver's own devices.cmd variable over the legacy one", () => {
      const spec = loadText(
        JSON.stringify({
          drivers: [{ name: "d", required: true, expected_hardware_ids_from_devices_cmd_var: "MINE" }],
          required_drivers: [{ name: "d", expected_hardware_ids_from_devices_cmd_var: "LEGACY" }],
        }),
      );
      assert.equal(spec.drivers[0]!.expected_hardware_ids_from_devices_cmd_var, "MINE");
    });

    it("adds unmatched legacy entries as required drivers after the others, merging legacy duplicates", () => {
      const spec = loadText(
        JSON.stringify({
          drivers: [{ name: "first", required: false }],
          required_drivers: [{ name: "aero-gpu", expected_hardware_ids: ["X"] }, { name: "AeroGPU", expected_hardware_ids: ["Y"] }],
        }),
      );
      assert.deepEqual(spec.drivers.map((d) => [d.name, d.required, d.expected_hardware_ids]), [
        ["first", false, []],
        ["aerogpu", true, ["X", "Y"]],
      ]);
    });
  });

  describe("entries checked at load time", () => {
    it("rejects a hardware ID pattern JavaScript cannot run faithfully, naming pattern and pointer", () => {
      const msg = loadError(minimal({ expected_hardware_ids: ["PCI\\\\VEN_1AF4", "(?<=x)DEV"] }));
      assert.match(msg, /\/drivers\/0\/expected_hardware_ids\/1: cannot compile expected_hardware_ids pattern: invalid regex "\(\?<=x\)DEV": look-around/);
    });

    it("rejects a bad allow_path_regexes pattern", () => {
      assert.match(loadError(minimal({ allow_path_regexes: ["sym(bols"] })), /\/drivers\/0\/allow_path_regexes\/0: .*invalid regex "sym\(bols": unclosed group/);
    });

    it("rejects expected_inf_files entries that are empty, have folders or do not end in .inf", () => {
      const msg = loadError(minimal({ expected_inf_files: [" ", "sub/a.inf", "a.sys", " ok.INF "] }));
      assert.match(msg, /\/expected_inf_files\/0: expected_inf_files contains an empty entry/);
      assert.match(msg, /\/expected_inf_files\/1: expected_inf_files entry must be a filename without paths, got: sub\/a.inf/);
      assert.match(msg, /\/expected_inf_files\/2: expected_inf_files entry must end with .inf, got: a.sys/);
      assert.doesNotMatch(msg, /expected_inf_files\/3/);
    });

    it("rejects an empty expected_add_services entry", () => {
      assert.match(loadError(minimal({ expected_add_services: ["svc", ""] })), /\/expected_add_services\/1: expected_add_services contains an empty entry/);
    });

    it("rejects a devices.cmd variable name that could never be found", () => {
      assert.match(loadError(minimal({ expected_hardware_ids_from_devices_cmd_var: " X" })), /expected_hardware_ids_from_devices_cmd_var: devices.cmd variable name/);
    });
  });
});
