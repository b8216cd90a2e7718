import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FIRST_PARTY, getRelease, Release, setDigest } from "../lib/catalog";
import type { StackConfig } from "../lib/config";
import type { DeployedState } from "../lib/deployed";
import type { ProgramInputs } from "../lib/inputs";
import { mirrored } from "../lib/images";
import { IDENTITY_DB, OPERATOR_NAMESPACE, PLATFORM_DB } from "../lib/names";
import { ReleaseRecordData } from "../lib/record";
import { gatewayTracks, workloadVersions } from "../lib/versions";
import type { UpgradeWindow } from "../lib/window";
import { waveOrder, WaveId } from "../lib/waves";
import { ControlPlaneApi } from "./api";
import { PreUpgradeBackup } from "./backup";
import { Console } from "./console";
import { Gateway } from "./gateway";
import { Identity } from "./identity";
import { NetworkIsolation } from "./network";
import { Operators } from "./operators";
import { PostgresCluster } from "./postgres";
import { ReleaseRecord } from "./releaseRecord";
import { OpenBao } from "./secrets";
import { RESTRICTED_NAMESPACE_LABELS } from "./security";
import { Verification, VerificationResult } from "./verification";
import { WaveSequence } from "./wave";
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
  /** The window's pre-upgrade backups: what a rollback with data restores. Null outside a window. */
  restorePoint: pulumi.Output<{ from: string; to: string; backupIds: Record<string, string>; openBaoSnapshot: string }> | null;
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
    const { config, catalog, charts, window, deployed } = args;
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
      pulumi.log.warn(`lockstep:upgrade.gatewayCanaryPercent (${config.upgrade.gatewayCanaryPercent}) is ignored: every workload already runs ${config.release}, so no upgrade window is open and no canary runs`, this);
    }

    const order = waveOrder(window !== undefined);
    const waves = new WaveSequence(this, order);
    const backups = waves.runIfPlanned("pre-upgrade-backup", (wave) => window && new PreUpgradeBackup("pre-upgrade-backup", {
      namespace: ns, from: window.from, to: config.release, clusters: [PLATFORM_DB, IDENTITY_DB], snapshotDir: config.backup.snapshotDir,
    }, { parent: wave }));
    waves.run("platform-services", (wave) => {
      const namespace = new k8s.core.v1.Namespace("platform-namespace", {
        metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS },
      }, { parent: wave, retainOnDelete: true });
      new NetworkIsolation("network", {
        namespace: ns, operatorNamespace: OPERATOR_NAMESPACE, gatewayNamespace: config.route.gatewayNamespace ?? ns,
        objectStorePort: objectStorePort(config.backup.endpointURL),
      }, { parent: wave, dependsOn: [namespace] });
      const operators = new Operators("operators", {
        release, charts, mirror: catalog.mirror, cnpgValues: config.chartValues.cnpgOperator, barmanValues: config.chartValues.barmanCloudPlugin, secretValues, awaitRollout,
      }, { parent: wave });
      new OpenBao("secrets", {
        release, chart: charts.openbao, mirror: catalog.mirror, namespace: ns, ha: config.ha, stackValues: config.chartValues.openbao, secretValues, awaitRollout,
      }, { parent: wave, dependsOn: [namespace] });
      new Identity("identity", {
        release, chart: charts.identity, mirror: catalog.mirror, namespace: ns, ha: config.ha, backup: config.backup, stackValues: config.chartValues.identity, secretValues, awaitRollout,
      }, { parent: wave, dependsOn: [namespace, operators] });
    });
    const database = waves.run("database", (wave) => new PostgresCluster(PLATFORM_DB, {
      namespace: ns, image: mirrored(release.postgres.image, catalog.mirror), database: "platform", instances: config.ha ? 3 : 1, backup: config.backup, awaitRollout,
    }, { parent: wave }));
    const api = waves.run("api", (wave) => new ControlPlaneApi("control-plane-api", {
      namespace: ns, ...imageOf("api", config.release),
      databaseSecret: database.appSecretName, ha: config.ha, awaitRollout,
    }, { parent: wave }));
    waves.run("gateways", (wave) => new Gateway("gateways", {
      namespace: ns,
      stable: imageOf("gateway", gateways.stable),
      canary: gateways.canary ? { ...imageOf("gateway", gateways.canary.version), percent: gateways.canary.percent } : undefined,
      apiUrl: api.url,
      parentGateway: { name: config.route.gatewayName, namespace: config.route.gatewayNamespace ?? ns },
      hostnames: config.route.hostnames,
      ha: config.ha,
      awaitRollout,
    }, { parent: wave }));
    waves.run("console", (wave) => new Console("console", {
      namespace: ns,
      colors: { blue: imageOf("console", config.console.blue), green: imageOf("console", config.console.green) },
      live: config.console.live, apiUrl: api.url, ha: config.ha, awaitRollout,
    }, { parent: wave }));
    waves.run("workers", (wave) => new Workers("workers", {
      namespace: ns, ...imageOf("workers", config.release),
      databaseSecret: database.appSecretName, apiUrl: api.url, ha: config.ha, awaitRollout, rollout: release.components.workers.rollout,
    }, { parent: wave }));
    const verification = waves.run("verification", (wave) => {
      const smoke = new Verification("verification", {
        stack: args.stack, version: config.release, setDigest: digest, consoleLive: config.console.live,
        canaryPercent: gateways.canary?.percent, smoke: config.smoke,
      }, { parent: wave });
      new ReleaseRecord("release-record", { namespace: ns, record: recordOf(args.stack, config, digest, window, deployed) }, {
        parent: wave, dependsOn: smoke.smokeTest ? [smoke.smokeTest] : [],
      });
      return smoke;
    });

    this.outputs = {
      release: { version: config.release, setDigest: digest },
      components: componentsOf(release),
      workloads: workloadVersions(config, window),
      waves: order.map(({ id, title, after }) => ({ id, title, after })),
      consoleLive: config.console.live,
      upgradeWindow: window ? { from: window.from, to: window.to, mode: window.mode, gatewayCanaryPercent: window.gatewayCanaryPercent ?? null } : null,
      restorePoint: backups ? pulumi.output({ from: window?.from as string, to: config.release, backupIds: backups.backupIds, openBaoSnapshot: backups.snapshotFile }) : null,
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

export function recordOf(stack: string, config: StackConfig, digest: string, window: UpgradeWindow | undefined, deployed: DeployedState | null): ReleaseRecordData {
  return {
    stack,
    release: config.release,
    setDigest: digest,
    environment: config.environment,
    namespace: config.namespace,
    upgradeFrom: window?.from ?? null,
    upgradeMode: window?.mode ?? "rolling",
    gatewayCanaryPercent: window?.gatewayCanaryPercent ?? null,
    console: config.console,
    kubernetesVersion: config.kubernetesVersion ?? null,
    databaseCluster: PLATFORM_DB,
    promotion: config.promotion ?? null,
    // Only a window needs the starting point; outside one the record must not change from one up to the next.
    deployed: window && deployed ? { release: deployed.release, workloads: deployed.workloads } : null,
  };
}
