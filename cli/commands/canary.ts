/** `lockstep canary --stack <s>`: the gateway canary moved step by step, each step judged before the next. */
import { kubectlTarget } from "../../lib/config/cluster";
import { parseStackConfig } from "../../lib/config/config";
import { enforcedPack } from "../../lib/config/packConfig";
import { editStackConfig, readStackFile } from "../../lib/config/stackFile";
import { commitStackFile } from "../../lib/config/stackFileWrite";
import { LockstepInputError, showValue } from "../../lib/core/errors";
import { loadCatalog } from "../../lib/release/catalog";
import {
  analyseStep,
  canarySchema,
  DEFAULT_CANARY,
  MetricRun,
  showReading,
  StepAnalysis,
} from "../../lib/rollout/analysis";
import { PROMETHEUS_SERVICE } from "../../lib/rollout/metricsSource";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { failureOf, requireEngine } from "../fleetBackend";
import { queryClusterPrometheus, queryPrometheus } from "../prometheus";
import { table } from "../table";

export const CANARY_HELP = `Usage: lockstep canary --stack <name> [--steps 10,25,50] [--prometheus <url>] [--json]

Moves the gateway canary of an open rolling window step by step, as Argo Rollouts and Flagger do. Each
step writes lockstep:upgrade.gatewayCanaryPercent into Pulumi.<name>.yaml and runs a real \`pulumi up\`
with the policy pack; then the analysis reads Prometheus until every metric has its samples:

  errorRate      the canary's share of 5xx responses          passes at or under its max
  latencyRatio   the canary's p99 latency over the stable's   passes at or under its max
  requests       requests the canary served over the window   passes at or over its min

each at its interval, with its sample count and failure limit (lockstep:canary; docs/upgrading.md).
No data (an empty result) and NaN (a rate over no requests) count as the metric's onNoData says:
"fail" (the default) or "pass". A query that fails always fails the sample.

A failed step aborts: the weight goes back to 0 with a real \`pulumi up\` (the route first, then the
canary scales to zero), the measured values and the broken condition are printed, and it exits 1. A
step at 100 (where canary-bounds allows it) takes no analysis: the stable track serves nothing to
compare with. A run that died left its weight in the stack file; the next run first brings it back
to 0. When every step passed, close the window (remove lockstep:upgrade) and \`pulumi up\`.

  --stack <name>      the stack (required); its window must be open, rolling, with the gateways behind
  --steps <list>      canary weights, increasing (default lockstep:canary.steps, else 10,25,50)
  --prometheus <url>  the Prometheus HTTP API (default lockstep:canary.prometheusUrl; unset: the
                      release's own Prometheus, reached through the Kubernetes API's service proxy)
  --json              print one JSON object
  -h, --help          show this help

Exit codes: 0 every step passed, 1 a step failed (the canary is back at 0) or an up failed, 2 bad input.`;

function parseSteps(raw: string): number[] {
  const values = raw.split(",").map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN));
  const parsed = canarySchema.shape.steps.safeParse(values);
  if (values.some(Number.isNaN) || !parsed.success)
    throw new LockstepInputError(
      `--steps ${showValue(raw)}: must be whole percentages from 1 to 100, increasing, like 10,25,50`,
    );
  return parsed.data;
}

/** One row per metric of a step: every sample it took (✗ where it failed), its condition and verdict. */
function analysisRows(analysis: StepAnalysis): string[][] {
  return analysis.metrics.map((m: MetricRun) => [
    `${analysis.weight} %`,
    m.name,
    m.samples.map((s) => `${showReading(s.reading)}${s.passed ? "" : " ✗"}`).join(", ") || "(not sampled)",
    m.condition,
    m.verdict,
  ]);
}

