import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { ANNOTATIONS, BARMAN_PLUGIN, LABELS, PART_OF } from "../lib/names";

export interface PreUpgradeBackupArgs {
  namespace: string;
  /** Version running before the window. */
  from: string;
  /** Target version of the window. */
  to: string;
  /** CloudNativePG clusters to back up (the platform's and Keycloak's). */
  clusters: string[];
  /** Directory on the machine running `pulumi up` that receives the OpenBao raft snapshot. @default "./backups" */
  snapshotDir?: string;
  /** OpenBao pod to snapshot from. @default "openbao-0" */
  openBaoPod?: string;
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
  readonly backups: k8s.apiextensions.CustomResource[];
  readonly openBaoSnapshot: command.local.Command;
  readonly snapshotFile: string;

  constructor(name: string, args: PreUpgradeBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:backup:PreUpgradeBackup", name, {}, opts);
    const snapshotDir = args.snapshotDir ?? "./backups";
    const pod = args.openBaoPod ?? "openbao-0";
    const window = `${versionSlug(args.from)}-to-${versionSlug(args.to)}`;

    this.backups = args.clusters.map((cluster) => new k8s.apiextensions.CustomResource(`pre-upgrade-${cluster}-${window}`, {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Backup",
      metadata: {
        name: `pre-upgrade-${cluster}-${window}`,
        namespace: args.namespace,
        labels: { [LABELS.partOf]: PART_OF, "lockstep.dev/upgrade-from": args.from, "lockstep.dev/upgrade-to": args.to },
        // The provider waits until CloudNativePG marks the backup completed; nothing later starts before.
        annotations: { [ANNOTATIONS.waitFor]: "jsonpath={.status.phase}=completed" },
      },
      spec: { cluster: { name: cluster }, method: "plugin", pluginConfiguration: { name: BARMAN_PLUGIN } },
    }, { parent: this, retainOnDelete: true, customTimeouts: { create: "60m" } }));

    this.snapshotFile = path.join(snapshotDir, `openbao-${window}.snap`);
    this.openBaoSnapshot = new command.local.Command(`openbao-snapshot-${window}`, {
      create: "bash scripts/openbao-snapshot.sh",
      environment: { NAMESPACE: args.namespace, OPENBAO_POD: pod, SNAPSHOT_FILE: this.snapshotFile },
      triggers: [args.from, args.to],
    }, { parent: this });

    this.registerOutputs({
      backups: this.backups.map((b) => b.metadata.name),
      openBaoSnapshot: this.snapshotFile,
      openBaoSnapshotSha256: this.openBaoSnapshot.stdout,
    });
  }
}
