/**
 * TEST DOUBLE of the CloudNativePG operator's status handling: no operator pod runs in the e2e tier, so
 * this moves the status of CNPG objects the way the operator does, after a configurable delay:
 *
 * - `Cluster`: phase "Cluster in healthy state", condition Ready=True, readyInstances = instances, and
 *   ContinuousArchiving=True when a plugin is its WAL archiver (what preflight's backup row reads);
 * - `ScheduledBackup` with `immediate: true`: a Backup `<name>-<YYYYMMDDhhmmss>` of its cluster at once,
 *   and `status.lastScheduleTime` (the schedule itself is not run);
 * - `Backup`: phase "completed" with a backupId, startedAt and stoppedAt (as the Barman Cloud plugin
 *   reports them), or phase "failed" with an error for the names `failBackups` matches.
 *
 * It only writes status (the status subresource); specs are the program's.
 */
import { PollingDouble } from "./kubeApi";

export interface CnpgStatusOptions {
  kubeconfig: string;
  /** Delay before a new Backup completes. @default 1000 */
  backupDelayMs?: number;
  /** Delay before a new Cluster reports Ready. @default 500 */
  clusterDelayMs?: number;
  /** Backups whose name matches end `failed` instead of `completed`. @default none */
  failBackups?: RegExp;
  /** Pause between two looks at the API server. @default 500 */
  pollMs?: number;
}

const GROUP = "/apis/postgresql.cnpg.io/v1";
const KINDS = ["Cluster", "Backup", "ScheduledBackup"] as const;
type Kind = (typeof KINDS)[number];
const PLURAL: Record<Kind, string> = { Cluster: "clusters", Backup: "backups", ScheduledBackup: "scheduledbackups" };

interface Item {
  metadata: { name: string; namespace: string; creationTimestamp: string; uid?: string };
  spec?: {
    instances?: number;
    plugins?: { name: string; isWALArchiver?: boolean }[];
    immediate?: boolean;
    cluster?: { name: string };
    method?: string;
    pluginConfiguration?: unknown;
  };
  status?: { phase?: string; lastScheduleTime?: string };
}

export class CnpgStatusDouble extends PollingDouble {
  /** Backups whose name matches end `failed`; settable while the double runs. */
  failBackups: RegExp | undefined;
  /** Every status this double wrote, in order, for assertions: `<kind>/<name>=<phase>`. */
  readonly written: string[] = [];

  /**
   * When this double first saw each object, by uid: its delay counts from there, not from the
   * creationTimestamp, which has whole seconds and would make a 2 s delay anything from 1 s to 2 s.
   */
  private readonly firstSeen = new Map<string, number>();

  constructor(private readonly options: CnpgStatusOptions) {
    super(options.kubeconfig, options.pollMs ?? 500);
    this.failBackups = options.failBackups;
  }

  start(): void {
    super.start();
    // As the operator's informers do: a new Cluster or Backup is seen when it is created (404s until the
    // chart installs the CRDs; the watch is opened again).
    for (const kind of ["Cluster", "Backup"] as const) this.wakeOn(`${GROUP}/${PLURAL[kind]}`);
  }

  /** How long ago this double first saw `item`; the first sight asks for a tick when `delayMs` is up. */
  private ageOf(item: Item, now: number, delayMs: number): number {
    const key = item.metadata.uid ?? `${item.metadata.namespace}/${item.metadata.name}`;
    const seen = this.firstSeen.get(key);
    if (seen !== undefined) return now - seen;
    this.firstSeen.set(key, now);
    this.tickIn(delayMs);
    return 0;
  }

