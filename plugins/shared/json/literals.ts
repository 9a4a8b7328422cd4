/**
 * The two JSON tokens with an inner grammar, strings and numbers, scanned as pure functions of
 * the text and a position (the parser keeps the lines). Both are as strict as serde_json.
 */

/** Throws the syntax error `reason` at offset `pos` of the text. */
export type FailAt = (reason: string, pos: number) => never;

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * The value of the string literal whose opening quote is at `start`, and the offset just after
 * its closing quote. Raw runs are sliced, not copied character by character.
 */
export function scanString(t: string, start: number, fail: FailAt): { value: string; end: number } {
  let pos = start + 1; // opening quote
  let out = "";
  let runStart = pos;
  for (;;) {
    if (pos >= t.length) fail("EOF while parsing a string", pos);
    const c = t.charCodeAt(pos);
    if (c === 0x22) return { value: out + t.slice(runStart, pos), end: pos + 1 };
    if (c < 0x20) fail("control character (\\u0000-\\u001F) found while parsing a string", pos);
    if (c >= 0xd800 && c <= 0xdfff) {
      // Only reachable with string input: a lone surrogate is not valid UTF-8.
      const next = t.charCodeAt(pos + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        pos += 2;
        continue;
      }
      fail("lone surrogate in string (not valid UTF-8)", pos);
    }
    if (c !== 0x5c) {
      pos++;
      continue;
    }
    out += t.slice(runStart, pos);
    const escaped = escape(t, pos, fail);
    out += escaped.value;
    pos = runStart = escaped.end;
  }
}

/**
 * One backslash escape starting at `escPos`: its text and the offset after it. Its errors point
 * at the letter after the backslash (the column the spec loader has always reported).
 */
function escape(t: string, escPos: number, fail: FailAt): { value: string; end: number } {
  const at = escPos + 1;
  const e = t[at];
  if (e === undefined) return fail("EOF while parsing a string", at);
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) return { value: simple, end: escPos + 2 };
  if (e !== "u") return fail("invalid escape", at);
  const unit = hex4(t, escPos + 2, at, fail);
  if (unit >= 0xdc00 && unit <= 0xdfff) fail("lone trailing surrogate in hex escape", at);
  if (unit < 0xd800 || unit > 0xdbff) return { value: String.fromCharCode(unit), end: escPos + 6 };
  // A leading surrogate must be followed by an escaped trailing one.
  if (t[escPos + 6] !== "\\" || t[escPos + 7] !== "u") fail("lone leading surrogate in hex escape", at);
  const low = hex4(t, escPos + 8, escPos + 7, fail);
  if (low < 0xdc00 || low > 0xdfff) fail("lone leading surrogate in hex escape", at);
  return { value: String.fromCharCode(unit, low), end: escPos + 12 };
}

function hex4(t: string, pos: number, errorAt: number, fail: FailAt): number {
  const digits = t.slice(pos, pos + 4);
  if (!/^[0-9A-Fa-f]{4}$/.test(digits)) fail("invalid \\u escape (expected 4 hex digits)", errorAt);
  return parseInt(digits, 16);
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The text of the number literal at `pos` (within f64's range). */
export function scanNumber(t: string, pos: number, fail: FailAt): string {
  NUMBER.lastIndex = pos;
  const found = NUMBER.exec(t);
  if (!found) return fail("invalid number", pos);
  const end = pos + found[0].length;
  // "01", "1.", "1e", "-": a digit, dot or exponent right after the match means a malformed number.
  const after = t[end];
  if (after !== undefined && /[0-9.eE+-]/.test(after)) fail("invalid number", end);
  if (!Number.isFinite(Number(found[0]))) fail("number out of range", pos);
  return found[0];
}
