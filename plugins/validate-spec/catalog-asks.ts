/**
 * In a build, the catalog checks follow the media feed's reads (shared/shared-reads.ts): before
 * the feed reads anything they say which files they may follow, then ask for each driver's
 * digests as soon as its catalog is parsed, so that every file is hashed from the one read.
 */
import type Vinyl from "vinyl";
import { catalogCoveredNames, infCatalogFile } from "../catalog/coverage.js";
import type { DigestAlgorithm } from "../catalog/pe.js";
import { asciiLower } from "../shared/paths.js";
import type { SharedReads } from "../shared/shared-reads.js";
import { digestAlgorithms, type DriverDir, type Run } from "./catalog-run.js";

/** The files of a driver folder whose digests checkDriver asks for: what each INF's catalog covers, and the .sys files. */
function digestsAsked(d: DriverDir, infTexts: ReadonlyMap<string, string>, run: Run): Vinyl[] {
  const asked = new Set<Vinyl>();
  if (!d.driver.waive_checks.includes("catalog-coverage")) {
    for (const { text, infName } of infCatalogs(d, infTexts, run)) {
      for (const name of catalogCoveredNames(infName, text)) {
        const file = d.byName.get(asciiLower(name));
        if (file) asked.add(file);
      }
    }
  }
  for (const [name, file] of d.byName) if (name.endsWith(".sys")) asked.add(file);
  return [...asked].filter((f) => f.contents !== null && typeof f.contents === "object");
}

/** Each INF of the folder that names a catalog present in it. */
function infCatalogs(d: DriverDir, infTexts: ReadonlyMap<string, string>, run: Run): Array<{ text: string; infName: string; catFile: Vinyl }> {
  const out = [];
  for (const inf of d.infs) {
    const infPath = run.pathOf(inf);
    const text = infTexts.get(infPath)!;
    const catName = infCatalogFile(text, d.arch);
    const catFile = catName && d.byName.get(asciiLower(catName));
    if (catFile) out.push({ text, infName: infPath.slice(infPath.lastIndexOf("/") + 1), catFile });
  }
  return out;
}

/**
 * The digests checkDriver will ask for, asked for as soon as the folder's catalogs are parsed (in
 * the same order: coverage, then the .sys files' headers). Before its first await it tells `reads`
 * which files it may follow (so a caller that starts every folder's asks at once has said so for
 * all of them before the reader starts); every file expected is followed or released, whatever
 * happens.
 */
export async function askDigests(d: DriverDir, infTexts: ReadonlyMap<string, string>, run: Run, reads: SharedReads): Promise<void> {
  const expected = digestsAsked(d, infTexts, run);
  reads.expect(expected.map((f) => f.contents as object));
  const asked = new Set<Vinyl>();
  const ask = (file: Vinyl, algs: DigestAlgorithm[]) => {
    asked.add(file);
    run.ask(file, algs);
  };
  try {
    if (!d.driver.waive_checks.includes("catalog-coverage")) {
      for (const { text, infName, catFile } of infCatalogs(d, infTexts, run)) {
        const result = await run.intake.facts(catFile);
        if (!result.ok) continue;
        const algs = digestAlgorithms(result.facts);
        for (const name of catalogCoveredNames(infName, text)) {
          const file = d.byName.get(asciiLower(name));
          if (file) ask(file, algs);
        }
      }
    }
    for (const [name, file] of d.byName) if (name.endsWith(".sys")) ask(file, []);
  } catch {
    // checkDriver meets the same problem and reports it
  } finally {
    // Not asked after all (an INF whose catalog is not one): the reader need not wait for them.
    for (const f of expected) if (!asked.has(f)) reads.release(f.contents as object);
  }
}
