/** Version policies: compatibility in every state of the rollout, upgrade paths, blue/green and canary traffic. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { compatibleBeside } from "../../lib/release/compatibility";
import { LABELS } from "../../lib/core/names";
import { checkRollout } from "../../lib/rollout/rollout";
import { liveColorRefusal, upgradePathRefusal } from "../../lib/state/gates";
import { waveOrder } from "../../lib/rollout/waves";
import { catalog, DeployedWorkload, deployments, readableRecord, TYPES } from "./context";
import { httpRouteShape, serviceShape, view } from "./shapes";

function apiWorkload(workloads: DeployedWorkload[]): DeployedWorkload | undefined {
  return workloads.find((w) => w.component === "api" && w.version);
}

export const mixedVersionCompatibility: StackValidationPolicy = {
  name: "mixed-version-compatibility",
  description:
    "Checks whether every version that runs beside the API is inside the window the catalog declares for it, in the final state and, in a rolling window, in every state between waves (from the deployed versions to the target, wave by wave, canary and stable alike).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const workloads = deployments(args.resources).filter((w) => w.component && w.version);
    if (!apiWorkload(workloads)) return;
    const target = Object.fromEntries(workloads.map((w) => [w.name, w.version as string]));
    const found = readableRecord(args.resources);
    const deployed = found?.record.deployed?.workloads ?? null;
    const mode = found?.record.upgradeMode ?? "rolling";
    const waves = waveOrder({ upgradeWindow: !!found?.record.upgradeFrom, rollback: !!found?.record.rollback }).map(
      (w) => w.id,
    );
    const verdict = checkRollout(found?.record.upgradeFrom ? deployed : null, target, waves, mode, catalog());
    if (verdict.ok || !verdict.firstBad) return;
    const offender = workloads.find((w) => w.name === verdict.firstBad?.problems[0].workload);
    reportViolation(
      `every state of the rollout must be compatible; the first that is not is ${verdict.firstBad.description}; ${verdict.wayThrough}`,
      offender?.resource.urn ?? found?.resource.urn,
    );
  },
};

export const upgradePath: StackValidationPolicy = {
  name: "upgrade-path",
  description:
    "Checks whether an open upgrade window moves forward one minor at a time, whether a major upgrade starts from a version the target release lists, whether a major or a release whose migrations contract the schema runs as a coordinated window, and whether a window that moves backward is a rollback that undoes exactly one such step.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    const refusal = found && upgradePathRefusal(found.record, catalog());
    if (refusal) reportViolation(refusal, found.resource.urn);
  },
};

/** Services selecting console pods, with the color each selects. */
function consoleServices(resources: readonly PolicyResource[]) {
  return resources
    .filter((r) => r.type === TYPES.service)
    .flatMap((resource) => {
      const svc = view(serviceShape, resource.props);
      const selector = svc?.spec?.selector ?? {};
      if (selector[LABELS.name] !== "console") return [];
      return [{ resource, name: svc?.metadata?.name ?? resource.name, color: selector[LABELS.color] }];
    });
}

export const blueGreenIntegrity: StackValidationPolicy = {
  name: "blue-green-integrity",
  description:
    "Checks whether the live console Service selects exactly one color whose Deployment exists, whether the color that served before this deployment keeps its version (the idle color moves, then the flip), and whether the idle color is inside the API's compatibility window so flipping back is safe.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const workloads = deployments(args.resources);
    const consoles = workloads.filter((w) => w.component === "console");
    const live = consoleServices(args.resources).find((s) => s.name === "console");
    if (!live) return;
    if (live.color !== "blue" && live.color !== "green") {
      reportViolation(
        `the live console Service must select exactly one color (${LABELS.color}=blue or green), not ${JSON.stringify(live.color ?? "any")}`,
        live.resource.urn,
      );
      return;
    }
    const liveDeployment = consoles.find((w) => w.labels[LABELS.color] === live.color);
    if (!liveDeployment) {
      reportViolation(
        `the live console Service selects ${live.color}, so a console-${live.color} Deployment must exist`,
        live.resource.urn,
      );
    }
    const found = readableRecord(args.resources);
    const rolled = found && liveColorRefusal(found.record);
    if (rolled)
      reportViolation(
        rolled,
        consoles.find((w) => w.labels[LABELS.color] === found.record.consoleBefore?.live)?.resource.urn ??
          found.resource.urn,
      );
    if (found && found.record.console.live !== live.color) {
      reportViolation(
        `the live console Service must select the configured live color ${found.record.console.live}, not ${live.color}`,
        live.resource.urn,
      );
    }
    const api = apiWorkload(workloads);
    const idle = consoles.find((w) => w.labels[LABELS.color] && w.labels[LABELS.color] !== live.color);
    if (api?.version && idle?.version) {
      const verdict = compatibleBeside(catalog(), "console", idle.version, api.version);
      if (!verdict.compatible)
        reportViolation(
          `the idle console color ${idle.labels[LABELS.color]} is the rollback target and ${verdict.reason}`,
          idle.resource.urn,
        );
    }
  },
};

