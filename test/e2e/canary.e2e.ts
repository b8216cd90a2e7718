/**
 * `lockstep canary` as users run it, on a simulated cluster where Deployments really roll: every step a
 * real `pulumi up` with the real provider and the policy pack, judged by a real Prometheus that scrapes
 * the gateways' metrics (a TEST DOUBLE, doubles/gatewayMetrics.ts: no gateway process runs here).
 *
 * In order: the window opens with the canary idle, no data fails the first step, a healthy canary passes
 * every step, and a canary that fails at its second step comes back to weight 0, scaled to zero.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { GatewayMetrics, startGatewayMetrics } from "./doubles/gatewayMetrics";
import { Prometheus, startPrometheus } from "./prometheus";
import { EngineTier } from "./tier";

const NS = "aigw-staging";
const FROM = "1.3.4";
const TO = "1.4.2";
const DELAYS = {
  byApp: {
    api: 2000,
    gateway: 1000,
    console: 1000,
    "worker-export": 500,
    "worker-lifecycle": 500,
    "worker-config": 500,
  },
  otherMs: 300,
};

interface CanaryReport {
  ok: boolean;
  weight: number;
  failedAt?: number;
  failed?: { name: string; condition: string; samples: { reading: Record<string, unknown>; passed: boolean }[] };
  analyses: { weight: number; passed: boolean }[];
}

describe("lockstep canary: each step a real up, judged by a real Prometheus", { timeout: 1_500_000 }, () => {
  let tier: EngineTier;
  let stack: Stack;
  let metrics: GatewayMetrics;
  let prometheus: Prometheus;

  const route = () =>
    JSON.parse(tier.kubectl(["get", "httproute", "gateway", "-n", NS, "-o", "json"]).stdout) as {
      spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
    };
  const canaryWeight = () => {
    const r = tier.kubectl(["get", "httproute", "gateway", "-n", NS, "-o", "json"]);
    if (r.code !== 0) return 0;
    const refs = (JSON.parse(r.stdout) as ReturnType<typeof route>).spec.rules[0].backendRefs;
    return refs.find((b) => b.name === "gateway-canary")?.weight ?? 0;
  };
  const canaryDeployment = () =>
    JSON.parse(tier.kubectl(["get", "deployment", "gateway-canary", "-n", NS, "-o", "json"]).stdout) as {
      spec: { replicas: number };
      status: { availableReplicas?: number };
    };
  const canary = async (steps: string) => {
    const r = await tier.lockstep(["canary", "--stack", "staging", "--steps", steps, "--json"], { timeoutMs: 900_000 });
    const said = `lockstep canary --steps ${steps} (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
    let report: CanaryReport;
    try {
      report = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as CanaryReport;
    } catch {
      assert.fail(`no JSON report from ${said}`);
    }
    return { code: r.code, report, said };
  };

  before(async () => {
    tier = await EngineTier.start({ simulated: DELAYS, cnpg: { backupDelayMs: 500, clusterDelayMs: 500 } });
    metrics = await startGatewayMetrics(NS, canaryWeight);
    prometheus = await startPrometheus(tier.root, [metrics.target]);
    const fast = (metric: string) => ({
      [`lockstep:canary.metrics.${metric}.interval`]: "3s",
      [`lockstep:canary.metrics.${metric}.samples`]: "2",
      [`lockstep:canary.metrics.${metric}.window`]: "10s",
    });
    stack = await tier.stack("staging", {
      ...tier.localConfig("staging"),
      "lockstep:release": FROM,
      "lockstep:console.blue": FROM,
      "lockstep:console.green": FROM,
      "lockstep:console.live": "blue",
      "lockstep:canary.prometheusUrl": prometheus.url,
      ...fast("errorRate"),
      ...fast("latencyRatio"),
      ...fast("requests"),
    });
  });
  after(async () => {
    await prometheus?.stop();
    await metrics?.stop();
    await tier?.stop();
  });

  it(`the ${FROM} -> ${TO} window opens with the canary idle: route weight 0, no canary pod`, async () => {
    assert.equal((await stack.up()).summary.result, "succeeded");
    tier.backupCredentials(NS);
    await tier.setConfig(stack, {
      "lockstep:release": TO,
      "lockstep:upgrade.gatewayCanaryPercent": "0",
      "lockstep:console.green": TO,
      "lockstep:console.live": "green",
    });
    assert.equal((await stack.up()).summary.result, "succeeded");
    assert.equal(canaryWeight(), 0);
    assert.equal(canaryDeployment().spec.replicas, 0);
  });

  it("no data: a canary Prometheus has no series of fails its first step, and the run aborts to 0", async () => {
    metrics.behave({ silent: true });
    const { code, report, said } = await canary("10,30");
    assert.equal(code, 1, said);
    assert.equal(report.failedAt, 10, said);
    assert.ok(
      report.failed?.samples.some((s) => "noData" in s.reading),
      `the failed metric read no data: ${JSON.stringify(report.failed)}`,
    );
    assert.equal(canaryWeight(), 0);
  });

  it("a healthy canary passes every step: the route at the last weight, the canary Ready", async () => {
    metrics.behave({});
    const { code, report, said } = await canary("10,30");
    assert.equal(code, 0, said);
    assert.deepEqual(
      report.analyses.map((a) => [a.weight, a.passed]),
      [
        [10, true],
        [30, true],
      ],
      said,
    );
    assert.equal(canaryWeight(), 30);
    assert.deepEqual(
      route().spec.rules[0].backendRefs.map((b) => [b.name, b.weight]),
      [
        ["gateway-stable", 70],
        ["gateway-canary", 30],
      ],
    );
    assert.equal(canaryDeployment().status.availableReplicas, 1);
  });

  it("a canary that fails at step 2: aborted with the measured error rate, the route at 0, the canary scaled to zero", async () => {
    // Errors only once the canary takes 30 % again, after the run has brought the last run's 30 % back
    // to 0: step 1 (10 %) passes, step 2 fails.
    metrics.behave({ errorRate: 0 });
    let reset = false;
    const watch = setInterval(() => {
      const weight = canaryWeight();
      reset ||= weight < 30;
      metrics.behave({ errorRate: reset && weight >= 30 ? 0.3 : 0 });
    }, 200);
    let result;
    try {
      result = await canary("10,30");
    } finally {
      clearInterval(watch);
    }
    const { code, report, said } = result;
    assert.equal(code, 1, said);
    assert.equal(report.failedAt, 30, said);
    assert.equal(report.failed?.name, "errorRate", said);
    assert.equal(report.failed?.condition, "<= 0.01");
    const value = report.failed?.samples.at(-1)?.reading.value as number;
    assert.ok(value > 0.01, `the measured error rate (${value}) broke the condition`);
    assert.deepEqual(
      report.analyses.map((a) => [a.weight, a.passed]),
      [
        [10, true],
        [30, false],
      ],
    );
    assert.equal(canaryWeight(), 0, "the route is back at 0");
    assert.equal(canaryDeployment().spec.replicas, 0, "the canary is scaled to zero");
  });
});
