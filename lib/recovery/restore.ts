/**
 * lib/recovery: day two. Restoring databases into new CloudNativePG clusters (from a backup or to a
 * point in time), rollback with the data, restore drills, and the Cluster spec all three build on.
 *
 * Where each database lives and, when `lockstep:restore` says so, how it comes back from the object store.
 * Pure: the program, the offline plan, the policy pack and the tests read the same decisions.
 *
 * A recovery never happens in place (CloudNativePG cannot): it bootstraps a NEW cluster, `<origin>-<name>`,
 * from the origin's archive through the Barman Cloud plugin, and the platform moves to it. The new cluster
 * archives WAL under its own serverName: reusing the source's would make the plugin find a non-empty
 * archive and leave the cluster "Setting up primary" forever, so that is refused here.
 */
import { BARMAN_PLUGIN, IDENTITY_DB, PLATFORM_DB } from "../core/names";
import { DATABASES, DatabaseKey, RestoreConfig } from "./recoveryConfig";

/** Each database's original cluster and the database and owner inside it. */
export const DATABASE_ORIGINS: Record<DatabaseKey, { cluster: string; database: string }> = {
  platform: { cluster: PLATFORM_DB, database: "platform" },
  identity: { cluster: IDENTITY_DB, database: "keycloak" },
};

/** The ObjectStore an origin cluster and every cluster recovered from it archive into (under distinct serverNames). */
export function objectStoreName(origin: string): string {
  return `${origin}-store`;
}

/** Where a database runs as last deployed (the stack's `databases` output). */
export interface DeployedDatabase {
  cluster: string;
  /** The serverName its WAL and backups are archived under. */
  serverName: string;
  /** Whether the original cluster is still declared beside a recovered one. */
  keptOrigin: boolean;
}

/** CloudNativePG's `bootstrap.recovery.recoveryTarget`, the fields lockstep sets. */
export interface RecoveryTarget {
  backupID?: string;
  targetTime?: string;
  targetImmediate?: boolean;
}

export interface Recovery {
  /** The restore's name (`lockstep:restore.name`). */
  name: string;
  /** The serverName in the object store the cluster recovers from. */
  source: string;
  /** Unset means full recovery: every archived WAL is replayed. */
  target?: RecoveryTarget;
  /** For a human: what state the cluster comes back in. */
  description: string;
}

export interface DatabasePlan {
  key: DatabaseKey;
  /** The original cluster's name (platform-db, keycloak-db). */
  origin: string;
  /** Database and owner inside the cluster. */
  database: string;
  /** The cluster the platform uses. */
  cluster: string;
  /** The serverName that cluster archives under. */
  serverName: string;
  /** Whether the original cluster stays declared (kept, protected) beside the recovered one. */
  keepOrigin: boolean;
  /** How the cluster is bootstrapped from the archive; unset for the original cluster (initdb). */
  recovery?: Recovery;
  /** The recovery happens in this deployment: the cluster is new since the stack's last deployment. */
  recovering: boolean;
}

/** A problem with the restore config, in the shape config errors take (key path, value, what is allowed). */
export interface RestoreProblem {
  path: (string | number)[];
  value: unknown;
  allowed: string;
}

/** The Secret CloudNativePG generates for a cluster's application user (`uri`, `password`). */
export function appSecretName(plan: Pick<DatabasePlan, "cluster">): string {
  return `${plan.cluster}-app`;
}

export function recoveredClusterName(origin: string, restoreName: string): string {
  return `${origin}-${restoreName}`;
}

function describeTarget(target: RecoveryTarget | undefined, source: string): string {
  if (!target) return `the latest state: the newest base backup of ${source}, then every archived WAL`;
  if (target.backupID && target.targetImmediate)
    return `backup ${target.backupID} of ${source} as it was when the backup ended (no WAL after it)`;
  if (target.backupID && target.targetTime)
    return `backup ${target.backupID} of ${source}, then WAL up to ${target.targetTime}`;
  if (target.backupID) return `backup ${target.backupID} of ${source}, then every archived WAL after it`;
  return `${source} as it was at ${target.targetTime} (the newest base backup before it, then WAL up to that time)`;
}

function recoveryTarget(restore: RestoreConfig, key: DatabaseKey): RecoveryTarget | undefined {
  const backupID = restore.backupIDs?.[key];
  if (backupID) {
    if (restore.targetImmediate) return { backupID, targetImmediate: true };
    return restore.targetTime ? { backupID, targetTime: restore.targetTime } : { backupID };
  }
  return restore.targetTime ? { targetTime: restore.targetTime } : undefined;
}

/**
 * Where each database runs once this config is deployed. `deployed` is the stack's last `databases`
 * output (null for a stack that deployed nothing): it decides whether a recovery is new in this deployment
 * and whether the origin is still there to keep.
 */
