/** How one problem of a packaging spec reads: a JSON pointer and a message (schema errors worded here). */
import type { ErrorObject } from "ajv";
import { pointerSegment } from "../shared/json/index.js";

export interface SpecProblem {
  pointer: string;
  message: string;
}

/** One ajv error as a spec problem: an unknown field lists the allowed ones, a type error says what it got. */
export function describeSchemaError(e: ErrorObject): SpecProblem {
  const at = e.instancePath;
  switch (e.keyword) {
    case "additionalProperties": {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        pointer: `${at}/${pointerSegment(field)}`,
        message: `unknown field "${field}", expected one of: ${allowed.join(", ")}`,
      };
    }
    case "required":
      return { pointer: at, message: `missing field "${(e.params as { missingProperty: string }).missingProperty}"` };
    case "type": {
      const want = ([] as string[]).concat((e.params as { type: string | string[] }).type).join(" or ");
      return { pointer: at, message: `must be ${want}, got ${jsonType(e.data)}` };
    }
    default:
      return { pointer: at, message: e.message ?? e.keyword };
  }
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
