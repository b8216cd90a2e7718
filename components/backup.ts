import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import {
  ANNOTATIONS,
  AWAIT_BACKUP_SCRIPT,
  BARMAN_PLUGIN,
  LABELS,
  OPENBAO_SNAPSHOT_SCRIPT,
  PART_OF,
} from "../lib/core/names";
import type { StackConfig } from "../lib/config/config";
import type { DatabaseKey } from "../lib/recovery/recoveryConfig";
import { backupTaken, TakenBackup } from "../lib/state/deployed";

export interface PreUpgradeBackupArgs {
  namespace: string;
  /** Version running before the window. */
  from: string;
  /** Target version of the window. */
  to: string;
  /** The clusters to back up, by database: what runs before the window. */
  databases: { key: DatabaseKey; cluster: string; serverName: string }[];
  /** Directory on the machine running `pulumi up` that receives the OpenBao raft snapshot. @default "./backups" */
  snapshotDir?: string;
  /**
   * The object store the snapshot is uploaded to, beside the database backups (`<destinationPath>openbao/`),
   * with the credentials Secret the Barman Cloud plugin uses and the server-side encryption asked for.
   */
  objectStore: Pick<StackConfig["backup"], "destinationPath" | "endpointURL" | "credentialsSecret" | "encryption">;
  /** How the database backups are taken: a Barman Cloud base backup, or CSI volume snapshots. @default "objectStore" */
  method?: StackConfig["backup"]["method"];
  /** OpenBao pod to snapshot from. @default "openbao-0" */
  openBaoPod?: string;
  /** KUBECONFIG and KUBE_CONTEXT of the install's cluster for the script's kubectl. @default {} (kubectl's own defaults) */
  clusterEnv?: Record<string, string>;
}

/** `1.4.2` -> `1-4-2`, so versions fit in Kubernetes names. */
export function versionSlug(version: string): string {
  return version.replace(/[^0-9a-z]+/gi, "-").toLowerCase();
}

/**
 * The verified backups an upgrade window starts with, before any chart, operator or database change:
 * an on-demand CNPG Backup per cluster, awaited until CloudNativePG reports it completed, and an OpenBao
 * raft snapshot copied off the cluster and checked to be non-empty.
 *
 * Names are derived from from->to only, so every `up` inside one window sees the same resources and
 * takes no second backup. Backups are retained when the window closes: they are the rollback point.
 */
export class PreUpgradeBackup extends pulumi.ComponentResource {
  readonly backupObjects: k8s.apiextensions.CustomResource[];
  /** One per Backup: waits for it, fails the `up` at once when it fails, prints its backupId. */
  readonly backupChecks: command.local.Command[];
  readonly openBaoSnapshot: command.local.Command;
  readonly snapshotFile: string;
  /** Where the snapshot is kept beside the database backups, so it survives the machine that took it. */
  readonly snapshotObject: string;
  /** Database -> the cluster backed up, its serverName and the backupId CloudNativePG recorded: the window's restore point. */
  readonly backups: pulumi.Output<Partial<Record<DatabaseKey, TakenBackup>>>;

  constructor(name: string, args: PreUpgradeBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:backup:PreUpgradeBackup", name, {}, opts);
    const snapshotDir = args.snapshotDir ?? "./backups";
    const pod = args.openBaoPod ?? "openbao-0";
    const method = args.method ?? "objectStore";
    const window = `${versionSlug(args.from)}-to-${versionSlug(args.to)}`;

    const clusters = args.databases.map((d) => d.cluster);
    const backupName = (cluster: string) => `pre-upgrade-${cluster}-${window}`;
    this.backupObjects = clusters.map(
      (cluster) =>
        new k8s.apiextensions.CustomResource(
          backupName(cluster),
          {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Backup",
            metadata: {
              name: backupName(cluster),
              namespace: args.namespace,
              labels: { [LABELS.partOf]: PART_OF, [LABELS.upgradeFrom]: args.from, [LABELS.upgradeTo]: args.to },
              // Awaited by the check below, which also fails fast when the Backup fails; a provider await cannot.
              annotations: { [ANNOTATIONS.skipAwait]: "true" },
            },
            spec:
              method === "volumeSnapshot"
                ? { cluster: { name: cluster }, method: "volumeSnapshot" }
                : { cluster: { name: cluster }, method: "plugin", pluginConfiguration: { name: BARMAN_PLUGIN } },
          },
          { parent: this, retainOnDelete: true },
        ),
    );

    this.backupChecks = this.backupObjects.map(
      (backup, i) =>
        new command.local.Command(
          `await-${clusters[i]}-${window}`,
          {
            create: `bash ${AWAIT_BACKUP_SCRIPT}`,
            // The name as written, not the Backup's output: known at preview, so policies can read it.
            environment: {
              ...args.clusterEnv,
              NAMESPACE: args.namespace,
              BACKUP: backupName(clusters[i]),
              TIMEOUT_SECONDS: "3600",
              // Only where it differs from the default, so an object-store window's commands stay as they were.
              ...(method === "volumeSnapshot" ? { METHOD: method } : {}),
            },
            triggers: [args.from, args.to],
          },
          { parent: this, dependsOn: [backup] },
        ),
    );

    this.snapshotFile = path.join(snapshotDir, `openbao-${window}.snap`);
    const dest = args.objectStore.destinationPath;
    this.snapshotObject = `${dest}${dest.endsWith("/") ? "" : "/"}openbao/openbao-${window}.snap`;
    this.openBaoSnapshot = new command.local.Command(
      `openbao-snapshot-${window}`,
      {
        create: `bash ${OPENBAO_SNAPSHOT_SCRIPT}`,
        environment: {
          ...args.clusterEnv,
          NAMESPACE: args.namespace,
          OPENBAO_POD: pod,
          SNAPSHOT_FILE: this.snapshotFile,
          DESTINATION_PATH: args.objectStore.destinationPath,
          ...(args.objectStore.endpointURL ? { ENDPOINT_URL: args.objectStore.endpointURL } : {}),
          CREDENTIALS_SECRET: args.objectStore.credentialsSecret,
          ENCRYPTION: args.objectStore.encryption,
        },
        triggers: [args.from, args.to],
      },
      { parent: this },
    );

    this.backups = pulumi
      .all(this.backupChecks.map((c) => c.stdout))
      .apply((ids) =>
        Object.fromEntries(
          args.databases.map((d, i) => [
            d.key,
            backupTaken(method, { cluster: d.cluster, serverName: d.serverName }, backupName(clusters[i]), ids[i]),
          ]),
        ),
      );
    this.registerOutputs({
      backupObjects: this.backupObjects.map((b) => b.metadata.name),
      backups: this.backups,
      openBaoSnapshot: this.snapshotFile,
      openBaoSnapshotObject: this.snapshotObject,
      openBaoSnapshotSha256: this.openBaoSnapshot.stdout,
    });
  }
}
