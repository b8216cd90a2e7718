/**
 * restore-integrity, rollback-with-data and the backward half of upgrade-path: a happy path from the real
 * program (a restore, a rollback with data, an expand-only rollback), then one field changed at a time.
 */
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { RecordedResource } from "../../plan/runtime";
import * as policies from "../../policy/policies";
import { PROJECT, runStack } from "../helpers";
import { edit, editRecord, fails, passes, without } from "../policyKit";

const AFTER_WINDOW = path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json");

describe("recovery policies", () => {
  let restored: RecordedResource[];
  let withData: RecordedResource[];
  let expandOnly: RecordedResource[];
  before(async () => {
    restored = await runStack("staging", "deployed=1.5.1", 'restore={"name":"r1"}');
    withData = await runStack(
      "staging",
      `deployed=${AFTER_WINDOW}`,
      "release=1.5.0",
      "console.blue=1.5.0",
      'rollback={"from":"1.5.1","mode":"restore"}',
      'restore={"name":"rb","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"},"targetImmediate":true}',
    );
    expandOnly = await runStack(
      "staging",
      "deployed=1.4.2",
      "release=1.3.4",
      "console.blue=1.3.4",
      "console.green=1.3.4",
      'rollback={"from":"1.4.2","mode":"expand-only"}',
    );
  });

  describe("happy paths", () => {
    it("passes every policy on a restore, a rollback with data and an expand-only rollback", async () => {
      for (const base of [restored, withData, expandOnly]) {
        for (const policy of policies.ALL_POLICIES) await passes(policy, base);
      }
    });
  });

  describe("restore-integrity", () => {
    const cluster = "platform-db-r1-cluster";
    it("refuses archiving under the serverName the cluster recovers from", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.plugins[0].parameters.serverName = "platform-db";
        }),
        /Cluster platform-db-r1 must archive WAL under a serverName other than platform-db, the one it recovers from/,
      ));
    it("refuses the same when the archiver names no serverName and the source is the cluster's own name", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          delete p.spec.plugins[0].parameters.serverName;
          p.spec.externalClusters[0].plugin.parameters.serverName = "platform-db-r1";
        }),
        /must archive WAL under a serverName other than platform-db-r1/,
      ));
    it("refuses a recovery source that names no external cluster", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.bootstrap.recovery.source = "elsewhere";
        }),
        /must name an externalClusters entry in bootstrap\.recovery\.source \("elsewhere" is not one\)/,
      ));
    it("refuses an external cluster read without the Barman Cloud plugin", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.externalClusters[0].plugin.name = "other.example";
        }),
        /through the barman-cloud\.cloudnative-pg\.io plugin/,
      ));
    it("refuses an ObjectStore the stack does not declare", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.externalClusters[0].plugin.parameters.barmanObjectName = "missing-store";
        }),
        /ObjectStore declared in the stack \(barmanObjectName "missing-store"\)/,
      ));
    it("refuses recovery.backup.name, broken upstream for plugin backups", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.bootstrap.recovery = { backup: { name: "pre-upgrade-platform-db-1-5-0-to-1-5-1" } };
        }),
        /plugin-barman-cloud#510/,
      ));
    it("refuses targetImmediate without the backup it stops at", () =>
      fails(
        policies.restoreIntegrity,
        edit(restored, cluster, (p) => {
          p.spec.bootstrap.recovery.recoveryTarget = { targetImmediate: true };
        }),
        /must name the backup \(recoveryTarget\.backupID\)/,
      ));
  });

  describe("rollback-with-data", () => {
    const cluster = "platform-db-rb-cluster";
    it("refuses a rollback on the current schema from a release with contract migrations", () =>
      fails(
        policies.rollbackWithData,
        editRecord(withData, (r) => {
          if (r.rollback) r.rollback.mode = "expand-only";
        }),
        /1\.5\.1's are contract, so restore the window's pre-upgrade backups instead/,
      ));
    it("refuses a rollback with data that recovers nothing in this deployment", () =>
      fails(
        policies.rollbackWithData,
        editRecord(withData, (r) => {
          r.databases.platform.recovering = false;
        }),
        /must recover the platform database into a new cluster in this deployment/,
      ));
    it("refuses a recovery that replays the WAL holding the migrations", () =>
      fails(
        policies.rollbackWithData,
        edit(withData, cluster, (p) => {
          delete p.spec.bootstrap.recovery.recoveryTarget.targetImmediate;
        }),
        /Cluster platform-db-rb must stop before 1\.5\.1's migrations/,
      ));
    it("refuses a rollback with data that does not stop the writers", () =>
      fails(
        policies.rollbackWithData,
        without(withData, "writers-down-rb"),
        /must stop the writers first: a Command running scripts\/writers-down\.sh/,
      ));
    it("refuses a restore that does not wait for the writers to stop, and an API that does not wait for the restore", async () => {
      const find = (name: string) => withData.find((r) => r.name === name) as RecordedResource;
      const cut = (target: string) =>
        structuredClone(withData).map((r) => ({
          ...r,
          dependencyUrns: r.dependencyUrns.filter((u) => u !== find(target).urn),
        }));
      await fails(
        policies.rollbackWithData,
        cut("writers-down-rb"),
        /Cluster platform-db-rb must be restored only after the writers stopped/,
      );
      await fails(
        policies.rollbackWithData,
        cut(cluster),
        /API Deployment api must start only once the restored Cluster platform-db-rb is ready/,
      );
    });
  });

  describe("upgrade-path, backward", () => {
    it("refuses a rollback that undoes more than one upgrade step", () =>
      fails(
        policies.upgradePath,
        editRecord(withData, (r) => {
          r.release = "1.3.4";
          if (r.rollback) r.rollback.to = "1.3.4";
        }),
        /rollback 1\.5\.1 -> 1\.3\.4 must undo one allowed upgrade step/,
      ));
    it("refuses a downgrade that is not a rollback, naming the command that writes one", () =>
      fails(
        policies.upgradePath,
        editRecord(expandOnly, (r) => {
          r.rollback = null;
        }),
        /1\.4\.2 -> 1\.3\.4 moves backward and must be a rollback.*lockstep rollback --stack staging/,
      ));
  });
});