  /**
   * Every CNPG object this double moves, read straight from the API (no kubectl process: a fleet tier runs
   * one double per API server, polling twice a second).
   */
  private async listAll(): Promise<Record<Kind, Item[]>> {
    const lists = await Promise.all(
      KINDS.map((kind) => this.api.request<{ items?: Item[] }>("GET", `${GROUP}/${PLURAL[kind]}`)),
    );
    // 404 until the chart installs the CRDs.
    return Object.fromEntries(
      KINDS.map((kind, i) => [kind, lists[i].status === 200 ? (lists[i].body.items ?? []) : []]),
    ) as Record<Kind, Item[]>;
  }

  private async patch(kind: Kind, item: Item, status: Record<string, unknown>, label: string): Promise<void> {
    const r = await this.api.request(
      "PATCH",
      `${GROUP}/namespaces/${item.metadata.namespace}/${PLURAL[kind]}/${item.metadata.name}/status`,
      { status },
      "application/merge-patch+json",
    );
    if (r.status === 200) this.written.push(label);
  }

  protected async tick(): Promise<void> {
    const now = Date.now();
    const all = await this.listAll();
    for (const cluster of all.Cluster) {
      const clusterDelay = this.options.clusterDelayMs ?? 500;
      if (cluster.status?.phase || this.ageOf(cluster, now, clusterDelay) < clusterDelay) continue;
      const instances = cluster.spec?.instances ?? 1;
      const at = new Date().toISOString();
      const archiver = cluster.spec?.plugins?.find((p) => p.isWALArchiver);
      await this.patch(
        "Cluster",
        cluster,
        {
          phase: "Cluster in healthy state",
          instances,
          readyInstances: instances,
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "ClusterIsReady",
              message: "Cluster is Ready",
              lastTransitionTime: at,
            },
            ...(archiver
              ? [
                  {
                    type: "ContinuousArchiving",
                    status: "True",
                    reason: "ContinuousArchivingSuccess",
                    message: `WAL archiving through ${archiver.name} is working`,
                    lastTransitionTime: at,
                  },
                ]
              : []),
          ],
        },
        `Cluster/${cluster.metadata.name}=healthy`,
      );
    }
    for (const scheduled of all.ScheduledBackup) {
      if (!scheduled.spec?.immediate || scheduled.status?.lastScheduleTime) continue;
      const at = new Date().toISOString();
      const name = `${scheduled.metadata.name}-${at.replace(/\D/g, "").slice(0, 14)}`;
      const backup = {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Backup",
        metadata: {
          name,
          namespace: scheduled.metadata.namespace,
          labels: { "cnpg.io/scheduled-backup": scheduled.metadata.name },
        },
        spec: {
          cluster: scheduled.spec.cluster,
          method: scheduled.spec.method ?? "plugin",
          ...(scheduled.spec.pluginConfiguration ? { pluginConfiguration: scheduled.spec.pluginConfiguration } : {}),
        },
      };
      const created = await this.api.request(
        "POST",
        `${GROUP}/namespaces/${scheduled.metadata.namespace}/backups`,
        backup,
      );
      if (created.status !== 201) continue;
      await this.patch(
        "ScheduledBackup",
        scheduled,
        { lastScheduleTime: at },
        `ScheduledBackup/${scheduled.metadata.name}=scheduled`,
      );
    }
    for (const backup of all.Backup) {
      const backupDelay = this.options.backupDelayMs ?? 1000;
      if (backup.status?.phase || this.ageOf(backup, now, backupDelay) < backupDelay) continue;
      const failed = this.failBackups?.test(backup.metadata.name) ?? false;
      const stamp = new Date().toISOString();
      await this.patch(
        "Backup",
        backup,
        failed
          ? {
              phase: "failed",
              error: "simulated failure: the object store refused the base backup",
              startedAt: stamp,
              stoppedAt: stamp,
            }
          : {
              phase: "completed",
              method: "plugin",
              backupId: stamp.replace(/\D/g, "").slice(0, 14),
              startedAt: stamp,
              stoppedAt: stamp,
            },
        `Backup/${backup.metadata.name}=${failed ? "failed" : "completed"}`,
      );
    }
  }
}
