import assert from "node:assert/strict";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Vinyl from "vinyl";
import { payloadPolicy } from "../plugins/payload-policy/index.js";
import { ProblemReport } from "../plugins/shared/report.js";
import { loadSpec } from "../plugins/shared/load-spec.js";
import { validateDrivers, validateSpec } from "../plugins/validate-spec/index.js";
import { cleanupTempDirs, tempDir } from "./support/fixtures.js";
import { contentsOf, runPlugins } from "./support/streams.js";
import { captureStderr, readTree, rejection, relPaths, writeTree } from "./support/validate-helpers.js";

const TEST_INF = `[Version]
Signature = "$WINDOWS NT$"
Class = System
CatalogFile = test.cat

[Manufacturer]
%Mfg% = Models,NTx86,NTamd64

[Models.NTx86]
%Desc% = Install, PCI\\VEN_1234&DEV_5678

[Models.NTamd64]
%Desc% = Install, PCI\\VEN_1234&DEV_5678

[Install]
CopyFiles = Install.CopyFiles

[Install.CopyFiles]
test.sys
test.dll

[Install.Services]
AddService = TestSvc, 0x00000002, TestSvc_Inst

[TestSvc_Inst]
ServiceBinary = %12%\\test.sys

[SourceDisksFiles]
test.sys = 1
test.dll = 1
`;

/** A complete driver directory (INF + the files it references). */
function driverFiles(dir: string, inf: string | Buffer = TEST_INF): Record<string, string | Buffer> {
  return { [`${dir}/test.inf`]: inf, [`${dir}/test.sys`]: "sys", [`${dir}/test.cat`]: "cat", [`${dir}/test.dll`]: "dll" };
}

/** A temp tree with testdrv on both arches plus `extra` files; `omit` removes paths. */
function tree(extra: Record<string, string | Buffer> = {}, inf?: string | Buffer): string {
  const root = tempDir("aero-validate-");
  writeTree(root, { ...driverFiles("drivers/x86/testdrv", inf), ...driverFiles("drivers/amd64/testdrv", inf), ...extra });
  return root;
}

const TESTDRV = {
  name: "testdrv",
  required: true,
  expected_inf_files: ["test.inf"],
  expected_add_services: ["TestSvc"],
  expected_hardware_ids: ["PCI\\\\VEN_1234&DEV_5678"],
};
const specWith = (drivers: object[] = [TESTDRV], top: object = {}) => loadSpec({ ...top, drivers });

interface RunOptions {
  vars?: Record<string, string>;
  report?: ProblemReport;
  extraFiles?: Vinyl[];
}

/** The tree through payloadPolicy and validateSpec, as the build runs them. */
async function check(root: string, spec = specWith(), options: RunOptions = {}): Promise<Vinyl[]> {
  const report = options.report ?? new ProblemReport();
  const files = [...(await readTree(root)), ...(options.extraFiles ?? [])];
  const vopts = options.vars ? { report, devicesCmdVars: new Map(Object.entries(options.vars)) } : { report };
  return runPlugins(files, payloadPolicy({ spec, report }), validateSpec(spec, vopts));
}

async function failure(root: string, spec = specWith(), options: RunOptions = {}): Promise<string> {
  return (await rejection(check(root, spec, options))).message;
}

