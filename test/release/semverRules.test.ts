import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as semver from "semver";
import {
  compatibilityRange,
  compatibleWithApi,
  findUpgradePath,
  kubernetesInRange,
  kubernetesVerdict,
  parseVersion,
  upgradeStep,
} from "../../lib/release/semverRules";

const version = fc
  .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 9 }))
  .map(([a, b, c]) => `${a}.${b}.${c}`);

describe("compatibleWithApi (N-1 window)", () => {
  it("accepts exactly: same major, minor API-1..API, not newer than the API", () => {
    fc.assert(
      fc.property(version, version, (v, api) => {
        const a = semver.parse(api) as semver.SemVer;
        const x = semver.parse(v) as semver.SemVer;
        const expected = x.major === a.major && a.minor - x.minor <= 1 && semver.lte(x, a);
        assert.equal(compatibleWithApi(v, api).compatible, expected, `${v} beside API ${api}`);
      }),
    );
  });
  it("always accepts the API's own version and the previous minor", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 9 }),
        (maj, min, patch) => {
          assert.ok(compatibleWithApi(`${maj}.${min}.${patch}`, `${maj}.${min}.${patch}`).compatible);
          assert.ok(compatibleWithApi(`${maj}.${min - 1}.9`, `${maj}.${min}.${patch}`).compatible);
        },
      ),
    );
  });
  it("names why in the reason when it refuses", () => {
    assert.match(compatibleWithApi("1.3.0", "1.5.0").reason, /within one minor/);
    assert.match(compatibleWithApi("1.6.0", "1.5.0").reason, /newer than the API/);
    assert.match(compatibleWithApi("1.9.0", "2.0.0").reason, /major version 2/);
  });
});

describe("upgradeStep", () => {
  it("never allows a downgrade", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        fc.pre(semver.gt(a, b));
        assert.equal(upgradeStep(a, b, ["*"]).allowed, false);
      }),
    );
  });
  it("never allows skipping a minor within a major", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 2, max: 4 }),
        (maj, min, gap) => {
          assert.equal(upgradeStep(`${maj}.${min}.3`, `${maj}.${min + gap}.0`, []).allowed, false);
        },
      ),
    );
  });
  it("allows adjacent minors and patches when no sources are listed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 9 }),
        (maj, min, patch) => {
          assert.ok(upgradeStep(`${maj}.${min}.${patch}`, `${maj}.${min + 1}.0`, []).allowed);
          assert.ok(upgradeStep(`${maj}.${min}.0`, `${maj}.${min}.${patch}`, []).allowed);
        },
      ),
    );
  });
  it("allows a major bump only from a listed source", () => {
    assert.equal(upgradeStep("1.5.1", "2.0.0", [">=1.5.0 <2.0.0"]).allowed, true);
    assert.equal(upgradeStep("1.4.2", "2.0.0", [">=1.5.0 <2.0.0"]).allowed, false);
    assert.equal(upgradeStep("1.5.1", "2.0.0", []).allowed, false);
  });
});

describe("findUpgradePath", () => {
  const catalog = new Map<string, readonly string[]>([
    ["1.3.4", []],
    ["1.4.0", [">=1.3.0 <1.4.0"]],
    ["1.4.2", [">=1.3.0 <1.5.0"]],
    ["1.5.0", [">=1.4.0 <1.5.0"]],
    ["1.5.1", [">=1.4.0 <1.6.0"]],
    ["2.0.0", [">=1.5.0 <2.0.0"]],
  ]);
  it("names the path through the newest patch of each skipped minor", () => {
    const p = findUpgradePath("1.3.4", "1.5.0", catalog);
    assert.equal(p.allowed, false);
    assert.deepEqual(p.suggested, ["1.3.4", "1.4.2", "1.5.0"]);
    assert.match(p.reason, /take 1\.3\.4 -> 1\.4\.2 -> 1\.5\.0 instead/);
  });
  it("routes a major upgrade through a listed source", () => {
    assert.deepEqual(findUpgradePath("1.4.2", "2.0.0", catalog).suggested, ["1.4.2", "1.5.1", "2.0.0"]);
  });
  it("every suggested path is made of allowed steps and moves strictly forward", () => {
    const versions = [...catalog.keys()];
    fc.assert(
      fc.property(fc.constantFrom(...versions), fc.constantFrom(...versions), (from, to) => {
        const p = findUpgradePath(from, to, catalog);
        if (!p.suggested) return;
        for (let i = 1; i < p.suggested.length; i++) {
          assert.ok(semver.gt(p.suggested[i], p.suggested[i - 1]) || from === to);
          assert.ok(upgradeStep(p.suggested[i - 1], p.suggested[i], catalog.get(p.suggested[i]) ?? []).allowed);
        }
      }),
    );
  });
  it("gives no path for a downgrade", () => {
    assert.equal(findUpgradePath("2.0.0", "1.5.1", catalog).suggested, null);
  });
});

