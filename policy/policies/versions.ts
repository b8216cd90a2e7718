/** Version policies: the N-1 compatibility window, upgrade paths, blue/green and canary traffic. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { upgradeSources } from "../../lib/catalog";
import { compatibilityRange, compatibleWithApi, findUpgradePath } from "../../lib/semverRules";
import { LABELS } from "../../lib/names";
import { catalog, deployments, readableRecord, TYPES, DeployedWorkload } from "./context";
import { httpRouteShape, serviceShape, view } from "./shapes";

function apiWorkload(workloads: DeployedWorkload[]): DeployedWorkload | undefined {
  return workloads.find((w) => w.component === "api" && w.version);
}

export const mixedVersionCompatibility: StackValidationPolicy = {
  name: "mixed-version-compatibility",
  description: "Checks whether every running version (gateways stable and canary, both console colors, workers) is inside the API's compatibility window: same major, minor API-1 to API, nothing newer than the API.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const workloads = deployments(args.resources);
    const api = apiWorkload(workloads);
    if (!api?.version) return;
    for (const w of workloads) {
      if (w === api || !w.component || !w.version) continue;
      const verdict = compatibleWithApi(w.version, api.version);
      if (!verdict.compatible) {
        reportViolation(`${w.name} (${w.component}) runs ${verdict.reason}; allowed beside API ${api.version}: ${compatibilityRange(api.version)}`, w.resource.urn);
      }
    }
  },
};

export const upgradePath: StackValidationPolicy = {
  name: "upgrade-path",
  description: "Checks whether an open upgrade window moves forward one minor at a time, and whether a major upgrade starts from a version the target release lists.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    const from = found?.record.upgradeFrom;
    if (!found || !from) return;
    const { record, resource } = found;
    const verdict = findUpgradePath(from, record.release, upgradeSources(catalog()));
    if (!verdict.allowed) reportViolation(`upgrade ${from} -> ${record.release} must follow an allowed path: ${verdict.reason}`, resource.urn);
  },
};

/** Services selecting console pods, with the color each selects. */
function consoleServices(resources: readonly PolicyResource[]) {
  return resources.filter((r) => r.type === TYPES.service).flatMap((resource) => {
    const svc = view(serviceShape, resource.props);
    const selector = svc?.spec?.selector ?? {};
    if (selector[LABELS.name] !== "console") return [];
    return [{ resource, name: svc?.metadata?.name ?? resource.name, color: selector[LABELS.color] }];
  });
}

export const blueGreenIntegrity: StackValidationPolicy = {
  name: "blue-green-integrity",
  description: "Checks whether the live console Service selects exactly one color whose Deployment exists, and whether the idle color is inside the API's compatibility window so flipping back is safe.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const workloads = deployments(args.resources);
    const consoles = workloads.filter((w) => w.component === "console");
    const live = consoleServices(args.resources).find((s) => s.name === "console");
    if (!live) return;
    if (live.color !== "blue" && live.color !== "green") {
      reportViolation(`the live console Service must select exactly one color (${LABELS.color}=blue or green), not ${JSON.stringify(live.color ?? "any")}`, live.resource.urn);
      return;
    }
    const liveDeployment = consoles.find((w) => w.labels[LABELS.color] === live.color);
    if (!liveDeployment) {
      reportViolation(`the live console Service selects ${live.color}, so a console-${live.color} Deployment must exist`, live.resource.urn);
    }
    const found = readableRecord(args.resources);
    if (found && found.record.console.live !== live.color) {
      reportViolation(`the live console Service must select the configured live color ${found.record.console.live}, not ${live.color}`, live.resource.urn);
    }
    const api = apiWorkload(workloads);
    const idle = consoles.find((w) => w.labels[LABELS.color] && w.labels[LABELS.color] !== live.color);
    if (api?.version && idle?.version) {
      const verdict = compatibleWithApi(idle.version, api.version);
      if (!verdict.compatible) reportViolation(`the idle console color ${idle.labels[LABELS.color]} is the rollback target and ${verdict.reason}`, idle.resource.urn);
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
  description: "Checks whether a gateway canary exists only inside an upgrade window, route weights sum to 100, and the canary weight stays at or under the configured maximum.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxCanaryPercent: { type: "integer", minimum: 0, maximum: 100, default: DEFAULT_MAX_CANARY_PERCENT, description: "Largest share of gateway traffic a canary may take." },
    },
  },
  validateStack: (args, reportViolation) => {
    const maxCanaryPercent = args.getConfig<CanaryConfig>().maxCanaryPercent ?? DEFAULT_MAX_CANARY_PERCENT;
    const windowOpen = !!readableRecord(args.resources)?.record.upgradeFrom;
    const canaries = deployments(args.resources).filter((w) => w.component === "gateway" && w.labels[LABELS.track] === "canary");
    if (canaries.length > 0 && !windowOpen) {
      for (const c of canaries) reportViolation(`gateway canary ${c.name} must only exist inside an upgrade window (set lockstep:upgrade.from, or remove the canary)`, c.resource.urn);
    }
    const canaryServices = new Set(args.resources.filter((r) => r.type === TYPES.service).flatMap((r) => {
      const svc = view(serviceShape, r.props);
      return svc?.spec?.selector?.[LABELS.track] === "canary" && svc.metadata?.name ? [svc.metadata.name] : [];
    }));
    for (const route of args.resources.filter((r) => r.type === TYPES.httpRoute)) {
      const spec = view(httpRouteShape, route.props)?.spec;
      for (const rule of spec?.rules ?? []) {
        const refs = rule.backendRefs ?? [];
        if (refs.length < 2 && !refs.some((b) => canaryServices.has(b.name))) continue;
        const weights = refs.map((b) => b.weight ?? 1);
        const total = weights.reduce((a, b) => a + b, 0);
        if (total !== 100) reportViolation(`route ${route.name} backend weights must sum to 100, not ${total} (${refs.map((b) => `${b.name}=${b.weight ?? 1}`).join(", ")})`, route.urn);
        for (const ref of refs.filter((b) => canaryServices.has(b.name))) {
          const share = total > 0 ? Math.round(((ref.weight ?? 1) * 100) / total) : 0;
          if (share > maxCanaryPercent) reportViolation(`canary ${ref.name} must take at most ${maxCanaryPercent}% of traffic, not ${share}% (raise canary-bounds.maxCanaryPercent for this stack to allow more)`, route.urn);
        }
      }
    }
  },
};