export async function canary(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("canary", argv, {
    stack: { type: "string" },
    steps: { type: "string" },
    prometheus: { type: "string" },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack prod");
  const stack = values.stack;
  const catalog = loadCatalog(env.catalogDir);
  const file = readStackFile(stack, env.projectDir);
  const config = parseStackConfig(file.values, catalog, { secretKeys: file.secretKeys });
  const settings = config.canary ?? DEFAULT_CANARY;
  const steps = values.steps !== undefined ? parseSteps(values.steps) : settings.steps;
  const prometheusUrl = values.prometheus ?? settings.prometheusUrl;
  if (values.prometheus !== undefined && !/^https?:\/\/\S+$/.test(values.prometheus))
    throw new LockstepInputError(`--prometheus ${showValue(values.prometheus)}: must be an absolute http(s) URL`);
  if (config.upgrade?.mode === "coordinated")
    throw new LockstepInputError(
      `stack ${stack}: lockstep:upgrade.mode is coordinated, where the whole set moves together and no canary runs; a canary needs a rolling window`,
    );
  const backend = requireEngine(env.fleet, "canary", "runs pulumi up");
  const outputs = await backend.outputs(stack);
  const stable = (outputs.workloads as Record<string, string> | undefined)?.gateway;
  if (!stable || stable === config.release)
    throw new LockstepInputError(
      `stack ${stack}: no gateway canary to judge: its gateways ${stable ? `already run ${config.release}` : "were never deployed"}; a canary runs in an upgrade window, after the API wave moved to lockstep:release`,
    );

  const engine = { ...enforcedPack(stack, env.projectDir), onOutput: (line: string) => env.progress(`  ${line}`) };
  /** Writes the weight and ups it; the engine's refusal or failure comes back as its one-line message. */
  const moveTo = async (weight: number, why: string): Promise<string | undefined> => {
    const now = readStackFile(stack, env.projectDir);
    const upgrade = { ...(now.values.upgrade as Record<string, unknown> | undefined), gatewayCanaryPercent: weight };
    commitStackFile(now.file, now.text, editStackConfig(now.file, now.text, { upgrade }));
    env.progress(`canary: weight ${weight} % (${why}): pulumi up`);
    return failureOf(backend.up(stack, engine));
  };
  /** An up that failed at `weight`, and whether the abort to 0 after it went through. */
  const upFailed = (weight: number, error: string, analyses: StepAnalysis[], aborted: boolean): CommandResult => ({
    exitCode: 1,
    human: [
      `canary ${stack}: pulumi up at ${weight} % failed: ${error}`,
      aborted
        ? "aborted: the weight is back at 0 % and the canary scaled to zero (pulumi up succeeded)"
        : `the canary may still take traffic: Pulumi.${stack}.yaml holds ${weight} %, the cluster what that up left; fix the cause, set lockstep:upgrade.gatewayCanaryPercent to 0 and pulumi up --stack ${stack}`,
    ].join("\n"),
    json: { ok: false, stack, upFailedAt: weight, error, aborted, analyses },
  });

  const clusterFlags = kubectlTarget(config.cluster, env.projectDir);
  env.progress(
    prometheusUrl
      ? `canary: metrics from the Prometheus at ${prometheusUrl}`
      : `canary: metrics from the release's Prometheus (service ${PROMETHEUS_SERVICE.name} in ${config.namespace}, through the Kubernetes API)`,
  );
  const earlier = config.upgrade?.gatewayCanaryPercent;
  const analyses: StepAnalysis[] = [];
  if (earlier !== undefined && earlier !== 0) {
    const error = await moveTo(0, `an earlier run left it at ${earlier} %`);
    if (error) return upFailed(0, error, analyses, false);
  }
  const deps = {
    query: prometheusUrl
      ? (promql: string) => queryPrometheus(prometheusUrl, promql)
      : async (promql: string) => queryClusterPrometheus(env.kubectl, clusterFlags, config.namespace, promql),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    progress: env.progress,
  };
  for (const weight of steps) {
    const error = await moveTo(weight, `step ${steps.indexOf(weight) + 1} of ${steps.length}`);
    if (error) {
      const abort = await moveTo(0, `pulumi up at ${weight} % failed`);
      return abort ? upFailed(0, abort, analyses, false) : upFailed(weight, error, analyses, true);
    }
    if (weight === 100) break;
    const analysis = await analyseStep(weight, settings, config.namespace, deps);
    analyses.push(analysis);
    if (!analysis.passed) {
      const abort = await moveTo(0, `analysis failed at ${weight} %`);
      if (abort) return upFailed(0, abort, analyses, false);
      const failed = analysis.failed as MetricRun;
      const last = failed.samples[failed.samples.length - 1];
      return {
        exitCode: 1,
        human: [
          `canary ${stack}: FAILED at ${weight} %: ${failed.name} = ${showReading(last.reading)}, condition ${failed.condition} (${failed.samples.filter((s) => !s.passed).length} failed of ${failed.samples.length} samples)`,
          `aborted: the weight is back at 0 % and the canary scaled to zero (pulumi up succeeded); the stable gateways serve everything`,
          "",
          table(["step", "metric", "samples", "condition", "verdict"], analyses.flatMap(analysisRows)),
        ].join("\n"),
        json: { ok: false, stack, failedAt: weight, failed, analyses, weight: 0 },
      };
    }
  }
  const final = steps[steps.length - 1];
  return {
    exitCode: 0,
    human: [
      `canary ${stack}: passed every step (${steps.join(", ")} %); the canary holds ${final} %`,
      "next: flip the console if it has not moved, then close the window (remove lockstep:upgrade) and pulumi up: the stable gateways move to the release",
      ...(analyses.length
        ? ["", table(["step", "metric", "samples", "condition", "verdict"], analyses.flatMap(analysisRows))]
        : []),
    ].join("\n"),
    json: { ok: true, stack, steps, analyses, weight: final },
  };
}
