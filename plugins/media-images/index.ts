/**
 * mediaImages(options): the fork at the end of a media build. Collects every packaged file,
 * then writes the same sorted list with isoWriter() and deterministicZip() at once (the zip
 * compresses on libuv's thread pool while the ISO is written, so both cores work) and emits the
 * two images plus manifest.json.
 *
 * With `options.manifest`, the manifest is made here too, while the images are written: its
 * size is known before hashing (see startManifest), so both writers lay it out at once and read
 * its bytes when they reach it. Without it, a manifest.json made upstream (by manifest()) is
 * packaged and passed on. Contents are re-opened by each reader (see shared/contents.ts), never
 * buffered.
 */
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { finished } from "node:stream/promises";
import Vinyl from "vinyl";
import { DEFAULT_ZIP_FILE_NAME, deterministicZip, type ZipFileCache } from "../deterministic-zip/index.js";
import { DEFAULT_ISO_FILE_NAME, isoWriter } from "../iso-writer/index.js";
import { DEFAULT_MANIFEST_NAME, startManifest, type HashCache, type ManifestOptions } from "../manifest/index.js";
import { contentSize, DeferredContents, materialize } from "../shared/contents.js";
import { CONSUMERS, MediaFeed } from "./feed.js";
import { asPluginError, userError } from "../shared/errors.js";
import { intake } from "../shared/intake.js";
import type { ProgressSink } from "../shared/progress.js";
import { packagePath, sortByPackagePath } from "../shared/paths.js";
import type { SharedReads } from "../shared/shared-reads.js";
import { generatedStat } from "../shared/stat.js";

const PLUGIN = "mediaImages";

/** The default output names (also what a build leaves out of its inputs, see guest-tools-media). */
export const MEDIA_NAMES = { iso: DEFAULT_ISO_FILE_NAME, zip: DEFAULT_ZIP_FILE_NAME, manifest: DEFAULT_MANIFEST_NAME } as const;

export interface MediaImagesOptions {
  /** ISO volume label. Default "AERO_GUEST_TOOLS". */
  volumeId?: string;
  /** Seconds since 1970 for every timestamp. Default 0. */
  sourceDateEpoch?: number | bigint;
  /** Default "aero-guest-tools.iso". */
  isoName?: string;
  /** Default "aero-guest-tools.zip". */
  zipName?: string;
  /** Deflate level for the zip. Default 6. */
  compressionLevel?: number;
  /** Make manifest.json here, concurrently with the images (see above). Default: not made here. */
  manifest?: ManifestOptions;
  /** Package paths passed through besides the two images. Default ["manifest.json"]. */
  passThrough?: string[];
  /** Progress: a "writing ISO + zip" phase measured by the payload bytes the zip has read. */
  progress?: ProgressSink;
  /**
   * Results of unchanged files from an earlier build (a BuildCache, see plugins/build-cache): their
   * hashes are reused, and images written with atomicDest are updated from the previous ones in
   * place of being written anew (unchanged ISO sectors and zip entries are copied).
   */
  cache?: HashCache & ZipFileCache;
  /**
   * More outputs made from the same files, after the two images (e.g. `sbomWriter()` from
   * plugins/sbom): each gets the sorted files and manifest.json, and emits its own files.
   */
  writers?: MediaWriter[];
  /**
   * Hand the bytes of the files read here to an earlier stage that follows them (validateSpec's
   * deferred catalog checks, given the same object), so each file is read once for all of them.
   */
  sharedReads?: SharedReads;
}

/** What a writer of a further output gets from mediaImages. */
export interface MediaWriterContext {
  /** Every packaged file, sorted by package path (manifest.json included when made here). */
  media: readonly Vinyl[];
  /** manifest.json, once every file is hashed. */
  manifest: Promise<Vinyl>;
}

