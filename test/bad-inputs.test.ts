/**
 * Bad inputs: each broken input ends in one clear error (naming the file or the flag, and the
 * rule), a failure, and an out dir holding exactly what it held before (or still missing).
 *
 * Every case runs in process through buildGuestToolsMedia (fast); the cases marked `gulp` also
 * run as a real `gulp guest-tools` child process, which must exit non-zero with the same message.
 * A read-only and a full out dir are tmpfs mounts made inside a private mount namespace
 * (`unshare`), so nothing outlives the test; they are skipped, saying why, where that is not
 * allowed. Tests run as root here, where chmod 000 blocks nothing: the unreadable-file case
 * then uses a directory where the file should be, and the chmod case runs only for other users.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants as fsConstants, cpSync, existsSync, openSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildGuestToolsMedia, type GuestToolsMediaOptions } from "../plugins/guest-tools-media/index.js";
import type { ProgressSink } from "../plugins/shared/progress.js";
import { setReadHook } from "../plugins/shared/contents.js";
import { cleanupTempDirs, copySample, REPO, runGulp, snapshotDir, tempDir } from "./support/fixtures.js";

const OUTPUTS = ["aero-guest-tools.iso", "aero-guest-tools.zip", "manifest.json"];

interface Ctx {
  root: string;
  drivers: string;
  guestTools: string;
  spec: string;
  /** The out dir given to the build; filled with "previous outputs" unless a case changes it. */
  out: string;
  /** Extra in-process options. */
  options: Partial<GuestToolsMediaOptions>;
  /** Extra gulp flags. */
  flags: string[];
}

interface Case {
  name: string;
  setup(ctx: Ctx): void;
  /** The message must match (in process: the error; gulp: its output). */
  expect: RegExp;
  /** Also run as a real gulp child process. */
  gulp?: boolean;
  /** In process only (the case needs a hook into the running build). */
  inProcessOnly?: boolean;
  /** Skip with this reason when it returns a string. */
  skip?: () => string | undefined;
  /** A shorter timeout, for cases that would hang without the fix. */
  timeout?: number;
  /** Undo what could keep the process alive (e.g. a reader blocked on a FIFO). */
  cleanup?: (ctx: Ctx) => void;
}

const rm = (p: string) => rmSync(p, { recursive: true, force: true });
const write = (p: string, data: string | Buffer) => {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, data);
};
const isRoot = () => process.getuid?.() === 0;

/** Delete or change a file once the build has listed and checked everything, before it reads the payload. */
function atWritePhase(act: () => void): ProgressSink {
  return {
    phase(name) {
      if (name.startsWith("writing")) act();
    },
    advance() {},
    end() {},
  };
}

const specText = (ctx: Ctx) => readFileSync(ctx.spec, "utf8");

