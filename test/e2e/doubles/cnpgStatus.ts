/**
 * TEST DOUBLE of the CloudNativePG operator's status handling: no operator pod runs in the e2e tier, so
 * this moves the status of CNPG objects the way the operator does, after a configurable delay:
 *
 * - `Cluster`: phase "Cluster in healthy state", condition Ready=True, readyInstances = instances;
 * - `Backup`: phase "completed" with a backupId, startedAt and stoppedAt (as the Barman Cloud plugin
 *   reports them), or phase "failed" with an error for the names `failBackups` matches.
 *
 * It only writes status (the status subresource); specs are the program's.
 */
import { run, sleep } from "./kube";

export interface CnpgStatusOptions {
  kubeconfig: string;
  /** Delay before a new Backup completes. @default 1000 */
  backupDelayMs?: number;
  /** Delay before a new Cluster reports Ready. @default 500 */
  clusterDelayMs?: number;
  /** Backups whose name matches end `failed` instead of `completed`. @default none */
  failBackups?: RegExp;
}

interface Item { metadata: { name: string; namespace: string; creationTimestamp: string }; spec?: { instances?: number }; status?: { phase?: string } }

export class CnpgStatusDouble {
  private running = false;
  /** Backups whose name matches end `failed`; settable while the double runs. */
  failBackups: RegExp | undefined;
  private loop: Promise<void> | undefined;
  /** Every status this double wrote, in order, for assertions: `<kind>/<name>=<phase>`. */
  readonly written: string[] = [];

  constructor(private readonly options: CnpgStatusOptions) {
    this.failBackups = options.failBackups;
  }

  private kubectl(args: string[], input?: string) {
    return run("kubectl", ["--kubeconfig", this.options.kubeconfig, ...args], { input });
  }

  private async list(resource: string): Promise<Item[]> {
    const r = await this.kubectl(["get", resource, "-A", "-o", "json"]);
    if (r.code !== 0) return []; // the CRD is not installed yet
    return (JSON.parse(r.stdout) as { items: Item[] }).items;
  }

  private async patch(resource: string, item: Item, status: Record<string, unknown>, label: string): Promise<void> {
    const r = await this.kubectl(["patch", resource, item.metadata.name, "-n", item.metadata.namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    if (r.code === 0) this.written.push(label);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const age = (i: Item) => now - Date.parse(i.metadata.creationTimestamp);
    for (const cluster of await this.list("clusters.postgresql.cnpg.io")) {
      if (cluster.status?.phase || age(cluster) < (this.options.clusterDelayMs ?? 500)) continue;
      const instances = cluster.spec?.instances ?? 1;
      await this.patch("clusters.postgresql.cnpg.io", cluster, {
        phase: "Cluster in healthy state", instances, readyInstances: instances,
        conditions: [{ type: "Ready", status: "True", reason: "ClusterIsReady", message: "Cluster is Ready", lastTransitionTime: new Date().toISOString() }],
      }, `Cluster/${cluster.metadata.name}=healthy`);
    }
    for (const backup of await this.list("backups.postgresql.cnpg.io")) {
      if (backup.status?.phase || age(backup) < (this.options.backupDelayMs ?? 1000)) continue;
      const failed = this.failBackups?.test(backup.metadata.name) ?? false;
      const stamp = new Date().toISOString();
      await this.patch("backups.postgresql.cnpg.io", backup, failed
        ? { phase: "failed", error: "simulated failure: the object store refused the base backup", startedAt: stamp, stoppedAt: stamp }
        : { phase: "completed", method: "plugin", backupId: stamp.replace(/\D/g, "").slice(0, 14), startedAt: stamp, stoppedAt: stamp },
      `Backup/${backup.metadata.name}=${failed ? "failed" : "completed"}`);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick();
        await sleep(300);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
