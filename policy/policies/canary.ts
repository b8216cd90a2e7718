/** Canary policies: the analysis that judges a gateway canary is strict enough to fail a bad one. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { AnalysisBounds, analysisProblems, DEFAULT_ANALYSIS_BOUNDS } from "../../lib/rollout/analysis";
import { readableRecord } from "./context";

export const canaryAnalysis: StackValidationPolicy = {
  name: "canary-analysis",
  description:
    "Checks whether the analysis that judges a running gateway canary (lockstep:canary) bounds the error rate and the latency against the stable track, requires a minimum request count, takes a minimum of samples and has a failure limit a step can reach.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxErrorRate: {
        type: "number",
        minimum: 0,
        maximum: 1,
        default: DEFAULT_ANALYSIS_BOUNDS.maxErrorRate,
        description: "Highest error rate the analysis may allow.",
      },
      maxLatencyRatio: {
        type: "number",
        minimum: 1,
        default: DEFAULT_ANALYSIS_BOUNDS.maxLatencyRatio,
        description: "Highest canary/stable p99 latency ratio the analysis may allow.",
      },
      minRequests: {
        type: "integer",
        minimum: 1,
        default: DEFAULT_ANALYSIS_BOUNDS.minRequests,
        description: "Fewest canary requests a step may be judged on.",
      },
      minSamples: {
        type: "integer",
        minimum: 1,
        default: DEFAULT_ANALYSIS_BOUNDS.minSamples,
        description: "Fewest samples of each metric per step.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    const settings = found?.record.canaryAnalysis;
    if (!found || !settings) return;
    const bounds = { ...DEFAULT_ANALYSIS_BOUNDS, ...args.getConfig<Partial<AnalysisBounds>>() };
    for (const problem of analysisProblems(settings.metrics, bounds)) reportViolation(problem, found.resource.urn);
  },
};
