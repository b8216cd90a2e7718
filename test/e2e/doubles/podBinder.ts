/**
 * TEST DOUBLE of kube-scheduler and of a volume provisioner, for the simulated cluster: the proxy serves
 * no kube-scheduler that builds beside this kube-controller-manager, and the cluster has one fake node,
 * so every unbound pod is bound to it (the `binding` subresource, as the scheduler does). Claims that
 * StatefulSets create are marked Bound, which is all `helm --wait` reads of them; no volume exists.
 */
import { KubeApi } from "./kubeApi";
import { sleep } from "./kube";

interface Pod { metadata: { name: string; namespace: string } }
interface Claim { metadata: { name: string; namespace: string }; status?: { phase?: string } }

export class PodBinder {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly api: KubeApi;
  /** Pods bound so far, `<namespace>/<name>`. */
  readonly bound: string[] = [];

  constructor(kubeconfig: string, private readonly node: string, private readonly pollMs = 200) {
    this.api = new KubeApi(kubeconfig);
  }

  private async tick(): Promise<void> {
    const pending = await this.api.request<{ items?: Pod[] }>("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3D");
    for (const pod of pending.body.items ?? []) {
      const { name, namespace } = pod.metadata;
      const r = await this.api.request("POST", `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: "v1", kind: "Binding", metadata: { name, namespace }, target: { apiVersion: "v1", kind: "Node", name: this.node },
      });
      if (r.status === 201) this.bound.push(`${namespace}/${name}`);
    }
    const claims = await this.api.request<{ items?: Claim[] }>("GET", "/api/v1/persistentvolumeclaims");
    for (const claim of claims.body.items ?? []) {
      if (claim.status?.phase === "Bound") continue;
      await this.api.request("PATCH", `/api/v1/namespaces/${claim.metadata.namespace}/persistentvolumeclaims/${claim.metadata.name}/status`, { status: { phase: "Bound" } }, "application/merge-patch+json");
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick().catch(() => undefined);
        await sleep(this.pollMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.api.close();
  }
}
