/**
 * Backup policies: continuous object-store backup for every database, a verified backup before any
 * upgrade, and volume-snapshot backups that name their VolumeSnapshotClass and wait for their snapshots.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { BACKUP_ENCRYPTIONS } from "../../lib/config/config";
import { AWAIT_BACKUP_SCRIPT, BARMAN_PLUGIN, LABELS, OPENBAO_SNAPSHOT_SCRIPT } from "../../lib/core/names";
import { cnpgClusters, waitsFor, deployments, readableRecord, TYPES } from "./context";
import { clusterRefShape, cnpgClusterShape, commandShape, objectStoreShape, view } from "./shapes";

/** The Commands that await a Backup: they run the await script for it and depend on it. */
function backupChecks(resources: readonly PolicyResource[], backup: PolicyResource): PolicyResource[] {
  const name = view(clusterRefShape, backup.props)?.metadata?.name;
  return resources.filter((r) => {
    if (r.type !== TYPES.command) return false;
    const command = view(commandShape, r.props);
    return (
      !!command?.create?.includes(AWAIT_BACKUP_SCRIPT) &&
      command.environment?.BACKUP === name &&
      r.dependencies.some((d) => d.urn === backup.urn)
    );
  });
}

export const preUpgradeBackup: StackValidationPolicy = {
  name: "pre-upgrade-backup",
  description:
    "Checks whether an open upgrade window has an on-demand CNPG Backup of every database (the platform's and Keycloak's), each awaited to completion by a check that fails as soon as the Backup fails, and the OpenBao raft snapshot, and whether the API and every chart release depend on all of them.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    if (!found?.record.upgradeFrom) return;
    const { record, resource } = found;
    const window = `${record.upgradeFrom} -> ${record.release}`;
    // The window backs up what runs before it; in a rollback that is not the cluster being restored into.
    const clusters = Object.values(
      record.windowBackupClusters ?? { platform: record.windowBackupCluster ?? record.databaseCluster },
    );
    // What a dependent must wait for: one check of each Backup (any of its checks will do), and the snapshot.
    const gates: PolicyResource[][] = [];
    for (const cluster of clusters) {
      // The base backup a major upgrade takes of the new major comes after the database, not before it.
      const backups = args.resources.filter(
        (r) =>
          r.type === TYPES.cnpgBackup &&
          view(clusterRefShape, r.props)?.spec?.cluster?.name === cluster &&
          view(clusterRefShape, r.props)?.metadata?.labels?.[LABELS.majorBase] === undefined,
      );
      if (backups.length === 0)
        reportViolation(
          `an on-demand Backup of ${cluster} must exist while the window ${window} is open, so the migration can be rolled back with its data`,
          resource.urn,
        );
      for (const backup of backups) {
        const awaiting = backupChecks(args.resources, backup);
        if (awaiting.length === 0)
          reportViolation(
            `Backup ${backup.name} must be awaited to completion by a Command that runs ${AWAIT_BACKUP_SCRIPT} for it and depends on it (it fails the up as soon as the Backup fails)`,
            backup.urn,
          );
        if (awaiting.length > 0) gates.push(awaiting);
      }
    }
    const snapshots = args.resources.filter(
      (r) => r.type === TYPES.command && !!view(commandShape, r.props)?.create?.includes(OPENBAO_SNAPSHOT_SCRIPT),
    );
    if (snapshots.length === 0)
      reportViolation(
        `an OpenBao raft snapshot (a Command that runs ${OPENBAO_SNAPSHOT_SCRIPT}) must be taken while the window ${window} is open, so the secrets can be rolled back with the databases`,
        resource.urn,
      );
    for (const snapshot of snapshots) {
      const env = view(commandShape, snapshot.props)?.environment ?? {};
      const missing = ["DESTINATION_PATH", "CREDENTIALS_SECRET", "ENCRYPTION"].filter((key) => !env[key]);
      if (missing.length)
        reportViolation(
          `OpenBao snapshot ${snapshot.name} must be uploaded to the object store beside the database backups, encrypted (its environment lacks ${missing.join(", ")}), so it survives the machine that took it`,
          snapshot.urn,
        );
    }
    if (gates.length === 0) return;
    if (snapshots.length > 0) gates.push(snapshots);
    const mustWait = [
      ...deployments(args.resources)
        .filter((w) => w.component === "api")
        .map((w) => ({
          resource: w.resource,
          what: `API Deployment ${w.name}`,
          why: "migrations never run before the backups complete",
        })),
      ...args.resources
        .filter((r) => r.type === TYPES.helmRelease)
        .map((r) => ({
          resource: r,
          what: `chart release ${r.name}`,
          why: "no chart or operator changes before the backups complete",
        })),
    ];
    for (const { resource: dependent, what, why } of mustWait) {
      const missing = gates.filter((any) => !any.some((g) => waitsFor(dependent, g)));
      if (missing.length > 0)
        reportViolation(
          `${what} must depend on the pre-upgrade backup checks and the OpenBao snapshot, and does not on ${missing.map((any) => any.map((g) => g.name).join(" or ")).join(", ")}, so ${why}`,
          dependent.urn,
        );
    }
  },
};

