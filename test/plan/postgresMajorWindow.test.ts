/**
 * The PostgreSQL 16 -> 17 window of 1.5.1 -> 2.0.0 as the program declares it: the pre-upgrade Backups
 * first, the clusters upgraded in place, then a base backup of 17 of each, awaited; and the plan says so.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { named, orderedAfter, planStack, prop } from "../helpers";

const WINDOW = [
  "deployed=1.5.1",
  "release=2.0.0",
  "upgrade.mode=coordinated",
  "console.blue=2.0.0",
  "console.green=2.0.0",
];

describe("a window across PostgreSQL majors", () => {
  it("takes a base backup of the new major after each cluster is upgraded, awaited, with no policy violation", async () => {
    const result = await planStack("staging", ...WINDOW);
    assert.deepEqual(result.violations, []);
    assert.equal(result.upgrade?.postgres?.method, "in-place");
    for (const cluster of ["platform-db", "keycloak-db"]) {
      const base = named(result.resources, `${cluster}-pg17-base`);
      assert.equal(prop(base, "spec.cluster.name"), cluster);
      assert.equal((prop(base, "metadata.labels") as Record<string, string>)["lockstep.dev/major-base"], "17");
      assert.ok(orderedAfter(result, `${cluster}-pg17-base`, `${cluster}-cluster`), `${cluster}: after the upgrade`);
      const check = named(result.resources, `await-${cluster}-pg17-base`);
      assert.ok(check.dependsOn.includes(`${cluster}-pg17-base`));
      assert.ok(
        orderedAfter(result, `${cluster}-cluster`, `pre-upgrade-${cluster}-1-5-1-to-2-0-0`),
        `${cluster}: the upgrade waits for the pre-upgrade backup`,
      );
    }
  });

  it("takes none when the major stays", async () => {
    const result = await planStack("staging", "deployed=1.5.0", "upgrade.mode=coordinated", "console.green=1.5.1");
    assert.equal(result.upgrade?.postgres, null);
    assert.equal(
      result.resources.filter((r) => r.name.endsWith("-base")).length,
      0,
      result.resources.map((r) => r.name).join(", "),
    );
  });
});
