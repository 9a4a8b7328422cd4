/**
 * Duplicate object keys in JSON text. `JSON.parse` silently keeps the last of two equal keys,
 * while the Rust tool (serde) rejects them, so a spec with `"required": false, "required": true`
 * must be an error rather than a coin toss. Pure; runs only on text JSON.parse accepted.
 */

/** A key that appears twice in one object, as a JSON pointer to the second occurrence. */
export interface DuplicateKey {
  pointer: string;
  key: string;
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
        if (top.keys.has(key)) found.push({ pointer: `${top.pointer}/${pointerSegment(key)}`, key });
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

/** 1-based line and column of a UTF-16 offset, for parse error messages. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where the first JSON syntax error in `text` is, with a short description. Node 20's JSON.parse
 * often does not say; called only after JSON.parse failed. Null when no error is found.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | null {
  let i = 0;
  const fail = (message: string): never => {
    throw Object.assign(new Error(message), { offset: i });
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (c: string, what: string) => {
    if (text[i] !== c) fail(i >= text.length ? `unexpected end of input, expected ${what}` : `expected ${what}, found ${JSON.stringify(text[i])}`);
    i++;
  };
  const string = () => {
    expect('"', "a string");
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in string (escape it)");
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 1, i + 5))) fail("bad \\u escape");
          i += 4;
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("bad escape in string");
      }
      i++;
    }
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        expect(":", "':'");
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "}") fail("trailing comma before '}'");
          continue;
        }
        expect("}", "',' or '}'");
        return;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") fail("trailing comma before ']'");
          continue;
        }
        expect("]", "',' or ']'");
        return;
      }
    }
    if (c === '"') return string();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(i >= text.length ? "unexpected end of input, expected a value" : `expected a value, found ${JSON.stringify(c)}`);
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the JSON value`);
    return null;
  } catch (err) {
    const offset = (err as { offset?: number }).offset;
    return typeof offset === "number" ? { offset, message: (err as Error).message } : null;
  }
}
