/**
 * Joliet names: what a name may hold (64 UTF-16 units, BMP only, none of the characters Joliet
 * reserves) and its UCS-2 big-endian bytes.
 */

/** Joliet names: 64 UCS-2 characters (128 bytes), per the Joliet specification. */
export const JOLIET_NAME_MAX = 64;

/** Characters Joliet reserves (control characters and * / : ; ? \). */
const JOLIET_FORBIDDEN = /[\u0000-\u001f*/:;?\\]/;
/** A name with none of the problems below: 1-64 units, no reserved character, no surrogate. */
const JOLIET_SAFE = /^[^\u0000-\u001f*/:;?\\\ud800-\udfff]{1,64}$/;

/**
 * Why a name cannot be a Joliet identifier, or undefined when it can. The message names the
 * rule and its limit; callers add the path.
 */
export function jolietNameProblem(name: string): string | undefined {
  if (JOLIET_SAFE.test(name)) return undefined; // the common case, in one linear scan
  if (name.length > JOLIET_NAME_MAX) {
    return `the name is ${name.length} UTF-16 code units long; Joliet allows at most ${JOLIET_NAME_MAX} (max=${JOLIET_NAME_MAX} code units)`;
  }
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const cp = name.codePointAt(i)!;
      const isPair = cp > 0xffff;
      const shown = isPair ? `'${String.fromCodePoint(cp)}' ` : "";
      return isPair
        ? `character ${shown}(U+${cp.toString(16).toUpperCase()}) is outside the Basic Multilingual Plane; Joliet UCS-2 can only encode U+0000..U+FFFF`
        : `the name contains an unpaired surrogate (U+${unit.toString(16).toUpperCase()}), which is not valid Unicode`;
    }
  }
  const bad = JOLIET_FORBIDDEN.exec(name);
  if (bad) {
    const cp = bad[0].charCodeAt(0);
    const shown = cp < 0x20 ? `control character U+${cp.toString(16).toUpperCase().padStart(4, "0")}` : `'${bad[0]}'`;
    return `the name contains ${shown}, which Joliet does not allow in names (control characters and * / : ; ? \\)`;
  }
  return undefined;
}

/** UCS-2 big-endian bytes of a name that passed `jolietNameProblem`. */
export function encodeUcs2(text: string): Buffer {
  const buf = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buf.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buf;
}

/** Decode UCS-2BE (UTF-16BE) bytes; an odd trailing byte is ignored. */
export function decodeUcs2(bytes: Buffer): string {
  const even = bytes.length & ~1;
  const swapped = Buffer.from(bytes.subarray(0, even));
  swapped.swap16();
  return swapped.toString("utf16le");
}
