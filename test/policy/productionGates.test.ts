/**
 * A pack config cannot switch off what protects production: the plan of a prod stack refuses a config
 * that disables a production gate (naming the file and the key), and every plan lists the policies its
 * config leaves unchecked.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { enforcementOf, notEnforced, PRODUCTION_GATES } from "../../plan/policyRunner";
import { ALL_POLICIES } from "../../policy/policies";
import { env, lockstep, snapshot, tempProject } from "../cliKit";

const withPackConfig = (stack: string, config: Record<string, unknown>) => {
  const dir = tempProject();
  fs.writeFileSync(path.join(dir, "policy", "config", `${stack}.json`), JSON.stringify(config));
  return dir;
};

describe("production gates", () => {
  it("refuses all: disabled for prod, naming the file, the key and every gate it switches off", async () => {
    const dir = withPackConfig("prod", { all: "disabled" });
    const before = snapshot(dir);
    const r = await lockstep(env(dir), "plan", "--stack", "prod");
    assert.equal(r.code, 2, r.stdout);
    assert.equal(
      r.stderr.trim(),
      `lockstep plan: ${path.join(dir, "policy", "config", "prod.json")}: all disables ${PRODUCTION_GATES.join(", ")}, the gates that protect a production stack; prod is environment prod, where they may be mandatory or advisory, never disabled`,
    );
    assert.deepEqual(snapshot(dir), before);
  });

  it("names the gate's own key, and lets an explicit level win over all", async () => {
    const one = await lockstep(
      env(withPackConfig("prod", { all: "mandatory", "canary-bounds": "disabled" })),
      "plan",
      "--stack",
      "prod",
    );
    assert.equal(one.code, 2);
    assert.match(one.stderr, /prod\.json: canary-bounds disables canary-bounds, the gates/);
    const kept = { all: "disabled", ...Object.fromEntries(PRODUCTION_GATES.map((g) => [g, "mandatory"])) };
    const ok = await lockstep(env(withPackConfig("prod", kept)), "plan", "--stack", "prod");
    assert.equal(ok.code, 0, ok.stderr);
    const off = ALL_POLICIES.map((p) => p.name).filter((n) => !PRODUCTION_GATES.includes(n));
    assert.equal(
      ok.stdout.trimEnd().split("\n").pop(),
      `policies not enforced (disabled in policy/config/prod.json): ${off.join(", ")}`,
    );
  });

  it("lets staging switch them off, and says so in the plan", async () => {
    const r = await lockstep(
      env(withPackConfig("staging", { all: "mandatory", "pre-upgrade-backup": "disabled" })),
      "plan",
      "--stack",
      "staging",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trimEnd().split("\n").pop(),
      "policies not enforced (disabled in policy/config/staging.json): pre-upgrade-backup",
    );
  });

  it("reads a level from the entry, its object form, all, then the policy's default", () => {
    assert.equal(
      enforcementOf({ all: "advisory", "canary-bounds": { enforcementLevel: "disabled" } }, "canary-bounds"),
      "disabled",
    );
    assert.equal(enforcementOf({ all: "advisory" }, "canary-bounds"), "advisory");
    assert.equal(enforcementOf({ "canary-bounds": { maxCanaryPercent: 20 } }, "canary-bounds"), "mandatory");
    assert.deepEqual(notEnforced({}), []);
  });
});
