/**
 * Watches one namespace of the simulated cluster while an upgrade runs and records a Timeline: every
 * Service's ready endpoints (from EndpointSlices), every Deployment's available replicas, every PDB's
 * disruptions, Service selectors, HTTPRoute weights, and each pod's creation, readiness and first time
 * served. Uses watches, so a change is timed when the API server sends it, not at a poll.
 */
import { KubeApi } from "../doubles/kubeApi";
import type { DeploymentSample, Mark, PodRecord, Timeline } from "./timeline";

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
}
interface Slice {
  metadata: Meta;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { name: string } }[];
}
interface Deployment {
  metadata: Meta;
  spec: {
    replicas?: number;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    template: { metadata?: { labels?: Record<string, string> } };
  };
  status?: { availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
}
interface Pdb {
  metadata: Meta;
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number };
}
interface Service {
  metadata: Meta;
  spec: { selector?: Record<string, string> };
}
interface Route {
  metadata: Meta;
  spec: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] };
}
interface Pod {
  metadata: Meta & { creationTimestamp: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

/** A collection the watch follows, and what to do with each of its objects. */
interface Collection {
  path: string;
  onEvent: (type: string, object: unknown) => void;
}
const collection = <T>(path: string, onEvent: (type: string, object: T) => void): Collection => ({
  path,
  onEvent: (type, object) => onEvent(type, object as T),
});

const SERVICE_LABEL = "kubernetes.io/service-name";
const VERSION_LABEL = "app.kubernetes.io/version";
const APP_LABEL = "app.kubernetes.io/name";

/** maxUnavailable as a count: a percentage of the replicas rounds down, as the Deployment controller does. */
function maxUnavailableOf(d: Deployment): number {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === "Recreate") return replicas;
  const value = d.spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%";
  return typeof value === "number" ? value : Math.floor((replicas * Number.parseInt(value, 10)) / 100);
}

export class RolloutWatch {
  private readonly api: KubeApi;
  private readonly stops: (() => void)[] = [];
  private stopped = false;
  /** While the first lists are recorded: they are the state at time 0. */
  private snapshot = false;
  private readonly started = Date.now();
  private readonly tl: Timeline;
  private readonly slices = new Map<string, { service: string; ready: { ip: string; pod?: string }[] }>();
  private readonly lastReady = new Map<string, number>();
  private readonly servedOnce = new Set<string>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly lastDeployment = new Map<string, string>();
  private readonly lastSelector = new Map<string, string>();
  private readonly lastRoute = new Map<string, string>();
  private readonly lastPdb = new Map<string, string>();

  constructor(
    kubeconfig: string,
    private readonly namespace: string,
  ) {
    this.api = new KubeApi(kubeconfig);
    this.tl = {
      startedAt: this.started,
      endedAt: this.started,
      endpoints: [],
      deployments: [],
      pdbs: [],
      selectors: [],
      routes: [],
      pods: [],
      served: [],
      marks: [],
    };
  }

  private now(): number {
    return this.snapshot ? 0 : Date.now() - this.started;
  }

  mark(label: string): void {
    this.tl.marks.push({ t: this.now(), label } satisfies Mark);
  }

  /**
   * Lists every collection, records what exists as one snapshot at time 0, then watches each from its
   * list's version. One snapshot, not each list as it returns: otherwise a check could see the route
   * before the endpoints it points at were listed, and call that a gap.
   */
  async start(): Promise<void> {
    const ns = `/namespaces/${this.namespace}`;
    const collections: Collection[] = [
      collection<Slice>(`/apis/discovery.k8s.io/v1${ns}/endpointslices`, (type, s) => this.onSlice(type, s)),
      collection<Deployment>(`/apis/apps/v1${ns}/deployments`, (_type, d) => this.onDeployment(d)),
      collection<Pdb>(`/apis/policy/v1${ns}/poddisruptionbudgets`, (_type, p) => this.onPdb(p)),
      collection<Service>(`/api/v1${ns}/services`, (_type, s) => this.onService(s)),
      collection<Route>(`/apis/gateway.networking.k8s.io/v1${ns}/httproutes`, (_type, r) => this.onRoute(r)),
      collection<Pod>(`/api/v1${ns}/pods`, (_type, p) => this.onPod(p)),
    ];
    const lists = await Promise.all(collections.map((c) => this.list(c.path)));
    this.snapshot = true;
    lists.forEach((items, i) => items.items.forEach((item) => collections[i].onEvent("ADDED", item)));
    this.snapshot = false;
    lists.forEach((items, i) => this.watchFrom(collections[i], items.resourceVersion));
  }

