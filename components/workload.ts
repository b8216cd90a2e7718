/**
 * Builds a first-party Deployment (plus its ServiceAccount and, when it has more than one replica, a
 * PodDisruptionBudget) with the secure defaults and the rollout rules every component shares.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FirstPartyComponent } from "../lib/release/catalog";
import { LockstepInputError } from "../lib/core/errors";
import { looksLikePlaintextSecret } from "../lib/security/secrets";
import { ANNOTATIONS, LABELS, PART_OF } from "../lib/core/names";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Resources = { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };

export interface WorkloadSpec {
  /** Logical and Kubernetes name of the Deployment. */
  name: string;
  /** `app.kubernetes.io/name` shared by all tracks or colors of one app (gateway, console, ...). */
  appName: string;
  namespace: string;
  component: FirstPartyComponent;
  version: string;
  /** Image pinned by digest, from the catalog. */
  image: string;
  replicas: number;
  /** Spread replicas across nodes and zones (HA mode). */
  spread: boolean;
  /** Labels that, with the name, select this Deployment's pods (track, color, worker kind). */
  selectorLabels?: Record<string, string>;
  port: { name: string; containerPort: number };
  readinessPath: string;
  livenessPath: string;
  /** Allows a slow start, such as migrations, before liveness applies. */
  startupFailureThreshold?: number;
  preStopSleepSeconds: number;
  terminationGracePeriodSeconds: number;
  env: EnvVar[];
  resources: Resources;
  awaitRollout: boolean;
  /**
   * `rolling`: a new pod is Ready before an old one goes (maxUnavailable 0, maxSurge 1), HA or not.
   * `recreate`: the old pods stop before the new start, for workers that must not overlap. @default rolling
   */
  rollout?: "rolling" | "recreate";
  /** The writers stopped before this deployment under this key (see `ANNOTATIONS.writersStopped`). @default none */
  writersStopped?: string;
  /**
   * Scaled to zero replicas, with no traffic routed to it (a canary at weight 0). Nothing to wait for,
   * so no readiness await. @default false
   */
  idle?: boolean;
}

export interface WorkloadResources {
  deployment: k8s.apps.v1.Deployment;
  serviceAccount: k8s.core.v1.ServiceAccount;
  pdb?: k8s.policy.v1.PodDisruptionBudget;
  selector: Record<string, string>;
}

/** Rejects combinations that cannot roll out safely, naming the fields involved. */
export function validateWorkloadSpec(spec: WorkloadSpec): void {
  if (spec.terminationGracePeriodSeconds <= spec.preStopSleepSeconds) {
    throw new LockstepInputError(
      `${spec.name}: terminationGracePeriodSeconds (${spec.terminationGracePeriodSeconds}) must be greater than preStopSleepSeconds (${spec.preStopSleepSeconds}), or in-flight requests are cut off`,
    );
  }
  if (spec.idle && (spec.replicas !== 0 || spec.spread))
    throw new LockstepInputError(
      `${spec.name}: an idle workload runs 0 replicas and is not spread, got replicas ${spec.replicas}, spread ${spec.spread}`,
    );
  if (!spec.idle && spec.replicas < 1)
    throw new LockstepInputError(`${spec.name}: replicas (${spec.replicas}) must be at least 1`);
  if (spec.spread && spec.replicas < 2) {
    throw new LockstepInputError(`${spec.name}: spread (HA) needs replicas >= 2, got ${spec.replicas}`);
  }
  for (const e of spec.env) {
    if (typeof e.value === "string" && looksLikePlaintextSecret(e.name as string, e.value)) {
      throw new LockstepInputError(
        `${spec.name}: env ${e.name as string} must come from a secretKeyRef, not a literal value`,
      );
    }
  }
}

