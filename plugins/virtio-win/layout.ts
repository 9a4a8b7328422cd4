/**
 * Where the Windows 7 drivers sit in an upstream virtio-win image and how they map to the
 * packager's drivers layout (aero_packager-behaviors.md §3.5, as make-driver-pack.ps1 and
 * tools/virtio-win/extract.py do it). Pure: takes the image's entry list, returns a plan.
 *
 * Per driver: the upstream folder at the image root, then the FIRST Windows 7 folder that exists
 * in it (w7.1, w7_1, w7, win7), then the arch folders inside that one folder. The Windows 7 folder
 * is chosen once per driver, never per arch, so both arches always come from the same release.
 * Names match ASCII-case-insensitively (the image is authored on Windows).
 */
import type { Arch } from "../normalize-arch/arch.js";
import { asciiLower, asciiUpper, compareCodePoints } from "../shared/paths.js";

export type VirtioWinProfile = "full" | "minimal";

export interface VirtioWinDriver {
  /** The name on the media and in the specs: drivers/<arch>/<name>/. */
  name: string;
  /** The folder at the image root, as upstream spells it (matched case-insensitively). */
  upstreamDir: string;
  required: boolean;
}

export const VIRTIO_WIN_DRIVERS: readonly VirtioWinDriver[] = [
  { name: "viostor", upstreamDir: "viostor", required: true },
  { name: "netkvm", upstreamDir: "NetKVM", required: true },
  { name: "viosnd", upstreamDir: "viosnd", required: false },
  { name: "vioinput", upstreamDir: "vioinput", required: false },
];

/** Each profile's drivers and the spec file (in specs/) that validates them. */
export const VIRTIO_WIN_PROFILES: Readonly<Record<VirtioWinProfile, { drivers: readonly string[]; spec: string }>> = {
  full: { drivers: ["viostor", "netkvm", "viosnd", "vioinput"], spec: "win7-virtio-full.json" },
  minimal: { drivers: ["viostor", "netkvm"], spec: "win7-virtio-win.json" },
};

/** Windows 7 folder names, in order of preference. */
export const WIN7_FOLDERS: readonly string[] = ["w7.1", "w7_1", "w7", "win7"];

/** Arch folder names inside a Windows 7 folder, in order of preference. */
export const VIRTIO_WIN_ARCH_FOLDERS: Readonly<Record<Arch, readonly string[]>> = {
  x86: ["x86", "i386"],
  amd64: ["amd64", "x64"],
};

const ARCHES: readonly Arch[] = ["x86", "amd64"];

/** Root files copied to licenses/virtio-win/ when their name starts with one of these (any case). */
export const LICENSE_PREFIXES: readonly string[] = ["LICENSE", "COPYING", "NOTICE", "EULA", "AUTHORS", "CREDITS", "README"];

export function isVirtioWinProfile(value: unknown): value is VirtioWinProfile {
  return value === "full" || value === "minimal";
}

/** What the plan needs of an image entry (an IsoEntry fits). */
export interface ImageEntry {
  /** "/"-separated, no leading "/". */
  path: string;
  isDirectory: boolean;
}

export interface DriverPlan {
  name: string;
  upstreamDir: string;
  required: boolean;
  /** The in-image folder (image spelling) whose contents become drivers/<arch>/<name>/, per arch found. */
  sources: Partial<Record<Arch, string>>;
  /** True when the driver goes on the media (found for both arches). */
  packaged: boolean;
  /** Why a driver is left out (optional drivers only). */
  reason?: string;
}

export interface VirtioWinPlan {
  profile: VirtioWinProfile;
  /** In profile order. */
  drivers: DriverPlan[];
  /** Root files (image spelling) copied to licenses/virtio-win/, sorted. */
  licenses: string[];
  /** Required driver content that is missing or ambiguous; the build must not go on. */
  errors: string[];
  /** Optional drivers left out, missing license files. */
  warnings: string[];
}

