import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FIRST_PARTY, getRelease, Release, setDigest } from "../lib/release/catalog";
import { clusterEnvironment } from "../lib/config/cluster";
import type { DrillResult, RestorePoint } from "../lib/state/deployed";
import type { ProgramInputs } from "../lib/config/inputs";
import { mirrored } from "../lib/release/images";
import { OPERATOR_NAMESPACE } from "../lib/core/names";
import { PROJECT_ROOT } from "../lib/core/paths";
import { recordOf, runningCluster } from "../lib/state/record";
import type { DatabaseKey } from "../lib/recovery/recoveryConfig";
import { appSecretName, DeployedDatabase } from "../lib/recovery/restore";
import { componentOf, gatewayTracks, workloadVersions, WORKLOADS } from "../lib/rollout/versions";
import { waveOrder, WaveId } from "../lib/rollout/waves";
import { apiServiceUrl, ControlPlaneApi } from "./api";
import { PreUpgradeBackup } from "./backup";
import { Console } from "./console";
import { Gateway } from "./gateway";
import { Identity } from "./identity";
import { NetworkIsolation } from "./network";
import { Operators } from "./operators";
import { PostgresCluster } from "./postgres";
import { OpenBaoRestore, RestoreDrill, WritersDown } from "./recovery";
import { ReleaseRecord } from "./releaseRecord";
import { OpenBao } from "./secrets";
import { RESTRICTED_NAMESPACE_LABELS } from "./security";
import { Verification, VerificationResult } from "./verification";
import { Wave, WaveSequence } from "./wave";
import { Workers } from "./workers";

export interface PlatformArgs extends ProgramInputs {
  /** Stack name, recorded with the release and passed to the smoke test. */
  stack: string;
}

export interface PlatformOutputs {
  release: { version: string; setDigest: string };
  components: Record<string, { version: string; image: string }>;
  workloads: Record<string, string>;
  waves: { id: WaveId; title: string; after: WaveId[] }[];
  consoleLive: string;
  upgradeWindow: { from: string; to: string; mode: string; gatewayCanaryPercent: number | null } | null;
  /** Where each database runs: what the next deployment reads to tell a new restore from a finished one. */
  databases: Record<DatabaseKey, DeployedDatabase>;
  /** The last window's pre-upgrade backups: what a rollback with data restores. Kept after the window closes. */
  restorePoint: pulumi.Output<RestorePoint> | RestorePoint | null;
  /** The last passing restore drill, kept until the next one. */
  restoreDrill: pulumi.Output<DrillResult> | DrillResult | null;
  verification: pulumi.Output<VerificationResult>;
}

/**
 * The whole platform at one release set, declared wave by wave in the upgrade order:
 * backups -> secrets/identity/operators -> database -> API -> gateways -> console -> workers -> verification.
 */
export class Platform extends pulumi.ComponentResource {
  readonly outputs: PlatformOutputs;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:platform:Platform", name, {}, opts);
    const { config, catalog, charts, window, deployed, databases, rollback } = args;
    const release = getRelease(catalog, config.release);
    const digest = setDigest(release);
    const ns = config.namespace;
    const awaitRollout = config.awaitRollouts;
    const secretValues = config.secretKeys.includes("chartValues");
    // Every image by the catalog's digest, pulled from the catalog's mirror when it names one.
    const imageOf = (component: (typeof FIRST_PARTY)[number], version: string) => {
      const pin = getRelease(catalog, version).components[component];
      return { version: pin.version, image: mirrored(pin.image, catalog.mirror) };
    };
    const gateways = gatewayTracks(config.release, window);
    if (!window && config.upgrade?.gatewayCanaryPercent !== undefined) {
      // The engine prints the warning; nothing waits for it.
      void pulumi.log.warn(
        `lockstep:upgrade.gatewayCanaryPercent (${config.upgrade.gatewayCanaryPercent}) is ignored: every workload already runs ${config.release}, so no upgrade window is open and no canary runs`,
        this,
      );
    }

    const restore = config.restore;
    // Writers stop only where a restore replaces the database they write to (a new stack has none running).
    const writersDown = databases.platform.recovering && deployed !== null;
    const order = waveOrder({
      upgradeWindow: window !== undefined,
      writersDown,
      restoreDrill: config.restoreDrill !== undefined,
      rollback: rollback !== undefined,
    });
    const postgresImage = mirrored(release.postgres.image, catalog.mirror);
    // Known before any wave is declared, so the waves can run in either direction (a rollback reverses the workloads).
    const apiUrl = apiServiceUrl(ns);
    const databaseSecret = appSecretName(databases.platform);
    // The scripts' kubectl targets the same cluster as the provider.
    const clusterEnv = clusterEnvironment(config.cluster, PROJECT_ROOT);

