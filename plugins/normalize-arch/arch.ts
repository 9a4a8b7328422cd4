/** Pure mapping of input arch folder names to the two arches the media ships. */
import { asciiLower } from "../shared/paths.js";

export type Arch = "x86" | "amd64";

const ARCH_ALIASES: Record<string, Arch> = {
  x86: "x86",
  win32: "x86",
  i386: "x86",
  amd64: "amd64",
  x64: "amd64",
  x86_64: "amd64",
  "x86-64": "amd64",
};

/** The arch an input folder name stands for (ASCII-case-insensitive), or undefined. */
export function archOf(folder: string): Arch | undefined {
  return Object.hasOwn(ARCH_ALIASES, asciiLower(folder)) ? ARCH_ALIASES[asciiLower(folder)] : undefined;
}

/**
 * The media path of a driver file: `x64/viostor/a.inf` and `drivers/x64/viostor/a.inf` both become
 * `drivers/amd64/viostor/a.inf`. Paths that are not under an arch folder are returned unchanged.
 */
export function normalizeArchPath(packagePath: string): string {
  const parts = packagePath.split("/");
  const offset = parts[0] === "drivers" ? 1 : 0;
  if (parts.length < offset + 2) return packagePath; // an arch folder needs something inside it
  const arch = archOf(parts[offset]!);
  if (!arch) return packagePath;
  return ["drivers", arch, ...parts.slice(offset + 1)].join("/");
}