/** One more output of the media (an SBOM, a tar.gz, ...): one folder under plugins/ and one line in the list. */
export interface MediaWriter {
  /** Its file name(s), for logs and for leaving it out of the inputs. */
  names: string[];
  write(context: MediaWriterContext): Promise<Vinyl[]>;
}

export function mediaImages(options: MediaImagesOptions = {}): Transform {
  const manifestName = options.manifest?.fileName ?? MEDIA_NAMES.manifest;
  const files: Vinyl[] = [];
  const images: Vinyl[] = [];
  let shared: MediaFeed | undefined;
  return new Transform({
    objectMode: true,
    transform(incoming: Vinyl, _enc, cb) {
      intake(PLUGIN, incoming, { needs: "bytes" }).then(
        (file) => {
          if (!file.isDirectory()) files.push(file);
          cb();
        },
        (err: unknown) => cb(asPluginError(PLUGIN, err)),
      );
    },
    flush(cb) {
      (async () => {
        const { media, feed, manifestFile } = await prepareMedia(files, options, manifestName);
        shared = feed;
        images.push(...(await writeImages(media, feed, options)));
        // Once the images are read through, so is every file: nobody waits for more bytes.
        if (options.sharedReads) closeAfterImages(images, options.sharedReads);
        if (this.destroyed) {
          stopImages(images);
          return;
        }
        for (const file of images) this.push(file);
        await writeFurther(media, manifestFile, options, manifestName, (file) => this.push(file));
        if (manifestFile) {
          // Emitted once hashing is done; a hashing error fails the build here and in the images.
          this.push(await manifestFile);
        } else {
          const passThrough = new Set(options.passThrough ?? [manifestName]);
          for (const file of media) if (passThrough.has(packagePath(file))) this.push(file);
        }
      })().then(() => cb(), (err: unknown) => cb(asPluginError(PLUGIN, err)));
    },
    destroy(err, cb) {
      // Aborted (Ctrl-C in gulp watch) or failed downstream: stop producing the images too, so
      // whoever writes them (atomicDest) fails now instead of after the whole payload.
      // (A normal end also destroys this stream, without an error, while the images are still read.)
      if (err) {
        stopImages(images);
        void shared?.close();
        options.sharedReads?.close();
      }
      cb(err);
    },
  });
}

interface PreparedMedia {
  /** Every packaged file sorted by package path, manifest.json's stand-in included when made here. */
  media: Vinyl[];
  /** One read per file: the hash, the ISO and the zip get the same bytes (see feed.ts). */
  feed: MediaFeed;
  /** manifest.json when made here, once every file is hashed. */
  manifestFile: Promise<Vinyl> | undefined;
}

function closeAfterImages(images: Vinyl[], reads: SharedReads): void {
  const streams = images.map((i) => i.contents).filter((c): c is Readable => c instanceof Readable);
  void Promise.allSettled(streams.map((c) => finished(c))).then(() => reads.close());
}

async function prepareMedia(files: Vinyl[], options: MediaImagesOptions, manifestName: string): Promise<PreparedMedia> {
  // Streams that cannot be re-opened are read once into memory, before anyone reads them.
  await Promise.all(files.map((f) => materialize(f)));
  const media = sortByPackagePath([...files]);
  const cache = options.cache;
  // The prefetcher reads only the files whose hash the cache does not know.
  const feed = new MediaFeed(media, (file) => {
    const key = cache?.keyOf(file);
    return key === undefined || cache!.hasHash?.(key) !== true;
  }, options.sharedReads);
  if (!options.manifest) return { media, feed, manifestFile: undefined };
  // The manifest records the images' epoch unless told otherwise.
  const started = startManifest(media, {
    sourceDateEpoch: options.sourceDateEpoch, // undefined: toEpoch's default, as everywhere
    ...options.manifest,
    ...(cache && { cache }),
    hashOf: (file) => feed.hashOf(file),
  });
  media.push(deferredManifest(media[0], manifestName, started.size, started.file, () => feed.park()));
  sortByPackagePath(media);
  return { media, feed, manifestFile: started.file };
}

