/**
 * Decoding an INF's bytes the way the Rust tool does (aero_packager-behaviors.md §4.5): UTF-8, or
 * UTF-16 with or without a BOM, the byte order voted on when there is none. Pure.
 */

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const utf16le = new TextDecoder("utf-16le", { ignoreBOM: true });

function decodeUtf16(bytes: Uint8Array, bigEndian: boolean): string {
  // Whole code units only; a dangling odd byte is dropped.
  const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
  if (!bigEndian) return utf16le.decode(even);
  const swapped = Buffer.from(even);
  swapped.swap16();
  return utf16le.decode(swapped);
}

type Vote = "le" | "be" | null;

function voteWindow(bytes: Uint8Array, windowSize: number): Vote {
  let len = Math.min(windowSize, bytes.length);
  len -= len % 2;
  if (len < 4) return null;
  let nulEven = 0;
  let nulOdd = 0;
  for (let i = 0; i < len; i++) {
    if (bytes[i] === 0) {
      if (i % 2 === 0) nulEven++;
      else nulOdd++;
    }
  }
  const half = len / 2;
  const ratioEven = nulEven / half;
  const ratioOdd = nulOdd / half;
  if (ratioOdd >= 0.3 && ratioOdd - ratioEven >= 0.2) return "le";
  if (ratioEven >= 0.3 && ratioEven - ratioOdd >= 0.2) return "be";
  return null;
}

/** (replacement chars, NULs, non-ASCII chars, non-newline chars): smaller is a more plausible decode. */
function decodeScore(text: string): number[] {
  let replacement = 0;
  let nul = 0;
  let nonAscii = 0;
  let nonNewline = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfffd) replacement++;
    if (cp === 0) nul++;
    if (cp > 0x7f) nonAscii++;
    if (cp !== 0x0a) nonNewline++;
  }
  return [replacement, nul, nonAscii, nonNewline];
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  }
  return false;
}

/**
 * Decode INF bytes to text: UTF-16LE/BE after a BOM; BOM-less UTF-16 detected by the share of NUL
 * bytes at even/odd offsets in the first 128, 512 and 2048 bytes; otherwise UTF-8 (invalid bytes
 * become U+FFFD). Leading U+FEFF characters are removed.
 */
export function decodeInfText(bytes: Uint8Array): string {
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = decodeUtf16(bytes.subarray(2), false);
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = decodeUtf16(bytes.subarray(2), true);
  } else if (bytes.length >= 4 && bytes.length % 2 === 0) {
    let le = 0;
    let be = 0;
    for (const size of [128, 512, 2048]) {
      const vote = voteWindow(bytes, size);
      if (vote === "le") le++;
      else if (vote === "be") be++;
    }
    if (le === 0 && be === 0) text = utf8.decode(bytes);
    else if (le > be) text = decodeUtf16(bytes, false);
    else if (be > le) text = decodeUtf16(bytes, true);
    else {
      const asLe = decodeUtf16(bytes, false);
      const asBe = decodeUtf16(bytes, true);
      text = lexLess(decodeScore(asBe), decodeScore(asLe)) ? asBe : asLe;
    }
  } else {
    text = utf8.decode(bytes);
  }
  let start = 0;
  while (text.charCodeAt(start) === 0xfeff) start++;
  return text.slice(start);
}
