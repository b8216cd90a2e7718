/**
 * TEST DOUBLE of kube-scheduler and of a volume provisioner, for the simulated cluster: the proxy serves
 * no kube-scheduler that builds beside this kube-controller-manager, and the cluster has one fake node,
 * so every unbound pod is bound to it (the `binding` subresource, as the scheduler does). Claims that
 * StatefulSets create are marked Bound, which is all `helm --wait` reads of them; no volume exists.
 */
import { PollingDouble } from "./kubeApi";

interface Pod {
  metadata: { name: string; namespace: string };
}
interface Claim {
  metadata: { name: string; namespace: string };
  status?: { phase?: string };
}

export class PodBinder extends PollingDouble {
  /** Pods bound so far, `<namespace>/<name>`. */
  readonly bound: string[] = [];

  constructor(
    kubeconfig: string,
    private readonly node: string,
    pollMs = 200,
  ) {
    super(kubeconfig, pollMs);
  }

  start(): void {
    super.start();
    this.wakeOn("/api/v1/pods?fieldSelector=spec.nodeName%3D");
  }

  protected async tick(): Promise<void> {
    const pending = await this.api.request<{ items?: Pod[] }>("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3D");
    for (const pod of pending.body.items ?? []) {
      const { name, namespace } = pod.metadata;
      const r = await this.api.request("POST", `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name, namespace },
        target: { apiVersion: "v1", kind: "Node", name: this.node },
      });
      if (r.status === 201) this.bound.push(`${namespace}/${name}`);
    }
    const claims = await this.api.request<{ items?: Claim[] }>("GET", "/api/v1/persistentvolumeclaims");
    for (const claim of claims.body.items ?? []) {
      if (claim.status?.phase === "Bound") continue;
      await this.api.request(
        "PATCH",
        `/api/v1/namespaces/${claim.metadata.namespace}/persistentvolumeclaims/${claim.metadata.name}/status`,
        { status: { phase: "Bound" } },
        "application/merge-patch+json",
      );
    }
  }
}
