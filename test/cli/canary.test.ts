/**
 * `lockstep canary` over a fake of the Automation API (test/fleetKit.ts) and a TEST DOUBLE of the
 * Prometheus HTTP API (a loopback server answering /api/v1/query from a script, by metric and by the
 * weight the stack file holds). The e2e tier runs it against a real Prometheus (canary.e2e.ts).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { editStackConfig, readStackValues, stackFilePath } from "../../lib/config/stackFile";
import { loadCatalog } from "../../lib/release/catalog";
import { env, lockstep, tempProject } from "../cliKit";
import { FakeFleet } from "../fleetKit";
import { golden } from "../goldenKit";
import { PROJECT } from "../helpers";

const catalog = loadCatalog(path.join(PROJECT, "releases"));
type Metric = "errorRate" | "latencyRatio" | "requests";
/** What the double answers: a value, "empty" (no series) or "NaN", by metric and current weight. */
type Script = (metric: Metric, weight: number) => number | "empty" | "NaN";

describe("lockstep canary", () => {
  let server: http.Server;
  let url: string;
  let script: Script = () => 0;
  let weightNow: () => number = () => 0;
  const queries: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
      queries.push(query);
      const metric: Metric = /code=~/.test(query)
        ? "errorRate"
        : /histogram_quantile/.test(query)
          ? "latencyRatio"
          : "requests";
      const answer = script(metric, weightNow());
      const result = answer === "empty" ? [] : [{ metric: {}, value: [Date.now() / 1000, String(answer)] }];
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const healthy: Script = (m) => ({ errorRate: 0.001, latencyRatio: 1.1, requests: 120 })[m];
  /** Staging in the 1.3.4 -> 1.4.2 window, the gateways behind, the analysis sampling fast. */
  function setup(upgrade: Record<string, unknown> = { mode: "rolling" }, extra: Record<string, unknown> = {}) {
    const dir = tempProject();
    const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.3.4" });
    const file = stackFilePath("staging", dir);
    const fast = { interval: "20ms", samples: 2, failureLimit: 0 };
    fs.writeFileSync(
      file,
      editStackConfig(file, fs.readFileSync(file, "utf8"), {
        release: "1.4.2",
        console: { blue: "1.4.2", green: "1.3.4", live: "green" },
        upgrade,
        canary: {
          ...(extra.prometheusUrl === null ? {} : { prometheusUrl: url }),
          steps: [10, 50],
          metrics: {
            errorRate: { max: 0.01, ...fast },
            latencyRatio: { max: 1.5, ...fast },
            requests: { min: 20, ...fast },
          },
        },
        ...(extra.cluster ? { cluster: extra.cluster } : {}),
      }),
    );
    weightNow = () =>
      (readStackValues("staging", dir).upgrade as { gatewayCanaryPercent?: number }).gatewayCanaryPercent ?? 0;
    const weightsUpped: number[] = [];
    const up = fleet.up.bind(fleet);
    fleet.up = async (stack, options) => {
      weightsUpped.push(weightNow());
      await up(stack, options);
      // The fake's up leaves every workload at the release; a window's stable gateways stay behind until it closes.
      (fleet.stacks.get("staging")?.outputs.workloads as Record<string, string>).gateway = "1.3.4";
    };
    const progress: string[] = [];
    const kubectlCalls: string[][] = [];
    const kubectl = extra.kubectl as
      ((args: string[]) => { status: number; stdout: string; stderr: string }) | undefined;
    return {
      dir,
      fleet,
      weightsUpped,
      progress,
      kubectlCalls,
      e: env(dir, { fleet, progress, kubectl, kubectlCalls }),
    };
  }

  it("a passing run: each step a pulumi up with the policy pack, then the analysis; exit 0 at the last weight", async () => {
    script = healthy;
    const { weightsUpped, e, progress } = setup();
    const r = await lockstep(e, "canary", "--stack", "staging", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(weightsUpped, [10, 50]);
    const json = JSON.parse(r.stdout);
    assert.deepEqual([json.ok, json.weight], [true, 50]);
    assert.deepEqual(
      json.analyses.map((a: { weight: number; passed: boolean }) => [a.weight, a.passed]),
      [
        [10, true],
        [50, true],
      ],
    );
    assert.equal(weightNow(), 50);
    assert.ok(progress.some((l) => /canary 10 %: errorRate sample 2\/2 = 0\.001 \(<= 0\.01\): ok/.test(l)));
    assert.ok(
      queries.some((q) => q.includes('namespace="aigw-staging"')),
      "the queries are of the stack's namespace",
    );
  });

  it("without a prometheusUrl, reads the release's own Prometheus through the API server's service proxy, with the stack's kubeconfig", async () => {
    script = healthy;
    /** A kubectl double: `get --raw` on the proxy path answers as the Prometheus double would. */
    const kubectl = (args: string[]) => {
      const raw = args[args.indexOf("--raw") + 1] ?? "";
      const query = new URL(raw, "http://x").searchParams.get("query") ?? "";
      const metric: Metric = /code=~/.test(query)
        ? "errorRate"
        : /histogram_quantile/.test(query)
          ? "latencyRatio"
          : "requests";
      const value = String(script(metric, weightNow()));
      const result = [{ metric: {}, value: [Date.now() / 1000, value] }];
      return {
        status: 0,
        stdout: JSON.stringify({ status: "success", data: { resultType: "vector", result } }),
        stderr: "",
      };
    };
    const { dir, e, kubectlCalls, progress } = setup(
      { mode: "rolling" },
      { prometheusUrl: null, cluster: { kubeconfig: "kube/staging.yaml", context: "staging" }, kubectl },
    );
    const r = await lockstep(e, "canary", "--stack", "staging", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(
      progress.includes(
        "canary: metrics from the release's Prometheus (service prometheus-server in aigw-staging, through the Kubernetes API)",
      ),
      progress.join("\n"),
    );
    assert.equal(kubectlCalls.length, 12, "3 metrics, 2 samples, 2 steps");
    const [call] = kubectlCalls;
    assert.deepEqual(call.slice(0, 6), [
      "--kubeconfig",
      path.join(dir, "kube/staging.yaml"),
      "--context",
      "staging",
      "get",
      "--raw",
    ]);
    assert.match(
      call[6],
      /^\/api\/v1\/namespaces\/aigw-staging\/services\/http:prometheus-server:80\/proxy\/api\/v1\/query\?query=/,
    );
    assert.match(decodeURIComponent(call[6]), /namespace="aigw-staging",track="canary"/);

    // kubectl's refusal is the sample's error, never no data: the step fails and the run aborts.
    const down = setup(
      { mode: "rolling" },
      {
        prometheusUrl: null,
        kubectl: () => ({
          status: 1,
          stdout: "",
          stderr:
            'Error from server (ServiceUnavailable): no endpoints available for service "http:prometheus-server:80"',
        }),
      },
    );
    const failed = await lockstep(down.e, "canary", "--stack", "staging");
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(
      failed.stdout,
      /FAILED at 10 %: errorRate = error \(kubectl get --raw \/api\/v1\/namespaces\/aigw-staging\/services\/http:prometheus-server:80\/proxy\/…: Error from server \(ServiceUnavailable\): no endpoints available/,
    );
    assert.deepEqual(down.weightsUpped, [10, 0]);

    // A query the release's Prometheus answers with two series fails the sample the same way: the run aborts.
    const twoSeries = {
      status: "success",
      data: { resultType: "vector", result: [0, 1].map((i) => ({ metric: { pod: `p${i}` }, value: [0, "0"] })) },
    };
    const split = setup(
      { mode: "rolling" },
      { prometheusUrl: null, kubectl: () => ({ status: 0, stdout: JSON.stringify(twoSeries), stderr: "" }) },
    );
    const aborted = await lockstep(split.e, "canary", "--stack", "staging");
    assert.equal(aborted.code, 1, aborted.stdout + aborted.stderr);
    assert.match(
      aborted.stdout,
      /FAILED at 10 %: errorRate = error \(.* returned 2 series; a canary metric must return one/,
    );
    assert.deepEqual(split.weightsUpped, [10, 0]);
  });

  it("a failure at a step aborts: a real up at weight 0, exit 1, the measured value and the broken condition", async () => {
    script = (m, weight) => (m === "errorRate" && weight === 50 ? 0.2 : healthy(m, weight));
    const { weightsUpped, e } = setup();
    const r = await lockstep(e, "canary", "--stack", "staging");
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(weightsUpped, [10, 50, 0]);
    assert.equal(weightNow(), 0);
    assert.match(
      r.stdout,
      /^canary staging: FAILED at 50 %: errorRate = 0\.2, condition <= 0\.01 \(1 failed of 1 samples\)/,
    );
    assert.match(r.stdout, /aborted: the weight is back at 0 %/);
    assert.match(r.stdout, /50 %\s+errorRate\s+0\.2 ✗\s+<= 0\.01\s+failed/);
  });

  it("no data: a canary that served nothing fails its request count, and the run aborts", async () => {
    script = (m) => (m === "requests" ? "empty" : m === "errorRate" ? "NaN" : 1);
    const { weightsUpped, e } = setup();
    const r = await lockstep(e, "canary", "--stack", "staging", "--json");
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(weightsUpped, [10, 0]);
    const json = JSON.parse(r.stdout);
    assert.equal(json.failedAt, 10);
    assert.ok(["errorRate", "requests"].includes(json.failed.name));
    assert.ok("noData" in json.failed.samples[0].reading);
  });

  it("a run that died mid-analysis left its weight: the next run brings it to 0 first", async () => {
    script = healthy;
    const { weightsUpped, e } = setup({ mode: "rolling", gatewayCanaryPercent: 25 });
    const r = await lockstep(e, "canary", "--stack", "staging", "--steps", "10");
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(weightsUpped, [0, 10]);
  });

  it("an up that fails at a step (a policy refusal): exit 1 with the engine's message, then back at 0", async () => {
    script = healthy;
    const { fleet, weightsUpped, e } = setup();
    const up = fleet.up.bind(fleet);
    fleet.up = async (stack, options) => {
      if (weightNow() === 50) {
        weightsUpped.push(50);
        throw new Error("pulumi up of staging failed (exit 1): [mandatory] canary-bounds: must be at most 30");
      }
      await up(stack, options);
    };
    const r = await lockstep(e, "canary", "--stack", "staging", "--json");
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(weightsUpped, [10, 50, 0]);
    const json = JSON.parse(r.stdout);
    assert.deepEqual([json.upFailedAt, json.aborted], [50, true]);
    assert.match(json.error, /canary-bounds: must be at most 30/);
    assert.equal(weightNow(), 0);
  });

  it("an abort whose up fails too says the canary may still take traffic, and what to run", async () => {
    script = (m, weight) => (m === "errorRate" && weight === 10 ? 0.5 : healthy(m, weight));
    const { fleet, e } = setup();
    const up = fleet.up.bind(fleet);
    fleet.up = async (stack, options) => {
      if (weightNow() === 0) throw new Error("pulumi up of staging failed (exit 255): connection refused");
      await up(stack, options);
    };
    const r = await lockstep(e, "canary", "--stack", "staging");
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^canary staging: pulumi up at 0 % failed: pulumi up of staging failed \(exit 255\)/);
    assert.match(r.stdout, /the canary may still take traffic/);
  });

  it("bad input: steps, a Prometheus URL that is not one, a coordinated window, no canary to judge; exit 2 and the stack file untouched", async () => {
    script = healthy;
    const { dir, fleet, e } = setup();
    const before = fs.readFileSync(stackFilePath("staging", dir), "utf8");
    const refused = async (args: string[], message: RegExp, envOf = e) => {
      const r = await lockstep(envOf, "canary", "--stack", "staging", ...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, message);
    };
    await refused(["--steps", "50,10"], /--steps "50,10": must be whole percentages from 1 to 100, increasing/);
    await refused(["--steps", "10,abc"], /--steps "10,abc"/);
    await refused(
      ["--prometheus", "prometheus:9090"],
      /--prometheus "prometheus:9090": must be an absolute http\(s\) URL/,
    );
    (fleet.stacks.get("staging")?.outputs.workloads as Record<string, string>).gateway = "1.4.2";
    await refused([], /no gateway canary to judge: its gateways already run 1\.4\.2/);
    await refused([], /lockstep canary runs pulumi up with the Pulumi CLI, and none is installed/, env(dir));
    assert.equal(fs.readFileSync(stackFilePath("staging", dir), "utf8"), before);
    assert.ok(!fleet.calls.some((c) => c.startsWith("up")));

    const coordinated = setup({ mode: "coordinated" });
    const r = await lockstep(coordinated.e, "canary", "--stack", "staging");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /lockstep:upgrade\.mode is coordinated/);
  });
  /** Stdout, then the progress lines, with the double's port and the project folder made stable. */
  const printed = (stdout: string, progress: string[]) =>
    `${stdout}\n--- progress\n${progress.join("\n")}`.split(url).join("<prometheus>");

  it("what a passing run prints: each step's up and samples, the verdict table and what to do next", async () => {
    script = healthy;
    const { dir, e, progress } = setup();
    const r = await lockstep(e, "canary", "--stack", "staging");
    assert.equal(r.code, 0, r.stderr);
    golden("canary-passed", printed(r.stdout, progress), dir);
  });

  it("what a failed step prints: the broken condition, the abort and every sample so far", async () => {
    script = (m, weight) => (m === "errorRate" && weight === 50 ? 0.2 : healthy(m, weight));
    const { dir, e, progress } = setup();
    const r = await lockstep(e, "canary", "--stack", "staging");
    assert.equal(r.code, 1);
    golden("canary-failed", printed(r.stdout, progress), dir);
    const json = JSON.parse((await lockstep(setup().e, "canary", "--stack", "staging", "--json")).stdout);
    assert.deepEqual([json.ok, json.failedAt, json.weight, json.failed.name], [false, 50, 0, "errorRate"]);
  });

  it("what a run prints that first brings back an earlier run's weight, then an up that fails and its abort", async () => {
    script = healthy;
    const { dir, fleet, e, progress, weightsUpped } = setup({ mode: "rolling", gatewayCanaryPercent: 25 });
    const up = fleet.up.bind(fleet);
    fleet.up = async (stack, options) => {
      if (weightNow() === 50) throw new Error("pulumi up of staging failed (exit 1): [mandatory] canary-bounds");
      await up(stack, options);
    };
    const r = await lockstep(e, "canary", "--stack", "staging");
    assert.equal(r.code, 1);
    assert.deepEqual(weightsUpped, [0, 10, 0]);
    golden("canary-up-failed", printed(r.stdout, progress), dir);
  });

  it("--prometheus takes an http or https URL and nothing around it", async () => {
    script = healthy;
    const { e } = setup({ mode: "rolling" }, { prometheusUrl: null });
    const r = await lockstep(e, "canary", "--stack", "staging", "--steps", "10", "--prometheus", url);
    assert.equal(r.code, 0, r.stderr);
    for (const bad of [`${url} extra`, `x${url}`, "http://", "ftp://prometheus:9090"]) {
      const refused = await lockstep(e, "canary", "--stack", "staging", "--prometheus", bad);
      assert.equal(refused.code, 2, bad);
      assert.match(refused.stderr, /must be an absolute http\(s\) URL/, bad);
    }
  });
});
