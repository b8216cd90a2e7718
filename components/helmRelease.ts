import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "../lib/catalog";
import { deepMerge, Values } from "../lib/merge";

export interface ChartReleaseArgs {
  /** Helm release name. */
  name: string;
  namespace: string;
  /** Chart pin from the catalog: repo, chart, exact version and the values the set pins. */
  pin: ChartPin;
  /** Values the component itself needs (wiring such as database hosts). */
  componentValues?: Values;
  /** Stack overrides from `lockstep:chartValues`, merged last. */
  stackValues?: Values;
  /** Wait for the release's resources to be ready. */
  await: boolean;
}

/**
 * A Helm release through the provider's embedded Helm (`helm.v3.Release`), so Helm keeps revisions
 * and `helm rollback` works. Values layer as Helm's `-f` files would: the chart's own defaults, then the
 * catalog's pinned values, then the component's wiring, then the stack's overrides.
 */
export function chartRelease(logicalName: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(logicalName, {
    name: args.name,
    namespace: args.namespace,
    chart: args.pin.chart,
    version: args.pin.version,
    repositoryOpts: { repo: args.pin.repo },
    values: deepMerge(args.pin.values, args.componentValues, args.stackValues),
    // A failed upgrade rolls itself back to the last good revision instead of leaving a half-applied chart.
    atomic: true,
    cleanupOnFail: true,
    maxHistory: 10,
    skipAwait: !args.await,
    timeout: 600,
  }, opts);
}
