/**
 * Preflight's capacity row: the rollout's peak (lib/rollout/capacity.ts) from the offline plan's
 * Deployments, against what the cluster's nodes can still hold.
 */
import { LABELS, PART_OF } from "../../lib/core/names";
import {
  Amount,
  amountOf,
  capacityMargin,
  PlannedDeployment,
  Requests,
  showCpu,
  showMemory,
  sum,
  surgePeak,
} from "../../lib/rollout/capacity";
import type { PlanResult } from "../../plan/plan";
import type { CliEnv, CommandOutput } from "../env";

type Kubectl = CliEnv["kubectl"];
interface Row {
  check: string;
  status: "✓" | "✗" | "–";
  reason: string;
}

interface Container {
  resources?: { requests?: Requests };
}
interface DeploymentProps {
  spec?: {
    replicas?: number;
    strategy?: { type?: string; rollingUpdate?: { maxSurge?: string | number } };
    template?: { spec?: { containers?: Container[] } };
  };
}
interface NodeList {
  items?: {
    spec?: { unschedulable?: boolean };
    status?: { allocatable?: Requests; conditions?: { type: string; status: string }[] };
  }[];
}
interface PodList {
  items?: {
    metadata?: { namespace?: string; labels?: Record<string, string> };
    spec?: { containers?: Container[] };
  }[];
}

const podAmount = (containers: Container[] | undefined): Amount =>
  sum((containers ?? []).map((c) => amountOf(c.resources?.requests)));

/** The plan's Deployments with the wave each belongs to and one pod's requests. */
export function plannedDeployments(result: Pick<PlanResult, "resources" | "waves">): PlannedDeployment[] {
  const waveOf = new Map(result.waves.flatMap((w) => w.resources.map((name) => [name, w.id] as const)));
  return result.resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
    .map((r) => {
      const spec = (r.props as DeploymentProps).spec;
      return {
        name: r.name,
        wave: waveOf.get(r.name) ?? "(none)",
        replicas: spec?.replicas ?? 1,
        maxSurge: spec?.strategy?.rollingUpdate?.maxSurge,
        recreate: spec?.strategy?.type === "Recreate",
        pod: podAmount(spec?.template?.spec?.containers),
      };
    });
}

function parsed<T>(r: CommandOutput): T | undefined {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return undefined;
  }
}

const lastLine = (r: CommandOutput) => (r.stderr.trim().split("\n").pop() || `exit ${r.status}`).slice(0, 160);
const show = (a: Amount) => `${showCpu(a.cpuMillis)} and ${showMemory(a.memoryBytes)}`;

/**
 * ✓ with the margin when the peak fits on the schedulable, Ready nodes beside what already runs (less the
 * platform's own Deployments, which the plan replaces); ✗ naming what is short. A cluster that does not
 * answer, or lists no nodes, is not judged.
 */
export function capacityRow(kubectl: Kubectl, namespace: string, result: PlanResult | undefined): Row {
  const check = "cluster capacity";
  if (!result)
    return { check, status: "–", reason: "not judged without the plan's Deployments (--skip-plan, or a refused plan)" };
  const timeout = "--request-timeout=5s";
  const nodesOut = kubectl(["get", "nodes", "-o", "json", timeout]);
  if (nodesOut.status !== 0)
    return {
      check,
      status: "–",
      reason: `not checkable offline: no reachable cluster (kubectl: ${lastLine(nodesOut)})`,
    };
  const nodes = parsed<NodeList>(nodesOut)?.items;
  const podsOut = kubectl([
    "get",
    "pods",
    "--all-namespaces",
    "--field-selector=status.phase!=Succeeded,status.phase!=Failed",
    "-o",
    "json",
    timeout,
  ]);
  if (podsOut.status !== 0)
    return {
      check,
      status: "–",
      reason: `kubectl could not list the pods (${lastLine(podsOut)}), so what already runs is unknown`,
    };
  const pods = parsed<PodList>(podsOut)?.items;
  if (!nodes || !pods)
    return { check, status: "–", reason: "kubectl answered nodes or pods with something other than JSON" };
  const usable = nodes.filter(
    (n) => !n.spec?.unschedulable && n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
  if (usable.length === 0)
    return { check, status: "–", reason: `the cluster lists ${nodes.length} node(s), none schedulable and Ready` };
  const replaced = (labels: Record<string, string> = {}, ns?: string) =>
    ns === namespace && labels[LABELS.partOf] === PART_OF && labels[LABELS.managedBy] === "pulumi";
  let allocatable: Amount;
  let running: Amount;
  try {
    allocatable = sum(usable.map((n) => amountOf(n.status?.allocatable)));
    running = sum(
      pods
        .filter((p) => !replaced(p.metadata?.labels, p.metadata?.namespace))
        .map((p) => podAmount(p.spec?.containers)),
    );
  } catch (err) {
    return {
      check,
      status: "–",
      reason: `the cluster reports a quantity that cannot be added up: ${(err as Error).message}`,
    };
  }
  const peak = surgePeak(plannedDeployments(result));
  const margin = capacityMargin(allocatable, running, peak);
  const figures = `the rollout's peak ${show(peak)}; ${usable.length} node(s) allocate ${show(allocatable)}, of which other pods request ${show(running)}`;
  const short = [
    ...(margin.cpuMillis < 0 ? [`${showCpu(-margin.cpuMillis)} short`] : []),
    ...(margin.memoryBytes < 0 ? [`${showMemory(-margin.memoryBytes)} short`] : []),
  ];
  return short.length
    ? { check, status: "✗", reason: `${short.join(" and ")}: ${figures}` }
    : { check, status: "✓", reason: `margin ${show(margin)}: ${figures}` };
}
