/**
 * Canonical JSON: the form input files are hashed in, so that reformatting a spec or a contract
 * does not change its recorded hash (aero_packager-behaviors.md §7.3).
 *
 * The Rust tool parses into a serde_json `Value` and prints it compactly. We match that output:
 * - objects: keys sorted by code point (= UTF-8 byte order, not JS's UTF-16 order); for a
 *   duplicate key the last value wins; no whitespace anywhere;
 * - integers (no fraction, no exponent) are kept exactly when they fit u64 (positive) or i64
 *   (negative), even beyond 2^53; `-0` becomes the float `-0.0`, as in serde_json;
 * - every other number becomes an f64 printed like the ryu crate: shortest round-trip digits,
 *   `1.0` (never `1`), `0.0001`, `1e-5`... see `formatF64`; a number that overflows f64 is an error;
 * - strings are re-escaped like serde_json (and JSON.stringify): `\"`, `\\`, `\b \f \n \r \t`,
 *   other control characters as lowercase `\u00xx`, everything else raw (`/` too);
 * - nesting deeper than serde_json's recursion limit (128) is an error.
 * Improvement over the Rust tool: one leading UTF-8 BOM is ignored (§12 item 1).
 * Known difference: serde_json (default features) parses decimal fractions with a fast algorithm
 * that can be one ulp off for inputs with more than ~17 significant digits; we round correctly.
 *
 * The document is read by json/ (its located tree; re-exported here, as before).
 */
import { createHash } from "node:crypto";
import { compareCodePoints } from "./paths.js";
import { parseJsonDocument, type JsonValue } from "./json/index.js";

export { JsonSyntaxError, jsonText, parseJsonDocument, type JsonEntry, type JsonValue } from "./json/index.js";

/** Keys sort by code point (serde_json's BTreeMap order over UTF-8 bytes). */
export const compareKeys = compareCodePoints;

const U64_MAX = 2n ** 64n - 1n;
const I64_NEG_LIMIT = 2n ** 63n;

/**
 * The canonical text of a JSON number literal: exact integers within u64/i64, else an f64 in
 * ryu's format. Throws a RangeError for numbers beyond f64 (serde_json: "number out of range").
 */
export function canonicalNumber(text: string): string {
  if (/^-?[0-9]+$/.test(text)) {
    const negative = text.startsWith("-");
    const magnitude = BigInt(negative ? text.slice(1) : text);
    if (!negative && magnitude <= U64_MAX) return magnitude.toString();
    if (negative && magnitude !== 0n && magnitude <= I64_NEG_LIMIT) return `-${magnitude}`;
    // "-0" and out-of-range integers become floats, as in serde_json.
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`number out of range: ${text}`);
  return formatF64(value);
}

/**
 * Format a finite double exactly like the ryu crate's `Buffer::format_finite` (which serde_json
 * uses): shortest round-trip digits d1..dn with decimal exponent kk (value = 0.d1..dn × 10^kk), then
 * - 0 ≤ k (= kk − n) and kk ≤ 16:  digits, k zeros, ".0"          1e15 → "1000000000000000.0"
 * - 0 < kk ≤ 16:                   digits with a point inserted   1.5, 123.456
 * - −5 < kk ≤ 0:                   "0." then −kk zeros, digits    1e-5 → "0.00001"
 * - otherwise, one digit:          "<d>e<kk−1>"                   1e16, 1e-6, 5e-324
 * - otherwise:                     "<d>.<rest>e<kk−1>"            1.2345e20
 * Zero is "0.0" or "-0.0" (ryu src/pretty/mod.rs, format64). JS's String(x) picks the same
 * shortest, closest digits as ryu's d2d; only the layout differs.
 */
export function formatF64(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  if (value === 0) return `${sign}0.0`;
  const { digits, kk } = shortestDigits(Math.abs(value));
  const n = digits.length;
  const k = kk - n;
  if (k >= 0 && kk <= 16) return `${sign}${digits}${"0".repeat(k)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${"0".repeat(-kk)}${digits}`;
  const exponent = kk - 1;
  if (n === 1) return `${sign}${digits}e${exponent}`;
  return `${sign}${digits[0]}.${digits.slice(1)}e${exponent}`;
}

/** Significant digits of String(x) (no leading/trailing zeros) and the decimal point position. */
function shortestDigits(x: number): { digits: string; kk: number } {
  const s = String(x);
  const [mantissa = "", exp = "0"] = s.split("e");
  const [intPart = "", fracPart = ""] = mantissa.split(".");
  let all = intPart + fracPart;
  let point = intPart.length + Number(exp);
  const lead = all.length - all.replace(/^0+/, "").length;
  all = all.slice(lead);
  point -= lead;
  all = all.replace(/0+$/, "");
  return { digits: all, kk: point };
}

/** Serialize a parsed value compactly with sorted keys (last duplicate wins). */
export function canonicalizeValue(value: JsonValue): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join("");
}

function write(value: JsonValue, out: string[]): void {
  switch (value.kind) {
    case "null":
      out.push("null");
      return;
    case "bool":
      out.push(value.value ? "true" : "false");
      return;
    case "number":
      out.push(canonicalNumber(value.text));
      return;
    case "string":
      out.push(JSON.stringify(value.value));
      return;
    case "array":
      out.push("[");
      value.items.forEach((item, i) => {
        if (i) out.push(",");
        write(item, out);
      });
      out.push("]");
      return;
    case "object": {
      const last = new Map<string, JsonValue>();
      for (const entry of value.entries) last.set(entry.key, entry.value);
      const keys = [...last.keys()].sort(compareKeys);
      out.push("{");
      keys.forEach((key, i) => {
        if (i) out.push(",");
        out.push(JSON.stringify(key), ":");
        write(last.get(key)!, out);
      });
      out.push("}");
      return;
    }
  }
}

/** The canonical (compact, key-sorted) JSON text of a document. Throws JsonSyntaxError. */
export function canonicalJson(bytes: Buffer | string): string {
  return canonicalizeValue(parseJsonDocument(bytes));
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `canonicalJson(bytes)`. */
export function canonicalJsonSha256(bytes: Buffer | string): string {
  return sha256OfCanonical(parseJsonDocument(bytes));
}

/** Lowercase hex SHA-256 of an already parsed document's canonical form. */
export function sha256OfCanonical(value: JsonValue): string {
  return createHash("sha256").update(canonicalizeValue(value), "utf8").digest("hex");
}
