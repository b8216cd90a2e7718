import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartKey, ChartPin, Mirror } from "../lib/release/catalog";
import type { ChartLocation } from "../lib/release/charts";
import { chartImageValues } from "../lib/release/images";
import { deepMerge, Values } from "../lib/core/merge";
import { restrictedChartValues } from "../lib/security/podSecurity";

export interface ChartReleaseArgs {
  /** Helm release name. */
  name: string;
  /** Which of the release's charts this is: decides where its images and security contexts go in the values. */
  chart: ChartKey;
  /** Registry mirror from the catalog. @default none */
  mirror?: Mirror;
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
 * and `helm rollback` works. Values layer as Helm's `-f` files would: the chart's own defaults, the
 * catalog's pinned values, the restricted security contexts, the component's wiring, the stack's overrides,
 * and last the catalog's images by digest, which nothing overrides.
 */
export function chartRelease(
  logicalName: string,
  args: ChartReleaseArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  const values = deepMerge(
    args.pin.values,
    restrictedChartValues(args.chart),
    args.componentValues,
    args.stackValues,
    chartImageValues(args.chart, args.pin.images, args.mirror),
  );
  return new k8s.helm.v3.Release(
    logicalName,
    {
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
    },
    opts,
  );
}
