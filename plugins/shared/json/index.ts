/**
 * The one JSON reader of plugins/ and tasks/: `readJson` (plain values, duplicate keys refused,
 * positioned syntax errors), `readJsonWithDuplicates` (the same, duplicates listed for loaders
 * that report every problem), `parseJsonDocument` (the located tree, as strict as serde_json:
 * key order, duplicates and the exact text of numbers kept). Every syntax error comes from that
 * one parser; plain values take JSON.parse as their fast path.
 */
export { JsonSyntaxError, jsonText } from "./text.js";
export { parseJsonDocument, type JsonEntry, type JsonValue } from "./document.js";
export { readJson, readJsonWithDuplicates, jsonSyntaxError, type JsonRead } from "./values.js";
export { findDuplicateKeys, pointerSegment, type DuplicateKey } from "./duplicate-keys.js";
