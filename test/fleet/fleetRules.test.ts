/** The fleet's rules (lib/fleet/fleet.ts) on hand-made installs: ring order, the version distribution, and who needs what. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { deployedAt, DeployedState } from "../../lib/state/deployed";
import { byRing, distribution, fleetFileSchema, Install, upgradeNeeds } from "../../lib/fleet/fleet";
import { LockstepInputError } from "../../lib/core/errors";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const install = (
  stack: string,
  ring: string,
  deployed: DeployedState | null,
  kubernetesVersion: string | null = "1.31",
): Install => ({
  stack,
  ring,
  region: null,
  customer: null,
  deployed,
  configuredRelease: deployed?.release ?? null,
  kubernetesVersion,
  lastUpdate: null,
  verification: null,
});
const at = (version: string) => deployedAt(version, catalog);
const allKeys = () => ["release", "backup", "smoke"];

describe("fleet.yaml", () => {
  it("defaults the rings and the verifying stack, and refuses a ring named twice", () => {
    assert.deepEqual(fleetFileSchema.parse({}), { rings: ["canary", "early", "broad"], verifiedIn: "staging" });
    const twice = fleetFileSchema.safeParse({ rings: ["canary", "broad", "canary"] });
    assert.equal(twice.success, false);
    assert.equal(twice.error?.issues[0].message, "must not name a ring twice");
    assert.equal(fleetFileSchema.safeParse({ rings: ["canary", "broad"] }).success, true);
  });
});

describe("byRing", () => {
  it("orders by the rings' order, not their names, then by stack name", () => {
    const installs = [
      install("b", "broad", null),
      install("z", "canary", null),
      install("a", "early", null),
      install("c", "canary", null),
      install("a2", "broad", null),
    ];
    assert.deepEqual(
      byRing(installs, ["canary", "early", "broad"]).map((i) => i.stack),
      ["c", "z", "a", "a2", "b"],
    );
    assert.deepEqual(
      byRing(installs, ["broad", "early", "canary"]).map((i) => i.stack),
      ["a2", "b", "a", "c", "z"],
    );
  });
});

describe("distribution", () => {
  it("counts installs per release, newest version first (by semver, not text), nothing deployed last, stacks sorted", () => {
    const running = (release: string): DeployedState => ({ release, setDigest: null, workloads: { api: release } });
    const shares = distribution([
      install("s2", "broad", running("1.5.0")),
      install("s5", "broad", null),
      install("s3", "canary", running("1.13.0")),
      install("s1", "canary", running("1.5.0")),
      install("s0", "early", null),
    ]);
    assert.deepEqual(shares, [
      { version: "1.13.0", count: 1, stacks: ["s3"] },
      { version: "1.5.0", count: 2, stacks: ["s1", "s2"] },
      { version: "not deployed", count: 2, stacks: ["s0", "s5"] },
    ]);
    assert.deepEqual(
      distribution([
        install("x", "broad", at("1.4.2")),
        install("y", "broad", at("1.5.1")),
        install("w", "broad", at("1.3.4")),
      ]).map((s) => s.version),
      ["1.5.1", "1.4.2", "1.3.4"],
    );
    assert.deepEqual(distribution([install("x", "broad", at("1.4.2"))]), [
      { version: "1.4.2", count: 1, stacks: ["x"] },
    ]);
  });
});

describe("upgradeNeeds", () => {
  const needs = (installs: Install[], to: string, keys = allKeys) => upgradeNeeds(installs, to, catalog, keys);

  it("refuses a target the catalog does not have, listing those it has", () => {
    assert.throws(
      () => needs([], "1.6.0"),
      (err: unknown) =>
        err instanceof LockstepInputError &&
        err.message === "--to 1.6.0: not in the release catalog; available versions: 1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0",
    );
  });

  it("says current, behind with the path (1.5.1 upgrades from any 1.4 or 1.5), or blocked because nothing is deployed", () => {
    assert.deepEqual(
      needs(
        [install("cur", "canary", at("1.5.1")), install("old", "early", at("1.4.2")), install("new", "broad", null)],
        "1.5.1",
      ),
      [
        { stack: "cur", ring: "canary", status: "current", from: "1.5.1" },
        { stack: "old", ring: "early", status: "behind", from: "1.4.2", path: ["1.4.2", "1.5.1"] },
        {
          stack: "new",
          ring: "broad",
          status: "blocked",
          from: null,
          path: null,
          reasons: ["it has deployed nothing: a first install is a `pulumi up` of its own, not an upgrade"],
        },
      ],
    );
  });

  it("blocks an install with a window open, at the target or before it, naming the versions it runs in order", () => {
    const open = (release: string, other: string): DeployedState => ({
      ...at(release),
      workloads: { ...at(release).workloads, "gateway-canary": other },
    });
    assert.deepEqual(needs([install("mid", "canary", open("1.5.1", "1.5.0"))], "1.5.1"), [
      {
        stack: "mid",
        ring: "canary",
        status: "blocked",
        from: "1.5.1",
        path: ["1.5.1"],
        reasons: ["a window is open (workloads at 1.5.0 and 1.5.1): finish or close it first"],
      },
    ]);
    assert.deepEqual(needs([install("mid", "canary", open("1.5.0", "1.4.2"))], "1.5.1"), [
      {
        stack: "mid",
        ring: "canary",
        status: "blocked",
        from: "1.5.0",
        path: ["1.5.0", "1.5.1"],
        reasons: ["a window is open (workloads at 1.4.2 and 1.5.0): finish or close it first"],
      },
    ]);
  });

  it("blocks a backward move with the path logic's reason, keeping any reason found before it", () => {
    const [back] = needs([install("ahead", "broad", at("1.5.1"))], "1.5.0");
    assert.equal(back.status, "blocked");
    assert.equal(back.status === "blocked" && back.path, null);
    assert.equal(back.status === "blocked" && back.reasons.length, 1);
    assert.match(back.status === "blocked" ? back.reasons[0] : "", /1\.5\.1.*1\.5\.0/);
  });

  it("blocks on Kubernetes outside a release on the path, on config a release requires, and on a major to cross", () => {
    const [k8s] = needs([install("k", "canary", at("1.3.4"), "1.28")], "1.5.0");
    assert.deepEqual(k8s.status === "blocked" && k8s.reasons, [
      "Kubernetes 1.28 must be inside release 1.4.2's supported range 1.29 - 1.32",
      "Kubernetes 1.28 must be inside release 1.5.0's supported range 1.30 - 1.33",
    ]);
    const [major] = needs([install("m", "canary", at("1.5.1"), "1.31")], "2.0.0", () => ["release"]);
    assert.deepEqual(major.status === "blocked" && major.reasons, [
      "release 2.0.0 requires config the stack lacks: backup, smoke",
      "1.5.1 -> 2.0.0 crosses a major: a coordinated window, announced, one install at a time (lockstep promote)",
    ]);
    const [someKeys] = needs([install("m", "canary", at("1.5.1"), "1.31")], "2.0.0", () => ["release", "smoke"]);
    assert.deepEqual(
      someKeys.status === "blocked" && someKeys.reasons[0],
      "release 2.0.0 requires config the stack lacks: backup",
    );
  });
});
