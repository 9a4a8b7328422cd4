/**
 * The one JSON reader of plugins/ and tasks/: `readJson` (plain values, duplicate keys refused,
 * positioned syntax errors), `readJsonWithDuplicates` (the same, duplicates listed for loaders
 * that report every problem), `parseJsonDocument` (the located tree: key order, duplicates and
 * the exact text of numbers kept). All three are one parser, as strict as serde_json.
 */
export { JsonSyntaxError, jsonText } from "./text.js";
export { parseJsonDocument, type JsonEntry, type JsonValue } from "./document.js";
export { readJson, readJsonWithDuplicates, findDuplicateKeys, jsonSyntaxError, pointerSegment, type DuplicateKey, type JsonRead } from "./values.js";
