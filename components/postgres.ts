import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config/config";
import * as command from "@pulumi/command";
import { ANNOTATIONS, AWAIT_BACKUP_SCRIPT, BARMAN_PLUGIN, LABELS, PART_OF } from "../lib/core/names";
import { clusterSpec } from "../lib/recovery/postgres";
import { appSecretName, DatabasePlan, objectStoreName } from "../lib/recovery/restore";

export interface PostgresClusterArgs {
  namespace: string;
  /** PostgreSQL operand image, pinned by digest in the release set. */
  image: string;
  /** Which cluster the platform uses, whether the original is kept, and how a recovered one bootstraps. */
  plan: DatabasePlan;
  /** 3 in HA (one primary, two replicas), otherwise 1. @default 1 */
  instances?: number;
  /** Size of each instance's volume. @default "20Gi" */
  storageSize?: string;
  /** Object-store destination, credentials, retention and schedule. */
  backup: StackConfig["backup"];
  /** Wait until CloudNativePG reports the cluster Ready before anything after it starts. @default true */
  awaitRollout?: boolean;
  /**
   * The PostgreSQL majors of a window that moves the cluster's up: CloudNativePG runs pg_upgrade in place,
   * and a base backup of the new major is taken as soon as the cluster is back (the old major's backups
   * cannot restore it). @default undefined (the major stays)
   */
  majorUpgrade?: { from: number; to: number };
  /** KUBECONFIG and KUBE_CONTEXT for the script awaiting that base backup. @default {} (kubectl's own defaults) */
  clusterEnv?: Record<string, string>;
}