const CASES: Case[] = [
  // Missing files and folders
  { name: "the drivers dir is missing", setup: (c) => rm(c.drivers), expect: /drivers dir \(--drivers-dir\) not found: .*drivers/, gulp: true },
  { name: "the guest-tools dir is missing", setup: (c) => rm(c.guestTools), expect: /guest-tools dir \(--guest-tools-dir\) not found: .*guest-tools/ },
  { name: "the spec file is missing", setup: (c) => rm(c.spec), expect: /packaging spec not found or unreadable: .*spec\.json \(--spec\)/, gulp: true },
  { name: "the drivers dir is a file", setup: (c) => (rm(c.drivers), write(c.drivers, "not a folder")), expect: /drivers dir \(--drivers-dir\) is not a directory/ },
  { name: "setup.cmd is missing", setup: (c) => rm(path.join(c.guestTools, "setup.cmd")), expect: /setup\.cmd/ },
  { name: "config/devices.cmd is missing", setup: (c) => rm(path.join(c.guestTools, "config/devices.cmd")), expect: /config\/devices\.cmd/ },
  { name: "a required driver is missing for one arch", setup: (c) => rm(path.join(c.drivers, "x86/virtio-blk")), expect: /virtio-blk.*x86|x86.*virtio-blk/ },
  { name: "an expected INF is missing", setup: (c) => rm(path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.inf")), expect: /aero_virtio_net\.inf/ },
  { name: "a file an INF references is missing", setup: (c) => rm(path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.sys")), expect: /aero_virtio_net\.sys/ },
  { name: "no certificate under the test signing policy", setup: (c) => rm(path.join(c.guestTools, "certs/aero-test-signing.cer")), expect: /certs/ },
  {
    name: "the device contract named by the flag is missing",
    setup: (c) => {
      c.options.windowsDeviceContract = path.join(c.root, "nope.json");
      c.flags.push("--windows-device-contract", path.join(c.root, "nope.json"));
    },
    expect: /windows device contract not found or unreadable: .*nope\.json/,
  },

  // Unreadable: a directory where a file is expected, chmod 000 (non-root only)
  { name: "setup.cmd is a directory", setup: (c) => (rm(path.join(c.guestTools, "setup.cmd")), write(path.join(c.guestTools, "setup.cmd/x"), "x")), expect: /setup\.cmd/ },
  { name: "the spec is a directory", setup: (c) => (rm(c.spec), mkdirSync(c.spec)), expect: /packaging spec .*spec\.json is a directory, not a regular file \(--spec\)/ },
  {
    name: "an INF is a directory",
    setup: (c) => {
      const inf = path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.inf");
      rm(inf);
      write(path.join(inf, "inner.txt"), "x");
    },
    expect: /aero_virtio_net\.inf/,
  },
  {
    name: "a payload file is unreadable (chmod 000)",
    skip: () => (isRoot() ? "running as root, where chmod 000 does not block reads (covered by the directory cases)" : undefined),
    setup: (c) => chmodSync(path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.sys"), 0o000),
    expect: /aero_virtio_net\.sys.*(permission denied|EACCES)|(permission denied|EACCES).*aero_virtio_net\.sys/,
  },

  // Changed between listing and reading
  {
    name: "a file is removed between listing and reading",
    inProcessOnly: true,
    setup: (c) => (c.options.progress = atWritePhase(() => rm(path.join(c.guestTools, "tools/collect-logs.cmd")))),
    expect: /collect-logs\.cmd/,
  },
  {
    name: "a file shrinks between listing and reading",
    inProcessOnly: true,
    setup: (c) => (c.options.progress = atWritePhase(() => truncateSync(path.join(c.guestTools, "tools/collect-logs.cmd"), 3))),
    expect: /changed while being packaged: .*collect-logs\.cmd/,
  },
  {
    name: "a file grows between listing and reading",
    inProcessOnly: true,
    setup: (c) => (c.options.progress = atWritePhase(() => writeFileSync(path.join(c.guestTools, "tools/collect-logs.cmd"), "x".repeat(100_000)))),
    expect: /changed while being packaged: .*collect-logs\.cmd/,
  },
  {
    name: "a file becomes a directory between listing and reading",
    inProcessOnly: true,
    setup: (c) =>
      (c.options.progress = atWritePhase(() => {
        const f = path.join(c.guestTools, "tools/collect-logs.cmd");
        rm(f);
        mkdirSync(f);
      })),
    expect: /EISDIR.*collect-logs\.cmd|collect-logs\.cmd.*EISDIR/,
  },

  // Broken spec JSON
  { name: "the spec JSON is truncated", setup: (c) => write(c.spec, specText(c).slice(0, 200)), expect: /packaging spec .*spec\.json is invalid.*\n.*not valid JSON at line \d+, column \d+/, gulp: true },
  { name: "the spec is not UTF-8", setup: (c) => write(c.spec, Buffer.concat([Buffer.from('{"drivers": ["'), Buffer.from([0xff, 0xfe]), Buffer.from('"]}')])), expect: /spec\.json is invalid.*\n.*not valid UTF-8/ },
  { name: "the spec file is empty", setup: (c) => write(c.spec, ""), expect: /spec\.json is invalid.*\n.*not valid JSON/ },
  { name: "the spec repeats a key", setup: (c) => write(c.spec, specText(c).replace('"required": true,', '"required": true, "required": false,')), expect: /duplicate field "required"/ },
  { name: "the spec has an unknown field", setup: (c) => write(c.spec, specText(c).replace('"drivers":', '"drivers_x": [], "drivers":')), expect: /unknown field "drivers_x"/ },
  { name: "the spec has a broken regex", setup: (c) => write(c.spec, specText(c).replace("&REV_01", "&REV_01(")), expect: /cannot compile expected_hardware_ids pattern/ },
  { name: "the spec is a JSON array", setup: (c) => write(c.spec, "[]"), expect: /spec\.json is invalid.*\n.*must be object/ },
  {
    name: "the device contract is corrupt JSON",
    setup: (c) => {
      write(path.join(c.root, "contract.json"), '{"schema_version": 1, "devices": [');
      c.options.windowsDeviceContract = path.join(c.root, "contract.json");
      c.flags.push("--windows-device-contract", path.join(c.root, "contract.json"));
    },
    expect: /invalid windows device contract .*contract\.json.*\n.*not valid JSON/,
    gulp: true,
  },

  // Symlinks (never followed, so loops cannot hang the walk)
  {
    name: "a symlink loop",
    setup: (c) => {
      symlinkSync("b", path.join(c.guestTools, "tools/a"));
      symlinkSync("a", path.join(c.guestTools, "tools/b"));
    },
    expect: /symlink.*tools\/a|tools\/a.*symlink/i,
    gulp: true,
  },
  { name: "a folder symlinked to its parent", setup: (c) => symlinkSync("..", path.join(c.guestTools, "tools/up")), expect: /symlink.*tools\/up|tools\/up.*symlink/i },
  { name: "a dangling symlink", setup: (c) => symlinkSync("gone.cer", path.join(c.guestTools, "certs/old.cer")), expect: /symlink.*certs\/old\.cer|certs\/old\.cer.*symlink/i },

  // Refused payloads
  { name: "a private key among the certificates", setup: (c) => write(path.join(c.guestTools, "certs/signing.pfx"), "key"), expect: /private key.*certs\/signing\.pfx/, gulp: true },
  { name: "a Windows-invalid file name", setup: (c) => write(path.join(c.guestTools, "tools/a:b.txt"), "x"), expect: /Windows-invalid.*a:b\.txt/ },
  { name: "a file name that is not UTF-8", setup: (c) => writeFileSync(Buffer.from(`${c.guestTools}/tools/bad-\xff.txt`, "latin1") as unknown as string, "x"), expect: /non-UTF-?8 path component: .*tools\/bad-\\xFF\.txt/i },
  { name: "one driver under two arch folder spellings", setup: (c) => cpSync(path.join(c.drivers, "amd64"), path.join(c.drivers, "x64"), { recursive: true }), expect: /two input files map to drivers\/amd64\// },

  // Out dir
  { name: "the out dir is a file", setup: (c) => (rm(c.out), write(c.out, "a file")), expect: /out dir is not a directory/, gulp: true },
  { name: "the out dir's parent is a file", setup: (c) => (write(path.join(c.root, "plain"), "file"), (c.out = path.join(c.root, "plain/dist"))), expect: /cannot create the out dir .*plain\/dist: ENOTDIR/, gulp: true },
  { name: "the out dir is a dangling symlink", setup: (c) => (rm(c.out), symlinkSync(path.join(c.root, "unmounted"), c.out)), expect: /cannot create the out dir .*EEXIST/ },
  { name: "the out dir's parent is a dangling symlink", setup: (c) => (symlinkSync(path.join(c.root, "unmounted"), path.join(c.root, "link")), (c.out = path.join(c.root, "link/dist"))), expect: /cannot create the out dir .*link\/dist/ },
  { name: "the out dir is under /proc", setup: (c) => (c.out = `/proc/self/aero-${process.pid}`), expect: /cannot create the out dir \/proc\/self\/aero-\d+: ENOENT/ },
  {
    name: "an output's name is taken by a folder",
    setup: (c) => (rm(path.join(c.out, "aero-guest-tools.zip")), write(path.join(c.out, "aero-guest-tools.zip/keep.txt"), "mine")),
    expect: /cannot replace .*aero-guest-tools\.zip: it is a directory/,
    gulp: true,
  },

  // Issue 13 item 1 (one truth per file): changed between the first and the last look at it
  ...[
    ["overwritten in place with the same size", (f: string) => writeFileSync(f, Buffer.alloc(statSync(f).size, "Z"), { flag: "r+" })],
    ["replaced by a rename with the same size", (f: string) => (writeFileSync(`${f}.new`, Buffer.alloc(statSync(f).size, "Y")), renameSync(`${f}.new`, f))],
  ].map(([how, change]): Case => ({
    name: `a payload file is ${how as string} while it is read`,
    inProcessOnly: true,
    setup: (c) => {
      const target = path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.sys");
      setReadHook((p) => {
        if (p !== target) return;
        setReadHook(undefined);
        (change as (f: string) => void)(target);
      });
    },
    expect: /changed while being packaged: .*aero_virtio_net\.sys.*nothing was written/,
  })),
];

// Loaded documents (issue 13 item 3): each must be a regular file within its size cap, refused
// before it is read, never blocking on open. A FIFO case would hang forever without the fix, so
// those cases have a short timeout and unblock a stuck reader afterwards.
const mkfifo = (p: string) => {
  rm(p);
  const r = spawnSync("mkfifo", [p]);
  assert.equal(r.status, 0, `mkfifo ${p}: ${r.stderr}`);
};
/** Open a FIFO for writing without blocking and close it: a reader stuck in open() gets EOF. */
const releaseFifo = (p: string) => {
  try {
    closeSync(openSync(p, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
  } catch {
    /* no reader waiting */
  }
};
const contractFlag = (c: Ctx, file: string) => {
  c.options.windowsDeviceContract = file;
  c.flags.push("--windows-device-contract", file);
};
const DOCUMENT_CASES: Case[] = [
  {
    name: "the spec is a FIFO",
    setup: (c) => mkfifo(c.spec),
    expect: /packaging spec .*spec\.json is a FIFO, not a regular file \(--spec\)/,
    gulp: true,
    timeout: 60_000,
    cleanup: (c) => releaseFifo(c.spec),
  },
  {
    name: "the device contract named by the flag is a FIFO",
    setup: (c) => {
      mkfifo(path.join(c.root, "contract.json"));
      contractFlag(c, path.join(c.root, "contract.json"));
    },
    expect: /windows device contract .*contract\.json is a FIFO, not a regular file \(--windows-device-contract\)/,
    gulp: true,
    timeout: 60_000,
    cleanup: (c) => releaseFifo(path.join(c.root, "contract.json")),
  },
  { name: "the spec is /dev/zero", setup: (c) => (c.spec = "/dev/zero"), expect: /packaging spec \/dev\/zero is a character device, not a regular file \(--spec\)/, gulp: true, timeout: 60_000 },
  {
    name: "the device contract is /dev/zero",
    setup: (c) => contractFlag(c, "/dev/zero"),
    expect: /windows device contract \/dev\/zero is a character device, not a regular file \(--windows-device-contract\)/,
    timeout: 60_000,
  },
  {
    name: "the spec is over 4 MiB (whitespace padding)",
    setup: (c) => write(c.spec, `${" ".repeat(5 * 1024 * 1024)}${specText(c)}`),
    expect: /packaging spec .*spec\.json is 5\.0 MiB, over the 4 MiB limit for a packaging spec \(--spec\)/,
  },
  {
    name: "config/devices.cmd is 3 MiB (sparse)",
    setup: (c) => truncateSync(path.join(c.guestTools, "config/devices.cmd"), 3 * 1024 * 1024),
    expect: /config\/devices\.cmd is 3\.0 MiB, over the 1 MiB limit for devices\.cmd/,
    gulp: true,
  },
  {
    name: "an INF is 17 MiB (sparse)",
    setup: (c) => truncateSync(path.join(c.drivers, "amd64/virtio-net/aero_virtio_net.inf"), 17 * 1024 * 1024),
    expect: /INF drivers\/amd64\/virtio-net\/aero_virtio_net\.inf is 17\.0 MiB, over the 16 MiB limit for an INF/,
  },
  {
    name: "a certificate is 2 MiB",
    setup: (c) => write(path.join(c.guestTools, "certs/aero-test-signing.cer"), Buffer.alloc(2 * 1024 * 1024, 0x30)),
    expect: /certificate certs\/aero-test-signing\.cer is 2\.0 MiB, over the 1 MiB limit for a certificate/,
  },
  {
    name: "a spec pattern of 5,000 characters",
    setup: (c) => write(c.spec, specText(c).replace(/"PCI[^"]*DEV_1041[^"]*"/, `"${"a".repeat(5000)}"`)),
    expect: /expected_hardware_ids\/\d+: must NOT have more than 4096 characters/,
  },
];
CASES.push(...DOCUMENT_CASES);

const digest = (b: Buffer | string) => createHash("sha256").update(b).digest("hex").slice(0, 16);

/** What a path holds, compactly: a dir's files and their hashes, a file's hash, or nothing. */
function state(p: string): string {
  let st;
  try {
    st = statSync(p);
  } catch {
    return "missing";
  }
  if (!st.isDirectory()) return `file ${digest(readFileSync(p))}`;
  return [...snapshotDir(p)].map(([name, b64]) => `${name} ${digest(b64)}`).join("\n");
}

function freshCtx(): Ctx {
  const s = copySample();
  const out = path.join(s.root, "dist");
  mkdirSync(out);
  for (const n of OUTPUTS) writeFileSync(path.join(out, n), `the previous ${n}\n`);
  writeFileSync(path.join(out, "notes.txt"), "not ours\n");
  return { root: s.root, drivers: s.drivers, guestTools: s.guestTools, spec: s.spec, out, options: {}, flags: [] };
}

function gulpArgs(c: Ctx): string[] {
  return ["guest-tools", "--drivers-dir", c.drivers, "--guest-tools-dir", c.guestTools, "--spec", c.spec, "--out-dir", c.out, ...c.flags];
}

describe("bad inputs: a clear error, a failure, the out dir as it was", function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it(`the matrix has at least 30 distinct cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 30);
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  });

  for (const bad of CASES) {
    it(`${bad.name}${bad.gulp ? " (also a real gulp run)" : ""}`, async function () {
      const reason = bad.skip?.();
      if (reason) this.skip();
      if (bad.timeout) this.timeout(bad.timeout);
      const ctx = freshCtx();
      bad.setup(ctx);
      const watched = ctx.out;
      const before = state(watched);
      // A build stuck on the input is released shortly before the timeout, so the test fails instead of hanging the run.
      const release = bad.cleanup && bad.timeout ? setTimeout(() => bad.cleanup!(ctx), bad.timeout - 5000) : undefined;
      try {
        await assert.rejects(
          buildGuestToolsMedia({ driversDir: ctx.drivers, guestToolsDir: ctx.guestTools, spec: ctx.spec, outDir: ctx.out, cwd: ctx.root, ...ctx.options }),
          (err: Error) => {
            assert.match(err.message, bad.expect);
            assert.notEqual((err as Error & { showStack?: boolean }).showStack, true, `a user mistake reported with a stack: ${err.stack}`);
            return true;
          },
        );
        assert.equal(state(watched), before, "the out dir changed");
        if (bad.gulp && !bad.inProcessOnly) {
          const r = runGulp(gulpArgs(ctx), { cwd: ctx.root });
          const output = `${r.stdout}\n${r.stderr}`;
          assert.notEqual(r.status, 0, `gulp succeeded:\n${output}`);
          assert.match(output.replace(/\x1b\[[0-9;]*m/g, ""), bad.expect);
          assert.doesNotMatch(output, /^\s+at .*\(.*:\d+:\d+\)$/m, "gulp printed a stack trace");
          assert.equal(state(watched), before, "the out dir changed (gulp)");
        }
      } finally {
        clearTimeout(release);
        bad.cleanup?.(ctx);
        if (!isRoot()) chmodSync(path.join(ctx.drivers, "amd64/virtio-net/aero_virtio_net.sys"), 0o644);
      }
    });
  }

  it("a broken input with no out dir yet leaves no out dir behind", async () => {
    const ctx = freshCtx();
    const out = path.join(ctx.root, "new/dist");
    rm(path.join(ctx.drivers, "amd64/virtio-net/aero_virtio_net.sys"));
    await assert.rejects(buildGuestToolsMedia({ driversDir: ctx.drivers, guestToolsDir: ctx.guestTools, spec: ctx.spec, outDir: out, cwd: ctx.root }));
    assert.equal(existsSync(path.join(ctx.root, "new")), false);
  });

  it("a build given no drivers (neither driversDir nor driversSource) is refused, naming both options", async () => {
    const ctx = freshCtx();
    const before = state(ctx.out);
    await assert.rejects(buildGuestToolsMedia({ guestToolsDir: ctx.guestTools, spec: ctx.spec, outDir: ctx.out, cwd: ctx.root }), /give driversDir .* or driversSource/);
    assert.equal(state(ctx.out), before);
  });

  it("a bad flag value is refused before anything is read (gulp)", () => {
    const ctx = freshCtx();
    const before = state(ctx.out);
    const r = runGulp([...gulpArgs(ctx), "--source-date-epoch", "yesterday"], { cwd: ctx.root });
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}${r.stderr}`, /--source-date-epoch/);
    assert.equal(state(ctx.out), before);
  });

  describe("an out dir on a mount that fails the writes (private mount namespace)", () => {
    /**
     * Run gulp inside `unshare --mount` with a tmpfs of `size` mounted on the out dir, holding
     * copies of the previous outputs (remounted read-only when asked). Prints the gulp output,
     * then "::status N" and the sha256 listing of the out dir, taken inside the namespace.
     */
    function gulpOnMount(ctx: Ctx, size: string, readOnly: boolean): { status: number; output: string; listing: string } | string {
      const prev = path.join(ctx.root, "prev");
      renameSync(ctx.out, prev);
      mkdirSync(ctx.out);
      const tsx = path.join(REPO, "node_modules/tsx/dist/cjs/index.cjs");
      const gulp = path.join(REPO, "node_modules/gulp/bin/gulp.js");
      const script = [
        'out="$1"; prev="$2"; shift 2',
        `mount -t tmpfs -o size=${size} tmpfs "$out" || exit 97`,
        'cp -a "$prev"/. "$out"/ || exit 98',
        ...(readOnly ? ['mount -o remount,ro "$out" || exit 99'] : []),
        '"$@" 2>&1; status=$?',
        'echo "::status $status"',
        'cd "$out" && find . -type f -exec sha256sum {} + | LC_ALL=C sort',
      ].join("\n");
      const command = [process.execPath, "--require", tsx, gulp, "--gulpfile", path.join(REPO, "gulpfile.ts"), "--cwd", ctx.root, ...gulpArgs(ctx)];
      for (const unshare of [["unshare", "--mount", "--propagation", "private"], ["unshare", "--user", "--map-root-user", "--mount"]]) {
        const r = spawnSync(unshare[0]!, [...unshare.slice(1), "sh", "-c", script, "sh", ctx.out, prev, ...command], {
          encoding: "utf8",
          env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
          timeout: 120_000,
        });
        const m = /^::status (\d+)$/m.exec(r.stdout ?? "");
        if (r.status === 0 && m) {
          const at = r.stdout.indexOf("::status");
          return { status: Number(m[1]), output: r.stdout.slice(0, at), listing: r.stdout.slice(r.stdout.indexOf("\n", at) + 1) };
        }
      }
      return "cannot mount a tmpfs in a private mount namespace here (needs root or user namespaces)";
    }

    const listingOf = (dir: string) =>
      spawnSync("sh", ["-c", 'cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort', "sh", dir], { encoding: "utf8" }).stdout;

    for (const [what, size, readOnly, expect] of [
      ["read-only", "1m", true, /cannot write .*dist\/aero-guest-tools\.(iso|zip) .*EROFS/],
      ["full", "96k", false, /cannot write .*dist\/aero-guest-tools\.(iso|zip) .*ENOSPC/],
    ] as const) {
      it(`a ${what} out dir: a clear error, exit non-zero, the previous outputs intact (gulp)`, function () {
        const ctx = freshCtx();
        const wanted = listingOf(ctx.out);
        const r = gulpOnMount(ctx, size, readOnly);
        if (typeof r === "string") this.skip();
        assert.notEqual(r.status, 0, r.output);
        assert.match(r.output, expect);
        assert.equal(r.listing, wanted, "the out dir changed");
      });
    }
  });
});
