/** Helpers for the spec / payload-policy / driver-validation tests: real trees in temp dirs. */
import type { EventEmitter } from "node:events";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import log from "gulplog";
import path from "node:path";
import type { Readable } from "node:stream";
import type Vinyl from "vinyl";
import { parseDevicesCmdVars } from "../../plugins/devices-cmd/parse.js";
import { treeSrc } from "../../plugins/tree-src/index.js";
import { REFERENCE } from "./fixtures.js";

export const REFERENCE_INFS = path.join(REFERENCE, "infs");
export const REFERENCE_SPECS = path.join(REFERENCE, "specs");
export const REFERENCE_DEVICES_CMD = path.join(REFERENCE, "contracts/devices.cmd");

/** Write files (relative path → contents) under root, creating folders. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, contents] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, contents);
  }
}

/**
 * The reference drivers as the Aero specs name them, per driver: the reference INFs plus a small
 * placeholder for every file those INFs need (written out by hand from reading the INFs).
 */
export const REFERENCE_DRIVERS: Record<string, { infs: string[]; placeholders: string[] }> = {
  aerogpu: {
    infs: ["aerogpu_dx11.inf"],
    placeholders: [
      "aerogpu_dx11.cat",
      "aerogpu.sys",
      "aerogpu_d3d9.dll",
      "aerogpu_d3d9_x64.dll",
      "aerogpu_d3d10.dll",
      "aerogpu_d3d10_x64.dll",
    ],
  },
  "virtio-blk": { infs: ["aero_virtio_blk.inf"], placeholders: ["aero_virtio_blk.sys", "aero_virtio_blk.cat"] },
  "virtio-net": { infs: ["aero_virtio_net.inf"], placeholders: ["aero_virtio_net.sys", "aero_virtio_net.cat"] },
  "virtio-input": {
    infs: ["aero_virtio_input.inf", "aero_virtio_tablet.inf"],
    placeholders: ["aero_virtio_input.sys", "aero_virtio_input.cat", "aero_virtio_tablet.cat"],
  },
  "virtio-snd": { infs: ["aero_virtio_snd.inf"], placeholders: ["aero_virtio_snd.sys", "aero_virtio_snd.cat"] },
};

/**
 * Build `drivers/<arch>/<driver>/...` for both arches under root from the reference INFs.
 * `edit` may rewrite an INF's text (driver name, INF name, text) → new text.
 */
export function writeReferenceDrivers(
  root: string,
  options: { drivers?: string[]; edit?: (driver: string, inf: string, text: string) => string } = {},
): void {
  for (const arch of ["x86", "amd64"]) {
    for (const driver of options.drivers ?? Object.keys(REFERENCE_DRIVERS)) {
      const dir = path.join(root, "drivers", arch, driver);
      mkdirSync(dir, { recursive: true });
      const spec = REFERENCE_DRIVERS[driver]!;
      for (const inf of spec.infs) {
        const src = path.join(REFERENCE_INFS, inf);
        if (options.edit) writeFileSync(path.join(dir, inf), options.edit(driver, inf, readFileSync(src, "utf8")));
        else copyFileSync(src, path.join(dir, inf));
      }
      for (const p of spec.placeholders) writeFileSync(path.join(dir, p), `placeholder ${arch}/${driver}/${p}\n`);
    }
  }
}

/** The variables of the reference (contract-generated) devices.cmd. */
export function referenceVars(): Map<string, string> {
  return parseDevicesCmdVars(readFileSync(REFERENCE_DEVICES_CMD, "utf8"));
}

/**
 * The entries under root as the project's tree source yields them (package path = path under
 * root): files, symlinks and the like; its directory entries too with `directories: true` (the
 * tests that count outputs count files).
 */
export async function readTree(root: string, options: { directories?: boolean } = {}): Promise<Vinyl[]> {
  const entries = await collect(treeSrc(root));
  return options.directories ? entries : entries.filter((f) => !f.isDirectory());
}

export async function collect(stream: Readable | NodeJS.ReadableStream): Promise<Vinyl[]> {
  const out: Vinyl[] = [];
  for await (const f of stream) out.push(f as Vinyl);
  return out;
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the stream to fail, but it finished");
}

export const relPaths = (files: Vinyl[]) => files.map((f) => f.relative.split(path.sep).join("/"));

/** Run fn while capturing what is written to stderr and what the plugins log through gulplog. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write;
  let text = "";
  const levels = ["info", "warn", "error"] as const;
  const listeners = levels.map((level) => [level, (msg: unknown) => (text += `${String(msg)}\n`)] as const);
  for (const [level, fn] of listeners) (log as unknown as EventEmitter).on(level, fn);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), stderr: text };
  } finally {
    process.stderr.write = original;
    for (const [level, fn] of listeners) (log as unknown as EventEmitter).off(level, fn);
  }
}
