/**
 * The packaging spec's schema validator is precompiled (issue 15: compiling the schema with ajv at
 * every start cost a sample build over 0.1 s): plugins/packaging-spec/spec-validator.generated.ts
 * is ajv's standalone code for schema.ts with the loader's options. It must be what the schema
 * gives today, and judge every document as ajv compiling the schema does, errors included.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { packagingSpecSchema } from "../plugins/packaging-spec/schema.js";
import { SPEC_VALIDATOR_FILE, SPEC_VALIDATOR_OPTIONS, specValidatorSource } from "../plugins/packaging-spec/spec-validator-source.js";
import { validatePackagingSpec } from "../plugins/packaging-spec/spec-validator.generated.js";
import { REPO } from "./support/fixtures.js";

describe("the precompiled spec validator", () => {
  it("is the standalone code of today's schema (regenerate: npm run generate)", () => {
    assert.equal(readFileSync(SPEC_VALIDATOR_FILE, "utf8"), specValidatorSource(), "plugins/packaging-spec/spec-validator.generated.ts is stale: run npm run generate");
  });

  it("gives the verdicts and errors of ajv compiling the schema", () => {
    const compiled = new Ajv2020(SPEC_VALIDATOR_OPTIONS).compile(packagingSpecSchema);
    const sample = JSON.parse(readFileSync(path.join(REPO, "specs/sample.json"), "utf8")) as Record<string, unknown>;
    const documents: unknown[] = [
      sample,
      JSON.parse(readFileSync(path.join(REPO, "specs/win7-virtio-full.json"), "utf8")),
      { ...sample, unknown_field: 1 },
      { drivers: [{ name: 7, required: "yes", expected_inf_files: "x.inf" }], fail_on_unlisted_driver_dirs: "no" },
      { drivers: "none" },
      [],
      null,
    ];
    let rejected = 0;
    for (const doc of documents) {
      const verdict = validatePackagingSpec(doc);
      assert.equal(verdict, compiled(doc), JSON.stringify(doc));
      assert.deepEqual(validatePackagingSpec.errors ?? null, compiled.errors ?? null, JSON.stringify(doc));
      if (!verdict) rejected++;
    }
    assert.ok(rejected >= 4, "the bad documents are rejected");
  });
});
