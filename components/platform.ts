import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Catalog, FIRST_PARTY, getRelease, Release, setDigest } from "../lib/catalog";
import { openWindow, StackConfig } from "../lib/config";
import { ReleaseRecordData } from "../lib/record";
import { workloadVersions } from "../lib/versions";
import { planWaves, WaveId } from "../lib/waves";
import { ControlPlaneApi } from "./api";
import { PreUpgradeBackup } from "./backup";
import { Console } from "./console";
import { Gateway } from "./gateway";
import { Identity } from "./identity";
import { IDENTITY_DB, PLATFORM_DB } from "./labels";
import { Operators } from "./operators";
import { PostgresCluster } from "./postgres";
import { ReleaseRecord } from "./releaseRecord";
import { OpenBao } from "./secrets";
import { RESTRICTED_NAMESPACE_LABELS } from "./security";
import { Verification, VerificationResult } from "./verification";
import { Wave } from "./wave";
import { Workers } from "./workers";

export interface PlatformArgs {
  /** Stack name, recorded with the release and passed to the smoke test. */
  stack: string;
  /** Parsed and validated stack config. */
  config: StackConfig;
  /** The release catalog the config was validated against. */
  catalog: Catalog;
}

export interface PlatformOutputs {
  release: { version: string; setDigest: string };
  components: Record<string, { version: string; image: string }>;
  workloads: Record<string, string>;
  waves: { id: WaveId; title: string; after: WaveId[] }[];
  consoleLive: string;
  upgradeWindow: { from: string; to: string; gatewayCanaryPercent: number | null } | null;
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
    const { config, catalog } = args;
    const release = getRelease(catalog, config.release);
    const digest = setDigest(release);
    const window = openWindow(config);
    const ns = config.namespace;
    const awaitRollout = config.awaitRollouts;
    const imageOf = (component: (typeof FIRST_PARTY)[number], version: string) => getRelease(catalog, version).components[component];
    const apiUrl = `http://api.${ns}.svc`;
    // Which version each Deployment runs (stable vs canary gateway, ...) is decided once, in lib/versions.
    const workloadVersion = new Map(workloadVersions(config).map((w) => [w.workload, w.version]));
    if (!window && config.upgrade?.gatewayCanaryPercent !== undefined) {
      pulumi.log.warn(`lockstep:upgrade.gatewayCanaryPercent (${config.upgrade.gatewayCanaryPercent}) is ignored: upgrade.from equals release, so no upgrade window is open and no canary runs`, this);
    }