/** One driver file mapped to the drivers layout. */
export interface MappedFile {
  /** Where it is in the image. */
  imagePath: string;
  /** `x86/<driver>/<path inside the arch folder>` (a drivers-dir relative path). */
  relative: string;
}

/** Children of every folder, for case-insensitive lookups. */
class FolderIndex {
  readonly #children = new Map<string, ImageEntry[]>();
  readonly #fileCount = new Map<string, number>();

  constructor(entries: Iterable<ImageEntry>) {
    for (const entry of entries) {
      const slash = entry.path.lastIndexOf("/");
      const parent = slash < 0 ? "" : entry.path.slice(0, slash);
      let list = this.#children.get(parent);
      if (!list) this.#children.set(parent, (list = []));
      list.push(entry);
      if (!entry.isDirectory) {
        // Count the file in every ancestor folder, so "is this folder empty" is one lookup.
        for (let i = entry.path.indexOf("/"); i >= 0; i = entry.path.indexOf("/", i + 1)) {
          const dir = entry.path.slice(0, i);
          this.#fileCount.set(dir, (this.#fileCount.get(dir) ?? 0) + 1);
        }
      }
    }
  }

  children(folder: string): ImageEntry[] {
    return this.#children.get(folder) ?? [];
  }

  filesUnder(folder: string): number {
    return this.#fileCount.get(folder) ?? 0;
  }

  /**
   * The first candidate name that exists as a subfolder of `folder`, ignoring ASCII case. Two
   * subfolders differing only by case (possible in Joliet) are ambiguous unless one is spelled
   * exactly like the candidate.
   */
  findFolder(folder: string, candidates: readonly string[]): { found?: ImageEntry; ambiguous?: string[] } {
    const subfolders = this.children(folder).filter((e) => e.isDirectory);
    for (const candidate of candidates) {
      const key = asciiLower(candidate);
      const matches = subfolders.filter((e) => asciiLower(baseName(e.path)) === key);
      if (matches.length === 0) continue;
      if (matches.length === 1) return { found: matches[0]! };
      const exact = matches.find((e) => baseName(e.path) === candidate);
      if (exact) return { found: exact };
      return { ambiguous: matches.map((e) => e.path).sort(compareCodePoints) };
    }
    return {};
  }