describe("kubernetesInRange", () => {
  it("compares by minor and accepts v-prefixed patch versions", () => {
    assert.ok(kubernetesInRange("1.31", { min: "1.30", max: "1.33" }));
    assert.ok(kubernetesInRange("v1.33.7", { min: "1.30", max: "1.33" }));
    assert.ok(!kubernetesInRange("1.29.9", { min: "1.30", max: "1.33" }));
    assert.ok(!kubernetesInRange("1.34.0", { min: "1.30", max: "1.33" }));
    assert.ok(kubernetesInRange("2.1", { min: "1.30", max: "2.5" }), "a major counts before any minor");
    assert.ok(kubernetesInRange("1.40", { min: "1.30", max: "2.0" }), "1.40 is inside 1.30 to 2.0");
    assert.ok(!kubernetesInRange("2.6", { min: "1.30", max: "2.5" }));
  });
});

// Literal cases, each expected value written out: what the messages say and the edges the properties above
// do not pin (found by mutation testing, `npm run test:mutation`).
describe("the rules' exact verdicts and messages", () => {
  it("refuses text that is not a version, quoting it", () => {
    assert.throws(() => parseVersion("1.x"), { message: 'not a semantic version: "1.x"' });
  });

  it("states the compatibility window of an API version, the previous minor to the API itself", () => {
    assert.equal(compatibilityRange("1.5.1"), ">=1.4.0 <=1.5.1");
    assert.equal(compatibilityRange("2.0.3"), ">=2.0.0 <=2.0.3", "a .0 API has no previous minor in its major");
    assert.deepEqual(compatibleWithApi("1.3.0", "1.5.1"), {
      compatible: false,
      reason: "1.3.0 must be within one minor of the API 1.5.1 (allowed 1.4.x - 1.5.1)",
    });
    assert.deepEqual(compatibleWithApi("1.4.9", "1.5.1"), { compatible: true, reason: "" });
  });

  it("allows a step to the same version even when the target lists sources that do not include it", () => {
    assert.deepEqual(upgradeStep("1.5.1", "1.5.1", [">=1.4.0 <1.5.0"]), { allowed: true, reason: "" });
  });

  it("words a downgrade, a major step and an unlisted source the way the policies print them", () => {
    assert.deepEqual(upgradeStep("1.5.1", "1.5.0", []), {
      allowed: false,
      reason:
        "1.5.1 -> 1.5.0 is a downgrade; upgrades must move forward (roll back by restoring the pre-upgrade backup)",
    });
    assert.equal(
      upgradeStep("1.4.2", "2.0.0", []).reason,
      "1.4.2 -> 2.0.0 is a major upgrade and 2.0.0 must list 1.4.2 among its upgrade sources (it lists: none)",
    );
    assert.equal(
      upgradeStep("1.4.2", "2.0.0", ["1.5.x", ">=1.6.0 <1.7.0"]).reason,
      "1.4.2 -> 2.0.0 is a major upgrade and 2.0.0 must list 1.4.2 among its upgrade sources (it lists: 1.5.x, >=1.6.0 <1.7.0)",
    );
    assert.deepEqual(upgradeStep("1.5.1", "2.0.0", ["1.5.x"]), { allowed: true, reason: "" });
    assert.deepEqual(upgradeStep("1.4.2", "1.5.0", ["1.4.3", ">=1.4.5"]), {
      allowed: false,
      reason: "1.5.0 must list 1.4.2 among its upgrade sources (it lists: 1.4.3, >=1.4.5)",
    });
    assert.deepEqual(upgradeStep("1.4.2", "1.5.0", ["1.4.x"]), { allowed: true, reason: "" });
  });

  it("reads a target missing from the catalog as listing no sources: a same-major next minor is allowed", () => {
    assert.deepEqual(findUpgradePath("1.4.0", "1.5.0", new Map()), {
      allowed: true,
      reason: "",
      suggested: ["1.4.0", "1.5.0"],
    });
  });

  it("suggests no way round a downgrade, and says so when the catalog has no way", () => {
    assert.deepEqual(
      findUpgradePath(
        "1.5.1",
        "1.4.0",
        new Map([
          ["1.4.0", []],
          ["1.5.0", []],
        ]),
      ),
      {
        allowed: false,
        reason:
          "1.5.1 -> 1.4.0 is a downgrade; upgrades must move forward (roll back by restoring the pre-upgrade backup)",
        suggested: null,
      },
    );
    assert.deepEqual(findUpgradePath("1.3.0", "1.5.0", new Map([["1.5.0", []]])), {
      allowed: false,
      reason:
        "1.3.0 -> 1.5.0 skips 1 minor version(s); upgrades must go one minor at a time; no allowed path exists in the catalog",
      suggested: null,
    });
  });

  it("finds nothing in range when the cluster or the range is not a version, and says why a version passes", () => {
    assert.equal(kubernetesInRange("latest", { min: "1.30", max: "1.33" }), false);
    assert.equal(kubernetesInRange("1.31", { min: "oldest", max: "1.33" }), false);
    assert.deepEqual(kubernetesVerdict("1.31", { version: "1.5.1", kubernetes: { min: "1.30", max: "1.33" } }), {
      ok: true,
      reason: "Kubernetes 1.31 is inside release 1.5.1's supported range 1.30 - 1.33",
    });
  });
});
