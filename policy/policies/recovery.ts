/** Recovery policies: every restore reads one archive and writes another, and a rollback is one of the two safe kinds. */
import type { StackValidationPolicy } from "@pulumi/policy";
import type { z } from "zod";
import { getRelease } from "../../lib/release/catalog";
import { BARMAN_PLUGIN, WRITERS_DOWN_SCRIPT } from "../../lib/core/names";
import { catalog, cnpgClusters, waitsFor, deployments, readableRecord, TYPES } from "./context";
import { cnpgClusterShape, commandShape, objectStoreShape, view } from "./shapes";

type ClusterView = z.infer<typeof cnpgClusterShape>;

/** The serverName a cluster archives WAL under: the plugin's `serverName` parameter, else its own name. */
function archiveServerName(cluster: ClusterView, name: string): string | undefined {
  const archiver = cluster.spec?.plugins?.find((p) => p.name === BARMAN_PLUGIN && p.isWALArchiver === true);
  return archiver ? (archiver.parameters?.serverName ?? name) : undefined;
}

export const restoreIntegrity: StackValidationPolicy = {
  name: "restore-integrity",
  description:
    "Checks whether every CloudNativePG Cluster that bootstraps by recovery reads an external cluster through the Barman Cloud plugin from a declared ObjectStore, and archives its own WAL under a serverName other than the one it recovers from.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const stores = new Set(
      args.resources
        .filter((r) => r.type === TYPES.objectStore)
        .flatMap((r) => view(objectStoreShape, r.props)?.metadata?.name ?? []),
    );
    for (const { resource, cluster, name } of cnpgClusters(args.resources)) {
      const recovery = cluster.spec?.bootstrap?.recovery;
      if (!recovery) continue;
      if (recovery.backup) {
        reportViolation(
          `Cluster ${name} must recover through externalClusters with a backupID target, not bootstrap.recovery.backup.name: recovering from a plugin Backup by name is broken upstream (cloudnative-pg/plugin-barman-cloud#510)`,
          resource.urn,
        );
        continue;
      }
      const source = cluster.spec?.externalClusters?.find((c) => c.name === recovery.source);
      if (!source) {
        reportViolation(
          `Cluster ${name} must name an externalClusters entry in bootstrap.recovery.source (${JSON.stringify(recovery.source ?? "unset")} is not one)`,
          resource.urn,
        );
        continue;
      }
      const plugin = source.plugin;
      if (plugin?.name !== BARMAN_PLUGIN) {
        reportViolation(
          `Cluster ${name} must recover from external cluster ${source.name} through the ${BARMAN_PLUGIN} plugin`,
          resource.urn,
        );
        continue;
      }
      const storeName = plugin.parameters?.barmanObjectName;
      if (!storeName || !stores.has(storeName)) {
        reportViolation(
          `Cluster ${name} must recover from an ObjectStore declared in the stack (barmanObjectName ${JSON.stringify(storeName ?? "unset")})`,
          resource.urn,
        );
      }
      const from = plugin.parameters?.serverName ?? source.name;
      const archive = archiveServerName(cluster, name);
      if (archive === from) {
        reportViolation(
          `Cluster ${name} must archive WAL under a serverName other than ${from}, the one it recovers from: the plugin refuses a non-empty archive and the cluster never leaves "Setting up primary"`,
          resource.urn,
        );
      }
      const target = recovery.recoveryTarget;
      if (target?.targetImmediate && !target.backupID) {
        reportViolation(
          `Cluster ${name} must name the backup (recoveryTarget.backupID) whose end targetImmediate stops at`,
          resource.urn,
        );
      }
    }
  },
};

export const rollbackWithData: StackValidationPolicy = {
  name: "rollback-with-data",
  description:
    "Checks whether a rollback is one of the two safe kinds: on the current schema only when the release left behind has expand-only migrations; otherwise with the writers stopped first, the platform database recovered into a new cluster from a backup before the window's migrations, and the API starting only once that cluster is ready.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    const rollback = found?.record.rollback;
    if (!found || !rollback) return;
    const { record, resource } = found;
    if (rollback.mode === "expand-only") {
      const migrations = getRelease(catalog(), rollback.from).notes.migrations;
      if (migrations !== "expand-only")
        reportViolation(
          `rollback ${rollback.from} -> ${rollback.to} on the current schema must leave a release whose migrations are expand-only; ${rollback.from}'s are ${migrations}, so restore the window's pre-upgrade backups instead`,
          resource.urn,
        );
      return;
    }
    const platform = record.databases.platform;
    const target = cnpgClusters(args.resources).find((c) => c.name === record.databaseCluster);
    if (!platform.recovering || !target?.cluster.spec?.bootstrap?.recovery) {
      reportViolation(
        `rollback ${rollback.from} -> ${rollback.to} with data must recover the platform database into a new cluster in this deployment (lockstep:restore)`,
        resource.urn,
      );
      return;
    }
    const recoveryTarget = target.cluster.spec.bootstrap.recovery.recoveryTarget;
    if (!recoveryTarget?.targetTime && !(recoveryTarget?.backupID && recoveryTarget.targetImmediate)) {
      reportViolation(
        `Cluster ${target.name} must stop before ${rollback.from}'s migrations: recover a backup as it ended (backupID with targetImmediate) or to a targetTime, not every archived WAL after it`,
        target.resource.urn,
      );
    }
    const writersDown = args.resources.filter(
      (r) => r.type === TYPES.command && view(commandShape, r.props)?.create?.includes(WRITERS_DOWN_SCRIPT),
    );
    if (writersDown.length === 0) {
      reportViolation(
        `rollback ${rollback.from} -> ${rollback.to} with data must stop the writers first: a Command running ${WRITERS_DOWN_SCRIPT}`,
        resource.urn,
      );
    } else if (!writersDown.some((w) => waitsFor(target.resource, w))) {
      reportViolation(
        `Cluster ${target.name} must be restored only after the writers stopped (depend on ${writersDown.map((w) => w.name).join(", ")})`,
        target.resource.urn,
      );
    }
    for (const api of deployments(args.resources).filter((w) => w.component === "api")) {
      if (!waitsFor(api.resource, target.resource)) {
        reportViolation(
          `API Deployment ${api.name} must start only once the restored Cluster ${target.name} is ready (depend on it)`,
          api.resource.urn,
        );
      }
    }
  },
};
