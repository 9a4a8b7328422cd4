/**
 * JSON as plain values (what JSON.parse gives), read through the one strict parser so that every
 * reader of the build refuses the same things: a duplicate key (JSON.parse silently keeps the
 * last, serde rejects it, so `"required": false, "required": true` must not be a coin toss), and
 * a syntax error names its line and column (Node 20's JSON.parse often does not say where).
 */
import { parseJsonDocument, type JsonValue } from "./document.js";
import { JsonSyntaxError } from "./text.js";

/** A key that appears twice in one object, as a JSON pointer to the second occurrence. */
export interface DuplicateKey {
  pointer: string;
  key: string;
  /** 1-based line and column of the second occurrence. */
  line: number;
  column: number;
}

/** Plain values and every duplicate key (the last value of a duplicate wins, as in JSON.parse). */
export interface JsonRead {
  value: unknown;
  duplicates: DuplicateKey[];
}

/** Escape one JSON pointer segment (RFC 6901). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Read JSON (bytes: strict UTF-8, one BOM ignored) into plain values, listing duplicate keys
 * rather than refusing them, for loaders that report every problem at once. Throws
 * JsonSyntaxError.
 */
export function readJsonWithDuplicates(input: Buffer | string): JsonRead {
  const duplicates: DuplicateKey[] = [];
  const value = plain(parseJsonDocument(input), "", duplicates);
  return { value, duplicates };
}

/** Read JSON into plain values; a duplicate key is a JsonSyntaxError at its second occurrence. */
export function readJson(input: Buffer | string): unknown {
  const { value, duplicates } = readJsonWithDuplicates(input);
  const dup = duplicates[0];
  if (dup) throw new JsonSyntaxError(`duplicate field \`${dup.key}\``, dup.line, dup.column);
  return value;
}

function plain(node: JsonValue, pointer: string, duplicates: DuplicateKey[]): unknown {
  switch (node.kind) {
    case "null":
      return null;
    case "bool":
    case "string":
      return node.value;
    case "number":
      return Number(node.text);
    case "array":
      return node.items.map((item, i) => plain(item, `${pointer}/${i}`, duplicates));
    case "object": {
      // Collected in a Map, then defined as own properties, so that "__proto__" is data, as with JSON.parse.
      const seen = new Map<string, unknown>();
      for (const entry of node.entries) {
        const at = `${pointer}/${pointerSegment(entry.key)}`;
        if (seen.has(entry.key)) duplicates.push({ pointer: at, key: entry.key, line: entry.line, column: entry.column });
        seen.set(entry.key, plain(entry.value, at, duplicates));
      }
      return Object.fromEntries(seen);
    }
  }
}

/**
 * Every duplicate key of valid JSON `text`, in document order (none when `text` is not valid).
 * Keys are compared after unescaping, so `"a"` and `"\u0061"` are the same key.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  try {
    return readJsonWithDuplicates(text).duplicates;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return [];
    throw err;
  }
}

/** Where the first JSON syntax error in `text` is, with its reason; null when there is none. */
export function jsonSyntaxError(text: string): { offset: number; message: string } | null {
  try {
    parseJsonDocument(text);
    return null;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { offset: err.offset, message: err.reason };
    throw err;
  }
}
