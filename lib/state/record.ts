/** The release record the program writes into the cluster and the policy pack reads back. */
import { z } from "zod";
import { StackConfig, UPGRADE_MODES } from "../config/config";
import { DEFAULT_CANARY } from "../rollout/analysis";
import type { DeployedState } from "./deployed";
import type { PromotionSource } from "./promotion";
import { DATABASES, DatabaseKey, ROLLBACK_MODES } from "../recovery/recoveryConfig";
import type { DatabasePlan } from "../recovery/restore";
import type { RollbackPlan } from "../recovery/rollback";
import type { UpgradeWindow } from "./window";

const consoleSchema = z.object({ blue: z.string(), green: z.string(), live: z.enum(["blue", "green"]) });

export const releaseRecordSchema = z.object({
  stack: z.string(),
  release: z.string(),
  setDigest: z.string(),
  environment: z.enum(["staging", "prod"]),
  namespace: z.string(),
  /** The open window's source version, decided from the deployed state; null when closed. */
  upgradeFrom: z.string().nullable(),
  upgradeMode: z.enum(UPGRADE_MODES),
  gatewayCanaryPercent: z.number().nullable(),
  console: consoleSchema,
  /** The console colors as the last deployment left them: the live one keeps its version. Null on a first install. */
  consoleBefore: consoleSchema.nullable(),
  kubernetesVersion: z.string().nullable(),
  databaseCluster: z.string(),
  promotion: z
    .object({ version: z.string(), setDigest: z.string(), verifiedIn: z.string(), verifiedAt: z.string() })
    .nullable(),
  /**
   * The verifying stack's outputs, read when a production stack moves to a release: they must back the
   * promotion. Null when nothing needs them; `verification` null when nothing was read (an offline plan).
   */
  promotionSource: z
    .object({
      stack: z.string(),
      origin: z.string(),
      verification: z
        .object({
          version: z.string().nullable(),
          setDigest: z.string().nullable(),
          smoke: z.string(),
          verifiedAt: z.string().nullable(),
        })
        .nullable(),
    })
    .nullable(),
  /** What the stack ran before this deployment: the start of every intermediate state. Null on a first install. */
  deployed: z.object({ release: z.string(), workloads: z.record(z.string(), z.string()) }).nullable(),
  /** The cluster the window's pre-upgrade Backup must be of (what runs before it); null outside a window. */
  windowBackupCluster: z.string().nullable(),
  /** Every database's cluster the window must back up (what runs before it); null outside a window. */
  windowBackupClusters: z.partialRecord(z.enum(DATABASES), z.string()).nullable(),
  /** Where each database runs, and how it came back when it was restored. */
  databases: z.record(
    z.enum(DATABASES),
    z.object({
      cluster: z.string(),
      serverName: z.string(),
      /** The serverName it recovered from; null for an original cluster. */
      recoveredFrom: z.string().nullable(),
      /** The recovery happens in this deployment. */
      recovering: z.boolean(),
    }),
  ),
  /** The rollback this deployment performs, and why that kind. */
  rollback: z.object({ from: z.string(), to: z.string(), mode: z.enum(ROLLBACK_MODES), reason: z.string() }).nullable(),
  /** The restore drill configured, if any (its result is the record's restore-drill.json). */
  restoreDrill: z.object({ id: z.string(), database: z.enum(DATABASES) }).nullable(),
  /** How `lockstep canary` judges the canary, while one runs (lockstep:canary); null otherwise. */
  canaryAnalysis: z
    .object({
      steps: z.array(z.number()),
      metrics: z.record(
        z.string(),
        z.object({
          max: z.number().optional(),
          min: z.number().optional(),
          samples: z.number(),
          failureLimit: z.number(),
          onNoData: z.string(),
          interval: z.string(),
        }),
      ),
    })
    .nullable()
    .optional(),
});

export type ReleaseRecordData = z.infer<typeof releaseRecordSchema>;