  /** Ends the watches and returns what they recorded. */
  stop(): Timeline {
    this.stopped = true;
    for (const stop of this.stops) stop();
    this.api.close();
    this.tl.endedAt = Date.now();
    this.tl.pods = [...this.pods.values()];
    return this.tl;
  }

  private async list(path: string): Promise<{ resourceVersion: string; items: unknown[] }> {
    const list = await this.api.request<{ metadata: { resourceVersion: string }; items?: unknown[] }>("GET", path);
    if (list.status !== 200) throw new Error(`rollout watch: GET ${path} answered ${list.status}`);
    return { resourceVersion: list.body.metadata.resourceVersion, items: list.body.items ?? [] };
  }

  /** Watches from `resourceVersion`; when the server ends the watch, lists (at the current time) and watches again. */
  private watchFrom(c: Collection, resourceVersion: string): void {
    const stop = this.api.watch<unknown>(c.path, resourceVersion, c.onEvent, () => {
      if (this.stopped) return;
      void this.list(c.path)
        .then((again) => {
          again.items.forEach((item) => c.onEvent("ADDED", item));
          this.watchFrom(c, again.resourceVersion);
        })
        .catch(() => undefined);
    });
    this.stops.push(stop);
  }

  private onSlice(type: string, s: Slice): void {
    const service = s.metadata.labels?.[SERVICE_LABEL];
    if (!service) return;
    if (type === "DELETED") this.slices.delete(s.metadata.name);
    else {
      const ready = (s.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses.map((ip) => ({ ip, pod: e.targetRef?.name })));
      this.slices.set(s.metadata.name, { service, ready });
    }
    const all = [...this.slices.values()].filter((v) => v.service === service).flatMap((v) => v.ready);
    const t = this.now();
    if (this.lastReady.get(service) !== all.length) {
      this.lastReady.set(service, all.length);
      this.tl.endpoints.push({ t, service, ready: all.length });
    }
    for (const { pod } of all) {
      if (pod && !this.servedOnce.has(`${service}/${pod}`)) {
        this.servedOnce.add(`${service}/${pod}`);
        this.tl.served.push({ t, service, pod });
      }
    }
  }

  private onDeployment(d: Deployment): void {
    const sample: DeploymentSample = {
      t: this.now(),
      name: d.metadata.name,
      replicas: d.spec.replicas ?? 1,
      maxUnavailable: maxUnavailableOf(d),
      available: d.status?.availableReplicas ?? 0,
      updated: d.status?.updatedReplicas ?? 0,
      version: d.spec.template.metadata?.labels?.[VERSION_LABEL],
      observed: (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0),
    };
    const key = JSON.stringify({ ...sample, t: 0 });
    if (this.lastDeployment.get(d.metadata.name) === key) return;
    this.lastDeployment.set(d.metadata.name, key);
    this.tl.deployments.push(sample);
  }

  private onPdb(p: Pdb): void {
    const sample = {
      name: p.metadata.name,
      disruptionsAllowed: p.status?.disruptionsAllowed ?? 0,
      currentHealthy: p.status?.currentHealthy ?? 0,
      desiredHealthy: p.status?.desiredHealthy ?? 0,
    };
    const key = JSON.stringify(sample);
    if (this.lastPdb.get(p.metadata.name) === key) return;
    this.lastPdb.set(p.metadata.name, key);
    this.tl.pdbs.push({ t: this.now(), ...sample });
  }

  private onService(s: Service): void {
    const selector = s.spec.selector ?? {};
    const key = JSON.stringify(selector);
    if (this.lastSelector.get(s.metadata.name) === key) return;
    this.lastSelector.set(s.metadata.name, key);
    this.tl.selectors.push({ t: this.now(), service: s.metadata.name, selector });
  }

  private onRoute(r: Route): void {
    const backends = (r.spec.rules ?? [])
      .flatMap((rule) => rule.backendRefs ?? [])
      .map((b) => ({ service: b.name, weight: b.weight ?? 1 }));
    const key = JSON.stringify(backends);
    if (this.lastRoute.get(r.metadata.name) === key) return;
    this.lastRoute.set(r.metadata.name, key);
    this.tl.routes.push({ t: this.now(), route: r.metadata.name, backends });
  }

  private onPod(p: Pod): void {
    const labels = p.metadata.labels ?? {};
    const record = this.pods.get(p.metadata.name) ?? {
      name: p.metadata.name,
      app: labels[APP_LABEL] ?? "",
      version: labels[VERSION_LABEL],
      labels,
      // Created before the watch started: it counts from the start.
      created: Math.max(0, Date.parse(p.metadata.creationTimestamp) - this.started),
    };
    const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    if (ready && record.ready === undefined) record.ready = this.now();
    if (p.status?.podIP) record.ip = p.status.podIP;
    this.pods.set(p.metadata.name, record);
  }
}
