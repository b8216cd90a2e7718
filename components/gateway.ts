import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABELS } from "../lib/core/names";
import { pluginList } from "../lib/release/catalog";
import { clusterService, createWorkload, replicasFor, WorkloadResources } from "./workload";

export const GATEWAY_PORT = 41002;

export interface GatewayImage {
  version: string;
  /** Image pinned by digest. */
  image: string;
  /** The plugins built into that image, name -> version, as its release pins them. @default {} */
  plugins?: Readonly<Record<string, string>>;
}

export interface GatewayArgs {
  namespace: string;
  /** What the stable track runs: `upgrade.from` during a canary, otherwise the release. */
  stable: GatewayImage;
  /** The canary track and its traffic share; omitted when there is no canary. @default undefined */
  canary?: GatewayImage & { percent: number };
  /** Control-plane API URL the gateway reconciles from. */
  apiUrl: string;
  /** Gateway API Gateway the HTTPRoute attaches to. */
  parentGateway: { name: string; namespace: string };
  /** @default [] */
  hostnames?: string[];
  /** @default false */
  ha?: boolean;
  /** @default true */
  awaitRollout?: boolean;
}

/**
 * Stateless gateways: a stable Deployment and, during a canary, a canary Deployment beside it. A Gateway
 * API HTTPRoute splits traffic by weight; rolling updates keep policy enforcement continuous.
 */
export class Gateway extends pulumi.ComponentResource {
  readonly stable: WorkloadResources;
  readonly canary?: WorkloadResources;
  readonly route: k8s.apiextensions.CustomResource;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:gateway:Gateway", name, {}, opts);
    const ha = args.ha ?? false;
    const hostnames = args.hostnames ?? [];
    const common = {
      appName: "gateway",
      namespace: args.namespace,
      component: "gateway" as const,
      port: { name: "http", containerPort: GATEWAY_PORT },
      readinessPath: "/readyz",
      livenessPath: "/healthz",
      preStopSleepSeconds: 10,
      terminationGracePeriodSeconds: 30,
      env: [
        { name: "API_URL", value: args.apiUrl },
        { name: "GATEWAY_PORT", value: String(GATEWAY_PORT) },
      ],
      resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "1Gi" } },
      awaitRollout: args.awaitRollout ?? true,
    };
    // Each track is told the plugins its release was tested with, so a build that differs refuses to start.
    const envOf = (track: GatewayImage) => [
      ...common.env,
      { name: "GATEWAY_BUILTIN_PLUGINS", value: pluginList(track.plugins ?? {}) },
    ];
    this.stable = createWorkload(
      {
        ...common,
        name: "gateway",
        version: args.stable.version,
        image: args.stable.image,
        env: envOf(args.stable),
        replicas: replicasFor(ha),
        spread: ha,
        selectorLabels: { [LABELS.track]: "stable" },
      },
      this,
    );
    const port = { name: "http", port: 80, targetPort: GATEWAY_PORT };
    const service = (name: string, selector: Record<string, string>) =>
      clusterService({ name, namespace: args.namespace, selector, port }, this);
    const stableService = service("gateway-stable", this.stable.selector);
    const backendRefs: { name: pulumi.Input<string>; port: number; weight: number }[] = [
      { name: stableService.metadata.name, port: 80, weight: 100 - (args.canary?.percent ?? 0) },
    ];
    // A canary at weight 0 is idle: scaled to zero, and only after the route no longer sends it traffic.
    const idle = args.canary?.percent === 0;
    const canarySpec = args.canary && {
      ...common,
      name: "gateway-canary",
      version: args.canary.version,
      image: args.canary.image,
      env: envOf(args.canary),
      // Two canary replicas in HA so a node drain never takes the canary track to zero.
      replicas: idle ? 0 : ha ? 2 : 1,
      spread: ha && !idle,
      idle,
      selectorLabels: { [LABELS.track]: "canary" },
    };
    if (canarySpec && !idle) this.canary = createWorkload(canarySpec, this);
    if (args.canary) {
      const canaryService = service("gateway-canary", { [LABELS.name]: "gateway", [LABELS.track]: "canary" });
      backendRefs.push({ name: canaryService.metadata.name, port: 80, weight: args.canary.percent });
    }
    // Weights move only after the tracks they point at have rolled out: a canary's share never reaches a track with no Ready pod.
    this.route = new k8s.apiextensions.CustomResource(
      "gateway-route",
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "gateway", namespace: args.namespace },
        spec: {
          parentRefs: [{ name: args.parentGateway.name, namespace: args.parentGateway.namespace }],
          ...(hostnames.length ? { hostnames } : {}),
          rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs }],
        },
      },
      { parent: this, dependsOn: [this.stable.deployment, ...(this.canary ? [this.canary.deployment] : [])] },
    );
    if (canarySpec && idle) this.canary = createWorkload(canarySpec, this, [this.route]);
    this.registerOutputs({
      stableVersion: args.stable.version,
      canaryVersion: args.canary?.version,
      canaryPercent: args.canary?.percent ?? 0,
      route: this.route.metadata.name,
    });
  }
}
