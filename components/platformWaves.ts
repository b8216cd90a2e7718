/**
 * What each wave of the platform declares. A builder takes the wave it declares into and what the waves
 * before it left, and returns what it leaves for the waves after it and for the platform's outputs: the
 * window's backups, the drill, the verification. Nothing is assigned from inside a builder.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { OPERATOR_NAMESPACE } from "../lib/core/names";
import type { ProgramInputs } from "../lib/config/inputs";
import { FirstPartyComponent, getRelease, Release } from "../lib/release/catalog";
import { mirrored } from "../lib/release/images";
import { postgresMajorPath } from "../lib/release/postgresMajor";
import type { DrillResult, RestorePoint } from "../lib/state/deployed";
import { recordOf, runningCluster } from "../lib/state/record";
import { appSecretName } from "../lib/recovery/restore";
import { componentOf, gatewayTracks, WORKLOADS } from "../lib/rollout/versions";
import type { WaveId } from "../lib/rollout/waves";
import { apiServiceUrl, ControlPlaneApi } from "./api";
import { PreUpgradeBackup } from "./backup";
import { Console } from "./console";
import { Gateway } from "./gateway";
import { Identity } from "./identity";
import { NetworkIsolation } from "./network";
import { Observability } from "./observability";
import { Operators } from "./operators";
import { PostgresCluster } from "./postgres";
import { OpenBaoRestore, RestoreDrill, WritersDown } from "./recovery";
import { ReleaseRecord } from "./releaseRecord";
import { OpenBao } from "./secrets";
import { RESTRICTED_NAMESPACE_LABELS } from "./security";
import { smokeCommand, Verification } from "./verification";
import { smokePlan, SmokePlanArgs } from "../lib/smoke/plan";
import type { Wave } from "./wave";
import { Workers } from "./workers";

/** What one platform is declared from: the checked inputs, with what follows from them computed once. */
export interface PlatformContext extends ProgramInputs {
  stack: string;
  /** The target release, resolved from the catalog once. */
  release: Release;
  setDigest: string;
  /** KUBECONFIG and KUBE_CONTEXT for the scripts' kubectl: the same cluster as the provider. */
  clusterEnv: Record<string, string>;
  /** The key the writers stop under first in this deployment (a restore, a coordinated window); undefined when they keep running. */
  writersStopped?: string;
}

/** What the waves leave behind, merged wave by wave. */
export interface WaveResults {
  backups?: PreUpgradeBackup;
  drill?: RestoreDrill;
  verification?: Verification;
  /** The last window's backups, kept after the window closes: what a rollback with the data restores. */
  restorePoint?: pulumi.Output<RestorePoint> | RestorePoint | null;
  /** The last passing restore drill, kept until the next one. */
  restoreDrill?: pulumi.Output<DrillResult> | DrillResult | null;
}

export type WaveBuilder = (wave: Wave, earlier: Readonly<WaveResults>) => WaveResults;

