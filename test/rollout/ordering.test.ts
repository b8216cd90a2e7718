import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { waveOrder } from "../../lib/rollout/waves";
import { planMocks } from "../../plan/runtime";
import type { PlanResult } from "../../plan/plan";
import { ofType, orderedAfter, planStack, resource } from "../helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("the plan's mocks", () => {
  it("fail on any provider call and on resource types the program is not expected to register", () => {
    assert.throws(
      () => planMocks.call({ token: "kubernetes:yaml:decode", inputs: {} }),
      /unmocked call kubernetes:yaml:decode/,
    );
    assert.throws(
      () => planMocks.newResource({ type: "aws:s3/bucket:Bucket", name: "b", inputs: {}, custom: true }),
      /unmocked resource type aws:s3\/bucket:Bucket/,
    );
    assert.deepEqual(
      planMocks.newResource({ type: "kubernetes:core/v1:Service", name: "s", inputs: { a: 1 }, custom: true }),
      { id: "s-id", state: { a: 1 } },
    );
  });
});

describe("wave plan", () => {
  it("puts the backups first only when a window is open, and each wave after every earlier one", () => {
    assert.deepEqual(
      waveOrder({ upgradeWindow: false }).map((w) => w.id),
      ["platform-services", "database", "api", "gateways", "console", "workers", "verification"],
    );
    const open = waveOrder({ upgradeWindow: true });
    assert.equal(open[0].id, "pre-upgrade-backup");
    open.forEach((w, i) =>
      assert.deepEqual(
        w.after,
        open.slice(0, i).map((x) => x.id),
      ),
    );
  });
});

