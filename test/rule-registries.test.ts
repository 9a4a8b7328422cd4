/**
 * Each checking plugin keeps its rule ids in one registry (issue 18, item 4): every id its code
 * reports is registered (the type system refuses an unregistered one; this also covers ids
 * passed through helpers), and every registered id is reported somewhere, so the registry is the
 * true list a new rule is added to.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CONTRACT_RULES } from "../plugins/devices-cmd/rules.js";
import { GUEST_TOOLS_LAYOUT_RULES } from "../plugins/guest-tools-layout/rules.js";
import { PAYLOAD_POLICY_RULES } from "../plugins/payload-policy/rules.js";
import { VALIDATE_SPEC_RULES } from "../plugins/validate-spec/rules.js";
import { REPO } from "./support/fixtures.js";

const REGISTRIES: { folder: string; rules: Record<string, string>; skip?: string[] }[] = [
  { folder: "validate-spec", rules: VALIDATE_SPEC_RULES },
  { folder: "payload-policy", rules: PAYLOAD_POLICY_RULES },
  { folder: "guest-tools-layout", rules: GUEST_TOOLS_LAYOUT_RULES },
  { folder: "devices-cmd", rules: CONTRACT_RULES },
];

/** Rule ids written as literals in a folder's code: `rule: "id"` and the helpers' `add("id", ...)`. */
function reportedIds(folder: string, skip: string[] = []): Set<string> {
  const ids = new Set<string>();
  const dir = path.join(REPO, "plugins", folder);
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts") && !skip.includes(f))) {
    const text = readFileSync(path.join(dir, name), "utf8");
    for (const m of text.matchAll(/\brule:\s*"([a-z0-9-]+)"|\badd\(\s*"([a-z0-9-]+)"|\blookup\([^,()]+,\s*"([a-z0-9-]+)"/g)) ids.add((m[1] ?? m[2] ?? m[3])!);
  }
  return ids;
}

describe("rule registries, one per checking plugin", () => {
  for (const { folder, rules, skip } of REGISTRIES) {
    it(`plugins/${folder}/rules.ts lists every rule its code reports, each with what it checks`, () => {
      const used = reportedIds(folder, skip);
      assert.ok(used.size > 0, "found no rule ids: the scan is broken");
      assert.deepEqual([...used].filter((id) => !(id in rules)).sort(), [], "reported but not registered");
      for (const [id, what] of Object.entries(rules)) assert.ok(/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id) && what.length > 10, `${id}: ${what}`);
    });

    it(`plugins/${folder}/rules.ts registers no rule that nothing reports`, () => {
      const used = reportedIds(folder);
      assert.deepEqual(Object.keys(rules).filter((id) => !used.has(id)).sort(), []);
    });
  }
});
