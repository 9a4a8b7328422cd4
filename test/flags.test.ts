import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { FlagError, GUEST_TOOLS_FLAGS, parseFlags, parseGuestToolsFlags, parseIsoFlags, parseIsoLsFlags, rawArgv } from "../tasks/flags.js";
import { DIFF_FLAGS, VERIFY_FLAGS } from "../tasks/release.js";
import { parseVirtioWinFlags } from "../tasks/virtio-win.js";
import { cleanupTempDirs, tempDir } from "./support/fixtures.js";

/**
 * gulp-cli's own option table (its yargs options), read here independently of tasks/flags.ts, so
 * an option a gulp-cli upgrade adds is covered by the tests below without editing them.
 */
const fromGulpCli = createRequire(createRequire(createRequire(import.meta.url).resolve("gulp")).resolve("gulp-cli"));
const gulpCliTable = fromGulpCli("./lib/shared/options/cli-options.js") as Record<string, { alias?: string | string[]; type?: string }>;

/** What gulp-cli's own yargs makes of argv. */
function gulpCliParse(argv: string[]): { _: unknown[]; [k: string]: unknown } {
  const yargs = fromGulpCli("yargs") as (a: string[]) => { help(b: boolean): any };
  return yargs(argv).help(false).version(false).exitProcess(false).options(gulpCliTable).parse();
}

function gulpCliSpellings(): Array<{ option: string; words: string[][] }> {
  const table = gulpCliTable;
  return Object.entries(table).map(([option, o]) => {
    const aliases = o.alias === undefined ? [] : ([] as string[]).concat(o.alias);
    const camel = [option, ...aliases].filter((n) => n.includes("-")).map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    const spellings = [option, ...aliases, ...camel].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    const takesValue = o.type === "string" || o.type === "number";
    const words = spellings.flatMap((w) =>
      takesValue ? [[w, "3"], ...(w.startsWith("--") ? [[`${w}=3`]] : [])] : [[w], ...(w.startsWith("--") && !w.startsWith("--no-") && o.type === "boolean" ? [[`--no-${w.slice(2)}`]] : [])],
    );
    return { option, words };
  });
}

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
      checksums: false,
      sbom: false,
      selfCheck: false,
      quiet: false,
    });
  });

  it("reads --checksums, --sbom and --self-check as switches", () => {
    const f = parseGuestToolsFlags(["guest-tools", "--checksums", "--sbom", "--self-check"], {});
    assert.deepEqual([f.checksums, f.sbom, f.selfCheck], [true, true, true]);
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--checksums=yes"], {}), /--checksums takes no value/);
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

  it("accepts every option of gulp-cli's own table, in every spelling, before or after ours, without eating a value", () => {
    const options = gulpCliSpellings();
    assert.ok(options.length >= 15, "gulp-cli's option table was read");
    for (const { option, words } of options) {
      for (const w of words) {
        for (const argv of [["guest-tools", ...w, "--out-dir", "X"], ["guest-tools", "--out-dir", "X", ...w], ["guest-tools", "--out-dir=X", ...w, "--quiet"]]) {
          const f = parseGuestToolsFlags(argv, {});
          assert.equal(f.outDir, "X", `${option}: ${argv.join(" ")}`);
          // gulp-cli's own parser reads the same words the same way (the oracle for the arity).
          const seen = gulpCliParse(argv);
          assert.equal(seen["out-dir"], "X", `gulp-cli: ${argv.join(" ")}`);
          assert.deepEqual(seen._, ["guest-tools"], `gulp-cli positionals: ${argv.join(" ")}`);
        }
      }
    }
  });

  it("treats the README's problem cases as gulp-cli's: --series, -L, -LLL, -f FILE, --tasks-depth N", () => {
    for (const argv of [
      ["guest-tools", "--series", "--out-dir", "X"],
      ["guest-tools", "-L", "--out-dir", "X"],
      ["guest-tools", "-LLL", "--out-dir", "X"],
      ["guest-tools", "--log-level", "--out-dir", "X"],
      ["guest-tools", "-f", "gulpfile.ts", "--out-dir", "X"],
      ["guest-tools", "--gulpfile", "gulpfile.ts", "--out-dir", "X", "--continue"],
      ["guest-tools", "--sort-tasks", "--compact-tasks", "--tasks-depth", "2", "--out-dir", "X"],
      ["guest-tools", "--cwd", ".", "--preload", "x", "--color", "--no-color", "-S", "--out-dir", "X"],
    ]) {
      assert.equal(parseGuestToolsFlags(argv, {}).outDir, "X", argv.join(" "));
    }
    // -L takes no value: what follows is a task name, not swallowed
    assert.equal(parseGuestToolsFlags(["-L", "guest-tools", "--spec", "s.json"], {}).spec, "s.json");
  });

  it("still refuses an unknown flag, a missing value and a boolean with a value next to gulp-cli's options", () => {
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--series", "--outdir", "X"], {}), /unknown flag --outdir; accepted: --drivers-dir VALUE/);
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "-L", "-x"], {}), /unknown flag -x/);
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--out-dir", "--series"], {}), /--out-dir needs a value/);
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--out-dir=", "-L"], {}), /--out-dir needs a value/);
    assert.throws(() => parseGuestToolsFlags(["guest-tools", "--quiet=yes"], {}), /--quiet takes no value/);
  });

  it("takes --source-date-epoch=-5 and a value after gulp-cli's -f", () => {
    assert.equal(parseGuestToolsFlags(["-f", "g.ts", "--source-date-epoch=-5"], {}).sourceDateEpoch, -5n);
    assert.equal(parseIsoFlags(["iso", "-L", "--in-dir", "a", "--series", "--out-iso", "b.iso", "--volume-id", "V"], {}).outIso, "b.iso");
    assert.equal(parseIsoLsFlags(["iso-ls", "--iso", "a.iso", "--silent"]).iso, "a.iso");
  });
});

