/** The canary analysis as plain functions (lib/rollout/analysis.ts): readings, conditions, verdicts, the runner. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  analyseStep,
  analysisProblems,
  canarySchema,
  conditionText,
  DEFAULT_ANALYSIS_BOUNDS,
  DEFAULT_CANARY,
  durationMs,
  judgeReading,
  metricQuery,
  metricVerdict,
  readingOf,
  Reading,
  showReading,
} from "../../lib/rollout/analysis";

const metric = (over: Record<string, unknown> = {}) =>
  canarySchema.parse({ metrics: { errorRate: { max: 0.01, ...over } } }).metrics.errorRate;

describe("readings from the Prometheus HTTP API", () => {
  const vector = (...values: string[]) => ({
    status: "success",
    data: { resultType: "vector", result: values.map((v) => ({ metric: {}, value: [1733310000, v] })) },
  });
  it("a one-series vector is its value; a scalar too", () => {
    assert.deepEqual(readingOf(vector("0.25"), "q"), { value: 0.25 });
    assert.deepEqual(readingOf({ status: "success", data: { resultType: "scalar", result: [1, "3"] } }, "q"), {
      value: 3,
    });
  });
  it("an empty vector is no data, and NaN is no data too, never a number", () => {
    assert.deepEqual(readingOf(vector(), "q"), { noData: "empty" });
    assert.deepEqual(readingOf(vector("NaN"), "q"), { noData: "NaN" });
  });
  it("refuses an error, more than one series, or another shape, naming the query", () => {
    assert.throws(() => readingOf({ status: "error", error: "parse error" }, "rate(x"), /refused rate\(x: parse error/);
    assert.throws(() => readingOf(vector("1", "2"), "q"), /q returned 2 series; a canary metric must return one/);
    assert.throws(() => readingOf({ hello: 1 }, "q"), /Prometheus answered \{"hello":1\} to q/);
    assert.throws(() => readingOf({ status: "success" }, "q"), { message: "Prometheus refused q: success" });
    const long = { hello: "x".repeat(500) };
    assert.throws(
      () => readingOf(long, "q"),
      { message: `Prometheus answered ${JSON.stringify(long).slice(0, 200)} to q` },
      "what it answered, cut at 200 characters",
    );
  });
});

describe("conditions and verdicts", () => {
  it("a max passes at or under it, a min at or over it", () => {
    assert.equal(judgeReading(metric(), { value: 0.01 }), true);
    assert.equal(judgeReading(metric(), { value: 0.011 }), false);
    const requests = canarySchema.parse({}).metrics.requests;
    assert.equal(judgeReading(requests, { value: 20 }), true);
    assert.equal(judgeReading(requests, { value: 19 }), false);
  });
  it("no data fails unless onNoData is pass; a failed query always fails", () => {
    const noData: Reading = { noData: "NaN" };
    assert.equal(judgeReading(metric(), noData), false);
    assert.equal(judgeReading(metric({ onNoData: "pass" }), noData), true);
    assert.equal(judgeReading(metric({ onNoData: "pass" }), { error: "ECONNREFUSED" }), false);
  });
  it("a metric fails once its failed samples exceed the failure limit, and passes with all its samples", () => {
    const m = metric({ samples: 3, failureLimit: 1 });
    const ok = { reading: { value: 0 }, passed: true };
    const bad = { reading: { value: 1 }, passed: false };
    assert.equal(metricVerdict(m, [bad]), "running");
    assert.equal(metricVerdict(m, [bad, bad]), "failed");
    assert.equal(metricVerdict(m, [bad, ok, ok]), "passed");
  });
  it("the built-in queries read the gateway's counter and histogram in the stack's namespace", () => {
    const q = metricQuery("errorRate", DEFAULT_CANARY.metrics.errorRate, "aigw");
    assert.match(q, /gateway_requests_total\{namespace="aigw",track="canary",code=~"5\.\."\}\[1m\]/);
    assert.match(metricQuery("latencyRatio", DEFAULT_CANARY.metrics.latencyRatio, "aigw"), /track="stable"/);
    assert.equal(metricQuery("requests", metric({ query: 'up{ns="$namespace"}[$window]' }), "x"), 'up{ns="x"}[1m]');
  });
  it("the built-in queries, whole", () => {
    const on = (track: string, extra = "") => `{namespace="aigw",track="${track}"${extra}}`;
    const p99 = (track: string) =>
      `histogram_quantile(0.99, sum by (le) (rate(gateway_request_duration_seconds_bucket${on(track)}[1m])))`;
    assert.equal(
      metricQuery("errorRate", DEFAULT_CANARY.metrics.errorRate, "aigw"),
      `sum(rate(gateway_requests_total${on("canary", ',code=~"5.."')}[1m])) / sum(rate(gateway_requests_total${on("canary")}[1m]))`,
    );
    assert.equal(
      metricQuery("latencyRatio", DEFAULT_CANARY.metrics.latencyRatio, "aigw"),
      `${p99("canary")} / ${p99("stable")}`,
    );
    assert.equal(
      metricQuery("requests", DEFAULT_CANARY.metrics.requests, "aigw"),
      `sum(increase(gateway_requests_total${on("canary")}[1m]))`,
    );
  });
  it("a condition as a reader writes it, and a metric without one says so", () => {
    assert.equal(conditionText(metric()), "<= 0.01");
    assert.equal(conditionText(canarySchema.parse({}).metrics.requests), ">= 20");
    assert.equal(conditionText({ ...metric(), max: 2, min: 1 }), "<= 2 and >= 1");
    assert.equal(conditionText({ ...metric(), max: undefined }), "(no condition)");
  });
  it("a reading as a sample's row shows it", () => {
    assert.equal(showReading({ value: 0.5 }), "0.5");
    assert.equal(showReading({ noData: "empty" }), "no data (empty)");
    assert.equal(showReading({ error: "ECONNREFUSED" }), "error (ECONNREFUSED)");
  });
  it("a metric tuned in one field keeps its default condition", () => {
    const tuned = canarySchema.parse({ metrics: { requests: { interval: "3s" }, errorRate: { samples: 5 } } }).metrics;
    assert.equal(tuned.requests.min, 20);
    assert.equal(tuned.errorRate.max, 0.01);
    assert.equal(tuned.requests.interval, "3s");
  });
  it("steps must increase; durations and onNoData are checked", () => {
    assert.equal(canarySchema.safeParse({ steps: [50, 10] }).success, false);
    assert.equal(canarySchema.safeParse({ metrics: { errorRate: { interval: "5h" } } }).success, false);
    assert.equal(canarySchema.safeParse({ metrics: { errorRate: { onNoData: "skip" } } }).success, false);
    assert.equal(canarySchema.safeParse({ steps: [10, 10] }).success, false, "a step repeated does not increase");
    assert.equal(
      canarySchema.safeParse({ metrics: { errorRate: { interval: "60m" } } }).success,
      true,
      "60m is the most",
    );
    assert.equal(canarySchema.safeParse({ metrics: { errorRate: { interval: "3600001ms" } } }).success, false);
    assert.deepEqual(
      canarySchema.safeParse({ metrics: { errorRate: { window: "1h" } } }).error?.issues.map((i) => i.message),
      ["must be a duration like 500ms, 30s or 5m"],
      "a malformed duration is told its form only",
    );
    assert.throws(() => durationMs("5h"), { message: "not a duration: 5h" });
  });
});

describe("the runner", () => {
  /** A clock that only moves when the runner sleeps, and a query answered from a script per metric. */
  function fakeDeps(answers: Record<string, Reading[]>) {
    let now = 0;
    const asked: string[] = [];
    const which = (q: string) =>
      /code=~/.test(q) ? "errorRate" : /histogram_quantile/.test(q) ? "latencyRatio" : "requests";
    return {
      asked,
      deps: {
        now: () => now,
        sleep: async (ms: number) => {
          now += ms;
        },
        query: async (q: string) => {
          const name = which(q);
          asked.push(`${now} ${name}`);
          const list = answers[name];
          return list.length > 1 ? (list.shift() as Reading) : list[0];
        },
        progress: () => undefined,
      },
    };
  }
  const config = canarySchema.parse({
    metrics: {
      errorRate: { max: 0.01, interval: "10s", samples: 3 },
      latencyRatio: { max: 1.5, interval: "20s", samples: 2 },
      requests: { min: 20, interval: "10s", samples: 3 },
    },
  });

  it("samples each metric at its own interval until all have their samples", async () => {
    const { asked, deps } = fakeDeps({
      errorRate: [{ value: 0 }],
      latencyRatio: [{ value: 1.1 }],
      requests: [{ value: 50 }],
    });
    const result = await analyseStep(10, config, "aigw", deps);
    assert.equal(result.passed, true);
    assert.deepEqual(
      result.metrics.map((m) => [m.name, m.samples.length, m.verdict]),
      [
        ["errorRate", 3, "passed"],
        ["latencyRatio", 2, "passed"],
        ["requests", 3, "passed"],
      ],
    );
    assert.deepEqual(
      asked.filter((a) => a.endsWith("latencyRatio")),
      ["20000 latencyRatio", "40000 latencyRatio"],
    );
  });

  it("fails at the first sample over the failure limit, with the metric and its readings, without waiting out the rest", async () => {
    const { deps } = fakeDeps({
      errorRate: [{ value: 0 }, { value: 0.2 }],
      latencyRatio: [{ value: 1 }],
      requests: [{ value: 50 }],
    });
    const result = await analyseStep(25, config, "aigw", deps);
    assert.equal(result.passed, false);
    assert.equal(result.failed?.name, "errorRate");
    assert.deepEqual(
      result.failed?.samples.map((s) => s.reading),
      [{ value: 0 }, { value: 0.2 }],
    );
    assert.equal(deps.now(), 20_000, "it stopped at the failing sample");
  });

  it("no data from the request count fails the step by default", async () => {
    const { deps } = fakeDeps({
      errorRate: [{ noData: "NaN" }],
      latencyRatio: [{ value: 1 }],
      requests: [{ noData: "empty" }],
    });
    const result = await analyseStep(10, config, "aigw", deps);
    assert.equal(result.passed, false);
    assert.equal(result.failed?.samples[0].reading && "noData" in result.failed.samples[0].reading, true);
  });
});