describe("upgrade ordering through dependsOn (deployed = the previous minor)", () => {
  let plan: PlanResult;
  /** The real resources a wave of the plan holds. */
  const customs = (wave: string) => plan.waves.find((w) => w.id === wave)?.resources ?? [];
  before(async () => {
    plan = await planStack(
      "staging",
      "release=1.5.0",
      "deployed=1.4.2",
      "upgrade.gatewayCanaryPercent=10",
      "console.blue=1.5.0",
      "console.green=1.4.2",
    );
  });

  const deployments = (prefix: string) =>
    ofType(plan, DEPLOYMENT)
      .filter((d) => d.name.startsWith(prefix))
      .map((d) => d.name);

  it("takes the pre-upgrade Backups and the OpenBao snapshot before any chart, operator or database change", () => {
    const backups = [
      "pre-upgrade-platform-db-1-4-2-to-1-5-0",
      "pre-upgrade-keycloak-db-1-4-2-to-1-5-0",
      "openbao-snapshot-1-4-2-to-1-5-0",
    ];
    for (const later of [
      "cnpg-operator",
      "barman-cloud-plugin",
      "openbao",
      "keycloak",
      "keycloak-db-cluster",
      "platform-db-cluster",
      "api",
    ]) {
      for (const backup of backups) assert.ok(orderedAfter(plan, later, backup), `${later} must come after ${backup}`);
    }
    // The API's registration itself carries the backup, as the engine would see it.
    assert.ok(resource(plan, "wave-api").dependsOn.includes("pre-upgrade-platform-db-1-4-2-to-1-5-0"));
  });

  it("runs the database before the API", () => {
    assert.ok(orderedAfter(plan, "api", "platform-db-cluster"));
  });

  it("runs the API before every gateway Deployment", () => {
    assert.deepEqual(deployments("gateway"), ["gateway", "gateway-canary"]);
    for (const gw of deployments("gateway")) assert.ok(orderedAfter(plan, gw, "api"), `${gw} after api`);
  });

  it("runs the gateways before the console Deployments", () => {
    for (const c of deployments("console")) {
      for (const gw of deployments("gateway")) assert.ok(orderedAfter(plan, c, gw), `${c} after ${gw}`);
    }
  });

  it("runs the API before the workers, and verification last", () => {
    for (const w of deployments("worker-")) assert.ok(orderedAfter(plan, w, "api"), `${w} after api`);
    for (const d of ofType(plan, DEPLOYMENT))
      assert.ok(orderedAfter(plan, "smoke-test", d.name), `smoke-test after ${d.name}`);
    assert.ok(orderedAfter(plan, "lockstep-release", "smoke-test"));
  });

  it("never orders backwards: the API does not wait for gateways, nor the backup for the API", () => {
    assert.ok(!orderedAfter(plan, "api", "gateway"));
    assert.ok(!orderedAfter(plan, "pre-upgrade-platform-db-1-4-2-to-1-5-0", "api"));
    assert.ok(!orderedAfter(plan, "gateway", "console-blue"));
  });

  it("puts the order in the engine's graph: every real resource waits for every real resource of the earlier waves", () => {
    const ids = plan.waves.map((w) => w.id);
    let checked = 0;
    ids.forEach((wave, k) => {
      const earlier = ids.slice(0, k).flatMap(customs);
      for (const name of customs(wave)) {
        const missing = earlier.filter((e) => !orderedAfter(plan, name, e));
        assert.deepEqual(missing, [], `${name} (wave ${wave}) must wait for the earlier waves' resources`);
        checked++;
      }
    });
    assert.ok(checked >= 40, `checked ${checked} resources`);
  });

  it("names only the previous wave's resources and the backups, so the checkpoint's dependency lists stay short", () => {
    const ids = plan.waves.filter((w) => w.resources.length > 0).map((w) => w.id);
    for (let k = 2; k < ids.length; k++) {
      // The backups are named on purpose by every chart release and database, whatever their wave.
      const twoBack = ids
        .slice(0, k - 1)
        .filter((id) => id !== "pre-upgrade-backup")
        .flatMap(customs);
      for (const name of customs(ids[k])) {
        const named = resource(plan, name).dependsOn.filter((d) => twoBack.includes(d));
        assert.deepEqual(named, [], `${name} (wave ${ids[k]}) names resources of waves before ${ids[k - 1]}`);
      }
    }
    assert.ok(resource(plan, "gateway").dependsOn.includes("api"), "the wave before is named directly");
  });

  it("makes the operator and OpenBao releases depend on the backup checks and the snapshot, not only their wave", () => {
    for (const release of ["cnpg-operator", "barman-cloud-plugin", "openbao", "keycloak"]) {
      for (const backup of [
        "await-platform-db-1-4-2-to-1-5-0",
        "await-keycloak-db-1-4-2-to-1-5-0",
        "openbao-snapshot-1-4-2-to-1-5-0",
        "pre-upgrade-platform-db-1-4-2-to-1-5-0",
      ]) {
        assert.ok(resource(plan, release).dependsOn.includes(backup), `${release} depends on ${backup}`);
      }
    }
  });

  it("records implicit dependencies through Outputs, not only explicit ones", () => {
    assert.ok(
      resource(plan, "api").dependsOn.includes("api-sa"),
      "serviceAccountName comes from the ServiceAccount's output",
    );
    const routeDeps = resource(plan, "gateway-route").dependsOn;
    assert.ok(
      routeDeps.includes("gateway-canary-svc") && routeDeps.includes("gateway-stable-svc"),
      "the route's backendRefs name the Services' outputs",
    );
  });

  it("moves the route's weights only after both gateway tracks have rolled out", () => {
    const routeDeps = resource(plan, "gateway-route").dependsOn;
    assert.ok(
      routeDeps.includes("gateway") && routeDeps.includes("gateway-canary"),
      `the route waits for the stable and canary Deployments: ${routeDeps.join(", ")}`,
    );
  });

  it("flips the live console Service only after the live color's Deployment, and never waits for the other color", () => {
    const liveDeps = resource(plan, "console-svc").dependsOn;
    assert.ok(liveDeps.includes("console-blue"), `live is blue here: ${liveDeps.join(", ")}`);
    assert.ok(!liveDeps.includes("console-green"), "the idle color rolls on its own");
  });
});
