/**
 * Restore, rollback with data and restore drills: the pure decisions directly, then the plans of each
 * scenario the issue names, with the order the engine will follow (writers down before the restore, the
 * restored cluster Ready before the API) and the objects' fields.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { deployedAt, DeployedState, parseDeployedArgument } from "../../lib/state/deployed";
import { drillCluster, drillVerdict } from "../../lib/recovery/drill";
import { LockstepInputError } from "../../lib/core/errors";
import { restoreSchema } from "../../lib/recovery/recoveryConfig";
import { databasePlans, restoreProblems } from "../../lib/recovery/restore";
import { checkRestoreInWindow, offeredRollback, planRollback } from "../../lib/recovery/rollback";
import type { PlanResult } from "../../plan/plan";
import { ofType, orderedAfter, planStack, PROJECT, prop, refusal, resource, runStack } from "../helpers";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const AFTER_WINDOW = path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json");
const restore = (value: Record<string, unknown>) => restoreSchema.parse(value);

describe("where each database runs (databasePlans)", () => {
  it("keeps the original clusters when nothing is restored", () => {
    const plans = databasePlans(undefined, null);
    assert.deepEqual([plans.platform.cluster, plans.identity.cluster], ["platform-db", "keycloak-db"]);
    assert.equal(plans.platform.recovery, undefined);
    assert.equal(plans.platform.recovering, false);
  });

  it("recovers into <origin>-<name>, archiving under that new name, the origin kept where this stack runs it", () => {
    const plans = databasePlans(restore({ name: "r1", databases: ["platform"] }), {});
    assert.equal(plans.platform.cluster, "platform-db-r1");
    assert.equal(plans.platform.serverName, "platform-db-r1");
    assert.equal(plans.platform.recovery?.source, "platform-db");
    assert.equal(plans.platform.recovery?.target, undefined, "no target: the latest state");
    assert.equal(plans.platform.keepOrigin, true);
    assert.equal(plans.platform.recovering, true);
    assert.equal(plans.identity.cluster, "keycloak-db", "identity was not named");
  });

  it("declares no origin on a stack that deployed nothing: a new stack restoring another's archive has none", () => {
    assert.equal(databasePlans(restore({ name: "dr1" }), null).platform.keepOrigin, false);
  });

  it("keeps the origin while it is kept, and stops declaring it once retired", () => {
    const after = { platform: { cluster: "platform-db-r1", serverName: "platform-db-r1", keptOrigin: true } };
    assert.equal(databasePlans(restore({ name: "r1" }), after).platform.keepOrigin, true);
    assert.equal(
      databasePlans(restore({ name: "r1" }), after).platform.recovering,
      false,
      "the restore ran in an earlier deployment",
    );
    assert.equal(databasePlans(restore({ name: "r1", retireOrigin: true }), after).platform.keepOrigin, false);
  });

  it("turns backupIDs, targetTime and targetImmediate into CloudNativePG's recoveryTarget", () => {
    const target = (value: Record<string, unknown>) =>
      databasePlans(restore({ name: "r1", ...value }), {}).platform.recovery?.target;
    assert.deepEqual(target({ targetTime: "2026-11-20T10:00:00Z" }), { targetTime: "2026-11-20T10:00:00Z" });
    assert.deepEqual(target({ backupIDs: { platform: "20261120T101500", identity: "x" } }), {
      backupID: "20261120T101500",
    });
    assert.deepEqual(target({ backupIDs: { platform: "b1", identity: "b2" }, targetTime: "2026-11-20T10:00:00Z" }), {
      backupID: "b1",
      targetTime: "2026-11-20T10:00:00Z",
    });
    assert.deepEqual(target({ backupIDs: { platform: "b1", identity: "b2" }, targetImmediate: true }), {
      backupID: "b1",
      targetImmediate: true,
    });
  });
});

describe("how each recovery is described, and where the origin is kept", () => {
  const description = (value: Record<string, unknown>) =>
    databasePlans(restore({ name: "r1", ...value }), {}).platform.recovery?.description;

  it("says what each target recovers, in words an operator reads in the plan", () => {
    assert.equal(description({}), "the latest state: the newest base backup of platform-db, then every archived WAL");
    assert.equal(
      description({ backupIDs: { platform: "b1", identity: "b2" }, targetImmediate: true }),
      "backup b1 of platform-db as it was when the backup ended (no WAL after it)",
    );
    assert.equal(
      description({ backupIDs: { platform: "b1", identity: "b2" }, targetTime: "2026-11-20T10:00:00Z" }),
      "backup b1 of platform-db, then WAL up to 2026-11-20T10:00:00Z",
    );
    assert.equal(
      description({ backupIDs: { platform: "b1", identity: "b2" } }),
      "backup b1 of platform-db, then every archived WAL after it",
    );
    assert.equal(
      description({ targetTime: "2026-11-20T10:00:00Z" }),
      "platform-db as it was at 2026-11-20T10:00:00Z (the newest base backup before it, then WAL up to that time)",
    );
  });

  it("keeps the origin where this stack runs it: on the origin itself, or a restore that kept it, not one that retired it", () => {
    const keep = (before: { cluster: string; keptOrigin: boolean }) =>
      databasePlans(restore({ name: "r2" }), { platform: { ...before, serverName: before.cluster } }).platform
        .keepOrigin;
    assert.equal(keep({ cluster: "platform-db", keptOrigin: false }), true, "runs on the origin");
    assert.equal(keep({ cluster: "platform-db-r1", keptOrigin: true }), true, "an earlier restore kept it");
    assert.equal(keep({ cluster: "platform-db-r1", keptOrigin: false }), false, "an earlier restore retired it");
    assert.equal(
      databasePlans(restore({ name: "r2" }), {}).platform.keepOrigin,
      true,
      "outputs from before restores existed: the origin",
    );
  });
});

describe("impossible restore settings (restoreProblems)", () => {
  const problems = (value: Record<string, unknown>) =>
    restoreProblems(restore(value)).map((p) => `${p.path.join(".")}: ${p.allowed}`);

  it("accepts a plain restore", () => assert.deepEqual(problems({ name: "r1" }), []));
  it("refuses archiving under the serverName recovered from, named by the key that makes it so", () => {
    assert.match(
      problems({ name: "r1", archiveServerName: { platform: "platform-db" } })[0],
      /^restore\.archiveServerName\.platform: the recovered cluster platform-db-r1 would archive WAL under platform-db, the serverName it recovers from/,
    );
    assert.match(
      problems({ name: "r1", source: { identity: "keycloak-db-r1" } })[0],
      /^restore\.source\.identity: .*non-empty/,
    );
  });
  it("refuses entries for a database the restore does not recover", () => {
    assert.match(
      problems({ name: "r1", databases: ["platform"], backupIDs: { identity: "b" } })[0],
      /^restore\.backupIDs\.identity: names identity, which restore\.databases \(platform\) does not recover/,
    );
  });
  it("refuses targetImmediate without the backup it stops at, or beside a targetTime", () => {
    assert.deepEqual(problems({ name: "r1", targetImmediate: true, databases: ["platform"] }), [
      "restore.backupIDs.platform: is required with restore.targetImmediate: it names the backup whose end platform stops at",
    ]);
    assert.match(
      problems({
        name: "r1",
        targetImmediate: true,
        targetTime: "2026-11-20T10:00:00Z",
        backupIDs: { platform: "b", identity: "c" },
      })[0],
      /^restore\.targetImmediate: .*cannot also recover to restore\.targetTime/,
    );
  });
  it("gives the value each problem is about", () => {
    assert.deepEqual(
      restoreProblems(
        restore({
          name: "r1",
          targetImmediate: true,
          targetTime: "2026-11-20T10:00:00Z",
          backupIDs: { platform: "b", identity: "c" },
        }),
      ).map((p) => [p.path.join("."), p.value]),
      [["restore.targetImmediate", true]],
    );
    assert.deepEqual(
      restoreProblems(restore({ name: "r1", openbaoForce: true })).map((p) => [p.path.join("."), p.value]),
      [["restore.openbaoForce", true]],
    );
  });
  it("refuses a forced OpenBao restore without a snapshot", () => {
    assert.match(
      problems({ name: "r1", openbaoForce: true })[0],
      /^restore\.openbaoForce: .*restore\.openbaoSnapshot must name the snapshot file/,
    );
  });
  it("refuses a timestamp that is not RFC 3339 with a zone", () => {
    for (const bad of ["2026-11-20 10:00:00", "2026-11-20T10:00:00", "2026-13-01T00:00:00Z", "yesterday"]) {
      assert.equal(restoreSchema.safeParse({ name: "r1", targetTime: bad }).success, false, bad);
    }
  });
});

describe("which rollback (planRollback)", () => {
  const after: DeployedState = parseDeployedArgument(AFTER_WINDOW, catalog);
  const window = { from: "1.5.1", to: "1.5.0", mode: "rolling" as const };
  const withData = restore({
    name: "rollback-1-5-1",
    backupIDs: { platform: "20261120T101500", identity: "20261120T101502" },
    targetImmediate: true,
  });
  const inputs = (over: Partial<Parameters<typeof planRollback>[1]> = {}) => ({
    rollback: { from: "1.5.1", mode: "restore" as const },
    restore: withData,
    window,
    deployed: after,
    platformDatabase: databasePlans(over.restore === undefined ? withData : over.restore, after.databases ?? {})
      .platform,
    ...over,
  });

  it("offers expand-only where the catalog says so, else a restore", () => {
    assert.equal(offeredRollback(catalog, "1.4.2", "1.3.4"), "expand-only");
    assert.equal(offeredRollback(catalog, "1.5.1", "1.5.0"), "restore");
  });
  it("plans a restore from the window's backup and says why", () => {
    const plan = planRollback(catalog, inputs());
    assert.equal(plan?.mode, "restore");
    assert.match(
      plan?.reason ?? "",
      /1\.5\.1's migrations are contract \(catalog notes\.migrations\): 1\.5\.0 cannot run on that schema; writers stop.*backup 20261120T101500 of platform-db as it was when the backup ended/,
    );
  });
  it("refuses expand-only from a release with contract migrations", () => {
    assert.throws(
      () => planRollback(catalog, inputs({ rollback: { from: "1.5.1", mode: "expand-only" } })),
      /lockstep:rollback\.mode = "expand-only": release 1\.5\.1's migrations are contract/,
    );
  });
  it("refuses a backupID other than the one the window took", () => {
    const other = restore({
      name: "rollback-1-5-1",
      backupIDs: { platform: "20261101T000000", identity: "x" },
      targetImmediate: true,
    });
    assert.throws(
      () => planRollback(catalog, inputs({ restore: other, platformDatabase: databasePlans(other, {}).platform })),
      /lockstep:restore\.backupIDs\.platform = "20261101T000000", but the window 1\.5\.0 -> 1\.5\.1 took backup 20261120T101500/,
    );
  });
  it("refuses replaying the WAL after the backup, which holds the migrations", () => {
    const replay = restore({ name: "rollback-1-5-1", backupIDs: { platform: "20261120T101500", identity: "x" } });
    assert.throws(
      () => planRollback(catalog, inputs({ restore: replay, platformDatabase: databasePlans(replay, {}).platform })),
      /lockstep:restore\.targetImmediate is unset/,
    );
  });
  it("refuses a rollback whose from is not what runs, and one that moves forward", () => {
    assert.throws(
      () => planRollback(catalog, inputs({ rollback: { from: "1.4.2", mode: "restore" } })),
      /lockstep:rollback\.from = "1\.4\.2", but this stack runs 1\.5\.1/,
    );
    assert.throws(
      () => planRollback(catalog, inputs({ window: { from: "1.5.0", to: "1.5.1", mode: "rolling" } })),
      /release 1\.5\.1 is not older than 1\.5\.0.*remove lockstep:rollback/,
    );
  });
  it("refuses a restore mode with no restore", () => {
    assert.throws(
      () =>
        planRollback(catalog, inputs({ restore: undefined, platformDatabase: databasePlans(undefined, {}).platform })),
      /lockstep:rollback\.mode = "restore" needs lockstep:restore/,
    );
  });
  it("refuses a rollback to a release that was not upgraded from in one window", () => {
    assert.equal(
      refusal(() =>
        planRollback(catalog, inputs({ window: { from: "1.5.1", to: "1.3.4", mode: "rolling" } })),
      ).startsWith(
        'lockstep:release = "1.3.4": a rollback returns to the release 1.5.1 was upgraded from in one window, and 1.3.4 -> 1.5.1 is not one (',
      ),
      true,
    );
  });

  it("refuses a restore that leaves the platform database alone, one that already ran, and one with no target", () => {
    const identityOnly = restore({
      name: "rollback-1-5-1",
      databases: ["identity"],
      backupIDs: { identity: "20261120T101502" },
      targetImmediate: true,
    });
    assert.equal(
      refusal(() =>
        planRollback(
          catalog,
          inputs({
            restore: identityOnly,
            platformDatabase: databasePlans(identityOnly, after.databases ?? {}).platform,
          }),
        ),
      ),
      'lockstep:rollback.mode = "restore" needs lockstep:restore recovering the platform database from the window\'s pre-upgrade backup (lockstep rollback --stack <stack> writes it)',
    );
    const ran = {
      platform: { cluster: "platform-db-rollback-1-5-1", serverName: "platform-db-rollback-1-5-1", keptOrigin: true },
    };
    assert.equal(
      refusal(() => planRollback(catalog, inputs({ platformDatabase: databasePlans(withData, ran).platform }))),
      'lockstep:restore.name = "rollback-1-5-1" is the restore this stack already runs on (platform-db-rollback-1-5-1); a rollback restores into new clusters: choose a new restore.name (lockstep rollback does)',
    );
    const latest = restore({ name: "rollback-1-5-1" });
    assert.match(
      refusal(() =>
        planRollback(catalog, inputs({ restore: latest, platformDatabase: databasePlans(latest, {}).platform })),
      ),
      /^lockstep:restore\.backupIDs\.platform is unset: a rollback restores the window's pre-upgrade backup as it ended/,
    );
  });

  it("compares the backupID only with the backup of this very window", () => {
    const other = restore({
      name: "rollback-1-5-1",
      backupIDs: { platform: "20261101T000000", identity: "x" },
      targetImmediate: true,
    });
    const point = after.restorePoint as NonNullable<DeployedState["restorePoint"]>;
    for (const restorePoint of [
      { ...point, from: "1.4.2" },
      { ...point, to: "2.0.0" },
    ]) {
      const plan = planRollback(
        catalog,
        inputs({
          restore: other,
          platformDatabase: databasePlans(other, {}).platform,
          deployed: { ...after, restorePoint },
        }),
      );
      assert.equal(
        plan?.mode,
        "restore",
        `a restore point of ${restorePoint.from} -> ${restorePoint.to} says nothing of this window`,
      );
    }
  });

  it("restores on request even where expand-only would do, and says the data goes back too", () => {
    const plan = planRollback(
      catalog,
      inputs({
        window: { from: "1.4.2", to: "1.3.4", mode: "rolling" },
        rollback: { from: "1.4.2", mode: "restore" },
        deployed: deployedAt("1.4.2", catalog),
        platformDatabase: databasePlans(withData, {}).platform,
      }),
    );
    assert.equal(
      plan?.reason,
      "restore chosen although 1.4.2's migrations are expand-only: the data goes back too; writers stop, then the databases come back from backup 20261120T101500 of platform-db as it was when the backup ended (no WAL after it); rows written after that are not in the restored databases (the original clusters keep them)",
    );
  });

  it("names every database a restore in a window would start, and why it may not", () => {
    const window15 = { from: "1.5.0", to: "1.5.1", mode: "rolling" as const };
    const plans = Object.values(databasePlans(restore({ name: "r1" }), {}));
    assert.equal(
      refusal(() => checkRestoreInWindow(window15, undefined, plans)),
      'lockstep:restore.name = "r1" starts a restore (platform into platform-db-r1, identity into keycloak-db-r1), but the window 1.5.0 -> 1.5.1 is an upgrade; restore at the release that runs first (release 1.5.0), then upgrade, or roll back with mode "restore"',
    );
    assert.match(
      refusal(() =>
        checkRestoreInWindow(window15, { from: "1.5.1", to: "1.5.0", mode: "expand-only", reason: "" }, plans),
      ),
      /, but a rollback with mode "expand-only" keeps the data; /,
    );
    const ranEarlier = Object.values(
      databasePlans(restore({ name: "r1" }), {
        platform: { cluster: "platform-db-r1", serverName: "platform-db-r1", keptOrigin: false },
        identity: { cluster: "keycloak-db-r1", serverName: "keycloak-db-r1", keptOrigin: false },
      }),
    );
    assert.doesNotThrow(
      () => checkRestoreInWindow(window15, undefined, ranEarlier),
      "a restore that ran in an earlier deployment starts nothing",
    );
  });

  it("leaves a finished rollback alone: no window, nothing to do", () => {
    assert.equal(planRollback(catalog, inputs({ window: undefined })), undefined);
  });
  it("refuses a restore that starts beside an upgrade", () => {
    const plans = Object.values(databasePlans(restore({ name: "r1" }), {}));
    assert.throws(
      () => checkRestoreInWindow({ from: "1.5.0", to: "1.5.1", mode: "rolling" }, undefined, plans),
      /starts a restore .* the window 1\.5\.0 -> 1\.5\.1 is an upgrade/,
    );
    assert.throws(
      () => checkRestoreInWindow({ from: "1.5.0", to: "1.5.1", mode: "rolling" }, undefined, plans),
      LockstepInputError,
    );
    assert.doesNotThrow(() => checkRestoreInWindow(undefined, undefined, plans));
  });
});

describe("the drill's scratch cluster", () => {
  it("recovers the active cluster's archive into a name of its own, with no PDB", () => {
    const plan = databasePlans(undefined, null).platform;
    const manifest = drillCluster({
      namespace: "aigw",
      plan,
      id: "2026-11-22",
      image: "img@sha256:" + "a".repeat(64),
    }) as Loose;
    assert.equal(manifest.metadata.name, "platform-db-drill");
    assert.equal(manifest.spec.enablePDB, false);
    assert.deepEqual(manifest.spec.externalClusters[0].plugin.parameters, {
      barmanObjectName: "platform-db-store",
      serverName: "platform-db",
    });
    assert.equal(manifest.spec.plugins[0].parameters.serverName, "platform-db-drill-2026-11-22");
    assert.equal(manifest.spec.bootstrap.recovery.recoveryTarget, undefined, "the latest state");
  });

  it("is a CloudNativePG Cluster labelled as the drill's, of 20Gi unless told", () => {
    const plan = databasePlans(undefined, null).identity;
    const manifest = drillCluster({
      namespace: "aigw",
      plan,
      id: "d7",
      image: "img@sha256:" + "a".repeat(64),
    }) as Loose;
    assert.deepEqual(
      [manifest.apiVersion, manifest.kind, manifest.metadata.namespace],
      ["postgresql.cnpg.io/v1", "Cluster", "aigw"],
    );
    assert.deepEqual(manifest.metadata.labels, {
      "app.kubernetes.io/part-of": "lockstep",
      "app.kubernetes.io/name": "keycloak-db-drill",
      "lockstep.dev/restore-drill": "d7",
    });
    assert.equal(manifest.spec.storage.size, "20Gi");
    assert.equal(
      (drillCluster({ namespace: "aigw", plan, id: "d7", image: "i", storageSize: "50Gi" }) as Loose).spec.storage.size,
      "50Gi",
    );
    assert.equal(manifest.spec.instances, 1);
  });
});

describe("how old the last drill is (drillVerdict)", () => {
  const drill = {
    id: "2026-11-20",
    database: "platform" as const,
    cluster: "platform-db-drill",
    source: "platform-db",
    passed: true,
    startedAt: "2026-11-20T10:00:00Z",
    finishedAt: "2026-11-20T12:00:00Z",
    seconds: 95,
  };
  const now = new Date("2026-11-27T12:00:00Z");

  it("says how many days ago it passed, with or without a limit", () => {
    assert.deepEqual(drillVerdict(drill, now), {
      ok: true,
      ageDays: 7,
      reason: "restore drill 2026-11-20 passed 7.0 days ago (platform-db-drill recovered platform-db in 95 s)",
    });
    assert.deepEqual(drillVerdict(drill, now, 7), {
      ok: true,
      ageDays: 7,
      reason:
        "restore drill 2026-11-20 passed 7.0 days ago (platform-db-drill recovered platform-db in 95 s), within 7 days",
    });
  });

  it("fails a drill older than the limit, and a stack with no passing drill", () => {
    assert.deepEqual(drillVerdict(drill, now, 6), {
      ok: false,
      ageDays: 7,
      reason:
        "restore drill 2026-11-20 passed 7.0 days ago (platform-db-drill recovered platform-db in 95 s), older than the 6 days required",
    });
    for (const none of [undefined, { ...drill, passed: false }]) {
      assert.deepEqual(drillVerdict(none, now, 30), {
        ok: false,
        ageDays: null,
        reason:
          "no passing restore drill is recorded in the stack's outputs (set lockstep:restoreDrill.id and run pulumi up)",
      });
    }
  });
});

describe("the plans of each scenario", () => {
  let latest: PlanResult;
  let pitr: PlanResult;
  let byBackup: PlanResult;
  let withData: PlanResult;
  let expandOnly: PlanResult;
  let drill: PlanResult;
  before(async () => {
    latest = await planStack("staging", "deployed=1.5.1", 'restore={"name":"r1"}');
    pitr = await planStack(
      "staging",
      "deployed=1.5.1",
      'restore={"name":"r2","databases":["platform"],"targetTime":"2026-11-20T10:00:00Z"}',
    );
    byBackup = await planStack(
      "staging",
      "deployed=1.5.1",
      'restore={"name":"r3","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"}}',
    );
    withData = await planStack(
      "staging",
      `deployed=${AFTER_WINDOW}`,
      "release=1.5.0",
      "console.blue=1.5.0",
      'rollback={"from":"1.5.1","mode":"restore"}',
      'restore={"name":"rollback-1-5-1","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"},"targetImmediate":true}',
    );
    expandOnly = await planStack(
      "staging",
      "deployed=1.4.2",
      "release=1.3.4",
      "console.blue=1.3.4",
      "console.green=1.3.4",
      'rollback={"from":"1.4.2","mode":"expand-only"}',
    );
    drill = await planStack("staging", "deployed=1.5.1", 'restoreDrill={"id":"2026-11-22"}');
  });

  const recovery = (p: PlanResult, cluster: string) =>
    prop(resource(p, `${cluster}-cluster`), "spec.bootstrap.recovery") as Loose;

  it("a restore to the latest: new clusters from the origins' archives, writers down first, the API on the new app Secret after it is Ready", () => {
    assert.equal(recovery(latest, "platform-db-r1").recoveryTarget, undefined);
    assert.deepEqual(prop(resource(latest, "platform-db-r1-cluster"), "spec.externalClusters"), [
      {
        name: "origin",
        plugin: {
          name: "barman-cloud.cloudnative-pg.io",
          parameters: { barmanObjectName: "platform-db-store", serverName: "platform-db" },
        },
      },
    ]);
    assert.equal(
      (prop(resource(latest, "platform-db-r1-cluster"), "metadata.annotations") as Loose)["pulumi.com/waitFor"],
      "condition=Ready",
      "awaited until Ready",
    );
    assert.deepEqual(prop(resource(latest, "platform-db-r1-cluster"), "spec.plugins"), [
      {
        name: "barman-cloud.cloudnative-pg.io",
        isWALArchiver: true,
        parameters: { barmanObjectName: "platform-db-store", serverName: "platform-db-r1" },
      },
    ]);
    assert.equal(resource(latest, "platform-db-cluster").name, "platform-db-cluster", "the origin stays declared");
    assert.ok(orderedAfter(latest, "platform-db-r1-cluster", "writers-down-r1"), "writers down before the restore");
    assert.equal(
      (prop(resource(latest, "writers-down-r1"), "environment") as Loose).DEPLOYMENTS,
      "api worker-export worker-lifecycle worker-config",
      "the writers: the API and the workers, not the gateways or the console",
    );
    assert.equal(resource(latest, "writers-down").parent, "wave-writers-down");
    assert.equal(
      latest.resources.some((r) => r.name.startsWith("openbao-restore")),
      false,
      "OpenBao keeps its data unless a snapshot is named",
    );
    assert.ok(orderedAfter(latest, "api", "platform-db-r1-cluster"), "the restore before the API");
    const env = (prop(resource(latest, "api"), "spec.template.spec.containers") as Loose[])[0].env as Loose[];
    assert.equal(env.find((e) => e.name === "DATABASE_URL")?.valueFrom.secretKeyRef.name, "platform-db-r1-app");
    assert.equal(prop(resource(latest, "keycloak"), "values.database.hostname"), "keycloak-db-r1-rw");
    assert.equal(prop(resource(latest, "platform-db-r1-scheduled-backup"), "spec.cluster.name"), "platform-db-r1");
    assert.equal(latest.violations.length, 0, JSON.stringify(latest.violations));
  });

  it("a restore with an OpenBao snapshot: restored into the running OpenBao, in the platform-services wave", async () => {
    const withSnapshot = await planStack(
      "staging",
      "deployed=1.5.1",
      'restore={"name":"r4","openbaoSnapshot":"backups/openbao-1-5-0-to-1-5-1.snap","openbaoForce":true}',
    );
    const step = resource(withSnapshot, "openbao-restore-r4");
    assert.deepEqual(
      [step.parent, resource(withSnapshot, "openbao-restore").parent],
      ["openbao-restore", "wave-platform-services"],
    );
    assert.ok(resource(withSnapshot, "openbao-restore").dependsOn.includes("openbao"), "after the OpenBao release");
    assert.deepEqual(prop(step, "environment"), {
      NAMESPACE: "aigw-staging",
      OPENBAO_POD: "openbao-0",
      SNAPSHOT_FILE: "backups/openbao-1-5-0-to-1-5-1.snap",
      FORCE: "true",
    });
    assert.ok(orderedAfter(withSnapshot, "api", "openbao-restore-r4"), "secrets come back before the API starts");
  });

  it("a point-in-time restore of one database", () => {
    assert.deepEqual(recovery(pitr, "platform-db-r2").recoveryTarget, { targetTime: "2026-11-20T10:00:00Z" });
    assert.equal(
      ofType(pitr, "kubernetes:postgresql.cnpg.io/v1:Cluster").some((r) => r.name.startsWith("keycloak-db-r2")),
      false,
    );
    assert.equal(pitr.violations.length, 0, JSON.stringify(pitr.violations));
  });

  it("a restore from a backupID, replaying the WAL after it", () => {
    assert.deepEqual(recovery(byBackup, "platform-db-r3").recoveryTarget, { backupID: "20261120T101500" });
    assert.deepEqual(recovery(byBackup, "keycloak-db-r3").recoveryTarget, { backupID: "20261120T101502" });
  });

  it("a rollback 1.5.1 -> 1.5.0 with data: backups, writers down, the restore from the window's backup as it ended, workloads back before the API", () => {
    assert.deepEqual(
      withData.waves.map((w) => w.id),
      [
        "pre-upgrade-backup",
        "writers-down",
        "platform-services",
        "database",
        "gateways",
        "console",
        "workers",
        "api",
        "verification",
      ],
    );
    assert.deepEqual(recovery(withData, "platform-db-rollback-1-5-1").recoveryTarget, {
      backupID: "20261120T101500",
      targetImmediate: true,
    });
    assert.ok(
      orderedAfter(withData, "writers-down-rollback-1-5-1", "await-platform-db-1-5-1-to-1-5-0"),
      "the abandoned data is backed up before the writers stop",
    );
    assert.ok(orderedAfter(withData, "platform-db-rollback-1-5-1-cluster", "writers-down-rollback-1-5-1"));
    assert.ok(orderedAfter(withData, "api", "platform-db-rollback-1-5-1-cluster"));
    assert.ok(orderedAfter(withData, "api", "worker-export"), "the API goes back last");
    assert.equal(withData.rollback?.mode, "restore");
    assert.equal(
      prop(resource(withData, "pre-upgrade-platform-db-1-5-1-to-1-5-0"), "spec.cluster.name"),
      "platform-db",
      "the window backs up what runs",
    );
    assert.equal(withData.violations.length, 0, JSON.stringify(withData.violations));
  });

  it("a rollback of an expand-only release: no restore, no writers down, the plan says why", () => {
    assert.equal(expandOnly.rollback?.mode, "expand-only");
    assert.match(expandOnly.rollback?.reason ?? "", /1\.4\.2's migrations are expand-only/);
    assert.equal(
      expandOnly.waves.some((w) => w.id === "writers-down"),
      false,
    );
    assert.equal(
      ofType(expandOnly, "kubernetes:postgresql.cnpg.io/v1:Cluster").length,
      2,
      "the original clusters only",
    );
    assert.equal(expandOnly.violations.length, 0, JSON.stringify(expandOnly.violations));
  });

  it("a drill: a wave before verification whose Command carries the scratch cluster's manifest", () => {
    assert.deepEqual(drill.waves.map((w) => w.id).slice(-2), ["restore-drill", "verification"]);
    const env = prop(resource(drill, "restore-drill-2026-11-22"), "environment") as Loose;
    const manifest = JSON.parse(env.MANIFEST);
    assert.equal(manifest.metadata.name, "platform-db-drill");
    assert.equal(env.SOURCE, "platform-db");
    assert.ok(
      orderedAfter(drill, "lockstep-release", "restore-drill-2026-11-22"),
      "the record waits for the drill's result",
    );
    assert.deepEqual(drill.restoreDrill, {
      id: "2026-11-22",
      database: "platform",
      cluster: "platform-db-drill",
      source: "platform-db",
    });
    assert.deepEqual(
      [resource(drill, "restore-drill-2026-11-22").parent, resource(drill, "restore-drill").parent],
      ["restore-drill", "wave-restore-drill"],
    );
  });

  it("a drill's result becomes the platform's restoreDrill output (known once the drill has run), none without a drill", async () => {
    const outputs = async (...sets: string[]) =>
      (await runStack("staging", "deployed=1.5.1", ...sets)).find((r) => r.name === "platform" && !r.custom)
        ?.outputs as Loose;
    assert.deepEqual((await outputs('restoreDrill={"id":"2026-11-22"}')).restoreDrill, { __pulumiUnknown: true });
    assert.equal((await outputs()).restoreDrill, null);
  });

  it("a downgrade with neither a restore nor expand-only migrations is refused by upgrade-path", async () => {
    const refused = await planStack("staging", `deployed=${AFTER_WINDOW}`, "release=1.5.0", "console.blue=1.5.0");
    // Typed as an upgrade, it also rolls the live console color back in place; a rollback takes it back by the flip.
    assert.deepEqual(refused.violations.map((v) => v.policy).sort(), ["blue-green-integrity", "upgrade-path"]);
  });

  it("carries the last window's restore point and the last drill forward once their waves are gone", async () => {
    const state = deployedAt("1.5.1", catalog);
    assert.equal(state.restorePoint, undefined);
    const carried = await planStack("staging", `deployed=${AFTER_WINDOW}`);
    const data = prop(resource(carried, "lockstep-release"), "data") as Loose;
    assert.equal(JSON.parse(data["restore-point.json"]).backups.platform.backupId, "20261120T101500");
    assert.equal("restore-drill.json" in data, false, "no drill has run on this stack");
    const drill = {
      id: "2026-11-01",
      database: "platform",
      cluster: "platform-db-drill",
      source: "platform-db",
      passed: true,
      startedAt: "2026-11-01T10:00:00Z",
      finishedAt: "2026-11-01T10:04:00Z",
      seconds: 240,
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-drilled-")), "deployed.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(AFTER_WINDOW, "utf8")), restoreDrill: drill }),
    );
    const drilled = prop(resource(await planStack("staging", `deployed=${file}`), "lockstep-release"), "data") as Loose;
    assert.deepEqual(JSON.parse(drilled["restore-drill.json"]), drill);
  });
});
