import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config";
import { ANNOTATIONS, BARMAN_PLUGIN, LABELS, PART_OF } from "../lib/names";

export interface PostgresClusterArgs {
  namespace: string;
  /** PostgreSQL operand image, pinned by digest in the release set. */
  image: string;
  /** Application database and owner name. */
  database: string;
  /** 3 in HA (one primary, two replicas), otherwise 1. @default 1 */
  instances?: number;
  /** Size of each instance's volume. @default "20Gi" */
  storageSize?: string;
  /** Object-store destination, credentials, retention and schedule. */
  backup: StackConfig["backup"];
  /** Wait until CloudNativePG reports the cluster Ready before anything after it starts. @default true */
  awaitRollout?: boolean;
}

/**
 * A CloudNativePG Cluster with continuous backup (base backups plus WAL archiving) to an object store
 * through the Barman Cloud plugin, a retention policy and a ScheduledBackup. The Cluster and its
 * ObjectStore are protected: an upgrade may change them in place but never replace or delete them.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  readonly cluster: k8s.apiextensions.CustomResource;
  readonly objectStore: k8s.apiextensions.CustomResource;
  readonly scheduledBackup: k8s.apiextensions.CustomResource;
  /** Name of the Secret CloudNativePG generates with the application credentials (`uri`, `password`). */
  readonly appSecretName: string;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:database:PostgresCluster", name, {}, opts);
    const instances = args.instances ?? 1;
    const storageSize = args.storageSize ?? "20Gi";
    const awaitRollout = args.awaitRollout ?? true;
    const labels = { [LABELS.partOf]: PART_OF, [LABELS.name]: name };
    const storeName = `${name}-store`;
    const stateful = { parent: this, protect: true, deleteBeforeReplace: false };

    this.objectStore = new k8s.apiextensions.CustomResource(`${name}-objectstore`, {
      apiVersion: "barmancloud.cnpg.io/v1",
      kind: "ObjectStore",
      metadata: { name: storeName, namespace: args.namespace, labels },
      spec: {
        retentionPolicy: args.backup.retentionPolicy,
        configuration: {
          destinationPath: args.backup.destinationPath,
          ...(args.backup.endpointURL ? { endpointURL: args.backup.endpointURL } : {}),
          s3Credentials: {
            accessKeyId: { name: args.backup.credentialsSecret, key: "ACCESS_KEY_ID" },
            secretAccessKey: { name: args.backup.credentialsSecret, key: "ACCESS_SECRET_KEY" },
          },
          wal: { compression: "gzip", maxParallel: 2 },
          data: { compression: "gzip", jobs: 2 },
        },
      },
    }, stateful);

    this.cluster = new k8s.apiextensions.CustomResource(`${name}-cluster`, {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: {
        name, namespace: args.namespace, labels,
        // The API's migrations must not start before PostgreSQL serves: the provider waits for Ready.
        annotations: awaitRollout ? { [ANNOTATIONS.waitFor]: "condition=Ready" } : { [ANNOTATIONS.skipAwait]: "true" },
      },
      spec: {
        instances,
        imageName: args.image,
        primaryUpdateStrategy: "unsupervised",
        primaryUpdateMethod: "switchover",
        storage: { size: storageSize },
        bootstrap: { initdb: { database: args.database, owner: args.database } },
        enablePDB: true,
        affinity: { enablePodAntiAffinity: instances > 1, topologyKey: "kubernetes.io/hostname" },
        plugins: [{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: storeName } }],
      },
    }, { ...stateful, dependsOn: [this.objectStore], customTimeouts: { create: "30m", update: "30m" } });

    this.scheduledBackup = new k8s.apiextensions.CustomResource(`${name}-scheduled-backup`, {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "ScheduledBackup",
      metadata: { name: `${name}-daily`, namespace: args.namespace, labels },
      spec: {
        schedule: args.backup.schedule,
        immediate: true,
        backupOwnerReference: "self",
        cluster: { name },
        method: "plugin",
        pluginConfiguration: { name: BARMAN_PLUGIN },
      },
    }, { parent: this, dependsOn: [this.cluster] });

    this.appSecretName = `${name}-app`;
    this.registerOutputs({ clusterName: name, objectStore: storeName, appSecretName: this.appSecretName });
  }
}
