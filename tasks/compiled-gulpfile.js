// @ts-check
/**
 * Loads gulpfile.ts as one compiled CommonJS bundle instead of through tsx (issue 15). Through
 * tsx's require hook every module, ours and node_modules' alike, is lexed, every TypeScript file
 * has its source map parsed, and the sample build took about 2.1 s; the bundle (gulpfile.ts,
 * tasks/ and plugins/ in one file, packages left external) loads in a fraction of that.
 *
 * The bundle lives in .cache/gulpfile/ beside a stamp listing the SHA-256 of every file it was
 * made from (esbuild's own list of what it read, plus package.json and tsconfig.json). Each start
 * re-hashes those files (about 1 ms): any difference, a missing file or a missing bundle makes a
 * new one (about 0.3 s, in a child process, since a require hook must answer synchronously and
 * esbuild's plugins need its asynchronous API). So a fresh clone compiles on its first
 * `npx gulp`, an edit is picked up on the next run, and nothing is ever stale.
 *
 * JavaScript rather than TypeScript because it is what makes TypeScript loadable without tsx.
 * When esbuild cannot make the bundle (not installed, a syntax error, a read-only checkout) or
 * AERO_GULPFILE_LOADER=tsx is set, gulpfile.ts loads through tsx as before, which also reports
 * a syntax error the usual way.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), "..");
export const GULPFILE = path.join(ROOT, "gulpfile.ts");
export const CACHE_DIR = path.join(ROOT, ".cache/gulpfile");
/** Bump when the build options change: a stamp of another format is stale. */
const FORMAT = 2;
/** Read by esbuild besides the sources: they change how it compiles. */
const SETTINGS_FILES = ["package.json", "tsconfig.json"];

/**
 * @typedef {{ format: number, bundle: string, inputs: Record<string, string> }} Stamp
 *   `bundle`: file name in CACHE_DIR; `inputs`: path relative to ROOT → base64url SHA-256.
 */

/** @param {Buffer | string} bytes */
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("base64url");

/** @param {string} rel @returns {string | undefined} */
function hashOf(rel) {
  try {
    return sha256(readFileSync(path.join(ROOT, rel)));
  } catch {
    return undefined;
  }
}

/** @param {unknown} stamp @returns {stamp is Stamp} */
function isFresh(stamp) {
  if (typeof stamp !== "object" || stamp === null) return false;
  const s = /** @type {Partial<Stamp>} */ (stamp);
  if (s.format !== FORMAT || typeof s.bundle !== "string" || typeof s.inputs !== "object" || s.inputs === null) return false;
  for (const [rel, hash] of Object.entries(s.inputs)) if (hashOf(rel) !== hash) return false;
  return true;
}