interface CanaryConfig {
  maxCanaryPercent?: number;
}

/** Used when the stack's policy config sets no maximum; the analyzer passes config without schema defaults. */
export const DEFAULT_MAX_CANARY_PERCENT = 50;

export const canaryBounds: StackValidationPolicy = {
  name: "canary-bounds",
  description:
    "Checks whether a gateway canary exists only inside a rolling upgrade window, route weights sum to 100, and the canary weight stays at or under the configured maximum.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryPercent: {
        type: "integer",
        minimum: 0,
        maximum: 100,
        default: DEFAULT_MAX_CANARY_PERCENT,
        description: "Largest share of gateway traffic a canary may take.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const maxCanaryPercent = args.getConfig<CanaryConfig>().maxCanaryPercent ?? DEFAULT_MAX_CANARY_PERCENT;
    const record = readableRecord(args.resources)?.record;
    const windowOpen = !!record?.upgradeFrom;
    const canaries = deployments(args.resources).filter(
      (w) => w.component === "gateway" && w.labels[LABELS.track] === "canary",
    );
    for (const c of canaries) {
      if (!windowOpen)
        reportViolation(
          `gateway canary ${c.name} must only exist inside an upgrade window (the window opens when the release moves; remove upgrade.gatewayCanaryPercent)`,
          c.resource.urn,
        );
      if (record?.upgradeMode === "coordinated")
        reportViolation(
          `gateway canary ${c.name} must not run in a coordinated window: the whole set moves together there (remove upgrade.gatewayCanaryPercent)`,
          c.resource.urn,
        );
    }
    const canaryServices = new Set(
      args.resources
        .filter((r) => r.type === TYPES.service)
        .flatMap((r) => {
          const svc = view(serviceShape, r.props);
          return svc?.spec?.selector?.[LABELS.track] === "canary" && svc.metadata?.name ? [svc.metadata.name] : [];
        }),
    );
    for (const route of args.resources.filter((r) => r.type === TYPES.httpRoute)) {
      const spec = view(httpRouteShape, route.props)?.spec;
      for (const rule of spec?.rules ?? []) {
        const refs = rule.backendRefs ?? [];
        if (refs.length < 2 && !refs.some((b) => canaryServices.has(b.name))) continue;
        const weights = refs.map((b) => b.weight ?? 1);
        const total = weights.reduce((a, b) => a + b, 0);
        if (total !== 100)
          reportViolation(
            `route ${route.name} backend weights must sum to 100, not ${total} (${refs.map((b) => `${b.name}=${b.weight ?? 1}`).join(", ")})`,
            route.urn,
          );
        for (const ref of refs.filter((b) => canaryServices.has(b.name))) {
          const share = total > 0 ? Math.round(((ref.weight ?? 1) * 100) / total) : 0;
          if (share > maxCanaryPercent)
            reportViolation(
              `canary ${ref.name} must take at most ${maxCanaryPercent}% of traffic, not ${share}% (raise canary-bounds.maxCanaryPercent for this stack to allow more)`,
              route.urn,
            );
        }
      }
    }
  },
};