export function databasePlans(
  restore: RestoreConfig | undefined,
  deployed: Partial<Record<DatabaseKey, DeployedDatabase>> | null,
): Record<DatabaseKey, DatabasePlan> {
  const plans = {} as Record<DatabaseKey, DatabasePlan>;
  for (const key of DATABASES) {
    const { cluster: origin, database } = DATABASE_ORIGINS[key];
    const before = deployed?.[key];
    if (!restore?.databases.includes(key)) {
      plans[key] = { key, origin, database, cluster: origin, serverName: origin, keepOrigin: true, recovering: false };
      continue;
    }
    const cluster = recoveredClusterName(origin, restore.name);
    const source = restore.source?.[key] ?? origin;
    const target = recoveryTarget(restore, key);
    // The origin is kept only where this stack runs it: a new stack restoring another's archive has none,
    // and declaring one would start an empty cluster archiving under the origin's serverName.
    const originDeployed =
      deployed !== null && (before === undefined || before.cluster === origin || before.keptOrigin);
    plans[key] = {
      key,
      origin,
      database,
      cluster,
      serverName: restore.archiveServerName?.[key] ?? cluster,
      keepOrigin: !restore.retireOrigin && originDeployed,
      recovery: { name: restore.name, source, target, description: describeTarget(target, source) },
      recovering: before?.cluster !== cluster,
    };
  }
  return plans;
}

/** Impossible restore settings, each naming its key; empty when the config can be planned. */
export function restoreProblems(restore: RestoreConfig | undefined): RestoreProblem[] {
  if (!restore) return [];
  const problems: RestoreProblem[] = [];
  const recovered = new Set(restore.databases);
  for (const field of ["backupIDs", "source", "archiveServerName"] as const) {
    for (const key of Object.keys(restore[field] ?? {}) as DatabaseKey[]) {
      if (!recovered.has(key)) {
        problems.push({
          path: ["restore", field, key],
          value: restore[field]?.[key],
          allowed: `names ${key}, which restore.databases (${restore.databases.join(", ")}) does not recover; add it there or remove this entry`,
        });
      }
    }
  }
  for (const key of restore.databases) {
    const origin = DATABASE_ORIGINS[key].cluster;
    const source = restore.source?.[key] ?? origin;
    const cluster = recoveredClusterName(origin, restore.name);
    const archive = restore.archiveServerName?.[key] ?? cluster;
    if (archive === source) {
      const path =
        restore.archiveServerName?.[key] !== undefined
          ? ["restore", "archiveServerName", key]
          : ["restore", "source", key];
      problems.push({
        path,
        value: archive,
        allowed: `the recovered cluster ${cluster} would archive WAL under ${archive}, the serverName it recovers from; the plugin finds that archive non-empty and the cluster never leaves "Setting up primary": archive under a new serverName (choose another restore.name or archiveServerName.${key})`,
      });
    }
  }
  if (restore.targetImmediate) {
    if (restore.targetTime)
      problems.push({
        path: ["restore", "targetImmediate"],
        value: true,
        allowed: "stops at the end of a base backup, so it cannot also recover to restore.targetTime; set one of them",
      });
    for (const key of restore.databases.filter((k) => !restore.backupIDs?.[k])) {
      problems.push({
        path: ["restore", "backupIDs", key],
        value: undefined,
        allowed: `is required with restore.targetImmediate: it names the backup whose end ${key} stops at`,
      });
    }
  }
  if (restore.openbaoForce && !restore.openbaoSnapshot) {
    problems.push({
      path: ["restore", "openbaoForce"],
      value: true,
      allowed: "forces an OpenBao snapshot restore, so restore.openbaoSnapshot must name the snapshot file",
    });
  }
  return problems;
}

/** The Cluster spec fields a recovery sets: the bootstrap and the external cluster it reads from. */
export function recoverySpec(
  plan: Pick<DatabasePlan, "origin" | "database">,
  recovery: Recovery,
): { bootstrap: Record<string, unknown>; externalClusters: Record<string, unknown>[] } {
  const sourceName = "origin";
  return {
    bootstrap: {
      recovery: {
        source: sourceName,
        database: plan.database,
        owner: plan.database,
        ...(recovery.target ? { recoveryTarget: { ...recovery.target } } : {}),
      },
    },
    // An externalClusters recovery with a backupID target, not `recovery.backup.name`: recovering from a
    // plugin Backup object by name is broken upstream (cloudnative-pg/plugin-barman-cloud#510).
    externalClusters: [
      {
        name: sourceName,
        plugin: {
          name: BARMAN_PLUGIN,
          parameters: { barmanObjectName: objectStoreName(plan.origin), serverName: recovery.source },
        },
      },
    ],
  };
}