/** The bundle to require, made now if the stamp does not match the sources; undefined if it cannot be made. */
export function compiledGulpfile() {
  try {
    const stamp = JSON.parse(readFileSync(path.join(CACHE_DIR, "stamp.json"), "utf8"));
    const bundle = isFresh(stamp) ? path.join(CACHE_DIR, stamp.bundle) : undefined;
    if (bundle && statSync(bundle).isFile()) return bundle;
  } catch {
    // no stamp yet, or unreadable: build
  }
  // Not the parent's execArgv (--require tsx, --cpu-prof, ...): the builder needs none of them.
  const r = spawnSync(process.execPath, [SELF, "build"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"], encoding: "utf8" });
  if (r.status !== 0) return undefined;
  try {
    return path.join(CACHE_DIR, /** @type {Stamp} */ (JSON.parse(r.stdout)).bundle);
  } catch {
    return undefined;
  }
}

/** The tsx require hook, registered on first need; it replaces ours for every later .ts file. */
function tsxHook() {
  require("tsx/cjs");
  return require.extensions[".ts"];
}

/**
 * Route gulp-cli's require of this checkout's gulpfile.ts to the bundle. Any other .ts file goes
 * to the hook registered before (tsx given with --require) or to tsx.
 */
export function registerCompiledGulpfile() {
  const previous = require.extensions[".ts"];
  require.extensions[".ts"] = function (module, filename) {
    const bundle = filename === GULPFILE && process.env.AERO_GULPFILE_LOADER !== "tsx" ? compiledGulpfile() : undefined;
    if (bundle) module.exports = require(bundle);
    else (previous ?? tsxHook())(module, filename);
  };
}

/**
 * `node tasks/compiled-gulpfile.js build`: bundle gulpfile.ts into CACHE_DIR, print the stamp.
 * Written under names derived from the content, each by rename, so concurrent runs never see a
 * half-written bundle or stamp; bundles no stamp names are removed a minute after they were made.
 */
async function build() {
  const esbuild = await import("esbuild");
  /** @type {Record<string, string>} */
  const inputs = {};
  for (const rel of SETTINGS_FILES) inputs[rel] = hashOf(rel) ?? "";
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [GULPFILE],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    keepNames: true, // a class's or function's .name stays what the source says
    sourcemap: "external", // used only under node --enable-source-maps
    sourcesContent: false,
    write: false,
    outfile: path.join(CACHE_DIR, "gulpfile.cjs"),
    logLevel: "silent",
    plugins: [
      {
        // What tsx does per file: import.meta.url is the source file's URL (paths like
        // new URL("../../specs/", import.meta.url) resolve as in the sources), and a source
        // loaded on first use with createRequire(import.meta.url)("./x.js") is found (tsx maps
        // it to x.ts): here it is bundled, still evaluated only when that line runs. Also records
        // the exact bytes compiled, so an edit during the build leaves a stale stamp, not a wrong one.
        name: "source-file-urls",
        setup(b) {
          b.onLoad({ filter: /\.(?:[cm]?ts|json)$/ }, (args) => {
            const bytes = readFileSync(args.path);
            inputs[path.relative(ROOT, args.path).split(path.sep).join("/")] = sha256(bytes);
            if (args.path.endsWith(".json")) return { contents: bytes, loader: "json" };
            const url = JSON.stringify(pathToFileURL(args.path).href);
            const text = bytes.toString("utf8").replace(/\bcreateRequire\(import\.meta\.url\)\((\s*(["'])\.\.?\/[^"']*\2\s*)\)/g, "require($1)");
            return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: "ts" };
          });
        },
      },
    ],
  });
  const code = result.outputFiles.find((f) => f.path.endsWith(".cjs"));
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
  if (!code || !map) throw new Error("esbuild wrote no bundle");
  const name = `gulpfile-${createHash("sha256").update(code.contents).digest("hex").slice(0, 16)}.cjs`;
  mkdirSync(CACHE_DIR, { recursive: true });
  const put = (/** @type {string} */ file, /** @type {string | Uint8Array} */ data) => {
    const temp = path.join(CACHE_DIR, `.${file}.${process.pid}.tmp`);
    writeFileSync(temp, data);
    renameSync(temp, path.join(CACHE_DIR, file));
  };
  put(`${name}.map`, map.contents);
  put(name, `${code.text}//# sourceMappingURL=${name}.map\n`);
  /** @type {Stamp} */
  const stamp = { format: FORMAT, bundle: name, inputs };
  put("stamp.json", `${JSON.stringify(stamp, null, 1)}\n`);
  const minuteAgo = Date.now() - 60_000;
  for (const file of readdirSync(CACHE_DIR)) {
    if (file.startsWith(name) || !/^gulpfile-[0-9a-f]{16}\.cjs(\.map)?$/.test(file)) continue;
    const p = path.join(CACHE_DIR, file);
    if (statSync(p).mtimeMs < minuteAgo) rmSync(p, { force: true });
  }
  process.stdout.write(JSON.stringify(stamp));
}

if (process.argv[1] === SELF && process.argv[2] === "build") {
  build().catch((/** @type {unknown} */ err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
