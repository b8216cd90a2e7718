import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Mirror, Release } from "../lib/release/catalog";
import type { ChartLocations } from "../lib/release/charts";
import type { Values } from "../lib/core/merge";
import { HELM_RELEASES, OPERATOR_NAMESPACE } from "../lib/core/names";
import { chartRelease } from "./helmRelease";

export interface OperatorsArgs {
  /** The target release; its chart pins choose the operator versions. */
  release: Release;
  /** Where each pinned chart is installed from. */
  charts: ChartLocations;
  /** The catalog's registry mirror. @default none */
  mirror?: Mirror;
  /** Namespace the operators run in. @default "cnpg-system" */
  operatorNamespace?: string;
  /** Stack overrides for the CloudNativePG operator chart. @default {} */
  cnpgValues?: Values;
  /** Stack overrides for the Barman Cloud plugin chart. @default {} */
  barmanValues?: Values;
  /** The stack overrides hold secrets. @default false */
  secretValues?: boolean;
  /** Wait for the operators to be ready. @default true */
  awaitRollout?: boolean;
}

/** The CloudNativePG operator and its Barman Cloud plugin, at the versions the release set pins. */
export class Operators extends pulumi.ComponentResource {
  readonly cnpg: k8s.helm.v3.Release;
  readonly barmanCloud: k8s.helm.v3.Release;

  constructor(name: string, args: OperatorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:operators:Operators", name, {}, opts);
    const namespace = args.operatorNamespace ?? OPERATOR_NAMESPACE;
    const awaitRollout = args.awaitRollout ?? true;

    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: namespace } },
      { parent: this, retainOnDelete: true },
    );
    this.cnpg = chartRelease(
      "cnpg-operator",
      {
        name: HELM_RELEASES.cnpgOperator,
        chart: "cnpgOperator",
        mirror: args.mirror,
        namespace,
        pin: args.release.charts.cnpgOperator,
        location: args.charts.cnpgOperator,
        stackValues: args.cnpgValues,
        secretValues: args.secretValues,
        awaitRollout,
      },
      { parent: this, dependsOn: [ns] },
    );
    // The plugin registers itself with the operator, so it goes second.
    this.barmanCloud = chartRelease(
      "barman-cloud-plugin",
      {
        name: HELM_RELEASES.barmanCloudPlugin,
        chart: "barmanCloudPlugin",
        mirror: args.mirror,
        namespace,
        pin: args.release.charts.barmanCloudPlugin,
        location: args.charts.barmanCloudPlugin,
        stackValues: args.barmanValues,
        secretValues: args.secretValues,
        awaitRollout,
      },
      { parent: this, dependsOn: [this.cnpg] },
    );

    this.registerOutputs({
      cnpgRevision: this.cnpg.status.revision,
      barmanCloudRevision: this.barmanCloud.status.revision,
    });
  }
}
