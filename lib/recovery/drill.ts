/**
 * A restore drill: a scratch cluster recovers the latest backup of a database exactly as a restore would
 * (same spec builder, its own serverName), is checked, and is removed. Pure: the manifest is built here and
 * handed to `scripts/restore-drill.sh`, which applies, awaits, checks and deletes it.
 */
import type { DrillResult } from "../state/deployed";
import { LABELS, PART_OF } from "../core/names";
import { clusterSpec } from "./postgres";
import type { DatabasePlan } from "./restore";

export interface DrillArgs {
  namespace: string;
  /** Where the drilled database runs now: the drill recovers what that cluster archives. */
  plan: DatabasePlan;
  /** The drill's id (`lockstep:restoreDrill.id`). */
  id: string;
  /** PostgreSQL image of the running release. */
  image: string;
  /** @default "20Gi" */
  storageSize?: string;
}

export function drillClusterName(plan: Pick<DatabasePlan, "cluster">): string {
  return `${plan.cluster}-drill`;
}

/** The scratch Cluster as a Kubernetes object; it archives under `<cluster>-drill-<id>`, never the source's name. */
export function drillCluster(args: DrillArgs): Record<string, unknown> {
  const name = drillClusterName(args.plan);
  const source = args.plan.serverName;
  return {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    metadata: {
      name,
      namespace: args.namespace,
      labels: { [LABELS.partOf]: PART_OF, [LABELS.name]: name, [LABELS.drill]: args.id },
    },
    spec: clusterSpec({
      image: args.image,
      plan: args.plan,
      name,
      serverName: `${name}-${args.id}`,
      recovery: { name: `drill-${args.id}`, source, description: `the latest state of ${source}` },
      instances: 1,
      storageSize: args.storageSize ?? "20Gi",
      enablePDB: false,
    }),
  };
}

export interface DrillVerdict {
  ok: boolean;
  /** Days since the last passing drill finished; null when none is recorded. */
  ageDays: number | null;
  reason: string;
}

/** How old the last passing drill is, and whether it is within `maxDays` (no limit: any passing drill is ok). */
export function drillVerdict(drill: DrillResult | undefined, now: Date, maxDays?: number): DrillVerdict {
  if (!drill?.passed) {
    return {
      ok: false,
      ageDays: null,
      reason:
        "no passing restore drill is recorded in the stack's outputs (set lockstep:restoreDrill.id and run pulumi up)",
    };
  }
  const ageDays = (now.getTime() - Date.parse(drill.finishedAt)) / 86_400_000;
  const what = `restore drill ${drill.id} passed ${ageDays.toFixed(1)} days ago (${drill.cluster} recovered ${drill.source} in ${drill.seconds} s)`;
  if (maxDays !== undefined && ageDays > maxDays)
    return { ok: false, ageDays, reason: `${what}, older than the ${maxDays} days required` };
  return { ok: true, ageDays, reason: maxDays !== undefined ? `${what}, within ${maxDays} days` : what };
}
