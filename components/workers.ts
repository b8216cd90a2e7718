import * as pulumi from "@pulumi/pulumi";
import { WORKER_KINDS, WorkerKind } from "../lib/rollout/versions";
import { LABELS } from "../lib/core/names";
import { createWorkload, WorkloadResources } from "./workload";

export interface WorkersArgs {
  namespace: string;
  version: string;
  /** Image pinned by digest; one image runs every worker kind. */
  image: string;
  databaseSecret: string;
  apiUrl: string;
  /** Two replicas per worker kind (jobs are retried, so two is enough). @default false */
  ha?: boolean;
  /** @default true */
  awaitRollout?: boolean;
  /** How a new version replaces the old, from the catalog (`components.workers.rollout`). @default "rolling" */
  rollout?:
    | "rolling"
    | "recreate"; /** The key the writers were stopped under before this deployment (a restore, a coordinated window). @default none */
  writersStopped?: string;
}

/** Background workers (export, lifecycle, config). Safe to restart: in-flight jobs are retried on the next poll. */
export class Workers extends pulumi.ComponentResource {
  readonly workloads: Record<WorkerKind, WorkloadResources>;

  constructor(name: string, args: WorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:workers:Workers", name, {}, opts);
    const ha = args.ha ?? false;
    const make = (kind: WorkerKind) =>
      createWorkload(
        {
          name: `worker-${kind}`,
          appName: `worker-${kind}`,
          namespace: args.namespace,
          component: "workers",
          version: args.version,
          image: args.image,
          replicas: ha ? 2 : 1,
          spread: ha,
          selectorLabels: { [LABELS.worker]: kind },
          port: { name: "health", containerPort: 9090 },
          readinessPath: "/readyz",
          livenessPath: "/healthz",
          // A worker finishes its current job on SIGTERM, so it gets a long grace period.
          preStopSleepSeconds: 5,
          terminationGracePeriodSeconds: 120,
          env: [
            { name: "WORKER_KIND", value: kind },
            { name: "API_URL", value: args.apiUrl },
            { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: args.databaseSecret, key: "uri" } } },
          ],
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
          awaitRollout: args.awaitRollout ?? true,
          rollout: args.rollout ?? "rolling",
          writersStopped: args.writersStopped,
        },
        this,
      );
    this.workloads = { export: make("export"), lifecycle: make("lifecycle"), config: make("config") };
    this.registerOutputs({ kinds: [...WORKER_KINDS], version: args.version });
  }
}