  /** Names of the subfolders of `folder`, for messages. */
  subfolderNames(folder: string): string {
    const names = this.children(folder)
      .filter((e) => e.isDirectory)
      .map((e) => baseName(e.path))
      .sort(compareCodePoints);
    return names.length ? names.join(", ") : "none";
  }
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

const shown = (folder: string) => (folder === "" ? "the image root" : `${folder}/`);

/** Find each profile driver's folders and the root license files of an image. */
export function planVirtioWin(entries: Iterable<ImageEntry>, profile: VirtioWinProfile): VirtioWinPlan {
  const index = new FolderIndex(entries);
  const plan: VirtioWinPlan = { profile, drivers: [], licenses: [], errors: [], warnings: [] };

  for (const name of VIRTIO_WIN_PROFILES[profile].drivers) {
    const driver = VIRTIO_WIN_DRIVERS.find((d) => d.name === name)!;
    const found = locateDriver(index, driver);
    const entry: DriverPlan = { name, upstreamDir: driver.upstreamDir, required: driver.required, sources: found.sources, packaged: false };
    plan.drivers.push(entry);
    if (found.problems.length === 0) {
      entry.packaged = true;
      continue;
    }
    if (driver.required) {
      for (const problem of found.problems) plan.errors.push(`required driver ${name}: ${problem}`);
      continue;
    }
    // Left out entirely: half a driver is worse than none (the specs require both arches).
    const present = ARCHES.filter((a) => found.sources[a] !== undefined);
    if (present.length === 1) {
      const arch = present[0]!;
      entry.reason = `present for ${arch} only (${found.sources[arch]}), left out of both arches`;
      plan.warnings.push(`optional driver ${name} is present for ${arch} only (${found.sources[arch]}); ${found.problems.join("; ")}; left out of both arches`);
    } else {
      entry.reason = "not found";
      plan.warnings.push(`optional driver ${name} not found: ${found.problems.join("; ")}; left out`);
    }
  }

  for (const entry of index.children("")) {
    if (entry.isDirectory) continue;
    const upper = asciiUpper(entry.path);
    if (LICENSE_PREFIXES.some((prefix) => upper.startsWith(prefix))) plan.licenses.push(entry.path);
  }
  plan.licenses.sort(compareCodePoints);
  if (plan.licenses.length === 0) {
    plan.warnings.push(`no license files at the image root (searched ${LICENSE_PREFIXES.map((p) => `${p}*`).join(", ")}); licenses/virtio-win/ holds only driver-pack-manifest.json`);
  }
  return plan;
}

function locateDriver(index: FolderIndex, driver: VirtioWinDriver): { sources: Partial<Record<Arch, string>>; problems: string[] } {
  const sources: Partial<Record<Arch, string>> = {};
  const problems: string[] = [];
  const top = index.findFolder("", [driver.upstreamDir]);
  if (top.ambiguous) return { sources, problems: [`several folders match ${driver.upstreamDir} at the image root: ${top.ambiguous.join(", ")}`] };
  if (!top.found) {
    return { sources, problems: [`no folder ${driver.upstreamDir} at the image root (folders there: ${index.subfolderNames("")})`] };
  }
  const root = top.found.path;
  const os = index.findFolder(root, WIN7_FOLDERS);
  if (os.ambiguous) return { sources, problems: [`several Windows 7 folders match under ${root}/: ${os.ambiguous.join(", ")}`] };
  if (!os.found) {
    return {
      sources,
      problems: [`no Windows 7 folder under ${root}/ (searched ${WIN7_FOLDERS.join(", ")}; folders there: ${index.subfolderNames(root)})`],
    };
  }
  const osDir = os.found.path;
  for (const arch of ARCHES) {
    const names = VIRTIO_WIN_ARCH_FOLDERS[arch];
    const hit = index.findFolder(osDir, names);
    if (hit.ambiguous) {
      problems.push(`several ${arch} folders match under ${osDir}/: ${hit.ambiguous.join(", ")}`);
    } else if (!hit.found) {
      problems.push(`no ${arch} folder under ${shown(osDir)} (searched ${names.join(", ")}; folders there: ${index.subfolderNames(osDir)})`);
    } else if (index.filesUnder(hit.found.path) === 0) {
      problems.push(`the ${arch} folder ${hit.found.path}/ holds no files`);
    } else {
      sources[arch] = hit.found.path;
    }
  }
  return { sources, problems };
}

/**
 * The driver files of a plan: every file under each packaged driver's arch folders, mapped to
 * `<arch>/<driver>/<path inside the arch folder>`, sorted by that path.
 */
export function mapDriverFiles(plan: VirtioWinPlan, entries: Iterable<ImageEntry>): MappedFile[] {
  const prefixes: Array<{ prefix: string; target: string }> = [];
  for (const driver of plan.drivers) {
    if (!driver.packaged) continue;
    for (const arch of ARCHES) {
      const source = driver.sources[arch];
      if (source !== undefined) prefixes.push({ prefix: `${source}/`, target: `${arch}/${driver.name}/` });
    }
  }
  const out: MappedFile[] = [];
  for (const entry of entries) {
    if (entry.isDirectory) continue;
    const hit = prefixes.find((p) => entry.path.startsWith(p.prefix));
    if (hit) out.push({ imagePath: entry.path, relative: hit.target + entry.path.slice(hit.prefix.length) });
  }
  return out.sort((a, b) => compareCodePoints(a.relative, b.relative));
}
