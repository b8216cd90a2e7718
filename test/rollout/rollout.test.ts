/**
 * The deployed state, the window it opens, and every state a rollout passes through: plain functions,
 * tested directly, with property tests over every pair of catalog releases.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as semver from "semver";
import { Catalog, DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { compatibilityRange, compatibleBeside, defaultCompatibility } from "../../lib/release/compatibility";
import { deployedAt, deployedFromOutputs } from "../../lib/state/deployed";
import { LockstepInputError } from "../../lib/core/errors";
import { checkRollout, describeState, rolloutStates, stateProblems, Versions } from "../../lib/rollout/rollout";
import { componentOf, waveOf, workloadVersions } from "../../lib/rollout/versions";
import { waveOrder } from "../../lib/rollout/waves";
import { runningFrom, upgradeWindow } from "../../lib/state/window";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const WAVES = waveOrder({ upgradeWindow: true }).map((w) => w.id);
const config = (
  release: string,
  upgrade?: { from?: string; gatewayCanaryPercent?: number; mode?: "rolling" | "coordinated" },
) => ({ release, upgrade: upgrade ? { mode: "rolling" as const, ...upgrade } : undefined });

describe("the default compatibility window", () => {
  it("is the API's major, its minor or the one before, any patch, both ways within a minor", () => {
    const version = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 9 }))
      .map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(version, version, (v, api) => {
        const a = semver.parse(api) as semver.SemVer;
        const x = semver.parse(v) as semver.SemVer;
        const expected = x.major === a.major && (x.minor === a.minor || x.minor === a.minor - 1);
        assert.equal(semver.satisfies(v, defaultCompatibility(api)), expected, `${v} beside API ${api}`);
      }),
    );
  });

  it("gives way to what a release declares", () => {
    assert.equal(compatibilityRange(catalog, "gateway", "2.0.0"), ">=2.0.0 <2.1.0");
    assert.equal(
      compatibilityRange(catalog, "workers", "1.5.1"),
      defaultCompatibility("1.5.1"),
      "1.5.1 declares no workers range",
    );
    assert.equal(
      compatibilityRange(catalog, "gateway", "9.9.9"),
      ">=9.8.0 <9.10.0",
      "a version outside the catalog gets the default",
    );
  });
});

describe("the deployed state", () => {
  it("is null for a stack that deployed nothing, and read from its outputs otherwise", () => {
    assert.equal(deployedFromOutputs({}, "stack s"), null);
    assert.equal(deployedFromOutputs(undefined, "stack s"), null);
    assert.deepEqual(
      deployedFromOutputs(
        { release: { version: "1.5.0", setDigest: `sha256:${"a".repeat(64)}` }, workloads: { api: "1.5.0" } },
        "stack s",
      ),
      { release: "1.5.0", setDigest: `sha256:${"a".repeat(64)}`, workloads: { api: "1.5.0" } },
    );
    assert.throws(
      () => deployedFromOutputs({ release: "not an object" }, "stack s"),
      /stack s: the last deployment's outputs do not describe a lockstep release/,
    );
  });
});

describe("the upgrade window, opened by what is deployed", () => {
  it("is closed on a first install, and when everything runs the target", () => {
    assert.equal(upgradeWindow(config("1.5.1"), null), undefined);
    assert.equal(upgradeWindow(config("1.5.1"), deployedAt("1.5.1", catalog)), undefined);
  });

  it("opens from the deployed release when the target moves, with nothing typed", () => {
    assert.deepEqual(upgradeWindow(config("1.5.1"), deployedAt("1.5.0", catalog)), {
      from: "1.5.0",
      to: "1.5.1",
      mode: "rolling",
      gatewayCanaryPercent: undefined,
    });
    assert.equal(
      upgradeWindow(config("1.5.0"), deployedAt("1.5.1", catalog))?.from,
      "1.5.1",
      "a downgrade is a window too, so the path check sees it",
    );
  });

  it("stays open while a canary is in flight, and an aborted canary is still a move from what runs", () => {
    const inFlight = {
      release: "1.5.1",
      setDigest: null,
      workloads: { ...deployedAt("1.5.1", catalog).workloads, gateway: "1.5.0", "gateway-canary": "1.5.1" },
    };
    assert.equal(runningFrom(inFlight, "1.5.1"), "1.5.0");
    assert.equal(upgradeWindow(config("1.5.1", { gatewayCanaryPercent: 20 }), inFlight)?.from, "1.5.0");
    assert.equal(
      upgradeWindow(config("1.5.0"), inFlight)?.from,
      "1.5.1",
      "setting the release back moves the API back: the window says so",
    );
  });

  it("does not stay open for an idle console color left behind on purpose", () => {
    const idleBehind = {
      ...deployedAt("1.5.1", catalog),
      workloads: { ...deployedAt("1.5.1", catalog).workloads, "console-green": "1.5.0" },
    };
    assert.equal(upgradeWindow(config("1.5.1"), idleBehind), undefined);
  });

  it("refuses an upgrade.from that disagrees with what runs, naming both versions", () => {
    assert.throws(
      () => upgradeWindow(config("1.5.1", { from: "1.4.2" }), deployedAt("1.5.0", catalog)),
      (err: unknown) => {
        assert.ok(err instanceof LockstepInputError);
        assert.match(
          err.message,
          /^lockstep:upgrade\.from = "1\.4\.2", but this stack runs 1\.5\.0 \(its last deployment\); .* set it to 1\.5\.0$/,
        );
        return true;
      },
    );
    assert.throws(
      () => upgradeWindow(config("1.5.1", { from: "1.5.0" }), null),
      /this stack has deployed nothing yet \(a first install\)/,
    );
    assert.equal(
      upgradeWindow(config("1.5.1", { from: "1.5.0" }), deployedAt("1.5.0", catalog))?.from,
      "1.5.0",
      "a written from that agrees is fine",
    );
  });
});

describe("every state of a rollout", () => {
  const version = fc.constantFrom(...catalog.versions);
  const workloadsAt = (release: string, canary?: string, stable?: string): Versions =>
    workloadVersions(
      { release, console: { blue: release, green: release, live: "blue" } },
      canary ? { from: stable ?? release, gatewayCanaryPercent: 10 } : undefined,
    );

  it("goes from the deployed versions to the target one wave at a time", () => {
    fc.assert(
      fc.property(version, version, fc.boolean(), (d, t, canary) => {
        const target = workloadsAt(t, canary ? t : undefined, d);
        const states = rolloutStates(workloadsAt(d), target, WAVES);
        assert.equal(states[0].after, "start");
        assert.deepEqual(states.at(-1)?.versions, target, "the last state is the target");
        for (let i = 1; i < states.length; i++) {
          const changed = Object.keys({ ...states[i - 1].versions, ...states[i].versions }).filter(
            (w) => states[i - 1].versions[w] !== states[i].versions[w],
          );
          assert.ok(
            changed.every((w) => waveOf(w) === states[i].after),
            `state ${i} only moves the workloads of wave ${states[i].after}: ${changed.join(", ")}`,
          );
        }
      }),
    );
  });

  it("refuses a move exactly when some state really is incompatible, and names the first", () => {
    fc.assert(
      fc.property(version, version, fc.boolean(), (d, t, coordinated) => {
        const deployed = workloadsAt(d);
        const target = workloadsAt(t);
        const verdict = checkRollout(deployed, target, WAVES, coordinated ? "coordinated" : "rolling", catalog);
        // An independent reading of compatibility: every non-API workload inside the range for its component.
        const bad = (v: Versions) =>
          Object.entries(v).some(
            ([w, version]) =>
              w !== "api" &&
              !semver.satisfies(
                version,
                compatibilityRange(
                  catalog,
                  w.startsWith("worker") ? "workers" : w.startsWith("console") ? "console" : "gateway",
                  v.api,
                ),
              ),
          );
        const states = rolloutStates(deployed, target, WAVES);
        const judged = coordinated ? states.slice(-1) : states;
        assert.equal(
          verdict.ok,
          !judged.some((s) => bad(s.versions)),
          `${d} -> ${t} (${coordinated ? "coordinated" : "rolling"})`,
        );
        if (!verdict.ok) {
          const first = judged.find((s) => bad(s.versions));
          assert.deepEqual(verdict.firstBad?.state, first, "the named state is the first bad one");
          assert.ok(verdict.wayThrough);
        }
      }),
    );
  });

  it("names the state and the way through for a major as a rolling window", () => {
    const verdict = checkRollout(workloadsAt("1.5.1"), workloadsAt("2.0.0"), WAVES, "rolling", catalog);
    assert.equal(verdict.ok, false);
    assert.match(verdict.firstBad?.description ?? "", /^after wave api: api 2\.0\.0 with gateway 1\.5\.1/);
    assert.match(verdict.wayThrough ?? "", /coordinated window: set lockstep:upgrade\.mode=coordinated/);
    assert.equal(checkRollout(workloadsAt("1.5.1"), workloadsAt("2.0.0"), WAVES, "coordinated", catalog).ok, true);
  });

  it("accepts every adjacent-minor upgrade in the catalog as a rolling window, canary and all", () => {
    for (const [from, to] of [
      ["1.3.4", "1.4.2"],
      ["1.4.2", "1.5.0"],
      ["1.5.0", "1.5.1"],
    ]) {
      assert.equal(
        checkRollout(workloadsAt(from), workloadsAt(to, to, from), WAVES, "rolling", catalog).ok,
        true,
        `${from} -> ${to}`,
      );
    }
  });
});

describe("the compatibility range of a release", () => {
  it("is the one declared by the release whose API runs, and names both versions when broken", () => {
    assert.equal(compatibilityRange(catalog, "console", "1.5.1"), ">=1.4.0 <1.6.0");
    assert.equal(compatibilityRange(catalog, "workers", "2.0.0"), ">=2.0.0 <2.1.0");
    assert.equal(compatibilityRange(undefined, "workers", "2.0.0"), ">=2.0.0 <2.1.0", "without a catalog, the default");
    assert.deepEqual(compatibleBeside(catalog, "workers", "1.5.1", "2.0.0"), {
      compatible: false,
      range: ">=2.0.0 <2.1.0",
      reason: "workers 1.5.1 must be in >=2.0.0 <2.1.0 beside API 2.0.0",
    });
    assert.deepEqual(compatibleBeside(catalog, "workers", "2.0.0", "2.0.0"), {
      compatible: true,
      range: ">=2.0.0 <2.1.0",
      reason: "",
    });
  });
  it("is read from the release whose API version matches, not from another release", () => {
    // The shipped releases declare exactly the default windows, so two made-up releases tell them apart.
    const declaring = (api: string, gateway: string) => ({
      components: { api: { version: api } },
      notes: { compatibility: { gateway } },
    });
    const made = {
      releases: new Map([
        ["1.0.0", declaring("1.0.0", ">=0.8.0 <1.1.0")],
        ["1.2.0", declaring("1.2.0", ">=1.0.0 <1.3.0")],
      ]),
    } as unknown as Catalog;
    assert.equal(compatibilityRange(made, "gateway", "1.2.0"), ">=1.0.0 <1.3.0");
    assert.equal(compatibilityRange(made, "gateway", "1.0.0"), ">=0.8.0 <1.1.0");
  });
  it("refuses an API version that is not semantic, naming it", () => {
    assert.throws(() => defaultCompatibility("latest"), { message: 'not a semantic version: "latest"' });
  });
});

describe("workload names", () => {
  it("have a component and a wave; other names have neither", () => {
    assert.equal(componentOf("gateway-canary"), "gateway");
    assert.equal(waveOf("worker-config"), "workers");
    assert.equal(componentOf("team-proxy"), undefined);
    assert.equal(waveOf("team-proxy"), undefined);
  });
});

describe("rollout states and their problems", () => {
  it("start from nothing on a first install and add each wave's workloads as it runs", () => {
    const states = rolloutStates(null, { api: "1.5.1", gateway: "1.5.1" }, WAVES);
    assert.deepEqual(states, [
      { after: "api", versions: { api: "1.5.1" } },
      { after: "gateways", versions: { api: "1.5.1", gateway: "1.5.1" } },
    ]);
  });
  it("remove a workload the target no longer has in its own wave", () => {
    const states = rolloutStates({ api: "1.5.0", "gateway-canary": "1.5.1" }, { api: "1.5.1" }, WAVES);
    assert.deepEqual(
      states.map((s) => s.versions),
      [{ api: "1.5.0", "gateway-canary": "1.5.1" }, { api: "1.5.1", "gateway-canary": "1.5.1" }, { api: "1.5.1" }],
    );
  });
  it("are judged only beside an API, and never judge the API or a workload lockstep does not know", () => {
    assert.deepEqual(stateProblems({ after: "start", versions: { gateway: "0.1.0" } }, catalog), []);
    assert.deepEqual(
      stateProblems({ after: "start", versions: { api: "1.5.1", "team-proxy": "0.1.0", gateway: "1.5.0" } }, catalog),
      [],
    );
    assert.deepEqual(stateProblems({ after: "start", versions: { api: "1.5.1", gateway: "1.3.4" } }, catalog), [
      { workload: "gateway", version: "1.3.4", reason: "gateway 1.3.4 must be in >=1.4.0 <1.6.0 beside API 1.5.1" },
    ]);
  });
  it("are named for a human: before the first wave, or after a wave", () => {
    const problem = { workload: "gateway", version: "1.3.4", reason: "r" };
    assert.equal(
      describeState({ after: "start", versions: { api: "1.5.1", gateway: "1.3.4" } }, [problem]),
      "before the first wave: api 1.5.1 with gateway 1.3.4 (r)",
    );
    assert.equal(
      describeState({ after: "api", versions: { api: "1.5.1", gateway: "1.3.4" } }, [
        problem,
        { ...problem, workload: "gateway-canary" },
      ]),
      "after wave api: api 1.5.1 with gateway 1.3.4, gateway-canary 1.3.4 (r)",
    );
  });
  it("say the way through: every workload to move, in a coordinated window, a major, or one minor at a time", () => {
    const coordinated = checkRollout(
      null,
      { api: "1.5.1", gateway: "1.3.4", "gateway-canary": "1.3.4" },
      WAVES,
      "coordinated",
      catalog,
    );
    assert.equal(
      coordinated.wayThrough,
      "the final state must be compatible: move gateway, gateway-canary into >=1.4.0 <1.6.0 beside API 1.5.1",
    );
    const minor = checkRollout(
      { api: "1.4.2", gateway: "1.3.4", "gateway-canary": "1.3.4" },
      { api: "1.5.1", gateway: "1.5.1" },
      WAVES,
      "rolling",
      catalog,
    );
    assert.equal(minor.wayThrough, "bring gateway, gateway-canary inside the API's window first, one minor at a time");
    assert.equal(
      minor.firstBad?.description,
      "after wave api: api 1.5.1 with gateway 1.3.4, gateway-canary 1.3.4 (gateway 1.3.4 must be in >=1.4.0 <1.6.0 beside API 1.5.1)",
    );
    const major = checkRollout(
      { api: "1.5.1", gateway: "1.5.1" },
      { api: "2.0.0", gateway: "2.0.0" },
      WAVES,
      "rolling",
      catalog,
    );
    assert.match(major.wayThrough ?? "", /^a major version moves in a coordinated window/);
    for (const [deployed, target] of [
      [{ gateway: "1.3.4" }, { api: "1.5.1", gateway: "1.3.4" }],
      [
        { api: "1.4.2", gateway: "1.3.4" },
        { gateway: "1.3.4", api: "1.5.1" },
      ],
    ] as Versions[][]) {
      assert.match(
        checkRollout(deployed, target, WAVES, "rolling", catalog).wayThrough ?? "",
        /^bring gateway inside/,
        JSON.stringify(deployed),
      );
    }
  });
});

describe("the window's source", () => {
  it("is the deployed release when the target moved, even with a workload left behind", () => {
    const lagging = {
      release: "1.5.1",
      setDigest: null,
      workloads: { ...deployedAt("1.5.1", catalog).workloads, "worker-export": "1.5.0" },
    };
    assert.equal(runningFrom(lagging, "2.0.0"), "1.5.1");
  });
  it("is the oldest version still running when the target did not move", () => {
    const mixed = {
      release: "1.5.1",
      setDigest: null,
      workloads: { api: "1.5.1", gateway: "1.5.0", "worker-export": "1.4.2", "worker-config": "1.5.0" },
    };
    assert.equal(runningFrom(mixed, "1.5.1"), "1.4.2");
  });
  it("accepts an upgrade.from left at the release itself, and says what runs when nothing is behind", () => {
    assert.equal(upgradeWindow(config("1.5.1", { from: "1.5.1" }), deployedAt("1.5.0", catalog))?.from, "1.5.0");
    assert.throws(() => upgradeWindow(config("1.5.1", { from: "1.5.0" }), deployedAt("1.5.1", catalog)), {
      message:
        'lockstep:upgrade.from = "1.5.0", but this stack already runs 1.5.1 everywhere (its last deployment); the window opens from what runs, so remove upgrade.from',
    });
  });
});
