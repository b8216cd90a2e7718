import * as pulumi from "@pulumi/pulumi";
import { clusterEnvironment } from "../lib/config/cluster";
import type { ProgramInputs } from "../lib/config/inputs";
import { PROJECT_ROOT } from "../lib/core/paths";
import { FIRST_PARTY, partDigests, Release, setDigest } from "../lib/release/catalog";
import type { DatabaseKey } from "../lib/recovery/recoveryConfig";
import type { DeployedDatabase } from "../lib/recovery/restore";
import { workloadVersions } from "../lib/rollout/versions";
import { waveOrder, WaveId } from "../lib/rollout/waves";
import type { DrillResult, RestorePoint } from "../lib/state/deployed";
import { versionSlug } from "./backup";
import { waveBuilders, WaveResults } from "./platformWaves";
import type { VerificationResult } from "./verification";
import { WaveSequence } from "./wave";

export { objectStorePort } from "./platformWaves";

export interface PlatformArgs extends ProgramInputs {
  /** Stack name, recorded with the release and passed to the smoke test. */
  stack: string;
}

export interface PlatformOutputs {
  release: { version: string; setDigest: string; parts: Record<string, string> };
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
    const { config, window, deployed, databases, rollback, release } = args;
    if (!window && config.upgrade?.gatewayCanaryPercent !== undefined) {
      // The engine prints the warning; nothing waits for it.
      void pulumi.log.warn(
        `lockstep:upgrade.gatewayCanaryPercent (${config.upgrade.gatewayCanaryPercent}) is ignored: every workload already runs ${config.release}, so no upgrade window is open and no canary runs`,
        this,
      );
    }
    const digest = setDigest(release);
    // Writers stop only where some run (a new stack has none): before a restore replaces the database they
    // write to, or before the API of a coordinated window migrates the schema they read.
    const writersDown = databases.platform.recovering && deployed !== null;
    const coordinated = window?.mode === "coordinated" && rollback === undefined && deployed !== null;
    const order = waveOrder({
      upgradeWindow: window !== undefined,
      writersDown,
      restoreDrill: config.restoreDrill !== undefined,
      rollback: rollback !== undefined,
      coordinated,
    });
    const stopKey = writersDown
      ? (config.restore?.name ?? "restore")
      : coordinated && window
        ? `${versionSlug(window.from)}-to-${versionSlug(window.to)}`
        : undefined;
    const build = waveBuilders({
      ...args,
      setDigest: digest,
      clusterEnv: clusterEnvironment(config.cluster, PROJECT_ROOT),
      writersStopped: stopKey,
    });
    const sequence = new WaveSequence(this, order);
    const results = order.reduce<WaveResults>(
      (earlier, { id }) => ({ ...earlier, ...sequence.run(id, (wave) => build[id](wave, earlier)) }),
      {},
    );
    if (!results.verification) throw new Error("the wave order must end with verification");

    this.outputs = {
      release: { version: config.release, setDigest: digest, parts: partDigests(release) },
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
      restorePoint: results.restorePoint ?? null,
      restoreDrill: results.restoreDrill ?? null,
      verification: results.verification.result,
    };
    this.registerOutputs({ ...this.outputs });
  }
}

function componentsOf(release: Release): Record<string, { version: string; image: string }> {
  return Object.fromEntries(FIRST_PARTY.map((c) => [c, { ...release.components[c] }]));
}
