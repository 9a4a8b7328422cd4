/**
 * VirtioWinImage: one virtio-win image read in place. Its plan (layout.ts) is worked out once from
 * the image's directory records; drivers and licenses are streamed on demand. Driver contents are
 * re-openable streams over the image (never buffered); licenses and the provenance file are small
 * Buffers.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import log from "../shared/log.js";
import Vinyl from "vinyl";
import { IsoExtentContents, readIsoTree, type IsoTree } from "../iso-src/index.js";
import { asPluginError, userError } from "../shared/errors.js";
import { generatedStat } from "../shared/stat.js";
import { isVirtioWinProfile, mapDriverFiles, planVirtioWin, VIRTIO_WIN_PROFILES, type VirtioWinPlan, type VirtioWinProfile } from "./layout.js";
import { driverPackManifestBytes, DRIVER_PACK_MANIFEST_PATH, LICENSES_DIR, type VirtioWinImageInfo } from "./provenance.js";

export const PLUGIN = "virtioWin";

export interface VirtioWinOptions {
  /** "full" (viostor, netkvm, viosnd, vioinput; default) or "minimal" (viostor, netkvm). */
  profile?: VirtioWinProfile;
  /** Base for a relative isoPath and the emitted files' cwd. Default process.cwd(). */
  cwd?: string;
  /** Where warnings go (optional drivers left out, no license files). Default: logged. */
  onWarning?: (message: string) => void;
}

/** One virtio-win image: its plan is worked out once, its drivers and licenses streamed on demand. */
export class VirtioWinImage {
  /** Absolute path of the image. */
  readonly isoPath: string;
  readonly profile: VirtioWinProfile;
  readonly #cwd: string;
  readonly #onWarning: (message: string) => void;
  #read: Promise<{ tree: IsoTree; plan: VirtioWinPlan }> | undefined;
  #info: Promise<VirtioWinImageInfo> | undefined;

  constructor(isoPath: string, options: VirtioWinOptions = {}) {
    if (typeof isoPath !== "string" || isoPath === "") throw userError(PLUGIN, "the virtio-win image path must be a non-empty string");
    const profile = options.profile ?? "full";
    if (!isVirtioWinProfile(profile)) {
      const known = Object.entries(VIRTIO_WIN_PROFILES).map(([name, p]) => `"${name}" (${p.drivers.join(", ")})`);
      throw userError(PLUGIN, `unknown virtio-win profile ${JSON.stringify(profile)}; use ${known.join(" or ")}`);
    }
    this.#cwd = options.cwd ?? process.cwd();
    this.isoPath = path.resolve(this.#cwd, isoPath);
    this.profile = profile;
    this.#onWarning = options.onWarning ?? ((message) => log.warn(`warning: ${message}`));
  }

  /**
   * Read the image's tree and find every driver. Rejects with a PluginError naming everything
   * that was searched when a required driver is missing; warnings are reported once.
   */
  plan(): Promise<VirtioWinPlan> {
    return this.#readImage().then((r) => r.plan);
  }

  #readImage(): Promise<{ tree: IsoTree; plan: VirtioWinPlan }> {
    this.#read ??= (async () => {
      await this.#checkFile();
      const tree = await readIsoTree(this.isoPath);
      const plan = planVirtioWin(tree.entries, this.profile);
      if (plan.errors.length) {
        throw userError(
          PLUGIN,
          `${this.isoPath} lacks the Windows 7 drivers the ${this.profile} profile requires:\n` +
            plan.errors.map((e) => `  - ${e}`).join("\n") +
            `\n  (each driver is looked up as <folder>/<w7.1|w7_1|w7|win7>/<x86|i386 and amd64|x64>, ignoring case; is this a virtio-win image with Windows 7 drivers?)`,
          this.isoPath,
        );
      }
      for (const warning of plan.warnings) this.#onWarning(warning);
      return { tree, plan };
    })();
    return this.#read;
  }

  async #checkFile(): Promise<void> {
    let info;
    try {
      info = await stat(this.isoPath);
    } catch {
      throw userError(PLUGIN, `virtio-win image not found or unreadable: ${this.isoPath}`, this.isoPath);
    }
    if (!info.isFile()) throw userError(PLUGIN, `the virtio-win image is not a file: ${this.isoPath}`, this.isoPath);
  }

  /** File name, size, SHA-256 and volume label of the image (the SHA-256 reads it all once). */
  info(): Promise<VirtioWinImageInfo> {
    this.#info ??= (async () => {
      const [{ tree }, digest] = await Promise.all([
        this.#readImage(),
        hashFile(this.isoPath).catch((err: unknown) => {
          throw asPluginError(PLUGIN, err, this.isoPath);
        }),
      ]);
      return { fileName: path.basename(this.isoPath), size: digest.size, sha256: digest.sha256, volumeId: tree.volumeId };
    })();
    return this.#info;
  }

  /** The profile's driver files as `<arch>/<driver>/...`, contents streamed from the image. */
  drivers(): Readable {
    const self = this;
    return Readable.from(
      (async function* () {
        const { tree, plan } = await self.#readImage();
        const byPath = new Map(tree.entries.map((e) => [e.path, e]));
        for (const file of mapDriverFiles(plan, tree.entries)) {
          const entry = byPath.get(file.imagePath)!;
          const vinyl = self.#vinyl(file.imagePath, new IsoExtentContents(self.isoPath, entry.path, entry.extents, entry.size), entry.size, entry.mtime);
          vinyl.path = path.join(self.isoPath, ...file.relative.split("/")); // history[0] keeps the in-image path for messages
          yield vinyl;
        }
      })(),
      { objectMode: true },
    );
  }

  /** The image's root license files and driver-pack-manifest.json, under licenses/virtio-win/. */
  licenses(): Readable {
    const self = this;
    return Readable.from(
      (async function* () {
        const { tree, plan } = await self.#readImage();
        const byPath = new Map(tree.entries.map((e) => [e.path, e]));
        for (const name of plan.licenses) {
          const entry = byPath.get(name)!;
          const bytes = await new IsoExtentContents(self.isoPath, entry.path, entry.extents, entry.size).readAll();
          const vinyl = self.#vinyl(name, bytes, bytes.length, entry.mtime);
          vinyl.path = path.join(self.isoPath, LICENSES_DIR, name);
          yield vinyl;
        }
        const manifest = driverPackManifestBytes(plan, await self.info());
        yield self.#vinyl(DRIVER_PACK_MANIFEST_PATH, manifest, manifest.length, undefined);
      })(),
      { objectMode: true },
    );
  }

  /** A vinyl whose base is the image path (a virtual root, as isoSrc does). */
  #vinyl(relative: string, contents: Buffer | Readable, size: number, mtime: Date | undefined): Vinyl {
    return new Vinyl({
      cwd: this.#cwd,
      base: this.isoPath,
      path: path.join(this.isoPath, ...relative.split("/")),
      contents,
      stat: generatedStat(size, mtime ?? new Date(0)),
    });
  }
}

export function openVirtioWin(isoPath: string, options: VirtioWinOptions = {}): VirtioWinImage {
  return new VirtioWinImage(isoPath, options);
}

/** The profile's Windows 7 driver files from a virtio-win image, as `<x86|amd64>/<driver>/...`. */
export function virtioWinDrivers(isoPath: string, options: VirtioWinOptions = {}): Readable {
  return openVirtioWin(isoPath, options).drivers();
}

/** The image's root license files and the provenance file, as `licenses/virtio-win/...`. */
export function virtioWinLicenses(isoPath: string, options: VirtioWinOptions = {}): Readable {
  return openVirtioWin(isoPath, options).licenses();
}

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}