export interface RecordInputs {
  stack: string;
  config: StackConfig;
  setDigest: string;
  window: UpgradeWindow | undefined;
  deployed: DeployedState | null;
  databases: Record<DatabaseKey, DatabasePlan>;
  rollback: RollbackPlan | undefined;
  /** The verifying stack's outputs a moving production stack's promotion is checked against. @default null */
  promotionSource?: PromotionSource | null;
}

/** The cluster a database ran on before this deployment: the one a window backs up. */
export function runningCluster(
  deployed: DeployedState | null,
  plan: DatabasePlan,
): { cluster: string; serverName: string } {
  const before = deployed?.databases?.[plan.key];
  return before
    ? { cluster: before.cluster, serverName: before.serverName }
    : { cluster: plan.origin, serverName: plan.origin };
}

/** The record, from inputs alone: known at preview, so the policy pack can read it. */
export function recordOf({
  stack,
  config,
  setDigest,
  window,
  deployed,
  databases,
  rollback,
  promotionSource = null,
}: RecordInputs): ReleaseRecordData {
  return {
    stack,
    release: config.release,
    setDigest,
    environment: config.environment,
    namespace: config.namespace,
    upgradeFrom: window?.from ?? null,
    upgradeMode: window?.mode ?? "rolling",
    gatewayCanaryPercent: window?.gatewayCanaryPercent ?? null,
    console: config.console,
    consoleBefore: deployed ? consoleOf(deployed, config.console) : null,
    kubernetesVersion: config.kubernetesVersion ?? null,
    databaseCluster: databases.platform.cluster,
    promotion: config.promotion ?? null,
    promotionSource,
    // Only a window needs the starting point; outside one the record must not change from one up to the next.
    deployed: window && deployed ? { release: deployed.release, workloads: deployed.workloads } : null,
    windowBackupCluster: window ? runningCluster(deployed, databases.platform).cluster : null,
    windowBackupClusters: window
      ? Object.fromEntries(Object.values(databases).map((d) => [d.key, runningCluster(deployed, d).cluster]))
      : null,
    canaryAnalysis:
      window?.gatewayCanaryPercent === undefined
        ? null
        : {
            steps: (config.canary ?? DEFAULT_CANARY).steps,
            metrics: Object.fromEntries(
              Object.entries((config.canary ?? DEFAULT_CANARY).metrics).map(([name, m]) => [
                name,
                {
                  ...(m.max !== undefined ? { max: m.max } : {}),
                  ...(m.min !== undefined ? { min: m.min } : {}),
                  samples: m.samples,
                  failureLimit: m.failureLimit,
                  onNoData: m.onNoData,
                  interval: m.interval,
                },
              ]),
            ),
          },
    databases: Object.fromEntries(
      Object.values(databases).map((d) => [
        d.key,
        {
          cluster: d.cluster,
          serverName: d.serverName,
          recoveredFrom: d.recovery?.source ?? null,
          recovering: d.recovering,
        },
      ]),
    ) as ReleaseRecordData["databases"],
    rollback: rollback ?? null,
    restoreDrill: config.restoreDrill ? { id: config.restoreDrill.id, database: config.restoreDrill.database } : null,
  };
}

/**
 * The colors the last deployment ran, while they differ from the stack's: like `deployed`, the record at
 * rest must not change from one up to the next. Its outputs name the live one; a record typed for the
 * offline plan (`--deployed 1.5.0`) may not, and then the live color is taken as the stack file's.
 */
function consoleOf(deployed: DeployedState, configured: StackConfig["console"]): ReleaseRecordData["consoleBefore"] {
  const blue = deployed.workloads["console-blue"];
  const green = deployed.workloads["console-green"];
  if (!blue || !green) return null;
  const live = deployed.consoleLive ?? configured.live;
  const same = blue === configured.blue && green === configured.green && live === configured.live;
  return same ? null : { blue, green, live };
}
