import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Mirror, Release } from "../lib/release/catalog";
import type { ChartLocation } from "../lib/release/charts";
import type { StackConfig } from "../lib/config/config";
import type { Values } from "../lib/core/merge";
import { mirrored } from "../lib/release/images";
import { chartRelease } from "./helmRelease";
import { HELM_RELEASES } from "../lib/core/names";
import type { DatabasePlan } from "../lib/recovery/restore";
import { PostgresCluster } from "./postgres";

export interface IdentityArgs {
  release: Release;
  /** Where the pinned Keycloak chart is installed from. */
  chart: ChartLocation;
  /** The catalog's registry mirror. @default none */
  mirror?: Mirror;
  namespace: string;
  /** 3 database instances and 2 Keycloak replicas. @default false */
  ha?: boolean;
  /** Backup settings shared with the platform database. */
  backup: StackConfig["backup"];
  /** Where Keycloak's database runs (the original cluster, or one recovered from the archive). */
  database: DatabasePlan;
  /** Stack overrides for the Keycloak chart. @default {} */
  stackValues?: Values;
  /** The stack overrides hold secrets. @default false */
  secretValues?: boolean;
  /** Wait for Keycloak to be ready. @default true */
  awaitRollout?: boolean;
  /** The PostgreSQL majors when this window upgrades its database in place (see PostgresCluster). @default undefined */
  majorUpgrade?: { from: number; to: number };
  /** KUBECONFIG and KUBE_CONTEXT of the install's cluster, for that upgrade's scripts. @default {} */
  clusterEnv?: Record<string, string>;
}

/** Keycloak with its own CloudNativePG database, backed up the same way as the platform's. */
export class Identity extends pulumi.ComponentResource {
  readonly database: PostgresCluster;
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:identity:Identity", name, {}, opts);
    const ha = args.ha ?? false;
    this.database = new PostgresCluster(
      args.database.origin,
      {
        namespace: args.namespace,
        plan: args.database,
        image: mirrored(args.release.postgres.image, args.mirror),
        instances: ha ? 3 : 1,
        storageSize: "10Gi",
        backup: args.backup,
        awaitRollout: args.awaitRollout ?? true,
        ...(args.majorUpgrade ? { majorUpgrade: args.majorUpgrade, clusterEnv: args.clusterEnv } : {}),
      },
      { parent: this },
    );
    this.chart = chartRelease(
      "keycloak",
      {
        name: HELM_RELEASES.identity,
        chart: "identity",
        mirror: args.mirror,
        namespace: args.namespace,
        pin: args.release.charts.identity,
        location: args.chart,
        componentValues: {
          replicas: ha ? 2 : 1,
          // Two Keycloak pods in HA: a drain never takes both.
          podDisruptionBudget: ha ? { maxUnavailable: 1 } : {},
          // The read-only root filesystem leaves Keycloak its data and scratch directories.
          extraVolumes: "- name: data\n  emptyDir: {}\n- name: tmp\n  emptyDir: {}\n",
          extraVolumeMounts: "- name: data\n  mountPath: /opt/keycloak/data\n- name: tmp\n  mountPath: /tmp\n",
          database: {
            vendor: "postgres",
            hostname: `${this.database.clusterName}-rw`,
            port: 5432,
            database: "keycloak",
            username: "keycloak",
            existingSecret: this.database.appSecretName,
            existingSecretKey: "password",
          },
        },
        stackValues: args.stackValues,
        secretValues: args.secretValues ?? false,
        awaitRollout: args.awaitRollout ?? true,
      },
      { parent: this, dependsOn: [this.database] },
    );
    this.registerOutputs({ databaseCluster: this.database.clusterName, revision: this.chart.status.revision });
  }
}
