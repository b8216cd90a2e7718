import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "../lib/catalog";
import type { ChartLocation } from "../lib/charts";
import { deepMerge, Values } from "../lib/merge";

export interface ChartReleaseArgs {
  /** Helm release name. */
  name: string;
  namespace: string;
  /** Chart pin from the catalog: the values the set pins. */
  pin: ChartPin;
  /** Where the pinned chart is installed from (upstream, a local folder or an OCI mirror). */
  location: ChartLocation;
  /** Values the component itself needs (wiring such as database hosts). @default {} */
  componentValues?: Values;
  /** Stack overrides from `lockstep:chartValues`, merged last. @default {} */
  stackValues?: Values;
  /** The stack overrides hold a secret (`pulumi config set --secret`): the merged values are kept secret. @default false */
  secretValues?: boolean;
  /** Wait for the release's resources to be ready. */
  awaitRollout: boolean;
}

/**
 * A Helm release through the provider's embedded Helm (`helm.v3.Release`), so Helm keeps revisions
 * and `helm rollback` works. Values layer as Helm's `-f` files would: the chart's own defaults, then the
 * catalog's pinned values, then the component's wiring, then the stack's overrides.
 */
export function chartRelease(logicalName: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  const values = deepMerge(args.pin.values, args.componentValues, args.stackValues);
  return new k8s.helm.v3.Release(logicalName, {
    name: args.name,
    namespace: args.namespace,
    chart: args.location.chart,
    version: args.location.version,
    ...(args.location.repo ? { repositoryOpts: { repo: args.location.repo } } : {}),
    values: args.secretValues ? pulumi.secret(values) : values,
    // A failed upgrade rolls itself back to the last good revision instead of leaving a half-applied chart.
    atomic: args.awaitRollout,
    cleanupOnFail: true,
    maxHistory: 10,
    skipAwait: !args.awaitRollout,
    timeout: 600,
  }, opts);
}