export function createWorkload(
  spec: WorkloadSpec,
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[] = [],
): WorkloadResources {
  validateWorkloadSpec(spec);
  const selector = { [LABELS.name]: spec.appName, ...spec.selectorLabels };
  // The ServiceAccount and PDB outlive a release, so they carry no version: a label that changed every
  // release would update both in every window, put them in every preview's diff, and hold the Deployment
  // (which waits for its ServiceAccount) back by that update's round trip.
  const lastingLabels = {
    ...selector,
    [LABELS.component]: spec.component,
    [LABELS.partOf]: PART_OF,
    [LABELS.managedBy]: "pulumi",
  };
  const labels = { ...lastingLabels, [LABELS.version]: spec.version };
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${spec.name}-sa`,
    {
      metadata: { name: spec.name, namespace: spec.namespace, labels: lastingLabels },
      automountServiceAccountToken: false,
    },
    { parent },
  );

  const annotations: Record<string, string> = {
    ...(spec.awaitRollout && !spec.idle
      ? { [ANNOTATIONS.waitFor]: rolloutCompleteWaitFor(spec.replicas) }
      : { [ANNOTATIONS.skipAwait]: "true" }),
    ...(spec.writersStopped ? { [ANNOTATIONS.writersStopped]: spec.writersStopped } : {}),
  };
  const deployment = new k8s.apps.v1.Deployment(
    spec.name,
    {
      metadata: { name: spec.name, namespace: spec.namespace, labels, annotations },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: selector },
        strategy:
          spec.rollout === "recreate"
            ? { type: "Recreate" }
            : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 10,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(),
            terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
            affinity: spec.spread ? antiAffinity(selector) : undefined,
            topologySpreadConstraints: spec.spread
              ? [
                  {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: selector },
                  },
                ]
              : undefined,
            containers: [
              {
                name: spec.component,
                image: spec.image,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: spec.port.name, containerPort: spec.port.containerPort, protocol: "TCP" }],
                env: spec.env,
                resources: spec.resources,
                securityContext: restrictedContainerSecurityContext(),
                readinessProbe: {
                  httpGet: { path: spec.readinessPath, port: spec.port.containerPort },
                  initialDelaySeconds: 10,
                  periodSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  httpGet: { path: spec.livenessPath, port: spec.port.containerPort },
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                startupProbe: spec.startupFailureThreshold
                  ? {
                      httpGet: { path: spec.livenessPath, port: spec.port.containerPort },
                      periodSeconds: 5,
                      failureThreshold: spec.startupFailureThreshold,
                    }
                  : undefined,
                lifecycle: { preStop: { exec: { command: ["sh", "-c", `sleep ${spec.preStopSleepSeconds}`] } } },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            // A read-only root filesystem still needs scratch space.
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
          },
        },
      },
    },
    { parent, dependsOn },
  );

  const pdb =
    spec.replicas > 1
      ? new k8s.policy.v1.PodDisruptionBudget(
          `${spec.name}-pdb`,
          {
            metadata: { name: spec.name, namespace: spec.namespace, labels: lastingLabels },
            spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
          },
          { parent },
        )
      : undefined;
  return { deployment, serviceAccount, pdb, selector };
}

function antiAffinity(selector: Record<string, string>): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } },
        },
      ],
    },
  };
}

export interface ClusterServiceSpec {
  /** Kubernetes name; the logical name is `<name>-svc`. */
  name: string;
  namespace: string;
  selector: Record<string, string>;
  port: { name: string; port: number; targetPort: number };
  /**
   * The Deployments whose rollout must finish before the Service changes: a Service that switches its
   * selector to pods still rolling out sends traffic to none or to the wrong version. @default []
   */
  dependsOn?: pulumi.Resource[];
}

/**
 * A ClusterIP Service in front of a workload's pods. It never waits on the provider's Service await: in
 * the pinned provider that await is a fixed 10-second settle after the Service's first Endpoints event
 * and does not require a ready endpoint (see docs/design-notes.md), so it cost 10 s a Service and proved
 * nothing. What it stood for is carried by the Deployments: each awaited one waits for its whole rollout
 * (`rolloutCompleteWaitFor`), and whatever sends traffic to a Service waits for its Deployment first.
 */
export function clusterService(spec: ClusterServiceSpec, parent: pulumi.Resource): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    `${spec.name}-svc`,
    {
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        labels: { [LABELS.partOf]: PART_OF },
        annotations: { [ANNOTATIONS.skipAwait]: "true" },
      },
      spec: {
        type: "ClusterIP",
        selector: spec.selector,
        ports: [{ name: spec.port.name, port: spec.port.port, targetPort: spec.port.targetPort, protocol: "TCP" }],
      },
    },
    { parent, dependsOn: spec.dependsOn ?? [] },
  );
}

/**
 * When a Deployment's rollout is complete, as `kubectl rollout status` decides it: on the current
 * generation (the provider's JSONPath conditions wait for `observedGeneration`), every replica updated and
 * available, and no old pod left. The provider's own Deployment await can call a rolling update done
 * while the new ReplicaSet is still scaling up (it compares that ReplicaSet's ready pods with its current
 * size), and a Service that waits for it then switches too early; see docs/design-notes.md.
 */
export function rolloutCompleteWaitFor(replicas: number): string {
  return JSON.stringify(
    ["updatedReplicas", "availableReplicas", "replicas"].map((field) => `jsonpath={.status.${field}}=${replicas}`),
  );
}

/** Replica count from HA: three replicas keep a quorum through a rolling update and a node loss. */
export function replicasFor(ha: boolean): number {
  return ha ? 3 : 1;
}
