/**
 * The CloudNativePG Cluster spec lockstep declares, for an original cluster (initdb), a recovered one and
 * a restore drill's scratch cluster alike, so the three can never drift apart. Pure.
 */
import { BARMAN_PLUGIN } from "../core/names";
import { DatabasePlan, objectStoreName, Recovery, recoverySpec } from "./restore";

export interface ClusterSpecArgs {
  /** PostgreSQL operand image, pinned by digest. */
  image: string;
  plan: Pick<DatabasePlan, "origin" | "database">;
  /** The cluster's own name. */
  name: string;
  /** The serverName it archives WAL under, written out. @default unset: the plugin uses the cluster's name */
  serverName?: string;
  /** Bootstrap from the archive instead of initdb. @default initdb */
  recovery?: Recovery;
  /** @default 1 */
  instances?: number;
  /** @default "20Gi" */
  storageSize?: string;
  /** A PodDisruptionBudget for the instances. @default true */
  enablePDB?: boolean;
  /** Volume snapshots for on-demand Backups (`method: volumeSnapshot`). @default unset: no snapshot backups */
  volumeSnapshot?: { className?: string; online: boolean };
}

export function clusterSpec(args: ClusterSpecArgs): Record<string, unknown> {
  const instances = args.instances ?? 1;
  const parameters: Record<string, string> = { barmanObjectName: objectStoreName(args.plan.origin) };
  // A recovered or scratch cluster names its archive explicitly; the original clusters keep the spec they always had.
  if (args.serverName) parameters.serverName = args.serverName;
  const recovery = args.recovery ? recoverySpec(args.plan, args.recovery) : undefined;
  return {
    instances,
    imageName: args.image,
    primaryUpdateStrategy: "unsupervised",
    primaryUpdateMethod: "switchover",
    storage: { size: args.storageSize ?? "20Gi" },
    bootstrap: recovery?.bootstrap ?? { initdb: { database: args.plan.database, owner: args.plan.database } },
    ...(recovery ? { externalClusters: recovery.externalClusters } : {}),
    enablePDB: args.enablePDB ?? true,
    affinity: { enablePodAntiAffinity: instances > 1, topologyKey: "kubernetes.io/hostname" },
    plugins: [{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters }],
    ...(args.volumeSnapshot ? { backup: { volumeSnapshot: snapshotSpec(args.volumeSnapshot) } } : {}),
  };
}

/** CloudNativePG's `backup.volumeSnapshot`. An online snapshot is only usable with the WAL it needs archived. */
function snapshotSpec(snapshot: { className?: string; online: boolean }): Record<string, unknown> {
  return {
    ...(snapshot.className ? { className: snapshot.className } : {}),
    online: snapshot.online,
    ...(snapshot.online ? { onlineConfiguration: { waitForArchive: true, immediateCheckpoint: true } } : {}),
  };
}
