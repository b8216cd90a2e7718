import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Mirror, Release } from "../lib/release/catalog";
import type { ChartLocation } from "../lib/release/charts";
import type { Values } from "../lib/core/merge";
import { HELM_RELEASES } from "../lib/core/names";
import {
  discoveryRoleName,
  DISCOVERY_RULES,
  observabilityValues,
  PROMETHEUS_SERVICE,
} from "../lib/rollout/metricsSource";
import { GATEWAY_PORT } from "./gateway";
import { chartRelease } from "./helmRelease";

export interface ObservabilityArgs {
  /** The target release; its `charts.observability` pin chooses the Prometheus chart and images. */
  release: Release;
  /** Where the pinned chart is installed from. */
  chart: ChartLocation;
  /** The catalog's registry mirror. @default none */
  mirror?: Mirror;
  /** The platform namespace: Prometheus runs there and scrapes the gateways there. */
  namespace: string;
  /** Stack overrides for the Prometheus chart. @default {} */
  stackValues?: Values;
  /** The stack overrides hold secrets. @default false */
  secretValues?: boolean;
  /** Wait for Prometheus to be ready. @default true */
  awaitRollout?: boolean;
}

/**
 * The release set's Prometheus: it scrapes the gateways, and `lockstep canary` judges the canary from it
 * by default. It moves with the release, in the operators' wave, so the gateways' wave finds it at the
 * version the set was tested with.
 */
export class Observability extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;
  /** What the chart binds in the platform namespace for discovery: read pods, nothing else. */
  readonly discovery: k8s.rbac.v1.ClusterRole;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:observability:Observability", name, {}, opts);
    const discovery = (this.discovery = new k8s.rbac.v1.ClusterRole(
      "prometheus-discovery",
      { metadata: { name: discoveryRoleName(args.namespace) }, rules: DISCOVERY_RULES },
      { parent: this },
    ));
    this.chart = chartRelease(
      "prometheus",
      {
        name: HELM_RELEASES.observability,
        chart: "observability",
        mirror: args.mirror,
        namespace: args.namespace,
        pin: args.release.charts.observability,
        location: args.chart,
        componentValues: observabilityValues(GATEWAY_PORT, args.namespace),
        stackValues: args.stackValues,
        secretValues: args.secretValues ?? false,
        awaitRollout: args.awaitRollout ?? true,
      },
      { parent: this, dependsOn: [discovery] },
    );
    this.registerOutputs({
      revision: this.chart.status.revision,
      service: `${PROMETHEUS_SERVICE.name}.${args.namespace}:${PROMETHEUS_SERVICE.port}`,
    });
  }
}
