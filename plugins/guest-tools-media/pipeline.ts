/**
 * The one composition of the plugins: source → checks → the gate → writers → atomic output, as
 * the gulpfile's tasks, gulp watch and buildGuestToolsMedia all run it.
 */
import path from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import type Vinyl from "vinyl";
import { atomicDest, ownOutputFilter, type WrittenOutput } from "../atomic-dest/index.js";
import type { BuildCache } from "../build-cache/index.js";
import { CHECKSUMS_NAME, sha256Sums } from "../checksums/index.js";
import { devicesCmd } from "../devices-cmd/index.js";
import { guestToolsLayout } from "../guest-tools-layout/index.js";
import { MEDIA_NAMES, mediaImages } from "../media-images/index.js";
import { normalizeArch } from "../normalize-arch/index.js";
import { payloadPolicy } from "../payload-policy/index.js";
import { DEFAULT_SBOM_NAME, sbomWriter } from "../sbom/index.js";
import type { ProgressSink } from "../shared/progress.js";
import { ProblemReport } from "../shared/report.js";
import { SharedReads } from "../shared/shared-reads.js";
import { guestToolsSrc } from "../tree-src/index.js";
import { formatCatalogSummary, validateSpec } from "../validate-spec/index.js";
import type { MediaSettings } from "./settings.js";

/** Every file a build may write into its out dir: never read back as an input. */
const OWN_OUTPUT_NAMES = [...Object.values(MEDIA_NAMES), DEFAULT_SBOM_NAME, CHECKSUMS_NAME];

export interface MediaResult {
  /** Final paths of the written outputs. */
  outputs: string[];
  /** Number of files on the media (manifest.json included). */
  fileCount: number;
  warnings: string[];
  /** Catalog signers and embedded signatures found, one line each (for the build summary). */
  signing: string[];
}

export interface GuestToolsPipelineOptions {
  /** true: write the ISO, the zip and manifest.json into settings.outDir; false: check only (validate). */
  write: boolean;
  /** Last look at the outputs' digests before they are renamed into place (see atomicDest). */
  beforeCommit?: (outputs: WrittenOutput[]) => void | Promise<void>;
  progress?: ProgressSink;
  cache?: BuildCache;
}

/** A composed build: its stages for `pipeline(...)`, and what it found once they have run. */
export interface GuestToolsPipeline {
  stages: Array<Readable | Transform | Writable>;
  /** After the pipeline resolved: outputs written (none when checking only), files, warnings. */
  result(): MediaResult;
}

/**
 * The guest-tools build, source to destination, as the gulpfile's tasks, gulp watch and
 * buildGuestToolsMedia all run it. Every check sees every file; with a shared report the problems
 * of all of them are reported once, by validateSpec.
 */
export function guestToolsPipeline(s: MediaSettings, options: GuestToolsPipelineOptions): GuestToolsPipeline {
  const report = new ProblemReport();
  const outputs: string[] = [];
  let signing: string[] = [];
  let fileCount = 0;
  let catalogVerdict: Promise<void> = Promise.resolve();
  // A build's catalog checks hash the files from the media feed's reads (one read per file).
  const sharedReads = options.write ? new SharedReads() : undefined;
  const stages = [
    mediaSource(s, report), //                          guest-tools dir, then the drivers, then extras
    ...(options.cache ? [options.cache.identify()] : []), // identities for the checks' and writers' memory
    normalizeArch(), //                                 x64/... → drivers/amd64/...
    payloadPolicy({ spec: s.spec, report }), //         refuse symlinks, keys, bad names; drop junk
    ...(s.contract ? [devicesCmd(s.contract.contract, { specDriverNames: s.spec.drivers.map((d) => d.name) })] : []),
    guestToolsLayout({ signingPolicy: s.signingPolicy, certsOutsideTest: s.certsOutsideTest, report }),
    // The gate: all problems at once, else every file sorted; an input named manifest.json is
    // refused in validate as in the build.
    validateSpec(s.spec, {
      report,
      generatedFiles: [MEDIA_NAMES.manifest],
      signingPolicy: s.signingPolicy, // catalogs and signatures are checked per this policy
      onCatalogSummary: (summary) => (signing = formatCatalogSummary(summary)),
      ...(options.cache && { cache: options.cache }),
      // A build lets the catalog checks run alongside the writing; atomicDest waits for them.
      ...(options.write && { deferCatalogChecks: (verdict: Promise<void>) => {
        verdict.catch(() => undefined); // observed by atomicDest; a build failing before it must not leave it unhandled
        catalogVerdict = verdict;
      }, sharedReads }),
    }),
    countFiles((n) => (fileCount = n)),
    ...(options.write ? writeStages(s, options, outputs, () => catalogVerdict, sharedReads) : [discard()]),
  ];
  return {
    stages,
    result: () => ({
      outputs,
      fileCount: options.write ? fileCount + 1 : fileCount, // + manifest.json
      warnings: report.warnings.map((w) => w.message),
      signing,
    }),
  };
}

