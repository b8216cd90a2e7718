import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABELS } from "../lib/core/names";
import type { SmokePlan } from "../lib/smoke/plan";
import { smokeCommand } from "./verification";
import { clusterService, createWorkload, replicasFor, WorkloadResources } from "./workload";

export const CONSOLE_PORT = 3000;
export const COLORS = ["blue", "green"] as const;
export type Color = (typeof COLORS)[number];

export interface ConsoleArgs {
  namespace: string;
  /** Version and digest-pinned image per color. */
  colors: Record<Color, { version: string; image: string }>;
  /** The color the live Service selects. Flipping it is both the switch and the rollback. */
  live: Color;
  apiUrl: string;
  /** @default false */
  ha?: boolean;
  /** @default true */
  awaitRollout?: boolean;
  /**
   * The smoke checks of the live color at its own address (ready, built with the stack's settings, its
   * pages), run before the live Service selects it; unchecked when unset. @default undefined
   */
  flipCheck?: SmokePlan;
}

/** The web console, blue/green: two Deployments, a preview Service per color, and a live Service. */
export class Console extends pulumi.ComponentResource {
  readonly deployments: Record<Color, WorkloadResources>;
  readonly liveService: k8s.core.v1.Service;

  constructor(name: string, args: ConsoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:console:Console", name, {}, opts);
    const ha = args.ha ?? false;
    const port = { name: "http", port: 80, targetPort: CONSOLE_PORT };
    const awaitRollout = args.awaitRollout ?? true;
    const make = (color: Color): WorkloadResources => {
      const workload = createWorkload(
        {
          name: `console-${color}`,
          appName: "console",
          namespace: args.namespace,
          component: "console",
          version: args.colors[color].version,
          image: args.colors[color].image,
          replicas: replicasFor(ha),
          spread: ha,
          selectorLabels: { [LABELS.color]: color },
          port: { name: "http", containerPort: CONSOLE_PORT },
          readinessPath: "/api/health",
          livenessPath: "/api/health",
          preStopSleepSeconds: 5,
          terminationGracePeriodSeconds: 20,
          env: [{ name: "API_URL", value: args.apiUrl }],
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
          awaitRollout,
        },
        this,
      );
      clusterService(
        {
          name: `console-${color}`,
          namespace: args.namespace,
          selector: workload.selector,
          port,
        },
        this,
      );
      return workload;
    };
    this.deployments = { blue: make("blue"), green: make("green") };
    // The flip waits for the new color's rollout, and its checks: the live Service must never select pods
    // that are not all Ready, or a build made with another stack's settings.
    const live = this.deployments[args.live];
    const flipCheck =
      args.flipCheck &&
      smokeCommand(
        "console-flip-check",
        args.flipCheck,
        [args.live, args.colors[args.live].image, args.flipCheck.smoke.apiUrl ?? "", args.flipCheck.smoke.gatewayUrl],
        { parent: this, dependsOn: [live.deployment] },
      );
    this.liveService = clusterService(
      {
        name: "console",
        namespace: args.namespace,
        selector: live.selector,
        port,
        dependsOn: flipCheck ? [live.deployment, flipCheck] : [live.deployment],
      },
      this,
    );
    this.registerOutputs({ live: args.live, blue: args.colors.blue.version, green: args.colors.green.version });
  }
}
