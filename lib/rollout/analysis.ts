/**
 * Canary analysis, as Argo Rollouts and Flagger judge a canary: metrics read from Prometheus at an
 * interval, each sample checked against a condition, a step failed as soon as a metric fails more
 * samples than its failure limit allows. Plain functions and a runner with an injected clock and
 * query, so the command and its tests share them.
 *
 * "No data" (an empty result) and NaN (0/0: a rate over no requests) are one outcome, `noData`, and
 * never a number: each metric's `onNoData` says whether it counts as a failed sample (the default) or a
 * passed one. An empty result never silently passes.
 */
import { z } from "zod";
import { wholeNumber } from "../release/schemas";

/** The three metrics the gateway canary is judged by. */
export const METRICS = ["errorRate", "latencyRatio", "requests"] as const;
export type MetricName = (typeof METRICS)[number];

const DURATION = /^([1-9][0-9]*)(ms|s|m)$/;
const duration = z
  .string()
  .regex(DURATION, { message: "must be a duration like 500ms, 30s or 5m" })
  // Checks run on after a failed one: only a duration is measured.
  .refine((s) => !DURATION.test(s) || durationMs(s) <= 3_600_000, { message: "must be at most 60m" });

/** `30s` -> 30000. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

const metricSchema = z.strictObject({
  /** Judge a sample passed when its value is at most this. */
  max: z.number().nonnegative().optional(),
  /** Judge a sample passed when its value is at least this. */
  min: z.number().nonnegative().optional(),
  /** Time between two samples of this metric. @default "30s" */
  interval: duration.default("30s"),
  /** Samples taken at each step. @default 3 */
  samples: wholeNumber(1, 100).default(3),
  /** Failed samples a step tolerates; one more fails it. @default 0 */
  failureLimit: wholeNumber(0, 100).default(0),
  /** How an empty result or NaN counts: a failed sample, or a passed one. @default "fail" */
  onNoData: z.enum(["fail", "pass"], { message: 'must be "fail" or "pass"' }).default("fail"),
  /** PromQL to run instead of the built-in query; `$namespace` and `$window` are filled in. @default the built-in query */
  query: z.string().min(1).optional(),
  /** The range of the built-in query's rate. @default "1m" */
  window: duration.default("1m"),
});
export type MetricConfig = z.infer<typeof metricSchema>;

/**
 * A metric whose condition keeps its default when the stack sets only other fields (its interval, say):
 * a metric never loses its bound by being tuned.
 */
const withMax = (max: number) => metricSchema.extend({ max: metricSchema.shape.max.default(max) }).prefault({});
const withMin = (min: number) => metricSchema.extend({ min: metricSchema.shape.min.default(min) }).prefault({});

/** `lockstep:canary`: the steps, where the metrics come from, and how each is judged. */
export const canarySchema = z.strictObject({
  /** Canary weights, in percent, increasing, within the canary-bounds maximum (50 by default). @default [10, 25, 50] */
  steps: z
    .array(wholeNumber(1, 100))
    .min(1)
    .refine((steps) => steps.every((w, i) => i === 0 || w > steps[i - 1]), {
      message: "must increase step by step, like [10, 25, 50]",
    })
    .default([10, 25, 50]),
  /** The Prometheus HTTP API the analysis queries. @default the release set's own Prometheus, through the Kubernetes API's service proxy */
  prometheusUrl: z.url({ message: "must be an absolute http(s) URL" }).optional(),
  metrics: z
    .strictObject({
      /** The canary's share of 5xx responses. @default max 0.01 */
      errorRate: withMax(0.01),
      /** The canary's p99 latency divided by the stable track's. @default max 1.5 */
      latencyRatio: withMax(1.5),
      /** Requests the canary served over the window: too few and nothing was judged. @default min 20 */
      requests: withMin(20),
    })
    .prefault({}),
});
export type CanaryConfig = z.infer<typeof canarySchema>;

/** The analysis of a stack that sets no `lockstep:canary`. */
export const DEFAULT_CANARY: CanaryConfig = canarySchema.parse({});

/** A metric's condition as a reader writes it: `<= 0.01`, `>= 20`. */
export function conditionText(metric: MetricConfig): string {
  const parts = [
    ...(metric.max !== undefined ? [`<= ${metric.max}`] : []),
    ...(metric.min !== undefined ? [`>= ${metric.min}`] : []),
  ];
  return parts.join(" and ") || "(no condition)";
}

