import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DrillResult, drillResultSchema } from "../lib/state/deployed";
import { drillCluster, drillClusterName } from "../lib/recovery/drill";
import { OPENBAO_RESTORE_SCRIPT, RESTORE_DRILL_SCRIPT, WRITERS_DOWN_SCRIPT } from "../lib/core/names";
import type { DatabasePlan } from "../lib/recovery/restore";

export interface WritersDownArgs {
  namespace: string;
  /** The Deployments that write to the database. */
  deployments: string[];
  /**
   * What this stop is for: the restore's name, or the coordinated window (`1-5-1-to-2-0-0`). A new key
   * stops the writers again.
   */
  key: string;
  /** How long the writers' pods may take to go. @default 600 */
  timeoutSeconds?: number;
  /** KUBECONFIG and KUBE_CONTEXT of the install's cluster for the script's kubectl. @default {} (kubectl's own defaults) */
  clusterEnv?: Record<string, string>;
}

/**
 * Stops every writer (API and workers at 0 replicas) and waits until their pods are gone, so nothing
 * writes to the database being left while the restored one comes up, and no API or worker of the release
 * before reads the schema a coordinated window's migrations leave. The waves after it declare those
 * Deployments again, at their replicas (their `lockstep.dev/writers-stopped` annotation carries the key,
 * so the provider applies them even where nothing else of theirs changed). Gateways keep serving: they hold
 * no configuration of their own and keep what the control plane last projected onto them.
 */
export class WritersDown extends pulumi.ComponentResource {
  readonly command: command.local.Command;

  constructor(name: string, args: WritersDownArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:recovery:WritersDown", name, {}, opts);
    this.command = new command.local.Command(
      `writers-down-${args.key}`,
      {
        create: `bash ${WRITERS_DOWN_SCRIPT}`,
        environment: {
          ...args.clusterEnv,
          NAMESPACE: args.namespace,
          DEPLOYMENTS: args.deployments.join(" "),
          TIMEOUT_SECONDS: String(args.timeoutSeconds ?? 600),
        },
        triggers: [args.key],
      },
      { parent: this },
    );
    this.registerOutputs({ stopped: this.command.stdout });
  }
}

export interface OpenBaoRestoreArgs {
  namespace: string;
  /** The raft snapshot file on the machine running `pulumi up`. */
  snapshotFile: string;
  /** Restore a snapshot from another raft cluster (`-force`). @default false */
  force?: boolean;
  /** The restore this belongs to: a new restore name restores again. */
  restoreName: string;
  /** OpenBao pod to restore through. @default "openbao-0" */
  pod?: string;
  /** KUBECONFIG and KUBE_CONTEXT of the install's cluster for the script's kubectl. @default {} (kubectl's own defaults) */
  clusterEnv?: Record<string, string>;
}

/**
 * Restores OpenBao's raft storage from a snapshot, an explicit step of a restore. The snapshot's unseal
 * keys apply afterwards: keep the keys of the cluster that took it. `force` is break glass, for a snapshot
 * from another raft cluster (a rebuilt namespace).
 */
export class OpenBaoRestore extends pulumi.ComponentResource {
  readonly command: command.local.Command;

  constructor(name: string, args: OpenBaoRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:recovery:OpenBaoRestore", name, {}, opts);
    this.command = new command.local.Command(
      `openbao-restore-${args.restoreName}`,
      {
        create: `bash ${OPENBAO_RESTORE_SCRIPT}`,
        environment: {
          ...args.clusterEnv,
          NAMESPACE: args.namespace,
          OPENBAO_POD: args.pod ?? "openbao-0",
          SNAPSHOT_FILE: args.snapshotFile,
          FORCE: String(args.force ?? false),
        },
        triggers: [args.restoreName, args.snapshotFile, args.force ?? false],
      },
      { parent: this },
    );
    this.registerOutputs({ snapshotSha256: this.command.stdout });
  }
}

export interface RestoreDrillArgs {
  namespace: string;
  /** Where the drilled database runs now. */
  plan: DatabasePlan;
  /** The drill's id: a new id runs a new drill. */
  id: string;
  /** PostgreSQL image of the running release. */
  image: string;
  /** How long the scratch cluster may take to become Ready. @default 1800 */
  timeoutSeconds?: number;
  /** KUBECONFIG and KUBE_CONTEXT of the install's cluster for the script's kubectl. @default {} (kubectl's own defaults) */
  clusterEnv?: Record<string, string>;
}

/**
 * Kleidia's "test backup restoration", as a wave: a scratch cluster recovers the latest backup into its
 * own serverName, is awaited until Ready, answers a query, and is deleted. A failed drill fails the `up`;
 * a passed one is the stack's `restoreDrill` output and lands in the release record.
 */
export class RestoreDrill extends pulumi.ComponentResource {
  readonly command: command.local.Command;
  readonly result: pulumi.Output<DrillResult>;

  constructor(name: string, args: RestoreDrillArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:recovery:RestoreDrill", name, {}, opts);
    const manifest = drillCluster({ namespace: args.namespace, plan: args.plan, id: args.id, image: args.image });
    this.command = new command.local.Command(
      `restore-drill-${args.id}`,
      {
        create: `bash ${RESTORE_DRILL_SCRIPT}`,
        environment: {
          ...args.clusterEnv,
          NAMESPACE: args.namespace,
          CLUSTER: drillClusterName(args.plan),
          MANIFEST: JSON.stringify(manifest),
          DRILL_ID: args.id,
          DATABASE_KEY: args.plan.key,
          DATABASE: args.plan.database,
          SOURCE: args.plan.serverName,
          SOURCE_CLUSTER: args.plan.cluster,
          TIMEOUT_SECONDS: String(args.timeoutSeconds ?? 1800),
        },
        triggers: [args.id],
      },
      { parent: this },
    );
    this.result = this.command.stdout.apply((stdout) => parseDrillOutput(stdout));
    this.registerOutputs({ result: this.result });
  }
}

/** The drill script's last line is its JSON result; anything else is a broken script, not a pass. */
export function parseDrillOutput(stdout: string): DrillResult {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let raw: unknown;
  try {
    raw = JSON.parse(last);
  } catch {
    throw new Error(`${RESTORE_DRILL_SCRIPT} must end with its JSON result, not ${JSON.stringify(last.slice(0, 200))}`);
  }
  const parsed = drillResultSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `${RESTORE_DRILL_SCRIPT} result: ${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}`,
    );
  return parsed.data;
}