export const databaseBackup: StackValidationPolicy = {
  name: "database-backup",
  description:
    "Checks whether every CloudNativePG Cluster has continuous object-store backup with WAL archiving, server-side encryption and a retention policy, and a ScheduledBackup targeting it.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const stores = new Map(
      args.resources
        .filter((r) => r.type === TYPES.objectStore)
        .flatMap((r) => {
          const store = view(objectStoreShape, r.props);
          return store?.metadata?.name ? [[store.metadata.name, store] as const] : [];
        }),
    );
    const scheduledFor = new Set(
      args.resources
        .filter((r) => r.type === TYPES.cnpgScheduledBackup)
        .flatMap((r) => {
          const name = view(clusterRefShape, r.props)?.spec?.cluster?.name;
          return name ? [name] : [];
        }),
    );
    for (const r of args.resources.filter((res) => res.type === TYPES.cnpgCluster)) {
      const cluster = view(cnpgClusterShape, r.props);
      const name = cluster?.metadata?.name ?? r.name;
      const archiver = cluster?.spec?.plugins?.find((p) => p.name === BARMAN_PLUGIN && p.isWALArchiver === true);
      if (!archiver) {
        reportViolation(
          `Cluster ${name} must archive WAL through the ${BARMAN_PLUGIN} plugin (plugins[].isWALArchiver: true)`,
          r.urn,
        );
      } else {
        const storeName = archiver.parameters?.barmanObjectName;
        const store = storeName ? stores.get(storeName) : undefined;
        if (!store)
          reportViolation(
            `Cluster ${name} must point its backup plugin at an ObjectStore declared in the stack (barmanObjectName ${JSON.stringify(storeName ?? "unset")})`,
            r.urn,
          );
        else {
          if (!store.spec?.configuration?.destinationPath)
            reportViolation(
              `ObjectStore ${storeName} for Cluster ${name} must set configuration.destinationPath`,
              r.urn,
            );
          const unencrypted = (["data", "wal"] as const).filter(
            (part) =>
              !(BACKUP_ENCRYPTIONS as readonly (string | undefined)[]).includes(
                store.spec?.configuration?.[part]?.encryption,
              ),
          );
          if (unencrypted.length)
            reportViolation(
              `ObjectStore ${storeName} for Cluster ${name} must ask for server-side encryption of ${unencrypted.map((p) => `configuration.${p}.encryption`).join(" and ")} (${BACKUP_ENCRYPTIONS.join(" or ")}; lockstep:backup.encryption)`,
              r.urn,
            );
          if (!store.spec?.retentionPolicy)
            reportViolation(
              `ObjectStore ${storeName} for Cluster ${name} must set a retentionPolicy (like 30d)`,
              r.urn,
            );
        }
      }
      if (!scheduledFor.has(name)) reportViolation(`Cluster ${name} must have a ScheduledBackup targeting it`, r.urn);
    }
  },
};

export const backupSnapshotClass: StackValidationPolicy = {
  name: "backup-snapshot-class",
  description:
    "Checks whether every CNPG Backup taken as volume snapshots targets a Cluster declared in the stack that names its VolumeSnapshotClass (spec.backup.volumeSnapshot.className), and whether the check awaiting it waits for the snapshots to be ready to use.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const clusters = new Map(cnpgClusters(args.resources).map(({ name, cluster }) => [name, cluster]));
    const snapshotBackups = args.resources.filter(
      (r) =>
        (r.type === TYPES.cnpgBackup || r.type === TYPES.cnpgScheduledBackup) &&
        view(clusterRefShape, r.props)?.spec?.method === "volumeSnapshot",
    );
    for (const backup of snapshotBackups) {
      const target = view(clusterRefShape, backup.props)?.spec?.cluster?.name;
      const cluster = target ? clusters.get(target) : undefined;
      if (!cluster) {
        reportViolation(
          `${backup.name} takes volume snapshots of Cluster ${JSON.stringify(target ?? "unset")}, which must be declared in the stack so its VolumeSnapshotClass can be checked`,
          backup.urn,
        );
      } else if (!cluster.spec?.backup?.volumeSnapshot?.className) {
        reportViolation(
          `${backup.name} takes volume snapshots, so Cluster ${target} must name a VolumeSnapshotClass (spec.backup.volumeSnapshot.className; set lockstep:backup.volumeSnapshot.className, or use lockstep:backup.method objectStore)`,
          backup.urn,
        );
      }
      if (backup.type !== TYPES.cnpgBackup) continue;
      const unready = backupChecks(args.resources, backup).filter(
        (check) => view(commandShape, check.props)?.environment?.METHOD !== "volumeSnapshot",
      );
      for (const check of unready)
        reportViolation(
          `${check.name} must await ${backup.name} with METHOD=volumeSnapshot, so the upgrade waits until every snapshot is ready to use, not only until the Backup completes`,
          check.urn,
        );
    }
  },
};
