/**
 * Fuzz target: INF decoding and parsing (plugins/inf/inf.ts). These are pure functions
 * over untrusted driver files: they must never throw, and their results must be consistent.
 */
import {
  decodeInfText,
  infAddServiceNames,
  infContentLines,
  infReferencedFiles,
  infsDeclareService,
  infsMatchPattern,
  missingInfReferences,
  normalizeInfToken,
  parseInf,
} from "../../plugins/inf/inf.js";
import { boundedSync, invariant } from "./guard.js";

const HWID = /PCI\\VEN_1AF4&DEV_10[0-9A-F]{2}/iu;

export function fuzz(data: Buffer): void {
  boundedSync(() => check(data));
}

function check(data: Buffer): void {
  const text = decodeInfText(data);
  invariant(text.charCodeAt(0) !== 0xfeff, "decoded text starts with a BOM");
  const lines = infContentLines(text);
  for (const line of lines) invariant(line !== "" && !line.includes("\n") && !line.includes(";"), `bad content line ${JSON.stringify(line)}`);
  const { sections } = parseInf(text);
  for (const [key, section] of sections) invariant(key === key.replace(/[A-Z]/g, (c) => c.toLowerCase()), `section key ${key} not lowercased`);
  for (const section of sections.values()) for (const line of section.lines) invariant(lines.includes(line), "section line not a content line");
  const refs = infReferencedFiles(text);
  for (const f of refs.files) invariant(f !== "" && !f.includes("%"), `bad reference ${JSON.stringify(f)}`);
  for (const f of refs.files) normalizeInfToken(f);
  const services = infAddServiceNames(text);
  for (const s of services) invariant(infsDeclareService([text], s), `AddService ${s} not declared`);
  infsMatchPattern([text], HWID);
  missingInfReferences(new Map([["x/a.inf", text]]), ["x/a.inf", "a.sys", "a.cat"]);
}