/** The built-in PromQL of each metric, over the gateway's request counter and latency histogram. */
export function metricQuery(name: MetricName, metric: MetricConfig, namespace: string): string {
  const fill = (q: string) => q.replaceAll("$namespace", namespace).replaceAll("$window", metric.window);
  if (metric.query) return fill(metric.query);
  const on = (track: string, extra = "") => `{namespace="$namespace",track="${track}"${extra}}`;
  const p99 = (track: string) =>
    `histogram_quantile(0.99, sum by (le) (rate(gateway_request_duration_seconds_bucket${on(track)}[$window])))`;
  const queries: Record<MetricName, string> = {
    errorRate: `sum(rate(gateway_requests_total${on("canary", ',code=~"5.."')}[$window])) / sum(rate(gateway_requests_total${on("canary")}[$window]))`,
    latencyRatio: `${p99("canary")} / ${p99("stable")}`,
    requests: `sum(increase(gateway_requests_total${on("canary")}[$window]))`,
  };
  return fill(queries[name]);
}

/** One reading: a number, no data (an empty result, or NaN), or a query that failed (always a failed sample). */
export type Reading = { value: number } | { noData: "empty" | "NaN" } | { error: string };

export interface Sample {
  reading: Reading;
  passed: boolean;
}

/** Whether one reading passes a metric's condition; no data passes only where `onNoData` is "pass". */
export function judgeReading(metric: MetricConfig, reading: Reading): boolean {
  if ("error" in reading) return false;
  if ("noData" in reading) return metric.onNoData === "pass";
  const { value } = reading;
  return (metric.max === undefined || value <= metric.max) && (metric.min === undefined || value >= metric.min);
}

export type MetricVerdict = "passed" | "failed" | "running";

/** A metric's verdict at a step from its samples so far. */
export function metricVerdict(metric: MetricConfig, samples: readonly Sample[]): MetricVerdict {
  const failures = samples.filter((s) => !s.passed).length;
  if (failures > metric.failureLimit) return "failed";
  return samples.length >= metric.samples ? "passed" : "running";
}

const sampleValue = z.tuple([z.number(), z.string()]);
const queryResponse = z.object({
  status: z.string(),
  error: z.string().optional(),
  data: z
    .discriminatedUnion("resultType", [
      z.object({ resultType: z.literal("vector"), result: z.array(z.object({ value: sampleValue })) }),
      z.object({ resultType: z.literal("scalar"), result: sampleValue }),
    ])
    .optional(),
});

/** A Prometheus instant-query response body as a reading; throws on an error or an unexpected shape. */
export function readingOf(body: unknown, query: string): Reading {
  const response = queryResponse.safeParse(body);
  if (!response.success) throw new Error(`Prometheus answered ${JSON.stringify(body).slice(0, 200)} to ${query}`);
  const { status, error, data } = response.data;
  if (status !== "success" || !data) throw new Error(`Prometheus refused ${query}: ${error ?? status}`);
  if (data.resultType === "vector" && data.result.length > 1)
    throw new Error(`${query} returned ${data.result.length} series; a canary metric must return one (aggregate it)`);
  const text = data.resultType === "scalar" ? data.result[1] : data.result[0]?.value[1];
  if (text === undefined) return { noData: "empty" };
  const value = Number(text);
  return Number.isNaN(value) ? { noData: "NaN" } : { value };
}

export interface MetricRun {
  name: MetricName;
  query: string;
  condition: string;
  samples: Sample[];
  verdict: MetricVerdict;
}

export interface StepAnalysis {
  weight: number;
  passed: boolean;
  metrics: MetricRun[];
  /** The metric that failed the step, with the condition it broke. */
  failed?: MetricRun;
}

export interface AnalysisDeps {
  query(promql: string): Promise<Reading>;
  sleep(ms: number): Promise<void>;
  now(): number;
  progress(line: string): void;
}

export const showReading = (r: Reading) =>
  "error" in r ? `error (${r.error})` : "noData" in r ? `no data (${r.noData})` : String(r.value);

