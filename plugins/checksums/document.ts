/**
 * SHA256SUMS in the GNU coreutils format that `sha256sum -c` reads: one line per file, the hex
 * digest, two spaces (text mode; identical bytes to binary mode on every system we target), the
 * file name. Names sorted by code point; a name with a newline or a backslash would need
 * coreutils' escaping, and ours never have one, so they are refused instead.
 */
import { compareCodePoints } from "../shared/paths.js";

export const CHECKSUMS_NAME = "SHA256SUMS";

export function sha256SumsText(entries: { name: string; sha256: string }[]): string {
  const lines = [...entries]
    .sort((a, b) => compareCodePoints(a.name, b.name))
    .map(({ name, sha256 }) => {
      if (/[\n\r\\]/.test(name)) throw new Error(`${JSON.stringify(name)} cannot be listed in ${CHECKSUMS_NAME} (newline or backslash)`);
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256 digest: ${sha256}`);
      return `${sha256}  ${name}\n`;
    });
  return lines.join("");
}