/** The ISO and the zip of the same sorted files, written at once through the one feed. */
async function writeImages(media: Vinyl[], feed: MediaFeed, options: MediaImagesOptions): Promise<Vinyl[]> {
  const progress = options.progress;
  progress?.phase("writing ISO + zip", media.reduce((sum, f) => sum + contentSize(f), 0));
  const iso = isoWriter({
    ...(options.volumeId !== undefined && { volumeId: options.volumeId }),
    ...(options.sourceDateEpoch !== undefined && { sourceDateEpoch: options.sourceDateEpoch }),
    fileName: options.isoName ?? MEDIA_NAMES.iso,
    passThrough: [], // passed on once, by mediaImages
    ...(options.cache && { cache: options.cache }),
    reader: feed.reader(CONSUMERS.iso),
  });
  const zip = deterministicZip({
    ...(options.sourceDateEpoch !== undefined && { sourceDateEpoch: options.sourceDateEpoch }),
    ...(options.compressionLevel !== undefined && { compressionLevel: options.compressionLevel }),
    fileName: options.zipName ?? MEDIA_NAMES.zip,
    passThrough: [],
    ...(progress && { onBytes: (n: number) => progress.advance(n) }),
    ...(options.cache && { cache: options.cache }),
    reader: feed.reader(CONSUMERS.zip),
  });
  feed.prefetch();
  const [isoOut, zipOut] = await Promise.all([runWriter(iso, media), runWriter(zip, media)]);
  return [...isoOut, ...zipOut];
}

/**
 * The further writers, one after the other once the images are passed on, each output pushed as
 * its writer ends: they may wait for the manifest, which is hashed while the images (consumed
 * downstream) are read.
 */
async function writeFurther(
  media: Vinyl[],
  manifestFile: Promise<Vinyl> | undefined,
  options: MediaImagesOptions,
  manifestName: string,
  push: (file: Vinyl) => void,
): Promise<void> {
  const manifestOut = manifestFile ?? Promise.resolve(media.find((f) => packagePath(f) === manifestName));
  for (const w of options.writers ?? []) {
    const manifest = manifestOut.then((m) => {
      if (!m) throw userError(PLUGIN, `${w.names.join(", ")} needs ${manifestName}: pass manifest options or put manifest() upstream`);
      return m;
    });
    for (const file of await w.write({ media, manifest })) push(file);
  }
}

/**
 * Destroy the images' streams without an error: a consumer sees a premature close, and an image
 * nobody consumes yet (still queued in this stream) raises nothing.
 */
function stopImages(images: Vinyl[]): void {
  for (const image of images) if (image.contents instanceof Readable) image.contents.destroy();
}

/** A stand-in for manifest.json with its final size, whose bytes arrive when hashing ends. */
function deferredManifest(like: Vinyl | undefined, name: string, size: number, file: Promise<Vinyl>, onDemand: () => void): Vinyl {
  const cwd = like?.cwd ?? process.cwd();
  const base = like?.base ?? cwd;
  const bytes = file.then((f) => f.contents as Buffer);
  bytes.catch(() => undefined);
  const out = new Vinyl({ cwd, base, path: path.join(base, name), contents: new DeferredContents(bytes, onDemand) });
  out.stat = generatedStat(size, new Date(0));
  return out;
}

/** Write files into a one-shot writer plugin and collect what it emits. */
function runWriter(writer: Transform, files: Vinyl[]): Promise<Vinyl[]> {
  return new Promise((resolve, reject) => {
    const out: Vinyl[] = [];
    writer.on("data", (file: Vinyl) => out.push(file));
    writer.once("error", reject);
    writer.once("end", () => resolve(out));
    (async () => {
      for (const file of files) {
        if (!writer.write(file)) await new Promise((r) => writer.once("drain", r));
      }
      writer.end();
    })().catch(reject);
  });
}