/** The port backups reach the object store on: the endpoint's, or 443 (https) when it names none. */
export function objectStorePort(endpointURL: string | undefined): number {
  if (!endpointURL) return 443;
  const url = new URL(endpointURL);
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

/** One builder per wave id; the wave order decides which run, and in which order. */
export function waveBuilders(ctx: PlatformContext): Record<WaveId, WaveBuilder> {
  const { config, catalog, charts, window, deployed, databases, rollback, release, promotionSource } = ctx;
  const ns = config.namespace;
  const awaitRollout = config.awaitRollouts;
  const secretValues = config.secretKeys.includes("chartValues");
  // Every image by the catalog's digest, pulled from the catalog's mirror when it names one. A track or a
  // color may run another version than the target (a canary's stable track, the idle console color).
  const releaseAt = (version: string) => (version === release.version ? release : getRelease(catalog, version));
  const imageOf = (component: FirstPartyComponent, version: string) => {
    const pin = releaseAt(version).components[component];
    return { version: pin.version, image: mirrored(pin.image, catalog.mirror) };
  };
  const gatewayOf = (version: string) => ({
    ...imageOf("gateway", version),
    plugins: releaseAt(version).components.gateway.plugins,
  });

  const gateways = gatewayTracks(config.release, window);
  const postgresImage = mirrored(release.postgres.image, catalog.mirror);
  const pgPath = window ? postgresMajorPath(getRelease(catalog, window.from), release) : null;
  const majorUpgrade =
    pgPath?.method === "in-place"
      ? { majorUpgrade: { from: pgPath.from, to: pgPath.to }, clusterEnv: ctx.clusterEnv }
      : {};
  // Known before any wave is declared, so the waves can run in either direction (a rollback reverses the workloads).
  const apiUrl = apiServiceUrl(ns);
  const databaseSecret = appSecretName(databases.platform);
  const restore = config.restore;
  const smoke: SmokePlanArgs | undefined = config.smoke && {
    stack: ctx.stack,
    release: config.release,
    setDigest: ctx.setDigest,
    smoke: config.smoke,
  };

  return {
    "pre-upgrade-backup": (wave) => {
      if (!window) return {};
      const backups = new PreUpgradeBackup(
        "pre-upgrade-backup",
        {
          namespace: ns,
          from: window.from,
          to: config.release,
          snapshotDir: config.backup.snapshotDir,
          objectStore: config.backup,
          method: config.backup.method,
          clusterEnv: ctx.clusterEnv,
          databases: Object.values(databases).map((d) => ({ key: d.key, ...runningCluster(deployed, d) })),
        },
        { parent: wave },
      );
      return { backups };
    },
    "writers-down": (wave) => {
      new WritersDown(
        "writers-down",
        {
          namespace: ns,
          key: ctx.writersStopped ?? restore?.name ?? "",
          clusterEnv: ctx.clusterEnv,
          deployments: WORKLOADS.filter((w) => ["api", "workers"].includes(componentOf(w) ?? "")),
        },
        { parent: wave },
      );
      return {};
    },
    "platform-services": (wave) => {
      const namespace = new k8s.core.v1.Namespace(
        "platform-namespace",
        { metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS } },
        { parent: wave, retainOnDelete: true },
      );
      new NetworkIsolation(
        "network",
        {
          namespace: ns,
          operatorNamespace: OPERATOR_NAMESPACE,
          gatewayNamespace: config.route.gatewayNamespace ?? ns,
          objectStorePort: objectStorePort(config.backup.endpointURL),
        },
        { parent: wave, dependsOn: [namespace] },
      );
      const operators = new Operators(
        "operators",
        {
          release,
          charts,
          mirror: catalog.mirror,
          cnpgValues: config.chartValues.cnpgOperator,
          barmanValues: config.chartValues.barmanCloudPlugin,
          secretValues,
          awaitRollout,
        },
        { parent: wave },
      );
      const openBao = new OpenBao(
        "secrets",
        {
          release,
          chart: charts.openbao,
          mirror: catalog.mirror,
          namespace: ns,
          ha: config.ha,
          stackValues: config.chartValues.openbao,
          secretValues,
          awaitRollout,
        },
        { parent: wave, dependsOn: [namespace] },
      );
      new Observability(
        "observability",
        {
          release,
          chart: charts.observability,
          mirror: catalog.mirror,
          namespace: ns,
          stackValues: config.chartValues.observability,
          secretValues,
          awaitRollout,
        },
        { parent: wave, dependsOn: [namespace] },
      );
      if (restore?.openbaoSnapshot) {
        new OpenBaoRestore(
          "openbao-restore",
          {
            namespace: ns,
            snapshotFile: restore.openbaoSnapshot,
            force: restore.openbaoForce,
            restoreName: restore.name,
            clusterEnv: ctx.clusterEnv,
          },
          { parent: wave, dependsOn: [openBao] },
        );
      }
      new Identity(
        "identity",
        {
          release,
          chart: charts.identity,
          mirror: catalog.mirror,
          namespace: ns,
          ha: config.ha,
          backup: config.backup,
          database: databases.identity,
          stackValues: config.chartValues.identity,
          secretValues,
          awaitRollout,
          ...majorUpgrade,
        },
        { parent: wave, dependsOn: [namespace, operators] },
      );
      return {};
    },
    database: (wave) => {
      new PostgresCluster(
        databases.platform.origin,
        {
          namespace: ns,
          image: postgresImage,
          plan: databases.platform,
          instances: config.ha ? 3 : 1,
          backup: config.backup,
          awaitRollout,
          ...majorUpgrade,
        },
        { parent: wave },
      );
      return {};
    },
    api: (wave) => {
      new ControlPlaneApi(
        "control-plane-api",
        {
          namespace: ns,
          ...imageOf("api", config.release),
          databaseSecret,
          ha: config.ha,
          awaitRollout,
          writersStopped: ctx.writersStopped,
        },
        { parent: wave },
      );
      return {};
    },
    gateways: (wave) => {
      const gateway = new Gateway(
        "gateways",
        {
          namespace: ns,
          stable: gatewayOf(gateways.stable),
          canary: gateways.canary
            ? { ...gatewayOf(gateways.canary.version), percent: gateways.canary.percent }
            : undefined,
          apiUrl,
          parentGateway: { name: config.route.gatewayName, namespace: config.route.gatewayNamespace ?? ns },
          hostnames: config.route.hostnames,
          ha: config.ha,
          awaitRollout,
        },
        { parent: wave },
      );
      // Policy enforcement is checked here, not only at the end: no later wave starts on gateways that let
      // a blocked prompt through.
      if (smoke) {
        smokeCommand(
          "gateway-policy-check",
          smokePlan("gateways", smoke),
          [ctx.setDigest, gateways.canary?.percent ?? 0],
          {
            parent: wave,
            dependsOn: [gateway],
          },
        );
      }
      return {};
    },
    console: (wave) => {
      if (smoke && !smoke.smoke.consolePreviewUrl) {
        void pulumi.log.warn(
          "console flip not checked: lockstep:smoke.consolePreviewUrl is not set, so the live Service selects a color whose build settings nobody checked",
          wave,
        );
      }
      new Console(
        "console",
        {
          namespace: ns,
          colors: { blue: imageOf("console", config.console.blue), green: imageOf("console", config.console.green) },
          live: config.console.live,
          apiUrl,
          ha: config.ha,
          awaitRollout,
          flipCheck: smoke?.smoke.consolePreviewUrl ? smokePlan("console-flip", smoke, config.console.live) : undefined,
        },
        { parent: wave },
      );
      return {};
    },
    workers: (wave) => {
      new Workers(
        "workers",
        {
          namespace: ns,
          ...imageOf("workers", config.release),
          databaseSecret,
          apiUrl,
          ha: config.ha,
          awaitRollout,
          rollout: release.components.workers.rollout,
          writersStopped: ctx.writersStopped,
        },
        { parent: wave },
      );
      return {};
    },
    "restore-drill": (wave) => {
      if (!config.restoreDrill) return {};
      const drill = new RestoreDrill(
        "restore-drill",
        {
          namespace: ns,
          plan: databases[config.restoreDrill.database],
          id: config.restoreDrill.id,
          image: postgresImage,
          timeoutSeconds: config.restoreDrill.timeoutSeconds,
          clusterEnv: ctx.clusterEnv,
        },
        { parent: wave },
      );
      return { drill };
    },
    verification: (wave, earlier) => {
      // Evidence outlives its wave: the last window's backups and the last passing drill stay recorded.
      const restorePoint = windowRestorePoint(ctx, earlier.backups) ?? deployed?.restorePoint ?? null;
      const restoreDrill = earlier.drill?.result ?? deployed?.restoreDrill ?? null;
      const verification = new Verification(
        "verification",
        {
          stack: ctx.stack,
          version: config.release,
          setDigest: ctx.setDigest,
          consoleLive: config.console.live,
          canaryPercent: gateways.canary?.percent,
          smoke: config.smoke,
        },
        { parent: wave },
      );
      new ReleaseRecord(
        "release-record",
        {
          namespace: ns,
          record: recordOf({
            stack: ctx.stack,
            config,
            setDigest: ctx.setDigest,
            window,
            deployed,
            databases,
            rollback,
            promotionSource,
          }),
          evidence: {
            ...(restorePoint ? { "restore-point.json": restorePoint } : {}),
            ...(restoreDrill ? { "restore-drill.json": restoreDrill } : {}),
          },
        },
        { parent: wave, dependsOn: verification.smokeTest ? [verification.smokeTest] : [] },
      );
      return { verification, restorePoint, restoreDrill };
    },
  };
}

/** The restore point this window's backups make, once they are taken; undefined outside a window. */
function windowRestorePoint(
  ctx: PlatformContext,
  backups: PreUpgradeBackup | undefined,
): pulumi.Output<RestorePoint> | undefined {
  const { window, deployed, config } = ctx;
  if (!backups || !window) return undefined;
  const fromSetDigest = deployed?.release === window.from ? deployed.setDigest : null;
  return backups.backups.apply((b) => ({
    from: window.from,
    to: config.release,
    backups: b,
    openBaoSnapshot: backups.snapshotFile,
    fromSetDigest,
  }));
}