/** The writers: ISO + zip + manifest.json (hashed while the images are written), then the atomic write. */
function writeStages(s: MediaSettings, options: GuestToolsPipelineOptions, outputs: string[], gate: () => Promise<void>, sharedReads: SharedReads | undefined): Transform[] {
  const cache = options.cache;
  return [
    mediaImages({
      volumeId: s.volumeId,
      sourceDateEpoch: s.sourceDateEpoch,
      manifest: {
        packageVersion: s.packageVersion,
        buildId: s.buildId,
        sourceDateEpoch: s.sourceDateEpoch,
        signingPolicy: s.signingPolicy,
        packagingSpec: s.specRecord,
        ...(s.contract && { deviceContract: s.contract.record }),
      },
      ...(options.progress && { progress: options.progress }),
      ...(cache && { cache }),
      writers: s.sbom ? [sbomWriter()] : [], // further outputs: one line each
      ...(sharedReads && { sharedReads }),
    }),
    atomicDest(s.outDir, {
      cwd: s.cwd,
      onWritten: (paths) => outputs.push(...paths),
      derived: s.checksums ? [sha256Sums()] : [],
      gate,
      ...(options.beforeCommit && { beforeCommit: options.beforeCommit }),
    }),
  ];
}

/** Count the regular files passing by. */
function countFiles(onCount: (files: number) => void): Transform {
  let count = 0;
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, cb) {
      if (!file.isDirectory() && !file.isNull()) onCount(++count);
      cb(null, file);
    },
  });
}

/** The end of a check-only run: files are looked at, nothing is written. */
function discard(): Writable {
  return new Writable({ objectMode: true, write: (_file, _enc, cb) => cb() });
}

/**
 * The guest-tools tree, then the drivers (from driversDir or driversSource), then extraFiles.
 * An out dir inside one of the trees must not feed a build its previous outputs (each build would
 * grow): this build's outputs and temp files there are left out, with one warning naming them.
 */
function mediaSource(s: MediaSettings, report: ProblemReport): Readable {
  const cwd = s.cwd;
  const leftOut: string[] = [];
  const exclude = ownOutputFilter(path.resolve(cwd, s.outDir), OWN_OUTPUT_NAMES, (p) => leftOut.push(p));
  const parts: Array<() => Readable> = [
    () =>
      guestToolsSrc({
        ...(s.driversSource === undefined && { driversDir: s.driversDir! }),
        guestToolsDir: s.guestToolsDir,
        cwd,
        exclude,
      }),
  ];
  if (s.driversSource) parts.push(s.driversSource);
  if (s.extraFiles) parts.push(s.extraFiles);
  return Readable.from(
    (async function* () {
      for (const part of parts) yield* part();
      if (leftOut.length > 0) {
        const shown = leftOut.map((p) => (path.relative(cwd, p).startsWith("..") ? p : path.relative(cwd, p)));
        report.warn({
          rule: "own-output-left-out",
          message: `left out of the media: ${shown.join(", ")} (this build's own outputs: the out dir ${s.outDir} is inside an input folder)`,
        });
      }
    })(),
    { objectMode: true },
  );
}