describe("path flags that are not UTF-8", () => {
  after(cleanupTempDirs);
  const FFFD = "\uFFFD";
  const pathFlags: Array<[string, (argv: string[]) => unknown, string[]]> = [
    ["--spec", (a) => parseGuestToolsFlags(a, {}), []],
    ["--drivers-dir", (a) => parseGuestToolsFlags(a, {}), []],
    ["--guest-tools-dir", (a) => parseGuestToolsFlags(a, {}), []],
    ["--out-dir", (a) => parseGuestToolsFlags(a, {}), []],
    ["--windows-device-contract", (a) => parseGuestToolsFlags(a, {}), []],
    ["--in-dir", (a) => parseIsoFlags(a, {}), ["--out-iso", "o.iso", "--volume-id", "V"]],
    ["--out-iso", (a) => parseIsoFlags(a, {}), ["--in-dir", "d", "--volume-id", "V"]],
    ["--iso", (a) => parseIsoLsFlags(a), []],
    ["--virtio-win-iso", (a) => parseVirtioWinFlags(a, {}), []],
    ...(["--iso", "--zip", "--manifest"] as const).map((f) => [f, (a: string[]) => parseFlags(a, VERIFY_FLAGS), []] as [string, (argv: string[]) => unknown, string[]]),
    ...(["--from", "--to"] as const).map((f) => [f, (a: string[]) => parseFlags(a, DIFF_FLAGS), []] as [string, (argv: string[]) => unknown, string[]]),
  ];

  it("refuses a U+FFFD (what Node makes of a byte that is not UTF-8) in every path flag, in both forms", () => {
    for (const [flag, parse, rest] of pathFlags) {
      for (const argv of [[flag, `bad${FFFD}.json`, ...rest], [`${flag}=bad${FFFD}.json`, ...rest]]) {
        assert.throws(() => parse(argv), (e: Error) => e instanceof FlagError && e.message.startsWith(`${flag} is not valid UTF-8: "bad${FFFD}.json" (Node decodes`), argv.join(" "));
      }
    }
  });

  it("accepts U+FFFD in a value that is not a path, and a UTF-8 path", () => {
    assert.equal(parseGuestToolsFlags(["--build-id", `x${FFFD}`], {}).buildId, `x${FFFD}`);
    assert.equal(parseGuestToolsFlags(["--spec", "spéc.json"], {}).spec, "spéc.json");
  });

  it("decides exactly from the raw bytes when they are known: \\xFF refused, a real U+FFFD accepted", () => {
    const ff = Buffer.concat([Buffer.from([0xff]), Buffer.from(".json")]);
    const real = Buffer.from(`${FFFD}.json`);
    for (const [argv, raw] of [
      [["--spec", `${FFFD}.json`], [Buffer.from("--spec"), ff]],
      [[`--spec=${FFFD}.json`], [Buffer.concat([Buffer.from("--spec="), ff])]],
    ] as Array<[string[], Buffer[]]>) {
      assert.throws(() => parseFlags(argv, GUEST_TOOLS_FLAGS, raw), /--spec is not valid UTF-8: "\\xFF\.json"; rename/);
    }
    assert.equal(parseFlags(["--spec", `${FFFD}.json`], GUEST_TOOLS_FLAGS, [Buffer.from("--spec"), real]).get("spec"), `${FFFD}.json`);
  });

  it("reads the raw bytes from /proc/self/cmdline only while it still holds this process's arguments", () => {
    const dir = tempDir();
    const intact = path.join(dir, "cmdline-intact");
    writeFileSync(intact, Buffer.concat([Buffer.from("node\0gulp.js\0guest-tools\0--spec\0"), Buffer.from([0xff]), Buffer.from(".json\0")]));
    const raw = rawArgv(["guest-tools", "--spec", `${FFFD}.json`], intact);
    assert.deepEqual(raw?.map((b) => b.toString("latin1")), ["guest-tools", "--spec", "\xff.json"]);
    // What Liftoff's process.title leaves: one string, padded with NULs.
    const titled = path.join(dir, "cmdline-titled");
    writeFileSync(titled, Buffer.concat([Buffer.from(`gulp guest-tools --spec ${FFFD}.json`), Buffer.alloc(20)]));
    assert.equal(rawArgv(["guest-tools", "--spec", `${FFFD}.json`], titled), undefined);
  });
});
