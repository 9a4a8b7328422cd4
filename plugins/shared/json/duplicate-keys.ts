/**
 * Duplicate object keys in JSON text. `JSON.parse` silently keeps the last of two equal keys,
 * while the Rust tool (serde) rejects them, so a spec with `"required": false, "required": true`
 * must be an error rather than a coin toss. A tokenizer, not a parser: it runs only on text
 * JSON.parse accepted (values.ts), which keeps the plain-value reader at JSON.parse's speed.
 */

/** A key that appears twice in one object, as a JSON pointer to the second occurrence. */
export interface DuplicateKey {
  pointer: string;
  key: string;
  /** UTF-16 offset of the second occurrence's opening quote. */
  offset: number;
}

/** Escape one JSON pointer segment (RFC 6901). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

interface Frame {
  parent: Frame | undefined;
  /** Where this value sits in its parent: a key or an index (unused for the top level). */
  slot: string | number;
  keys: Set<string> | null; // null for arrays
  index: number;
  key: string;
  expectKey: boolean;
}

/** The JSON pointer of a frame's value, built only when a duplicate needs it. */
function pointerOf(frame: Frame): string {
  let pointer = "";
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) {
    pointer = `/${typeof f.slot === "number" ? String(f.slot) : pointerSegment(f.slot)}${pointer}`;
  }
  return pointer;
}

/** Offset of the quote closing the string whose opening quote is at `start`. */
function closingQuote(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  for (;;) {
    if (j < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

/**
 * Every duplicate key in valid JSON `text`, in document order. Keys are compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key. Iterative, so deep nesting is fine.
 * Text JSON.parse refuses gives no meaningful answer. Strings are skipped with indexOf and only
 * a key with an escape is decoded: a manifest of 100,000 files costs a fraction of JSON.parse.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  let top: Frame | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { or [
      const slot = top ? (top.keys ? top.key : top.index) : "";
      top = { parent: top, slot, keys: c === 0x7b ? new Set() : null, index: 0, key: "", expectKey: c === 0x7b };
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      // } or ]
      top = top?.parent;
      i++;
    } else if (c === 0x2c) {
      // ,
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
      i++;
    } else if (c === 0x22) {
      const j = closingQuote(text, i);
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) found.push({ pointer: `${pointerOf(top)}/${pointerSegment(key)}`, key, offset: i });
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j + 1;
    } else {
      i++; // whitespace, ':', numbers, literals
    }
  }
  return found;
}
