/**
 * Finding the device contract when none is given (aero_packager-behaviors.md §1.1): the first
 * `docs/windows-device-contract.json` that is a file (symlinks followed) in the guest-tools dir or
 * one of its parents. Like the Rust loop, 16 directories are looked at in all: the guest-tools
 * dir and up to 15 ancestors. Unlike the Rust tool, the dir is made absolute first, so a relative
 * `guest-tools` argument still climbs above the current directory.
 */
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const CONTRACT_RELATIVE_PATH = join("docs", "windows-device-contract.json");
/** How many directories are searched, the guest-tools dir included. */
export const CONTRACT_SEARCH_LEVELS = 16;

/** The absolute path of the contract that applies to `guestToolsDir`, or undefined when there is none. */
export function findDeviceContract(guestToolsDir: string): string | undefined {
  let dir = resolve(guestToolsDir);
  for (let level = 0; level < CONTRACT_SEARCH_LEVELS; level++) {
    const candidate = join(dir, CONTRACT_RELATIVE_PATH);
    if (isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break; // reached the root
    dir = parent;
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // missing, unreadable or a dangling link: not a contract (Rust's Path::is_file)
  }
}
