/** Backup policies: continuous object-store backup for every database, and a verified backup before any upgrade. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { ANNOTATIONS, BARMAN_PLUGIN } from "../../lib/names";
import { dependsOnThroughParents, deployments, readableRecord, TYPES } from "./context";
import { clusterRefShape, cnpgClusterShape, objectStoreShape, view } from "./shapes";

const COMPLETED = "jsonpath={.status.phase}=completed";

export const preUpgradeBackup: StackValidationPolicy = {
  name: "pre-upgrade-backup",
  description: "Checks whether an open upgrade window has an on-demand CNPG Backup of the platform database, awaited to completion, that the API Deployment depends on.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    if (!found?.record.upgradeFrom) return;
    const { record, resource } = found;
    const backups = args.resources.filter((r) => r.type === TYPES.cnpgBackup && view(clusterRefShape, r.props)?.spec?.cluster?.name === record.databaseCluster);
    if (backups.length === 0) {
      reportViolation(`an on-demand Backup of ${record.databaseCluster} must exist while the window ${record.upgradeFrom} -> ${record.release} is open, so the migration can be rolled back`, resource.urn);
      return;
    }
    for (const backup of backups) {
      const waitFor = view(clusterRefShape, backup.props)?.metadata?.annotations?.[ANNOTATIONS.waitFor];
      if (waitFor !== COMPLETED) {
        reportViolation(`Backup ${backup.name} must be awaited to completion (annotation ${ANNOTATIONS.waitFor}: "${COMPLETED}"), not ${JSON.stringify(waitFor ?? "unset")}`, backup.urn);
      }
    }
    const apis = deployments(args.resources).filter((w) => w.component === "api");
    for (const api of apis) {
      if (!backups.some((b) => dependsOnThroughParents(api.resource, b))) {
        reportViolation(`API Deployment ${api.name} must depend on the pre-upgrade Backup (${backups.map((b) => b.name).join(", ")}), directly or through its parent, so migrations never run before the backup completes`, api.resource.urn);
      }
    }
  },
};

export const databaseBackup: StackValidationPolicy = {
  name: "database-backup",
  description: "Checks whether every CloudNativePG Cluster has continuous object-store backup with WAL archiving and a retention policy, and a ScheduledBackup targeting it.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const stores = new Map(args.resources.filter((r) => r.type === TYPES.objectStore).flatMap((r) => {
      const store = view(objectStoreShape, r.props);
      return store?.metadata?.name ? [[store.metadata.name, store] as const] : [];
    }));
    const scheduledFor = new Set(args.resources.filter((r) => r.type === TYPES.cnpgScheduledBackup).flatMap((r) => {
      const name = view(clusterRefShape, r.props)?.spec?.cluster?.name;
      return name ? [name] : [];
    }));
    for (const r of args.resources.filter((res) => res.type === TYPES.cnpgCluster)) {
      const cluster = view(cnpgClusterShape, r.props);
      const name = cluster?.metadata?.name ?? r.name;
      const archiver = cluster?.spec?.plugins?.find((p) => p.name === BARMAN_PLUGIN && p.isWALArchiver === true);
      if (!archiver) {
        reportViolation(`Cluster ${name} must archive WAL through the ${BARMAN_PLUGIN} plugin (plugins[].isWALArchiver: true)`, r.urn);
      } else {
        const storeName = archiver.parameters?.barmanObjectName;
        const store = storeName ? stores.get(storeName) : undefined;
        if (!store) reportViolation(`Cluster ${name} must point its backup plugin at an ObjectStore declared in the stack (barmanObjectName ${JSON.stringify(storeName ?? "unset")})`, r.urn);
        else {
          if (!store.spec?.configuration?.destinationPath) reportViolation(`ObjectStore ${storeName} for Cluster ${name} must set configuration.destinationPath`, r.urn);
          if (!store.spec?.retentionPolicy) reportViolation(`ObjectStore ${storeName} for Cluster ${name} must set a retentionPolicy (like 30d)`, r.urn);
        }
      }
      if (!scheduledFor.has(name)) reportViolation(`Cluster ${name} must have a ScheduledBackup targeting it`, r.urn);
    }
  },
};