/**
 * A database on CloudNativePG with continuous backup (base backups plus WAL archiving) to an object store
 * through the Barman Cloud plugin, a retention policy and a ScheduledBackup.
 *
 * Normally one cluster, bootstrapped with initdb. With a restore it is the cluster recovered from the
 * archive (`<origin>-<restore>`), archiving under its own serverName into the same ObjectStore, beside the
 * original until that is retired. Clusters and the ObjectStore are protected and retained on delete: an
 * upgrade may change them in place, and removing one is always an explicit act.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  /** The cluster the platform uses (the recovered one after a restore). */
  readonly cluster: k8s.apiextensions.CustomResource;
  /** The original cluster, while it is declared. */
  readonly originCluster?: k8s.apiextensions.CustomResource;
  readonly objectStore: k8s.apiextensions.CustomResource;
  readonly scheduledBackup: k8s.apiextensions.CustomResource;
  /** Name of the Secret CloudNativePG generates with the application credentials (`uri`, `password`). */
  readonly appSecretName: string;
  readonly clusterName: string;
  /** The base backup of the new major, in a window that upgrades it in place. */
  readonly majorBaseBackup?: k8s.apiextensions.CustomResource;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:database:PostgresCluster", name, {}, opts);
    const instances = args.instances ?? 1;
    const storageSize = args.storageSize ?? "20Gi";
    const awaitRollout = args.awaitRollout ?? true;
    const { plan } = args;
    const storeName = objectStoreName(plan.origin);
    const stateful = { parent: this, protect: true, retainOnDelete: true, deleteBeforeReplace: false };

    this.objectStore = new k8s.apiextensions.CustomResource(
      `${name}-objectstore`,
      {
        apiVersion: "barmancloud.cnpg.io/v1",
        kind: "ObjectStore",
        metadata: {
          name: storeName,
          namespace: args.namespace,
          labels: { [LABELS.partOf]: PART_OF, [LABELS.name]: plan.origin },
        },
        spec: {
          retentionPolicy: args.backup.retentionPolicy,
          configuration: {
            destinationPath: args.backup.destinationPath,
            ...(args.backup.endpointURL ? { endpointURL: args.backup.endpointURL } : {}),
            s3Credentials: {
              accessKeyId: { name: args.backup.credentialsSecret, key: "ACCESS_KEY_ID" },
              secretAccessKey: { name: args.backup.credentialsSecret, key: "ACCESS_SECRET_KEY" },
            },
            wal: { compression: "gzip", maxParallel: 2, encryption: args.backup.encryption },
            data: { compression: "gzip", jobs: 2, encryption: args.backup.encryption },
          },
        },
      },
      stateful,
    );

    const declare = (clusterName: string, recovered: boolean) => {
      const labels = { [LABELS.partOf]: PART_OF, [LABELS.name]: clusterName };
      const cluster = new k8s.apiextensions.CustomResource(
        `${clusterName}-cluster`,
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "Cluster",
          metadata: {
            name: clusterName,
            namespace: args.namespace,
            labels,
            // The API's migrations must not start before PostgreSQL serves: the provider waits for Ready.
            annotations: awaitRollout
              ? { [ANNOTATIONS.waitFor]: "condition=Ready" }
              : { [ANNOTATIONS.skipAwait]: "true" },
          },
          spec: clusterSpec({
            image: args.image,
            plan,
            name: clusterName,
            instances,
            storageSize,
            ...(recovered ? { serverName: plan.serverName, recovery: plan.recovery } : {}),
            ...(args.backup.method === "volumeSnapshot" ? { volumeSnapshot: args.backup.volumeSnapshot } : {}),
          }),
          // A recovery replays base backup and WAL first: give it longer than an initdb.
        },
        {
          ...stateful,
          dependsOn: [this.objectStore],
          customTimeouts: { create: recovered ? "120m" : "30m", update: "30m" },
        },
      );
      const scheduledBackup = new k8s.apiextensions.CustomResource(
        `${clusterName}-scheduled-backup`,
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "ScheduledBackup",
          metadata: { name: `${clusterName}-daily`, namespace: args.namespace, labels },
          spec: {
            schedule: args.backup.schedule,
            // A recovered cluster archives under a new serverName with no base backup yet: take one at once.
            immediate: true,
            backupOwnerReference: "self",
            cluster: { name: clusterName },
            method: "plugin",
            pluginConfiguration: { name: BARMAN_PLUGIN },
          },
        },
        { parent: this, dependsOn: [cluster] },
      );
      return { cluster, scheduledBackup };
    };

    const origin = plan.keepOrigin ? declare(plan.origin, false) : undefined;
    const active = plan.recovery ? declare(plan.cluster, true) : origin;
    if (!active) throw new Error(`database ${plan.key}: neither the original cluster nor a recovered one is declared`);
    this.originCluster = origin?.cluster;
    this.cluster = active.cluster;
    this.scheduledBackup = active.scheduledBackup;
    if (args.majorUpgrade) {
      const backupName = `${plan.cluster}-pg${args.majorUpgrade.to}-base`;
      this.majorBaseBackup = new k8s.apiextensions.CustomResource(
        backupName,
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "Backup",
          metadata: {
            name: backupName,
            namespace: args.namespace,
            labels: {
              [LABELS.partOf]: PART_OF,
              [LABELS.name]: plan.cluster,
              [LABELS.majorBase]: String(args.majorUpgrade.to),
            },
            annotations: { [ANNOTATIONS.skipAwait]: "true" },
          },
          spec: { cluster: { name: plan.cluster }, method: "plugin", pluginConfiguration: { name: BARMAN_PLUGIN } },
        },
        { parent: this, dependsOn: [this.cluster], retainOnDelete: true },
      );
      // Awaited like a pre-upgrade backup: a new major with no base backup has no restore point.
      new command.local.Command(
        `await-${backupName}`,
        {
          create: `bash ${AWAIT_BACKUP_SCRIPT}`,
          environment: { ...args.clusterEnv, NAMESPACE: args.namespace, BACKUP: backupName, TIMEOUT_SECONDS: "3600" },
          triggers: [args.majorUpgrade.from, args.majorUpgrade.to],
        },
        { parent: this, dependsOn: [this.majorBaseBackup] },
      );
    }
    this.clusterName = plan.cluster;
    this.appSecretName = appSecretName(plan);
    this.registerOutputs({
      clusterName: plan.cluster,
      serverName: plan.serverName,
      originKept: plan.keepOrigin && !!plan.recovery,
      majorBaseBackup: this.majorBaseBackup?.metadata.name,
      objectStore: storeName,
      appSecretName: this.appSecretName,
    });
  }
}
