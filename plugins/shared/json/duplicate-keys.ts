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
  pointer: string;
  keys: Set<string> | null; // null for arrays
  index: number;
  key: string;
  expectKey: boolean;
}

/**
 * Every duplicate key in valid JSON `text`, in document order. Keys are compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key. Iterative, so deep nesting is fine.
 * Text JSON.parse refuses gives no meaningful answer.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  const valuePointer = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return "";
    return `${top.pointer}/${top.keys ? pointerSegment(top.key) : String(top.index)}`;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "{" || c === "[") {
      stack.push({ pointer: valuePointer(), keys: c === "{" ? new Set() : null, index: 0, key: "", expectKey: c === "{" });
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) found.push({ pointer: `${top.pointer}/${pointerSegment(key)}`, key, offset: i });
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