describe("validateSpec", () => {
  after(cleanupTempDirs);

  describe("a complete tree", () => {
    it("passes and emits every file sorted by package path", async () => {
      const out = await check(tree({ "setup.cmd": "x", "config/a.txt": "a" }));
      const paths = relPaths(out);
      assert.deepEqual(paths, [
        "config/a.txt",
        "drivers/amd64/testdrv/test.cat",
        "drivers/amd64/testdrv/test.dll",
        "drivers/amd64/testdrv/test.inf",
        "drivers/amd64/testdrv/test.sys",
        "drivers/x86/testdrv/test.cat",
        "drivers/x86/testdrv/test.dll",
        "drivers/x86/testdrv/test.inf",
        "drivers/x86/testdrv/test.sys",
        "setup.cmd",
      ]);
    });

    it("keeps the bytes of the files it read (INFs stay readable downstream)", async () => {
      const out = await check(tree());
      const inf = out.find((f) => f.relative.endsWith("x86/testdrv/test.inf".split("/").join(path.sep)))!;
      assert.equal((await contentsOf(inf)).toString(), TEST_INF);
    });

    it("takes the spec as a file path", async () => {
      const specFile = path.join(tempDir(), "spec.json");
      writeFileSync(specFile, JSON.stringify({ drivers: [TESTDRV] }));
      const out = await runPlugins(await readTree(tree()), validateSpec(specFile));
      assert.equal(out.length, 8);
    });

    it("throws at construction for a bad spec", () => {
      assert.throws(() => validateSpec({ drivers: [{ name: "x" }] }), /missing field "required"/);
      assert.throws(() => validateSpec("/nonexistent/spec.json"), /packaging spec not found or unreadable/);
    });
  });

  describe("presence", () => {
    it("fails when a required driver is missing on one arch, naming driver, arch and the path tried", async () => {
      const root = tree();
      rmSync(path.join(root, "drivers/amd64/testdrv"), { recursive: true });
      const msg = await failure(root);
      assert.match(msg, /required driver directory missing: testdrv \(amd64\); tried: drivers\/amd64\/testdrv/);
      assert.doesNotMatch(msg, /\(x86\)/);
    });

    it("warns (on stderr) when an optional driver is missing everywhere, and passes", async () => {
      const spec = specWith([TESTDRV, { name: "optdrv", required: false }]);
      const files = await readTree(tree());
      const { result, stderr } = await captureStderr(() => runPlugins(files, validateSpec(spec)));
      assert.equal(result.length, 8);
      assert.match(stderr, /warning: optional driver directory missing: optdrv \(x86\)/);
      assert.match(stderr, /optional driver directory missing: optdrv \(amd64\)/);
    });

    it("prints no warnings itself when a shared report is given (its owner prints them)", async () => {
      const report = new ProblemReport();
      const spec = specWith([TESTDRV, { name: "optdrv", required: false }]);
      const { stderr } = await captureStderr(() => check(tree(), spec, { report }));
      assert.equal(stderr, "");
      assert.equal(report.warnings.length, 2);
    });

    it("fails when an optional driver is present for one arch only and require_optional_drivers_on_all_arches is set", async () => {
      const root = tree(driverFiles("drivers/x86/optdrv"));
      const opt = { name: "optdrv", required: false };
      const msg = await failure(root, specWith([TESTDRV, opt], { require_optional_drivers_on_all_arches: true }));
      assert.match(msg, /optional driver directory is present for x86 but missing for amd64: optdrv \(require_optional_drivers_on_all_arches=true\); tried: drivers\/amd64\/optdrv/);
    });

    it("packages an optional driver present for one arch only when the flag is off", async () => {
      const root = tree(driverFiles("drivers/x86/optdrv"));
      const report = new ProblemReport();
      const out = await check(root, specWith([TESTDRV, { name: "optdrv", required: false }]), { report });
      assert.ok(relPaths(out).includes("drivers/x86/optdrv/test.sys"));
      assert.deepEqual(report.warnings.map((w) => w.rule), ["optional-driver-missing"]);
    });

    it("validates an optional driver that is present", async () => {
      const root = tree({ "drivers/x86/optdrv/test.inf": TEST_INF, "drivers/x86/optdrv/test.cat": "c" });
      const msg = await failure(root, specWith([TESTDRV, { name: "optdrv", required: false }]));
      assert.match(msg, /driver optdrv \(x86\) is incomplete: expected at least one .inf, .sys, and .cat \(missing: .sys\)/);
    });

    it("leaves unlisted driver directories (and stray files under drivers/) out of the output", async () => {
      const out = await check(tree({ "drivers/x86/stray/a.txt": "a", "drivers/amd64/notes.txt": "n", "drivers/README.md": "r" }));
      const paths = relPaths(out);
      assert.ok(!paths.some((p) => p.includes("stray") || p.includes("notes")));
      assert.ok(paths.includes("drivers/README.md"));
    });

    it("fails on unlisted driver directories with fail_on_unlisted_driver_dirs, listing each with its arches", async () => {
      const root = tree({ "drivers/x86/Extra_Driver/a.txt": "a", "drivers/amd64/extra_driver/b.txt": "b", "drivers/amd64/other/.DS_Store": "" });
      const msg = await failure(root, specWith([TESTDRV], { fail_on_unlisted_driver_dirs: true }));
      assert.match(msg, /not listed in the packaging spec \(fail_on_unlisted_driver_dirs=true\)/);
      assert.match(msg, /- extra_driver \(found under: amd64, x86\)/);
      assert.match(msg, /- other \(found under: amd64\)/);
    });

    it("accepts the legacy aero-gpu directory for aerogpu, renames it and warns", async () => {
      const root = tree(driverFiles("drivers/x86/aero-gpu"));
      writeTree(root, driverFiles("drivers/amd64/aerogpu"));
      const report = new ProblemReport();
      const spec = specWith([TESTDRV, { name: "aerogpu", required: true }]);
      const result = await check(root, spec, { report });
      assert.ok(relPaths(result).includes("drivers/x86/aerogpu/test.inf"));
      assert.ok(!relPaths(result).some((p) => p.includes("aero-gpu")));
      assert.match(report.warnings[0]!.message, /using legacy driver directory name 'aero-gpu' for 'aerogpu' \(x86\)/);
    });

    it("fails when both aerogpu and aero-gpu exist", async () => {
      const root = tree({ ...driverFiles("drivers/x86/aero-gpu"), ...driverFiles("drivers/x86/aerogpu"), ...driverFiles("drivers/amd64/aerogpu") });
      const msg = await failure(root, specWith([TESTDRV, { name: "aerogpu", required: true }]));
      assert.match(msg, /multiple driver directories found for aerogpu \(x86\); remove\/rename one of: drivers\/x86\/aero-gpu \(legacy alias\), drivers\/x86\/aerogpu/);
    });

    it("renames a driver directory spelled in another case to the spec's spelling", async () => {
      const root = tree();
      renameSync(path.join(root, "drivers/x86/testdrv"), path.join(root, "drivers/x86/TestDrv"));
      const out = await check(root);
      assert.ok(relPaths(out).includes("drivers/x86/testdrv/test.inf"));
    });
  });

  describe("driver contents", () => {
    it("fails when a .cat is missing", async () => {
      const root = tree();
      rmSync(path.join(root, "drivers/x86/testdrv/test.cat"));
      const msg = await failure(root, specWith([{ name: "testdrv", required: true }]));
      assert.match(msg, /driver testdrv \(x86\) is incomplete: expected at least one .inf, .sys, and .cat \(missing: .cat\)/);
    });

    it("fails when an expected INF is missing, listing what was scanned", async () => {
      const msg = await failure(tree(), specWith([{ ...TESTDRV, expected_inf_files: ["test.inf", "missing.inf"] }]));
      assert.match(msg, /driver testdrv \(x86\) INF file validation failed \(drivers\/x86\/testdrv\):[^\n]*\n\s*- missing expected INF files: missing.inf/);
      assert.match(msg, /expected_inf_files: test.inf, missing.inf/);
      assert.match(msg, /scanned packaged INF files: test.inf/);
    });

    it("tells an expected INF that the policy excluded apart from a missing one", async () => {
      const root = tree({ "drivers/x86/testdrv/.old/legacy.inf": TEST_INF, "drivers/amd64/testdrv/.old/legacy.inf": TEST_INF });
      const msg = await failure(root, specWith([{ ...TESTDRV, expected_inf_files: ["legacy.inf"] }]));
      assert.match(msg, /expected INF files are present but would be excluded from packaged output: legacy.inf \(.old\/legacy.inf: hidden folder .old\)/);
      assert.match(msg, /scanned INF files under driver directory: .old\/legacy.inf, test.inf/);
      assert.doesNotMatch(msg, /missing expected INF files/);
    });

    it("fails when the expected AddService appears only in a comment of a UTF-16LE INF", async () => {
      const inf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEST_INF.replace("AddService = TestSvc", "; AddService = TestSvc"), "utf16le")]);
      const msg = await failure(tree({}, inf));
      assert.match(msg, /driver testdrv \(x86\) INF files missing expected AddService directive\(s\): TestSvc/);
      assert.match(msg, /scanned packaged INF files: test.inf/);
    });

    it("matches AddService ignoring case, quotes and trailing comments in a UTF-16LE INF", async () => {
      const text = TEST_INF.replace("AddService = TestSvc, 0x00000002, TestSvc_Inst", 'AddService = "TestSvc" , 0x00000002, TestSvc_Inst ; trailing comment');
      const inf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
      const out = await check(tree({}, inf), specWith([{ ...TESTDRV, expected_add_services: ["testsvc"] }]));
      assert.equal(out.length, 8);
    });

    it("reads the expected service from a devices.cmd variable", async () => {
      const spec = specWith([{ ...TESTDRV, expected_add_services: [], expected_add_services_from_devices_cmd_var: "test_service" }]);
      assert.equal((await check(tree(), spec, { vars: { TEST_SERVICE: " TestSvc " } })).length, 8);
      const msg = await failure(tree(), spec, { vars: { TEST_SERVICE: "OtherSvc" } });
      assert.match(msg, /missing expected AddService directive\(s\): OtherSvc/);
      assert.match(msg, /expected_add_services_from_devices_cmd_var: test_service=OtherSvc/);
    });

    it("fails when a referenced devices.cmd variable is missing or empty", async () => {
      const spec = specWith([{ ...TESTDRV, expected_add_services_from_devices_cmd_var: "SVC", expected_hardware_ids_from_devices_cmd_var: "HWIDS" }]);
      const missing = await failure(tree(), spec, { vars: {} });
      assert.match(missing, /driver testdrv \(x86\) references missing devices.cmd variable: SVC/);
      assert.match(missing, /driver testdrv \(x86\) references missing devices.cmd variable: HWIDS/);
      const empty = await failure(tree(), spec, { vars: { SVC: " ", HWIDS: "  " } });
      assert.match(empty, /driver testdrv \(amd64\) devices.cmd variable SVC is empty/);
      assert.match(empty, /driver testdrv \(amd64\) devices.cmd variable HWIDS is empty/);
    });

    it("fails when the expected hardware ID appears only in a comment", async () => {
      const inf = TEST_INF.replace(/%Desc% = Install, PCI\\VEN_1234&DEV_5678/g, "; %Desc% = Install, PCI\\VEN_1234&DEV_5678");
      const msg = await failure(tree({}, inf));
      assert.match(msg, /driver testdrv \(x86\) INF files missing expected hardware ID pattern: PCI\\\\VEN_1234&DEV_5678/);
    });

    it("reduces hardware IDs from a devices.cmd variable to PCI\\VEN_xxxx&DEV_yyyy and escapes them", async () => {
      const spec = specWith([{ ...TESTDRV, expected_hardware_ids: [], expected_hardware_ids_from_devices_cmd_var: "TEST_HWIDS" }]);
      const vars = { TEST_HWIDS: '"PCI\\VEN_1234&DEV_5678&SUBSYS_00011234&REV_01" PCI\\VEN_1234&DEV_5678' };
      assert.equal((await check(tree(), spec, { vars })).length, 8);
      const msg = await failure(tree(), spec, { vars: { TEST_HWIDS: '"PCI\\VEN_1234&DEV_9999&REV_01"' } });
      assert.match(msg, /missing expected hardware ID pattern: PCI\\\\VEN_1234\\&DEV_9999 /);
    });

    it("lists every missing hardware ID pattern, not only the first", async () => {
      const msg = await failure(tree(), specWith([{ ...TESTDRV, expected_hardware_ids: ["DEV_0001", "DEV_0002"] }]));
      assert.match(msg, /pattern: DEV_0001/);
      assert.match(msg, /pattern: DEV_0002/);
    });

    it("fails when the INF's CatalogFile is missing, naming file and INF", async () => {
      const msg = await failure(tree({}, TEST_INF.replace("CatalogFile = test.cat", "CatalogFile.NTx86 = missing.cat")));
      assert.match(msg, /driver testdrv \(x86\) INF referenced files are missing from the packaged driver directory \(drivers\/x86\/testdrv\):[^\n]*\n\s*- missing.cat \(referenced by: test.inf\)/);
    });

    it("fails when a ServiceBinary or CopyINF target is missing", async () => {
      const inf = `${TEST_INF.replace("%12%\\test.sys", "\\SystemRoot\\system32\\drivers\\missing.sys")}\n[Extra]\nCopyINF = other.inf\n`;
      const msg = await failure(tree({}, inf));
      assert.match(msg, /- missing.sys \(referenced by: test.inf\)/);
      assert.match(msg, /- other.inf \(referenced by: test.inf\)/);
    });

    it("asks for the KMDF coinstaller when the INF needs one", async () => {
      const msg = await failure(tree({}, `${TEST_INF}\n[Install.Wdf]\nKmdfService = TestSvc, WdfCoInstaller_Sect\n`));
      assert.match(msg, /- WdfCoInstaller\*\.dll \(referenced by: test.inf\)/);
      assert.match(msg, /KMDF drivers often require the KMDF coinstaller DLL/);
    });

    it("does not ask for a coinstaller mentioned only in a comment", async () => {
      assert.equal((await check(tree({}, `; WdfCoInstaller01009.dll is not needed\n${TEST_INF}`))).length, 8);
    });

    it("reports a referenced file the policy left out as a build artifact, and allow_extensions brings it back", async () => {
      const inf = TEST_INF.replace("test.dll = 1", "test.dll = 1\nsymbols.pdb = 1");
      const extra = { "drivers/x86/testdrv/symbols.pdb": "p", "drivers/amd64/testdrv/symbols.pdb": "p" };
      const msg = await failure(tree(extra, inf));
      assert.match(msg, /- symbols.pdb \(referenced by: test.inf\)/);
      const out = await check(tree(extra, inf), specWith([{ ...TESTDRV, allow_extensions: [".PDB"] }]));
      assert.ok(relPaths(out).includes("drivers/amd64/testdrv/symbols.pdb"));
    });
  });

  describe("devices.cmd variables", () => {
    const spec = specWith([{ ...TESTDRV, expected_add_services: [], expected_add_services_from_devices_cmd_var: "TEST_SVC" }]);

    it("are read from config/devices.cmd in the stream", async () => {
      const out = await check(tree({ "config/devices.cmd": "@echo off\r\nset \"TEST_SVC=TestSvc\"\r\n" }), spec);
      assert.ok(relPaths(out).includes("config/devices.cmd"));
    });

    it("come from the replaced on-disk devices.cmd, overridden by the generated one", async () => {
      const generated = new Vinyl({ cwd: "/g", base: "/g", path: "/g/config/devices.cmd", contents: Buffer.from("set OTHER=1\r\n") });
      Object.assign(generated, { aeroReplacedDevicesCmd: Buffer.from("set TEST_SVC=TestSvc\r\nset OTHER=0\r\n") });
      assert.equal((await check(tree(), spec, { extraFiles: [generated] })).length, 9);

      const overriding = new Vinyl({ cwd: "/g", base: "/g", path: "/g/config/devices.cmd", contents: Buffer.from("set TEST_SVC=Nope\r\n") });
      Object.assign(overriding, { aeroReplacedDevicesCmd: Buffer.from("set TEST_SVC=TestSvc\r\n") });
      assert.match(await failure(tree(), spec, { extraFiles: [overriding] }), /missing expected AddService directive\(s\): Nope/);
    });

    it("given as an option replace those of the stream", async () => {
      const root = tree({ "config/devices.cmd": "set TEST_SVC=Nope\r\n" });
      assert.equal((await check(root, spec, { vars: { test_svc: "TestSvc" } })).length, 9);
    });
  });

  describe("reporting", () => {
    it("collects every problem of every driver and arch, and those of earlier plugins, into one grouped error", async () => {
      const root = tree({
        "config/secret.pem": "k",
        "drivers/x86/other/x.txt": "x",
      });
      rmSync(path.join(root, "drivers/amd64/testdrv/test.sys"));
      writeFileSync(path.join(root, "drivers/x86/testdrv/test.inf"), TEST_INF.replace("CatalogFile = test.cat", "CatalogFile = gone.cat"));
      const report = new ProblemReport();
      report.error({ rule: "earlier", group: "guest-tools", message: "a problem an earlier plugin found" });
      const msg = await failure(root, specWith([TESTDRV, { name: "other", required: true }]), { report });
      assert.match(msg, /^\d+ problems found:/);
      for (const heading of ["guest-tools:", "other (amd64):", "other (x86):", "testdrv (amd64):", "testdrv (x86):"]) {
        assert.ok(msg.includes(`\n${heading}\n`), `missing group ${heading} in\n${msg}`);
      }
      assert.match(msg, /a problem an earlier plugin found/);
      assert.match(msg, /refusing to package private key material in config directory: config\/secret.pem/);
      assert.match(msg, /driver other \(x86\) is incomplete/);
      assert.match(msg, /required driver directory missing: other \(amd64\)/);
      assert.match(msg, /driver testdrv \(amd64\) is incomplete/);
      assert.match(msg, /- gone.cat \(referenced by: test.inf\)/);
      assert.match(msg, /fix: /);
    });

    it("fails on problems an earlier plugin reported even when every driver is fine", async () => {
      const report = new ProblemReport();
      report.error({ rule: "earlier", message: "guest tools missing required file: setup.cmd" });
      assert.match(await failure(tree(), specWith(), { report }), /guest tools missing required file: setup.cmd \[earlier\]/);
    });

    it("does not change the output when excluded files are added to the input", async () => {
      const junk = {
        "drivers/x86/testdrv/test.pdb": "pdb",
        "drivers/amd64/testdrv/obj/test.obj": "obj",
        "drivers/x86/testdrv/Thumbs.db": "t",
        "drivers/amd64/testdrv/.DS_Store": "d",
        "drivers/x86/testdrv/__MACOSX/._test.inf": "m",
        "config/desktop.ini": "d",
        "tools/x/tool.log": "l",
      };
      const snapshot = async (files: Vinyl[]) => Promise.all(files.map(async (f) => [f.relative, (await contentsOf(f)).toString("hex")]));
      const base = await snapshot(await check(tree({ "config/a.txt": "a", "tools/x/tool.exe": "e" })));
      const withJunk = await snapshot(await check(tree({ "config/a.txt": "a", "tools/x/tool.exe": "e", ...junk })));
      assert.deepEqual(withJunk, base);
    });
  });

  describe("validateDrivers (the pure core)", () => {
    it("checks paths and INF texts without streams, renaming alias directories", () => {
      const spec = specWith([{ name: "aerogpu", required: true, expected_add_services: ["TestSvc"] }]);
      const files = ["x86", "amd64"].flatMap((arch) => [
        { path: `drivers/${arch}/aero-gpu/test.inf`, infText: TEST_INF },
        { path: `drivers/${arch}/aero-gpu/test.sys` },
        { path: `drivers/${arch}/aero-gpu/test.cat` },
        { path: `drivers/${arch}/aero-gpu/test.dll` },
      ]);
      const result = validateDrivers(spec, files, new Map());
      assert.ok(result.report.ok, result.report.formatErrors());
      assert.equal(result.outputPaths.get("drivers/x86/aero-gpu/test.sys"), "drivers/x86/aerogpu/test.sys");
      assert.equal(result.report.warnings.length, 2);
    });
  });

  it("reads the bytes of a driver's INF only, not its payload", async () => {
    // A .sys that cannot be read would fail the run if validateSpec tried to read it.
    const root = tree();
    const files = await readTree(root);
    rmSync(path.join(root, "drivers/x86/testdrv/test.sys"));
    const out = await runPlugins(files, validateSpec(specWith()));
    assert.equal(out.length, 8);
    assert.equal(readFileSync(path.join(root, "drivers/x86/testdrv/test.inf"), "utf8"), TEST_INF);
  });
});