/**
 * Samples every metric at its own interval until each has its samples (the step passes) or one fails
 * more than its failure limit (the step fails at once, without waiting out the others).
 */
export async function analyseStep(
  weight: number,
  config: CanaryConfig,
  namespace: string,
  deps: AnalysisDeps,
): Promise<StepAnalysis> {
  const started = deps.now();
  const runs = METRICS.map((name) => {
    const metric = config.metrics[name];
    const run: MetricRun = {
      name,
      query: metricQuery(name, metric, namespace),
      condition: conditionText(metric),
      samples: [],
      verdict: "running",
    };
    const every = durationMs(metric.interval);
    return { metric, every, next: started + every, run };
  });
  for (;;) {
    const pending = runs.filter((r) => r.run.verdict === "running");
    if (pending.length === 0) break;
    const due = Math.min(...pending.map((r) => r.next));
    const wait = due - deps.now();
    if (wait > 0) await deps.sleep(wait);
    for (const r of pending.filter((p) => p.next <= deps.now())) {
      const reading = await deps.query(r.run.query);
      const sample = { reading, passed: judgeReading(r.metric, reading) };
      r.run.samples.push(sample);
      r.run.verdict = metricVerdict(r.metric, r.run.samples);
      r.next += r.every;
      deps.progress(
        `canary ${weight} %: ${r.run.name} sample ${r.run.samples.length}/${r.metric.samples} = ${showReading(reading)} (${r.run.condition}): ${sample.passed ? "ok" : "FAILED"}`,
      );
      if (r.run.verdict === "failed") {
        const metrics = runs.map((x) => x.run);
        return { weight, passed: false, metrics, failed: r.run };
      }
    }
  }
  return { weight, passed: true, metrics: runs.map((r) => r.run) };
}

/** The bounds the `canary-analysis` policy holds analysis settings to (its config, per stack). */
export interface AnalysisBounds {
  /** Highest error rate a canary may be allowed. @default 0.05 */
  maxErrorRate: number;
  /** Highest canary/stable latency ratio a canary may be allowed. @default 3 */
  maxLatencyRatio: number;
  /** Fewest requests a step may be judged on. @default 10 */
  minRequests: number;
  /** Fewest samples of a metric per step. @default 2 */
  minSamples: number;
}
export const DEFAULT_ANALYSIS_BOUNDS: AnalysisBounds = {
  maxErrorRate: 0.05,
  maxLatencyRatio: 3,
  minRequests: 10,
  minSamples: 2,
};

/** What the record carries of each metric: its condition and how it is sampled. */
export type RecordedMetric = Pick<MetricConfig, "max" | "min" | "samples" | "failureLimit"> & { onNoData: string };

/** Why analysis settings would let a bad canary through, as "must" sentences naming the key; empty when sound. */
export function analysisProblems(metrics: Partial<Record<string, RecordedMetric>>, bounds: AnalysisBounds): string[] {
  const problems: string[] = [];
  const key = (name: string, field: string) => `lockstep:canary.metrics.${name}.${field}`;
  const ceilings = { errorRate: bounds.maxErrorRate, latencyRatio: bounds.maxLatencyRatio } as const;
  for (const name of METRICS) {
    const m = metrics[name];
    if (!m) {
      problems.push(`the canary must be judged by ${name} (lockstep:canary.metrics.${name})`);
      continue;
    }
    if (name === "requests") {
      if (m.min === undefined || m.min < bounds.minRequests)
        problems.push(
          `${key(name, "min")} (${m.min ?? "unset"}) must be at least ${bounds.minRequests}: a step judged on fewer requests is not judged`,
        );
      if (m.onNoData === "pass")
        problems.push(`${key(name, "onNoData")} must be "fail": a canary that served nothing must not pass`);
    } else if (m.max === undefined || m.max > ceilings[name]) {
      problems.push(`${key(name, "max")} (${m.max ?? "unset"}) must be set and at most ${ceilings[name]}`);
    }
    if (m.samples < bounds.minSamples)
      problems.push(`${key(name, "samples")} (${m.samples}) must be at least ${bounds.minSamples}`);
    if (m.failureLimit >= m.samples)
      problems.push(
        `${key(name, "failureLimit")} (${m.failureLimit}) must be below samples (${m.samples}), or ${name} can never fail a step`,
      );
  }
  return problems;
}
