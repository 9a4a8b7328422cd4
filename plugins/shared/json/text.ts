/**
 * What every JSON reader of the build shares: the syntax error it throws (with line, column and
 * offset) and the decoding of input bytes (strict UTF-8, one BOM ignored).
 */

/** A JSON syntax error; `code` makes asPluginError report it as a user mistake (no stack). */
export class JsonSyntaxError extends Error {
  readonly code = "EJSONSYNTAX";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** UTF-16 offset into the decoded text (BOM removed) where the error is. */
    readonly offset = 0,
  ) {
    super(`${reason} at line ${line} column ${column}`);
    this.name = "JsonSyntaxError";
  }
}

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
