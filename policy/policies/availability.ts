/** Availability policies: disruption budgets and spread for replicated Deployments, and safe rolling updates. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { LABELS } from "../../lib/core/names";
import { valueAt } from "../../lib/core/objects";
import { catalog, deployments, selects, TYPES } from "./context";
import { Container, deploymentShape, helmReleaseShape, labelsOf, pdbShape, view } from "./shapes";

/** Resolves an int-or-percent against `replicas`, rounding up as the disruption controller does. */
export function scaled(value: number | string, replicas: number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  return match ? Math.ceil((Number(match[1]) * replicas) / 100) : NaN;
}

export const disruptionBudget: StackValidationPolicy = {
  name: "disruption-budget",
  description:
    "Checks whether every Deployment with more than one replica has a PodDisruptionBudget that selects it, allows at least one disruption and keeps at least one pod, and spreads its pods with anti-affinity or a topology spread.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const pdbs = args.resources
      .filter((r) => r.type === TYPES.pdb)
      .flatMap((r) => {
        const pdb = view(pdbShape, r.props);
        return pdb ? [{ resource: r, pdb }] : [];
      });
    for (const w of deployments(args.resources)) {
      const replicas = w.deployment.spec?.replicas ?? 1;
      if (replicas <= 1) continue;
      const podLabels = w.deployment.spec?.template?.metadata?.labels ?? {};
      const namespace = w.deployment.metadata?.namespace;
      const budget = pdbs.find(
        ({ pdb }) => pdb.metadata?.namespace === namespace && selects(pdb.spec?.selector?.matchLabels, podLabels),
      );
      if (!budget) {
        reportViolation(
          `Deployment ${w.name} has ${replicas} replicas and must have a PodDisruptionBudget selecting its pods`,
          w.resource.urn,
        );
      } else {
        const spec = budget.pdb.spec ?? {};
        const allowed =
          spec.maxUnavailable !== undefined
            ? scaled(spec.maxUnavailable, replicas)
            : spec.minAvailable !== undefined
              ? replicas - scaled(spec.minAvailable, replicas)
              : NaN;
        if (!(allowed >= 1))
          reportViolation(
            `PodDisruptionBudget ${budget.resource.name} must allow at least one disruption of ${w.name} (${replicas} replicas), or node drains block forever`,
            budget.resource.urn,
          );
        else if (!(replicas - allowed >= 1))
          reportViolation(
            `PodDisruptionBudget ${budget.resource.name} must keep at least one ${w.name} pod available`,
            budget.resource.urn,
          );
      }
      const pod = w.deployment.spec?.template?.spec;
      if (!pod?.affinity?.podAntiAffinity && !pod?.topologySpreadConstraints?.length) {
        reportViolation(
          `Deployment ${w.name} has ${replicas} replicas and must spread them with pod anti-affinity or a topology spread constraint`,
          w.resource.urn,
        );
      }
    }
  },
};

/** Seconds a preStop hook holds the pod: `sleep N` in an exec hook, or the sleep action. */
export function preStopSeconds(container: Container): number | undefined {
  const preStop = container.lifecycle?.preStop;
  if (!preStop) return undefined;
  if (preStop.sleep) return preStop.sleep.seconds;
  const match = /\bsleep\s+(\d+)/.exec((preStop.exec?.command ?? []).join(" "));
  return match ? Number(match[1]) : 0;
}

/** Components behind the gateway's traffic path, whose pods must drain before they stop. */
const DRAINED_COMPONENTS = new Set(["api", "gateway"]);

export const rollingSafety: ResourceValidationPolicy = {
  name: "rolling-safety",
  description:
    "Checks whether lockstep Deployments roll with maxUnavailable 0 and maxSurge at least 1 (workers may Recreate only where the catalog says they must not overlap), whether API and gateway containers have readiness probes, a preStop hook and a grace period longer than it, and whether OpenBao's StatefulSet rolls its pods (RollingUpdate) instead of waiting for a manual delete.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === TYPES.helmRelease) {
      const release = view(helmReleaseShape, args.props);
      if (release?.name === "openbao") {
        const strategy = valueAt(release.values, ["server", "updateStrategyType"]);
        if (strategy !== "RollingUpdate")
          reportViolation(
            `OpenBao's server.updateStrategyType must be RollingUpdate, not ${JSON.stringify(strategy ?? "unset (the chart's OnDelete)")}: with OnDelete a chart or image change never replaces the running pods`,
          );
      }
      return;
    }
    if (args.type !== TYPES.deployment) return;
    const labels = labelsOf(args.props);
    const component = labels[LABELS.component];
    const version = labels[LABELS.version];
    if (!component) return;
    const deployment = view(deploymentShape, args.props);
    const strategy = deployment?.spec?.strategy;
    const recreateAllowed =
      component === "workers" &&
      !!version &&
      catalog().releases.get(version)?.components.workers.rollout === "recreate";
    if (strategy?.type === "Recreate") {
      if (!recreateAllowed)
        reportViolation(
          `${component} must use strategy RollingUpdate; Recreate is only for workers whose release says rollout: recreate`,
        );
    } else {
      if (strategy?.type !== "RollingUpdate")
        reportViolation(
          `${component} must use strategy RollingUpdate, not ${JSON.stringify(strategy?.type ?? "unset")}`,
        );
      const { maxUnavailable, maxSurge } = strategy?.rollingUpdate ?? {};
      if (maxUnavailable !== 0 && maxUnavailable !== "0%") {
        reportViolation(
          `${component} rollingUpdate.maxUnavailable must be 0, so a new pod is Ready before an old one goes, not ${JSON.stringify(maxUnavailable ?? "unset (25%)")}`,
        );
      }
      if (
        !(typeof maxSurge === "number" ? maxSurge >= 1 : typeof maxSurge === "string" && /^[1-9]\d*%?$/.test(maxSurge))
      ) {
        reportViolation(
          `${component} rollingUpdate.maxSurge must be at least 1, not ${JSON.stringify(maxSurge ?? "unset")}`,
        );
      }
    }
    if (!DRAINED_COMPONENTS.has(component)) return;
    const pod = deployment?.spec?.template?.spec;
    const grace = pod?.terminationGracePeriodSeconds ?? 30;
    for (const container of pod?.containers ?? []) {
      if (!container.readinessProbe)
        reportViolation(`${component} container ${container.name} must have a readiness probe`);
      const sleep = preStopSeconds(container);
      if (sleep === undefined)
        reportViolation(
          `${component} container ${container.name} must have a preStop hook so in-flight requests finish`,
        );
      else if (grace <= sleep)
        reportViolation(
          `${component} terminationGracePeriodSeconds (${grace}) must be greater than the preStop delay (${sleep}s)`,
        );
    }
  },
};
