/**
 * `lockstep drift` over a fake of the Automation API (test/fleetKit.ts): which previews it runs, what it
 * reports as drift and as pending, when --reset runs an up and when it refuses. The e2e tier runs it for
 * real (engine.e2e.ts).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadCatalog } from "../../lib/release/catalog";
import type { PlannedStep } from "../../lib/state/drift";
import { env, lockstep, snapshot, tempProject } from "../cliKit";
import { FakeFleet } from "../fleetKit";
import { golden } from "../goldenKit";
import { PROJECT } from "../helpers";

const catalog = loadCatalog(path.join(PROJECT, "releases"));
const urn = (type: string, name: string) => `urn:pulumi:staging::lockstep::${type}::${name}`;

const scaledApi: PlannedStep = {
  urn: urn("kubernetes:apps/v1:Deployment", "api"),
  type: "kubernetes:apps/v1:Deployment",
  op: "update",
  paths: ["spec.replicas"],
  old: { spec: { replicas: 5 } },
  declared: { spec: { replicas: 2 } },
};
const newGatewayImage: PlannedStep = {
  urn: urn("kubernetes:apps/v1:Deployment", "gateway"),
  type: "kubernetes:apps/v1:Deployment",
  op: "update",
  paths: ["spec.template.spec.containers[0].image"],
};

function setup(planned?: { pending: PlannedStep[]; drifted: PlannedStep[] }) {
  const dir = tempProject();
  const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
  if (planned) fleet.planned.set("staging", planned);
  const progress: string[] = [];
  return { dir, fleet, progress, e: env(dir, { fleet, progress }) };
}

describe("lockstep drift", () => {
  it("no drift: both previews run, exit 0, and it says so", async () => {
    const { fleet, e } = setup();
    const r = await lockstep(e, "drift", "--stack", "staging");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no drift: the cluster matches stack staging/);
    // Both as --reset would apply: taking over fields a hand edit's field manager owns (PULUMI_K8S_ENABLE_PATCH_FORCE).
    assert.deepEqual(fleet.calls, ["preview (force) staging", "preview --refresh (force) staging"]);
  });

  it("a Deployment scaled by hand: exit 1, the resource, the field, the cluster's and the stack's value", async () => {
    const { fleet, e } = setup({ pending: [], drifted: [scaledApi] });
    const r = await lockstep(e, "drift", "--stack", "staging");
    assert.equal(r.code, 1);
    assert.match(r.stdout, /drift in stack staging: 1 resource\(s\), 1 field\(s\) differ/);
    assert.match(r.stdout, /Deployment api\s+spec\.replicas\s+5\s+2\s+update/);
    assert.ok(!fleet.calls.some((c) => c.startsWith("up")), "drift without --reset changes nothing");
    const json = JSON.parse((await lockstep(e, "drift", "--stack", "staging", "--json")).stdout);
    assert.equal(json.ok, false);
    assert.deepEqual(json.drifted[0].fields, [{ path: "spec.replicas", live: 5, declared: 2 }]);
  });

  it("the stack file's own change is pending, not drift: exit 0 with it listed apart", async () => {
    const { e } = setup({ pending: [newGatewayImage], drifted: [] });
    const r = await lockstep(e, "drift", "--stack", "staging");
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /no drift/);
    assert.match(r.stdout, /pending, not drift: the stack file changes 1 resource\(s\) since the last up \(gateway\)/);
  });

  it("--reset runs up --refresh with the policy pack, checks again and exits 0 when nothing is left", async () => {
    const { fleet, e, progress } = setup({ pending: [], drifted: [scaledApi] });
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset");
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /reset: pulumi up --refresh succeeded; checked again: no drift left/);
    assert.deepEqual(fleet.calls, [
      "preview (force) staging",
      "preview --refresh (force) staging",
      "up --refresh (force) staging",
      "preview (force) staging",
      "preview --refresh (force) staging",
    ]);
    assert.ok(progress.some((l) => /drift: resetting staging with pulumi up --refresh/.test(l)));
  });

  it("--reset with drift that comes back exits 1 and shows what is left", async () => {
    const { fleet, e } = setup({ pending: [], drifted: [scaledApi] });
    fleet.driftComesBack.add("staging");
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset", "--json");
    assert.equal(r.code, 1);
    const json = JSON.parse(r.stdout);
    assert.equal(json.reset, "drift left");
    assert.equal(json.drifted[0].name, "api");
  });

  it("--reset whose up fails: exit 1 with the engine's message, no stack trace", async () => {
    const { fleet, e } = setup({ pending: [], drifted: [scaledApi] });
    fleet.failUp.set("staging", "pulumi up of staging failed (exit 1): [mandatory] pod-security: must drop ALL");
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /reset failed: pulumi up of staging failed \(exit 1\): \[mandatory\] pod-security/);
    assert.equal(r.stderr, "");
  });

  it("--reset refuses while the stack file has pending changes, and runs no up", async () => {
    const { dir, fleet, e } = setup({ pending: [newGatewayImage], drifted: [scaledApi] });
    const before = snapshot(dir);
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset");
    assert.equal(r.code, 1);
    assert.match(r.stdout, /--reset refused, nothing touched: an up would also apply the stack file's pending changes/);
    assert.ok(!fleet.calls.some((c) => c.startsWith("up")));
    assert.deepEqual(snapshot(dir), before);
  });

  it("lockstep --help lists drift and canary, and each command's help names --json", async () => {
    const { e } = setup();
    const help = await lockstep(e, "--help");
    assert.match(help.stdout, /^  canary +move the gateway canary step by step/m);
    assert.match(help.stdout, /^  drift +what differs between the cluster and the stack/m);
    for (const command of ["drift", "canary"]) {
      const own = await lockstep(e, command, "--help");
      assert.equal(own.code, 0);
      assert.match(own.stdout, new RegExp(`^Usage: lockstep ${command} --stack <name> .*\\[--json\\]`, "m"));
    }
  });

  it("bad input: no --stack, an unknown stack, no Pulumi CLI; each exit 2 with one message", async () => {
    const { dir, e } = setup();
    const none = await lockstep(e, "drift");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--stack is required/);
    const unknown = await lockstep(e, "drift", "--stack", "qa");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Pulumi\.qa\.yaml/);
    const noCli = await lockstep(env(dir), "drift", "--stack", "staging");
    assert.equal(noCli.code, 2);
    assert.match(noCli.stderr, /lockstep drift previews the stack with the Pulumi CLI, and none is installed/);
  });
});

describe("lockstep drift, what it prints and returns", () => {
  const deletedSvc: PlannedStep = {
    urn: urn("kubernetes:core/v1:Service", "api-svc"),
    type: "kubernetes:core/v1:Service",
    op: "create",
    paths: [],
  };
  const relabelledSa: PlannedStep = {
    urn: urn("kubernetes:core/v1:ServiceAccount", "api-sa"),
    type: "kubernetes:core/v1:ServiceAccount",
    op: "update",
    paths: [],
  };
  const withProgress = (stdout: string, progress: string[]) => `${stdout}\n--- progress\n${progress.join("\n")}`;

  it("a field, a deleted object and a change with no field: a row each, the field count, and the pending ones apart", async () => {
    const { dir, e, progress } = setup({ pending: [newGatewayImage], drifted: [scaledApi, deletedSvc, relabelledSa] });
    const r = await lockstep(e, "drift", "--stack", "staging");
    assert.equal(r.code, 1, r.stderr);
    golden("drift-found", withProgress(r.stdout, progress), dir);
  });

  it("--json: the drifted fields with both values, the pending resources by field path", async () => {
    const { e } = setup({ pending: [newGatewayImage], drifted: [scaledApi] });
    const json = JSON.parse((await lockstep(e, "drift", "--stack", "staging", "--json")).stdout);
    assert.deepEqual([json.ok, json.stack, json.reset], [false, "staging", undefined]);
    assert.deepEqual(json.pending, [
      { name: "gateway", kind: "Deployment", op: "update", fields: ["spec.template.spec.containers[0].image"] },
    ]);
  });

  it("--reset refused and --reset failed say so in --json, with what was found", async () => {
    const refused = setup({ pending: [newGatewayImage], drifted: [scaledApi] });
    const r = JSON.parse((await lockstep(refused.e, "drift", "--stack", "staging", "--reset", "--json")).stdout);
    assert.deepEqual([r.ok, r.reset, r.drifted[0].name, r.pending[0].name], [false, "refused", "api", "gateway"]);

    const failing = setup({ pending: [], drifted: [scaledApi] });
    failing.fleet.failUp.set("staging", "pulumi up of staging failed (exit 1): connection refused");
    const f = JSON.parse((await lockstep(failing.e, "drift", "--stack", "staging", "--reset", "--json")).stdout);
    assert.deepEqual(
      [f.ok, f.reset, f.error, f.drifted[0].name],
      [false, "failed", "pulumi up of staging failed (exit 1): connection refused", "api"],
    );
  });

  it("--reset that removes the drift: what was found before, nothing after, and every step on the way", async () => {
    const { dir, e, progress } = setup({ pending: [], drifted: [scaledApi] });
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset");
    assert.equal(r.code, 0, r.stderr);
    golden("drift-reset", withProgress(r.stdout, progress), dir);
    const json = JSON.parse(
      (
        await lockstep(
          setup({ pending: [], drifted: [scaledApi] }).e,
          "drift",
          "--stack",
          "staging",
          "--reset",
          "--json",
        )
      ).stdout,
    );
    assert.deepEqual([json.ok, json.reset, json.before.drifted[0].name, json.drifted], [true, "done", "api", []]);
  });

  it("--reset with drift that comes back prints both reports", async () => {
    const { dir, fleet, e } = setup({ pending: [], drifted: [scaledApi] });
    fleet.driftComesBack.add("staging");
    const r = await lockstep(e, "drift", "--stack", "staging", "--reset");
    assert.equal(r.code, 1);
    golden("drift-left", r.stdout, dir);
  });
});
