/**
 * The one strict JSON reader of the build: unlike JSON.parse, `parseJsonDocument` keeps duplicate
 * keys, key order, the exact text of numbers and source positions, which strict loaders (device
 * contract) and canonical hashing (canonical-json.ts) need; `jsonText` decodes the bytes (UTF-8,
 * one BOM ignored). Nesting deeper than serde_json's recursion limit (128) is an error.
 */

interface Located {
  /** 1-based line and column (in UTF-16 units) where the value starts. */
  line: number;
  column: number;
}
export type JsonValue =
  | (Located & { kind: "null" })
  | (Located & { kind: "bool"; value: boolean })
  | (Located & { kind: "number"; text: string })
  | (Located & { kind: "string"; value: string })
  | (Located & { kind: "array"; items: JsonValue[] })
  | (Located & { kind: "object"; entries: JsonEntry[] });

/** One `"key": value` member, in source order (duplicates kept). */
export interface JsonEntry extends Located {
  key: string;
  value: JsonValue;
}

/** A JSON syntax error; `code` makes asPluginError report it as a user mistake (no stack). */
export class JsonSyntaxError extends Error {
  readonly code = "EJSONSYNTAX";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line} column ${column}`);
    this.name = "JsonSyntaxError";
  }
}

/** serde_json's default recursion limit: 128 nested arrays/objects fail, 127 pass. */
const MAX_DEPTH = 127;

/** Decode input bytes as strict UTF-8 and drop one leading BOM. */
export function jsonText(input: Buffer | string): string {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      throw new JsonSyntaxError("input is not valid UTF-8", 1, 1);
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parse a complete JSON document (RFC 8259 grammar, as strict as serde_json). */
export function parseJsonDocument(input: Buffer | string): JsonValue {
  return new Parser(jsonText(input)).document();
}

class Parser {
  #pos = 0;
  #line = 1;
  #lineStart = 0;
  #depth = 0;

  constructor(readonly text: string) {}

  document(): JsonValue {
    this.#skipWhitespace();
    const value = this.#value();
    this.#skipWhitespace();
    if (this.#pos < this.text.length) this.#fail("trailing characters");
    return value;
  }

  #fail(reason: string, pos = this.#pos): never {
    // Recompute the line for positions other than the current one (only used for errors).
    let line = 1;
    let lineStart = 0;
    if (pos === this.#pos) {
      line = this.#line;
      lineStart = this.#lineStart;
    } else {
      for (let i = 0; i < pos; i++) {
        if (this.text.charCodeAt(i) === 0x0a) {
          line++;
          lineStart = i + 1;
        }
      }
    }
    throw new JsonSyntaxError(reason, line, pos - lineStart + 1);
  }

  #loc(): Located {
    return { line: this.#line, column: this.#pos - this.#lineStart + 1 };
  }

  #skipWhitespace(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) this.#pos++;
      else if (c === 0x0a) {
        this.#pos++;
        this.#line++;
        this.#lineStart = this.#pos;
      } else return;
    }
  }

  #value(): JsonValue {
    const loc = this.#loc();
    const c = this.text[this.#pos];
    switch (c) {
      case undefined:
        return this.#fail("EOF while parsing a value");
      case "{":
        return this.#object(loc);
      case "[":
        return this.#array(loc);
      case '"':
        return { ...loc, kind: "string", value: this.#string() };
      case "t":
        this.#literal("true");
        return { ...loc, kind: "bool", value: true };
      case "f":
        this.#literal("false");
        return { ...loc, kind: "bool", value: false };
      case "n":
        this.#literal("null");
        return { ...loc, kind: "null" };
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return { ...loc, kind: "number", text: this.#number() };
        return this.#fail("expected value");
    }
  }

  #literal(word: string): void {
    if (!this.text.startsWith(word, this.#pos)) this.#fail("expected value");
    this.#pos += word.length;
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH) this.#fail("recursion limit exceeded");
  }

  #array(loc: Located): JsonValue {
    this.#enter();
    this.#pos++; // [
    const items: JsonValue[] = [];
    this.#skipWhitespace();
    if (this.text[this.#pos] === "]") {
      this.#pos++;
    } else {
      for (;;) {
        this.#skipWhitespace();
        items.push(this.#value());
        this.#skipWhitespace();
        const c = this.text[this.#pos];
        if (c === ",") {
          this.#pos++;
          this.#skipWhitespace();
          if (this.text[this.#pos] === "]") this.#fail("trailing comma");
          continue;
        }
        if (c === "]") {
          this.#pos++;
          break;
        }
        this.#fail(c === undefined ? "EOF while parsing a list" : "expected `,` or `]`");
      }
    }
    this.#depth--;
    return { ...loc, kind: "array", items };
  }

  #object(loc: Located): JsonValue {
    this.#enter();
    this.#pos++; // {
    const entries: JsonEntry[] = [];
    this.#skipWhitespace();
    if (this.text[this.#pos] === "}") {
      this.#pos++;
    } else {
      for (;;) {
        this.#skipWhitespace();
        const keyLoc = this.#loc();
        const c0 = this.text[this.#pos];
        if (c0 !== '"') this.#fail(c0 === undefined ? "EOF while parsing an object" : "key must be a string");
        const key = this.#string();
        this.#skipWhitespace();
        if (this.text[this.#pos] !== ":") this.#fail(this.#pos >= this.text.length ? "EOF while parsing an object" : "expected `:`");
        this.#pos++;
        this.#skipWhitespace();
        entries.push({ ...keyLoc, key, value: this.#value() });
        this.#skipWhitespace();
        const c = this.text[this.#pos];
        if (c === ",") {
          this.#pos++;
          this.#skipWhitespace();
          if (this.text[this.#pos] === "}") this.#fail("trailing comma");
          continue;
        }
        if (c === "}") {
          this.#pos++;
          break;
        }
        this.#fail(c === undefined ? "EOF while parsing an object" : "expected `,` or `}`");
      }
    }
    this.#depth--;
    return { ...loc, kind: "object", entries };
  }

  #string(): string {
    const t = this.text;
    this.#pos++; // opening quote
    let out = "";
    let runStart = this.#pos;
    for (;;) {
      if (this.#pos >= t.length) this.#fail("EOF while parsing a string");
      const c = t.charCodeAt(this.#pos);
      if (c === 0x22) {
        out += t.slice(runStart, this.#pos);
        this.#pos++;
        return out;
      }
      if (c < 0x20) this.#fail("control character (\\u0000-\\u001F) found while parsing a string");
      if (c >= 0xd800 && c <= 0xdfff) {
        // Only reachable with string input: a lone surrogate is not valid UTF-8.
        const next = t.charCodeAt(this.#pos + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          this.#pos += 2;
          continue;
        }
        this.#fail("lone surrogate in string (not valid UTF-8)");
      }
      if (c !== 0x5c) {
        this.#pos++;
        continue;
      }
      out += t.slice(runStart, this.#pos);
      const escPos = this.#pos;
      const e = t[this.#pos + 1];
      this.#pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case "\\":
          out += "\\";
          break;
        case "/":
          out += "/";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const unit = this.#hex4(escPos);
          if (unit >= 0xdc00 && unit <= 0xdfff) this.#fail("lone trailing surrogate in hex escape", escPos);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (t[this.#pos] !== "\\" || t[this.#pos + 1] !== "u") this.#fail("lone leading surrogate in hex escape", escPos);
            this.#pos += 2;
            const low = this.#hex4(this.#pos - 2);
            if (low < 0xdc00 || low > 0xdfff) this.#fail("lone leading surrogate in hex escape", escPos);
            out += String.fromCharCode(unit, low);
          } else {
            out += String.fromCharCode(unit);
          }
          break;
        }
        default:
          this.#fail(e === undefined ? "EOF while parsing a string" : "invalid escape", escPos);
      }
      runStart = this.#pos;
    }
  }

  #hex4(escPos: number): number {
    const digits = this.text.slice(this.#pos, this.#pos + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) this.#fail("invalid \\u escape (expected 4 hex digits)", escPos);
    this.#pos += 4;
    return parseInt(digits, 16);
  }

  #number(): string {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.#pos;
    const found = m.exec(this.text);
    if (!found) this.#fail("invalid number");
    const end = this.#pos + found[0].length;
    // "01", "1.", "1e", "-": a digit, dot or exponent right after the match means a malformed number.
    const after = this.text[end];
    if (after !== undefined && /[0-9.eE+-]/.test(after)) this.#fail("invalid number", end);
    if (!Number.isFinite(Number(found[0]))) this.#fail("number out of range");
    this.#pos = end;
    return found[0];
  }
}