    let backups: PreUpgradeBackup | undefined;
    let drill: RestoreDrill | undefined;
    let verification: Verification | undefined;
    const build: Record<WaveId, (wave: Wave) => void> = {
      "pre-upgrade-backup": (wave) => {
        if (!window) return;
        backups = new PreUpgradeBackup(
          "pre-upgrade-backup",
          {
            namespace: ns,
            from: window.from,
            to: config.release,
            snapshotDir: config.backup.snapshotDir,
            clusterEnv,
            databases: Object.values(databases).map((d) => ({ key: d.key, ...runningCluster(deployed, d) })),
          },
          { parent: wave },
        );
      },
      "writers-down": (wave) =>
        new WritersDown(
          "writers-down",
          {
            namespace: ns,
            restoreName: restore?.name ?? "",
            clusterEnv,
            deployments: WORKLOADS.filter((w) => ["api", "workers"].includes(componentOf(w) ?? "")),
          },
          { parent: wave },
        ),
      "platform-services": (wave) => {
        const namespace = new k8s.core.v1.Namespace(
          "platform-namespace",
          {
            metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS },
          },
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
        if (restore?.openbaoSnapshot) {
          new OpenBaoRestore(
            "openbao-restore",
            {
              namespace: ns,
              snapshotFile: restore.openbaoSnapshot,
              force: restore.openbaoForce,
              restoreName: restore.name,
              clusterEnv,
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
          },
          { parent: wave, dependsOn: [namespace, operators] },
        );
      },
      database: (wave) =>
        new PostgresCluster(
          databases.platform.origin,
          {
            namespace: ns,
            image: postgresImage,
            plan: databases.platform,
            instances: config.ha ? 3 : 1,
            backup: config.backup,
            awaitRollout,
          },
          { parent: wave },
        ),
      api: (wave) =>
        new ControlPlaneApi(
          "control-plane-api",
          {
            namespace: ns,
            ...imageOf("api", config.release),
            databaseSecret,
            ha: config.ha,
            awaitRollout,
          },
          { parent: wave },
        ),
      gateways: (wave) =>
        new Gateway(
          "gateways",
          {
            namespace: ns,
            stable: imageOf("gateway", gateways.stable),
            canary: gateways.canary
              ? { ...imageOf("gateway", gateways.canary.version), percent: gateways.canary.percent }
              : undefined,
            apiUrl,
            parentGateway: { name: config.route.gatewayName, namespace: config.route.gatewayNamespace ?? ns },
            hostnames: config.route.hostnames,
            ha: config.ha,
            awaitRollout,
          },
          { parent: wave },
        ),
      console: (wave) =>
        new Console(
          "console",
          {
            namespace: ns,
            colors: { blue: imageOf("console", config.console.blue), green: imageOf("console", config.console.green) },
            live: config.console.live,
            apiUrl,
            ha: config.ha,
            awaitRollout,
          },
          { parent: wave },
        ),
      workers: (wave) =>
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
          },
          { parent: wave },
        ),
      "restore-drill": (wave) => {
        if (!config.restoreDrill) return;
        drill = new RestoreDrill(
          "restore-drill",
          {
            namespace: ns,
            plan: databases[config.restoreDrill.database],
            id: config.restoreDrill.id,
            image: postgresImage,
            timeoutSeconds: config.restoreDrill.timeoutSeconds,
            clusterEnv,
          },
          { parent: wave },
        );
      },
      verification: (wave) => {
        const smoke = new Verification(
          "verification",
          {
            stack: args.stack,
            version: config.release,
            setDigest: digest,
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
            record: recordOf({ stack: args.stack, config, setDigest: digest, window, deployed, databases, rollback }),
            evidence: {
              ...(restorePoint ? { "restore-point.json": restorePoint } : {}),
              ...(restoreDrill ? { "restore-drill.json": restoreDrill } : {}),
            },
          },
          { parent: wave, dependsOn: smoke.smokeTest ? [smoke.smokeTest] : [] },
        );
        verification = smoke;
      },
    };
    // Evidence outlives its wave: the last window's backups and the last passing drill stay in the outputs.
    let restorePoint: PlatformOutputs["restorePoint"] = deployed?.restorePoint ?? null;
    let restoreDrill: PlatformOutputs["restoreDrill"] = deployed?.restoreDrill ?? null;
    const sequence = new WaveSequence(this, order);
    for (const { id } of order) {
      if (id === "verification") {
        const taken = backups;
        if (taken && window) {
          const fromSetDigest = deployed?.release === window.from ? deployed.setDigest : null;
          restorePoint = taken.backups.apply((b) => ({
            from: window.from,
            to: config.release,
            backups: b,
            openBaoSnapshot: taken.snapshotFile,
            fromSetDigest,
          }));
        }
        if (drill) restoreDrill = drill.result;
      }
      sequence.run(id, build[id]);
    }
    if (!verification) throw new Error("the wave order must end with verification");

    this.outputs = {
      release: { version: config.release, setDigest: digest },
      components: componentsOf(release),
      workloads: workloadVersions(config, window),
      waves: order.map(({ id, title, after }) => ({ id, title, after })),
      consoleLive: config.console.live,
      upgradeWindow: window
        ? {
            from: window.from,
            to: window.to,
            mode: window.mode,
            gatewayCanaryPercent: window.gatewayCanaryPercent ?? null,
          }
        : null,
      databases: Object.fromEntries(
        Object.values(databases).map((d) => [
          d.key,
          { cluster: d.cluster, serverName: d.serverName, keptOrigin: d.keepOrigin && !!d.recovery },
        ]),
      ) as Record<DatabaseKey, DeployedDatabase>,
      restorePoint,
      restoreDrill,
      verification: verification.result,
    };
    this.registerOutputs({ ...this.outputs });
  }
}

/** The port backups reach the object store on: the endpoint's, or 443 (https) when it names none. */
export function objectStorePort(endpointURL: string | undefined): number {
  if (!endpointURL) return 443;
  const url = new URL(endpointURL);
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

function componentsOf(release: Release): Record<string, { version: string; image: string }> {
  return Object.fromEntries(FIRST_PARTY.map((c) => [c, { ...release.components[c] }]));
}