describe("what the canary-analysis policy refuses", () => {
  const recorded = Object.fromEntries(Object.entries(DEFAULT_CANARY.metrics).map(([k, m]) => [k, { ...m }])) as Record<
    string,
    { max?: number; min?: number; samples: number; failureLimit: number; onNoData: string }
  >;
  it("the defaults are sound", () => {
    assert.deepEqual(analysisProblems(recorded, DEFAULT_ANALYSIS_BOUNDS), []);
  });
  const changed = (name: string, over: Record<string, unknown>) =>
    analysisProblems({ ...recorded, [name]: { ...recorded[name], ...over } }, DEFAULT_ANALYSIS_BOUNDS);
  it("one field at a time: a loose bound, too few requests or samples, an unreachable failure limit, no data passing", () => {
    assert.deepEqual(changed("errorRate", { max: 0.5 }), [
      "lockstep:canary.metrics.errorRate.max (0.5) must be set and at most 0.05",
    ]);
    assert.deepEqual(changed("latencyRatio", { max: undefined }), [
      "lockstep:canary.metrics.latencyRatio.max (unset) must be set and at most 3",
    ]);
    assert.match(changed("requests", { min: 2 })[0], /requests\.min \(2\) must be at least 10/);
    assert.match(changed("requests", { onNoData: "pass" })[0], /requests\.onNoData must be "fail"/);
    assert.match(
      changed("errorRate", { samples: 1, failureLimit: 0 })[0],
      /errorRate\.samples \(1\) must be at least 2/,
    );
    assert.match(
      changed("errorRate", { failureLimit: 3 })[0],
      /failureLimit \(3\) must be below samples \(3\), or errorRate can never fail a step/,
    );
  });
  it("at the bounds themselves: the fewest requests and samples pass; a metric left out is named", () => {
    assert.deepEqual(changed("requests", { min: 10 }), []);
    assert.deepEqual(
      changed("requests", { min: undefined })[0],
      "lockstep:canary.metrics.requests.min (unset) must be at least 10: a step judged on fewer requests is not judged",
    );
    assert.deepEqual(changed("errorRate", { samples: 2, failureLimit: 1 }), []);
    assert.deepEqual(changed("errorRate", { max: 0.05 }), []);
    const { latencyRatio: _left, ...without } = recorded;
    assert.deepEqual(analysisProblems(without, DEFAULT_ANALYSIS_BOUNDS), [
      "the canary must be judged by latencyRatio (lockstep:canary.metrics.latencyRatio)",
    ]);
  });
});
