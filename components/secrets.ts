import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Mirror, Release } from "../lib/release/catalog";
import type { ChartLocation } from "../lib/release/charts";
import type { Values } from "../lib/core/merge";
import { HELM_RELEASES } from "../lib/core/names";
import { chartRelease } from "./helmRelease";

export interface OpenBaoArgs {
  release: Release;
  /** Where the pinned OpenBao chart is installed from. */
  chart: ChartLocation;
  /** The catalog's registry mirror. @default none */
  mirror?: Mirror;
  namespace: string;
  /** Run OpenBao as a 3-node raft cluster. @default false */
  ha?: boolean;
  /** Stack overrides for the OpenBao chart. @default {} */
  stackValues?: Values;
  /** The stack overrides hold secrets. @default false */
  secretValues?: boolean;
  /** Wait for OpenBao to be ready. @default true */
  awaitRollout?: boolean;
}

/** OpenBao, the platform's secrets store, with integrated raft storage so it can be snapshotted before upgrades. */
export class OpenBao extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: OpenBaoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:secrets:OpenBao", name, {}, opts);
    const ha = args.ha ?? false;
    this.chart = chartRelease(
      "openbao",
      {
        name: HELM_RELEASES.openbao,
        chart: "openbao",
        mirror: args.mirror,
        namespace: args.namespace,
        pin: args.release.charts.openbao,
        location: args.chart,
        componentValues: {
          server: {
            ha: { enabled: true, replicas: ha ? 3 : 1, raft: { enabled: true } },
            // The read-only root filesystem leaves the server's config rendering a scratch directory.
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
          // lockstep does not use the agent injector: one image and one webhook less.
          injector: { enabled: false },
        },
        stackValues: args.stackValues,
        secretValues: args.secretValues ?? false,
        awaitRollout: args.awaitRollout ?? true,
      },
      { parent: this },
    );
    this.registerOutputs({ revision: this.chart.status.revision });
  }
}