    let platformDb: PostgresCluster | undefined;
    let verification: Verification | undefined;
    const builders: Record<WaveId, (wave: Wave) => void> = {
      "pre-upgrade-backup": (wave) => {
        if (!window) return;
        new PreUpgradeBackup("pre-upgrade-backup", {
          namespace: ns, from: window.from, to: config.release, clusters: [PLATFORM_DB, IDENTITY_DB], snapshotDir: config.backup.snapshotDir,
        }, { parent: wave });
      },
      "platform-services": (wave) => {
        const namespace = new k8s.core.v1.Namespace("platform-namespace", {
          metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS },
        }, { parent: wave, retainOnDelete: true });
        const operators = new Operators("operators", {
          release, cnpgValues: config.chartValues.cnpgOperator, barmanValues: config.chartValues.barmanCloudPlugin, await: awaitRollout,
        }, { parent: wave });
        new OpenBao("secrets", {
          release, namespace: ns, ha: config.ha, stackValues: config.chartValues.openbao, await: awaitRollout,
        }, { parent: wave, dependsOn: [namespace] });
        new Identity("identity", {
          release, namespace: ns, ha: config.ha, backup: config.backup, stackValues: config.chartValues.identity, await: awaitRollout,
        }, { parent: wave, dependsOn: [namespace, operators] });
      },
      database: (wave) => {
        platformDb = new PostgresCluster(PLATFORM_DB, {
          namespace: ns, image: release.postgres.image, database: "platform", instances: config.ha ? 3 : 1, backup: config.backup,
        }, { parent: wave });
      },
      api: (wave) => {
        new ControlPlaneApi("control-plane-api", {
          namespace: ns, version: release.components.api.version, image: release.components.api.image,
          databaseSecret: platformDb?.appSecretName ?? `${PLATFORM_DB}-app`, ha: config.ha, awaitRollout,
        }, { parent: wave });
      },
      gateways: (wave) => {
        const canaryVersion = workloadVersion.get("gateway-canary");
        new Gateway("gateways", {
          namespace: ns,
          stable: imageOf("gateway", workloadVersion.get("gateway") as string),
          canary: canaryVersion ? { ...imageOf("gateway", canaryVersion), percent: window?.gatewayCanaryPercent ?? 0 } : undefined,
          apiUrl,
          parentGateway: { name: config.route.gatewayName, namespace: config.route.gatewayNamespace ?? ns },
          hostnames: config.route.hostnames,
          ha: config.ha,
          awaitRollout,
        }, { parent: wave });
      },
      console: (wave) => {
        new Console("console", {
          namespace: ns,
          colors: { blue: imageOf("console", config.console.blue), green: imageOf("console", config.console.green) },
          live: config.console.live, apiUrl, ha: config.ha, awaitRollout,
        }, { parent: wave });
      },
      workers: (wave) => {
        new Workers("workers", {
          namespace: ns, version: release.components.workers.version, image: release.components.workers.image,
          databaseSecret: platformDb?.appSecretName ?? `${PLATFORM_DB}-app`, apiUrl, ha: config.ha, awaitRollout,
        }, { parent: wave });
      },
      verification: (wave) => {
        verification = new Verification("verification", {
          stack: args.stack, version: config.release, setDigest: digest, consoleLive: config.console.live,
          canaryPercent: window?.gatewayCanaryPercent, smoke: config.smoke,
        }, { parent: wave });
        new ReleaseRecord("release-record", { namespace: ns, record: recordOf(args.stack, config, digest) }, {
          parent: wave, dependsOn: verification.smokeTest ? [verification.smokeTest] : [],
        });
      },
    };

    const plan = planWaves(window !== undefined);
    const built = new Map<WaveId, Wave>();
    for (const step of plan) {
      const wave = new Wave(step.id, { title: step.title, build: builders[step.id] }, {
        parent: this,
        dependsOn: step.after.map((id) => built.get(id) as Wave),
      });
      built.set(step.id, wave);
    }

    this.outputs = {
      release: { version: config.release, setDigest: digest },
      components: componentsOf(release),
      workloads: Object.fromEntries(workloadVersion),
      waves: plan.map(({ id, title, after }) => ({ id, title, after })),
      consoleLive: config.console.live,
      upgradeWindow: window ? { from: window.from, to: config.release, gatewayCanaryPercent: window.gatewayCanaryPercent ?? null } : null,
      verification: (verification as Verification | undefined)?.result
        ?? pulumi.output<VerificationResult>({ status: "skipped", version: config.release, setDigest: digest, verifiedAt: null }),
    };
    this.registerOutputs({ ...this.outputs });
  }
}

function componentsOf(release: Release): Record<string, { version: string; image: string }> {
  return Object.fromEntries(FIRST_PARTY.map((c) => [c, { ...release.components[c] }]));
}

export function recordOf(stack: string, config: StackConfig, digest: string): ReleaseRecordData {
  const window = openWindow(config);
  return {
    stack,
    release: config.release,
    setDigest: digest,
    environment: config.environment,
    namespace: config.namespace,
    upgradeFrom: window?.from ?? null,
    gatewayCanaryPercent: window?.gatewayCanaryPercent ?? null,
    console: config.console,
    kubernetesVersion: config.kubernetesVersion ?? null,
    databaseCluster: PLATFORM_DB,
    promotion: config.promotion ?? null,
  };
}
