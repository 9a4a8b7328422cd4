/**
 * JSON as plain values, what JSON.parse gives and accepts, with what JSON.parse cannot do: a
 * duplicate key (JSON.parse silently keeps the last, serde rejects it) is found, and a syntax
 * error names its line and column (Node 20's JSON.parse often does not say where). JSON.parse
 * is the fast path; the strict parser (document.ts) runs only to place an error it reported.
 */
import { parseJsonDocument } from "./document.js";
import { findDuplicateKeys, type DuplicateKey } from "./duplicate-keys.js";
import { JsonSyntaxError, jsonText } from "./text.js";

/** Plain values and every duplicate key (the last value of a duplicate wins, as in JSON.parse). */
export interface JsonRead {
  value: unknown;
  duplicates: DuplicateKey[];
}

/**
 * Read JSON (bytes: strict UTF-8, one BOM ignored) into plain values, listing duplicate keys
 * rather than refusing them, for loaders that report every problem at once. Throws
 * JsonSyntaxError.
 */
export function readJsonWithDuplicates(input: Buffer | string): JsonRead {
  const text = jsonText(input);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw placedSyntaxError(text, err as Error);
  }
  return { value, duplicates: findDuplicateKeys(text) };
}

/** Read JSON into plain values; a duplicate key is a JsonSyntaxError at its second occurrence. */
export function readJson(input: Buffer | string): unknown {
  const text = jsonText(input);
  const { value, duplicates } = readJsonWithDuplicates(text);
  const dup = duplicates[0];
  if (dup) {
    const { line, column } = lineColumn(text, dup.offset);
    throw new JsonSyntaxError(`duplicate field \`${dup.key}\``, line, column, dup.offset);
  }
  return value;
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

/** The strict parser's error for text JSON.parse refused (JSON.parse's own, should they disagree). */
function placedSyntaxError(text: string, parseError: Error): JsonSyntaxError {
  try {
    parseJsonDocument(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err;
    throw err;
  }
  return new JsonSyntaxError(parseError.message, 1, 1);
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
