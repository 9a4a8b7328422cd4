/**
 * The located JSON tree: unlike JSON.parse, `parseJsonDocument` keeps duplicate keys, key order,
 * the exact text of numbers and source positions, which strict loaders (device contract),
 * canonical hashing (canonical-json.ts) and the plain-value reader (values.ts) need. Nesting
 * deeper than serde_json's recursion limit (128) is an error.
 */
import { scanNumber, scanString, type FailAt } from "./literals.js";
import { JsonSyntaxError, jsonText } from "./text.js";

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

/** serde_json's default recursion limit: 128 nested arrays/objects fail, 127 pass. */
const MAX_DEPTH = 127;

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
    throw new JsonSyntaxError(reason, line, pos - lineStart + 1, pos);
  }

  readonly #failAt: FailAt = (reason, pos) => this.#fail(reason, pos);

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
    const { value, end } = scanString(this.text, this.#pos, this.#failAt);
    this.#pos = end;
    return value;
  }

  #number(): string {
    const text = scanNumber(this.text, this.#pos, this.#failAt);
    this.#pos += text.length;
    return text;
  }
}
