/**
 * The deployed state, the window it opens, and every state a rollout passes through: plain functions,
 * tested directly, with property tests over every pair of catalog releases.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as semver from "semver";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../lib/catalog";
import { compatibilityRange, defaultCompatibility } from "../lib/compatibility";
import { deployedAt, deployedFromOutputs } from "../lib/deployed";
import { LockstepInputError } from "../lib/errors";
import { checkRollout, rolloutStates, Versions } from "../lib/rollout";
import { waveOf, workloadVersions } from "../lib/versions";
import { waveOrder } from "../lib/waves";
import { runningFrom, upgradeWindow } from "../lib/window";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const WAVES = waveOrder({ upgradeWindow: true }).map((w) => w.id);
const config = (release: string, upgrade?: { from?: string; gatewayCanaryPercent?: number; mode?: "rolling" | "coordinated" }) => ({ release, upgrade: upgrade ? { mode: "rolling" as const, ...upgrade } : undefined });

describe("the default compatibility window", () => {
  it("is the API's major, its minor or the one before, any patch, both ways within a minor", () => {
    const version = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 9 })).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(fc.property(version, version, (v, api) => {
      const a = semver.parse(api) as semver.SemVer;
      const x = semver.parse(v) as semver.SemVer;
      const expected = x.major === a.major && (x.minor === a.minor || x.minor === a.minor - 1);
      assert.equal(semver.satisfies(v, defaultCompatibility(api)), expected, `${v} beside API ${api}`);
    }));
  });

  it("gives way to what a release declares", () => {
    assert.equal(compatibilityRange(catalog, "gateway", "2.0.0"), ">=2.0.0 <2.1.0");
    assert.equal(compatibilityRange(catalog, "workers", "1.5.1"), defaultCompatibility("1.5.1"), "1.5.1 declares no workers range");
    assert.equal(compatibilityRange(catalog, "gateway", "9.9.9"), ">=9.8.0 <9.10.0", "a version outside the catalog gets the default");
  });
});

describe("the deployed state", () => {
  it("is null for a stack that deployed nothing, and read from its outputs otherwise", () => {
    assert.equal(deployedFromOutputs({}, "stack s"), null);
    assert.equal(deployedFromOutputs(undefined, "stack s"), null);
    assert.deepEqual(deployedFromOutputs({ release: { version: "1.5.0", setDigest: `sha256:${"a".repeat(64)}` }, workloads: { api: "1.5.0" } }, "stack s"), { release: "1.5.0", setDigest: `sha256:${"a".repeat(64)}`, workloads: { api: "1.5.0" } });
    assert.throws(() => deployedFromOutputs({ release: "not an object" }, "stack s"), /stack s: the last deployment's outputs do not describe a lockstep release/);
  });
});

describe("the upgrade window, opened by what is deployed", () => {
  it("is closed on a first install, and when everything runs the target", () => {
    assert.equal(upgradeWindow(config("1.5.1"), null), undefined);
    assert.equal(upgradeWindow(config("1.5.1"), deployedAt("1.5.1", catalog)), undefined);
  });

  it("opens from the deployed release when the target moves, with nothing typed", () => {
    assert.deepEqual(upgradeWindow(config("1.5.1"), deployedAt("1.5.0", catalog)), { from: "1.5.0", to: "1.5.1", mode: "rolling", gatewayCanaryPercent: undefined });
    assert.equal(upgradeWindow(config("1.5.0"), deployedAt("1.5.1", catalog))?.from, "1.5.1", "a downgrade is a window too, so the path check sees it");
  });

  it("stays open while a canary is in flight, and an aborted canary is still a move from what runs", () => {
    const inFlight = { release: "1.5.1", setDigest: null, workloads: { ...deployedAt("1.5.1", catalog).workloads, gateway: "1.5.0", "gateway-canary": "1.5.1" } };
    assert.equal(runningFrom(inFlight, "1.5.1"), "1.5.0");
    assert.equal(upgradeWindow(config("1.5.1", { gatewayCanaryPercent: 20 }), inFlight)?.from, "1.5.0");
    assert.equal(upgradeWindow(config("1.5.0"), inFlight)?.from, "1.5.1", "setting the release back moves the API back: the window says so");
  });

  it("does not stay open for an idle console color left behind on purpose", () => {
    const idleBehind = { ...deployedAt("1.5.1", catalog), workloads: { ...deployedAt("1.5.1", catalog).workloads, "console-green": "1.5.0" } };
    assert.equal(upgradeWindow(config("1.5.1"), idleBehind), undefined);
  });

  it("refuses an upgrade.from that disagrees with what runs, naming both versions", () => {
    assert.throws(() => upgradeWindow(config("1.5.1", { from: "1.4.2" }), deployedAt("1.5.0", catalog)), (err: unknown) => {
      assert.ok(err instanceof LockstepInputError);
      assert.match(err.message, /^lockstep:upgrade\.from = "1\.4\.2", but this stack runs 1\.5\.0 \(its last deployment\); .* set it to 1\.5\.0$/);
      return true;
    });
    assert.throws(() => upgradeWindow(config("1.5.1", { from: "1.5.0" }), null), /this stack has deployed nothing yet \(a first install\)/);
    assert.equal(upgradeWindow(config("1.5.1", { from: "1.5.0" }), deployedAt("1.5.0", catalog))?.from, "1.5.0", "a written from that agrees is fine");
  });
});

describe("every state of a rollout", () => {
  const version = fc.constantFrom(...catalog.versions);
  const workloadsAt = (release: string, canary?: string, stable?: string): Versions => workloadVersions({ release, console: { blue: release, green: release, live: "blue" } }, canary ? { from: stable ?? release, gatewayCanaryPercent: 10 } : undefined);

  it("goes from the deployed versions to the target one wave at a time", () => {
    fc.assert(fc.property(version, version, fc.boolean(), (d, t, canary) => {
      const target = workloadsAt(t, canary ? t : undefined, d);
      const states = rolloutStates(workloadsAt(d), target, WAVES);
      assert.equal(states[0].after, "start");
      assert.deepEqual(states.at(-1)?.versions, target, "the last state is the target");
      for (let i = 1; i < states.length; i++) {
        const changed = Object.keys({ ...states[i - 1].versions, ...states[i].versions }).filter((w) => states[i - 1].versions[w] !== states[i].versions[w]);
        assert.ok(changed.every((w) => waveOf(w) === states[i].after), `state ${i} only moves the workloads of wave ${states[i].after}: ${changed.join(", ")}`);
      }
    }));
  });

  it("refuses a move exactly when some state really is incompatible, and names the first", () => {
    fc.assert(fc.property(version, version, fc.boolean(), (d, t, coordinated) => {
      const deployed = workloadsAt(d);
      const target = workloadsAt(t);
      const verdict = checkRollout(deployed, target, WAVES, coordinated ? "coordinated" : "rolling", catalog);
      // An independent reading of compatibility: every non-API workload inside the range for its component.
      const bad = (v: Versions) => Object.entries(v).some(([w, version]) => w !== "api" && !semver.satisfies(version, compatibilityRange(catalog, w.startsWith("worker") ? "workers" : w.startsWith("console") ? "console" : "gateway", v.api)));
      const states = rolloutStates(deployed, target, WAVES);
      const judged = coordinated ? states.slice(-1) : states;
      assert.equal(verdict.ok, !judged.some((s) => bad(s.versions)), `${d} -> ${t} (${coordinated ? "coordinated" : "rolling"})`);
      if (!verdict.ok) {
        const first = judged.find((s) => bad(s.versions));
        assert.deepEqual(verdict.firstBad?.state, first, "the named state is the first bad one");
        assert.ok(verdict.wayThrough);
      }
    }));
  });

  it("names the state and the way through for a major as a rolling window", () => {
    const verdict = checkRollout(workloadsAt("1.5.1"), workloadsAt("2.0.0"), WAVES, "rolling", catalog);
    assert.equal(verdict.ok, false);
    assert.match(verdict.firstBad?.description ?? "", /^after wave api: api 2\.0\.0 with gateway 1\.5\.1/);
    assert.match(verdict.wayThrough ?? "", /coordinated window: set lockstep:upgrade\.mode=coordinated/);
    assert.equal(checkRollout(workloadsAt("1.5.1"), workloadsAt("2.0.0"), WAVES, "coordinated", catalog).ok, true);
  });

  it("accepts every adjacent-minor upgrade in the catalog as a rolling window, canary and all", () => {
    for (const [from, to] of [["1.3.4", "1.4.2"], ["1.4.2", "1.5.0"], ["1.5.0", "1.5.1"]]) {
      assert.equal(checkRollout(workloadsAt(from), workloadsAt(to, to, from), WAVES, "rolling", catalog).ok, true, `${from} -> ${to}`);
    }
  });
});
