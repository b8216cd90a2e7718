/**
 * Zero downtime, measured. The real Pulumi CLI runs an upgrade window (1.3.4 -> 1.4.2, migrations expand-only, gateway canary at
 * 10 %, console flipped to green) with every await on, against a simulated cluster where Deployments
 * really roll (kube-controller-manager and kwok; simulated/cluster.ts). A watcher records every Service's
 * ready endpoints, Deployment availability, PDB status, selectors and route weights; the tests assert on
 * that timeline and write it as an SVG (reports/e2e/rollout-timeline.svg; one run's copy in docs/).
 * A negative control forces maxUnavailable to the replica count and must see the gap.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { EngineEvent, Stack, UpResult } from "@pulumi/pulumi/automation";
import { LABELS } from "../../lib/core/names";
import { timelineSvg } from "./simulated/plot";
import { RolloutWatch } from "./simulated/rolloutWatch";
import { splitLines, StepTimes, WindowSplit, windowSplit } from "./simulated/split";
import {
  criticalPathMs,
  firstReady,
  GateStep,
  PodRecord,
  servedEarly,
  Timeline,
  zeroDowntimeViolations,
  ZeroDowntimeSpec,
} from "./simulated/timeline";
import { EngineTier, PROJECT } from "./tier";

const NS = "aigw-staging";
const FROM = "1.3.4";
const TO = "1.4.2";
/** Readiness per app: the API's stands for its migrations at startup. */
const DELAYS = {
  byApp: {
    api: 5000,
    gateway: 1500,
    console: 1500,
    "worker-export": 1000,
    "worker-lifecycle": 1000,
    "worker-config": 1000,
  },
  otherMs: 500,
};
const BACKUP_DELAY_MS = 2000;
const REPLICAS = 3;
const REPORTS = path.join(PROJECT, "reports", "e2e");

const SPEC: ZeroDowntimeSpec = {
  services: ["api", "gateway-stable", "console"],
  flipped: { service: "console", deploymentOf: (selector) => `console-${selector[LABELS.color] ?? "?"}` },
};
const PLOT = {
  services: ["api", "gateway-stable", "gateway-canary", "console", "console-blue", "console-green"],
  marks:
    /^(backups done|api|gateway-canary|gateway-route|gateway-policy-check|console-green|console-flip-check|console flip|worker-export|smoke-test)$/,
};

/**
 * The engine's steps: finished ones as timeline marks (the watch's clock), for the plot and the wave
 * order, and every step's start and end (wall clock) for the split of the `up`'s time.
 */
function marker(watch: RolloutWatch): {
  onEvent: (e: EngineEvent) => void;
  done: Map<string, number>;
  steps: Map<string, StepTimes & { op: string }>;
  firstEventAt: () => number | undefined;
} {
  const done = new Map<string, number>();
  const steps = new Map<string, StepTimes & { op: string }>();
  let firstEvent: number | undefined;
  return {
    done,
    steps,
    firstEventAt: () => firstEvent,
    onEvent: (e) => {
      firstEvent ??= Date.now();
      // A replaced resource's old copy is deleted after everything else: cleanup no wave waits for, so it
      // is neither a mark nor a step of its wave (it would stretch the wave to the end of the up).
      const op = e.resourcePreEvent?.metadata.op ?? e.resOutputsEvent?.metadata.op;
      if (op === "delete-replaced" || op === "discard-replaced") return;
      const started = e.resourcePreEvent?.metadata;
      if (started) {
        const state = started.new ?? started.old;
        steps.set(started.urn, {
          urn: started.urn,
          parent: state?.parent || undefined,
          custom: state?.custom === true,
          changed: started.op !== "same" && started.op !== "read",
          op: started.op,
          started: Date.now(),
        });
      }
      const m = e.resOutputsEvent?.metadata;
      const finished = m && steps.get(m.urn);
      if (finished) finished.done = Date.now();
      if (!m || m.op === "same" || m.op === "read") return;
      const name = m.urn.split("::").pop() as string;
      const label =
        name === "console-svc" ? "console flip" : /^await-|^openbao-snapshot-/.test(name) ? "backups done" : name;
      watch.mark(label);
      done.set(name, Date.now());
    },
  };
}

const isNew = (app: string) => (p: PodRecord) => p.app === app && p.version === TO;

describe("zero downtime, measured on a simulated cluster where Deployments really roll", { timeout: 1_200_000 }, () => {
  let tier: EngineTier;
  let stack: Stack;
  let timeline: Timeline;
  let upMs = 0;
  /** The `pulumi up` process alone, and what the Automation API adds around it. */
  let cli: { upProcessMs: number; beforeMs: number; afterMs: number } | undefined;
  let split: WindowSplit;
  let clusterFloor: { deployment: string; gatesMs: number; kubectlMs: number } | undefined;

  before(async () => {
    tier = await EngineTier.start({
      simulated: DELAYS,
      cnpg: { backupDelayMs: BACKUP_DELAY_MS, clusterDelayMs: 1000 },
    });
    stack = await tier.stack("staging", {
      ...tier.localConfig("staging"),
      "lockstep:ha": "true",
      "lockstep:release": FROM,
      "lockstep:console.blue": FROM,
      "lockstep:console.green": FROM,
      "lockstep:console.live": "blue",
    });
  });
  after(async () => {
    await tier?.stop();
  });

  it(`first deploy at ${FROM} with every await on: the charts, the databases and every Deployment are Ready when up returns`, async () => {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    tier.backupCredentials(NS); // the platform team's, once the namespace exists
    const deployments = JSON.parse(tier.kubectl(["get", "deployments", "-n", NS, "-o", "json"]).stdout).items as {
      metadata: { name: string };
      spec: { replicas: number };
      status: { availableReplicas?: number };
    }[];
    const notReady = deployments
      .filter((d) => d.status.availableReplicas !== d.spec.replicas)
      .map((d) => d.metadata.name);
    assert.deepEqual(notReady, [], "up returned only after every Deployment was available");
    assert.ok(
      deployments.some((d) => d.metadata.name === "api" && d.spec.replicas === REPLICAS),
      "HA: the API runs three replicas",
    );
    const pods = JSON.parse(tier.kubectl(["get", "pods", "-A", "-o", "json"]).stdout).items as {
      metadata: { namespace: string };
      status: { phase: string };
    }[];
    assert.ok(
      pods.filter((p) => p.status.phase === "Running").length >= 20,
      `pods really run on the kwok node (${pods.length})`,
    );
    assert.ok(
      pods.some((p) => p.metadata.namespace === "cnpg-system"),
      "the operators' chart pods run too",
    );
  });

  it(`upgrade window ${FROM} -> ${TO} (canary 10 %, console to green): no Service the platform serves from ever has 0 ready endpoints`, async () => {
    const watch = new RolloutWatch(tier.server.kubeconfig, NS);
    await watch.start();
    const { onEvent, done, steps, firstEventAt } = marker(watch);
    await tier.setConfig(stack, {
      "lockstep:release": TO,
      "lockstep:upgrade.gatewayCanaryPercent": "10",
      "lockstep:console.green": TO,
      "lockstep:console.live": "green",
    });
    const started = Date.now();
    let up: UpResult;
    try {
      up = await stack.up({ onEvent });
    } finally {
      const ended = Date.now();
      upMs = ended - started;
      const upProcess = tier.cliProcesses.filter((p) => p.subcommand === "up" && p.startedAt >= started).at(-1);
      if (upProcess)
        cli = {
          upProcessMs: upProcess.endedAt - upProcess.startedAt,
          beforeMs: upProcess.startedAt - started,
          afterMs: ended - upProcess.endedAt,
        };
      split = windowSplit([...steps.values()], started, ended);
      timeline = watch.stop();
      // Every step, unchanged ones too, on the up's clock: where the start and the gaps go.
      const at = (t: number | undefined) => (t === undefined ? undefined : t - started);
      const stepLog = [...steps.values()].map((s) => ({
        name: s.urn.split("::").pop(),
        op: s.op,
        custom: s.custom,
        startedMs: at(s.started),
        doneMs: at(s.done),
      }));
      fs.mkdirSync(REPORTS, { recursive: true });
      fs.writeFileSync(
        path.join(REPORTS, "rollout-steps.json"),
        `${JSON.stringify({ upStartedAt: started, firstEventMs: at(firstEventAt()), upMs, steps: stepLog }, null, 1)}\n`,
      );
      fs.writeFileSync(path.join(REPORTS, "rollout-timeline.json"), `${JSON.stringify(timeline, null, 1)}\n`);
      fs.writeFileSync(
        path.join(REPORTS, "rollout-timeline.svg"),
        timelineSvg(timeline, {
          ...PLOT,
          title: `lockstep ${FROM} -> ${TO} on the simulated cluster: ready endpoints per Service`,
        }),
      );
    }
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(zeroDowntimeViolations(timeline, SPEC), []);
    // The watch saw the rollout it judges: the API rolled through new pods, the canary came up, the console flipped.
    assert.ok(timeline.pods.filter(isNew("api")).length >= REPLICAS, "three new API pods");
    assert.ok(
      timeline.endpoints.some((s) => s.service === "gateway-canary" && s.ready === 2),
      "the canary track's two replicas served",
    );
    const flips = timeline.selectors.filter((s) => s.service === "console").map((s) => s.selector[LABELS.color]);
    assert.deepEqual(flips, ["blue", "green"], "the live console Service switched once, blue to green");
    assert.ok(
      done.has("console-svc") &&
        done.has("console-green") &&
        (done.get("console-svc") as number) >= (done.get("console-green") as number),
      "the flip finished after green's rollout",
    );
    // The stage checks ran where the waves need them: policy enforcement after the gateways moved and
    // before any console pod; green's own address checked before the live Service selected it.
    // The engine's own clock (step start and end), not pod timestamps, which have whole seconds only.
    const startOf = (name: string) => [...steps.values()].find((st) => st.urn.endsWith(`::${name}`))?.started;
    const doneAt = (name: string) => done.get(name) ?? Number.NaN;
    assert.ok(doneAt("gateway-policy-check") >= doneAt("gateway-route"), "the policy check ran after the route moved");
    assert.ok(
      doneAt("gateway-policy-check") <= (startOf("console-green") ?? Number.NaN),
      "the console wave started after the policy check passed",
    );
    assert.ok(
      doneAt("console-flip-check") <= (startOf("console-svc") ?? Number.NaN),
      "green was checked before the flip started",
    );
    assert.ok(tier.endpoints.served.includes("GET /preview/green/api/config 200"), "at green's own address");
  });

  it("the API's new pods take traffic only after their readiness (migration) delay", () => {
    assert.deepEqual(servedEarly(timeline, isNew("api"), DELAYS.byApp.api), []);
    const served = timeline.served.filter(
      (s) => s.service === "api" && timeline.pods.some((p) => p.name === s.pod && isNew("api")(p)),
    );
    assert.equal(served.length, REPLICAS, "each new API pod joined the Service");
  });

  it("the first Ready of each wave follows the wave order: backups, API, gateways, console, workers", () => {
    const backupsDone = Math.max(...timeline.marks.filter((m) => m.label.startsWith("backups done")).map((m) => m.t));
    const order = firstReady(timeline, [
      { wave: "api", match: isNew("api") },
      { wave: "gateways", match: isNew("gateway") },
      { wave: "console", match: isNew("console") },
      { wave: "workers", match: (p) => p.app.startsWith("worker-") && p.version === TO },
    ]);
    assert.ok(
      order.every((w) => w.t !== undefined),
      `every wave brought up new pods: ${JSON.stringify(order)}`,
    );
    const times = order.map((w) => w.t as number);
    assert.ok(
      backupsDone < times[0],
      `the backups completed (${backupsDone} ms) before the first new API pod was Ready (${times[0]} ms)`,
    );
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
      `waves in order: ${order.map((w) => `${w.wave}@${w.t}`).join(", ")}`,
    );
  });

  // What the simulated cluster itself adds to a rolling update (its controllers, kwok, the scheduler
  // double), with no engine or program involved: the floor under each wave's own time.
  it("the cluster's own floor: a rolling restart of the API with kubectl alone, against its gates", async () => {
    const patch = { spec: { template: { metadata: { annotations: { "lockstep.e2e/restart": "floor" } } } } };
    const patched = await tier.kubectlAsync([
      "patch",
      "deployment",
      "api",
      "-n",
      NS,
      "--type",
      "merge",
      "-p",
      JSON.stringify(patch),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const restarted = Date.now();
    const rolled = await tier.kubectlAsync(["rollout", "status", "deployment/api", "-n", NS, "--timeout=120s"]);
    assert.equal(rolled.code, 0, rolled.stderr);
    clusterFloor = { deployment: "api", gatesMs: DELAYS.byApp.api * REPLICAS, kubectlMs: Date.now() - restarted };
    assert.ok(
      clusterFloor.kubectlMs >= clusterFloor.gatesMs,
      `a rolling update cannot beat its gates: ${JSON.stringify(clusterFloor)}`,
    );
  });

  it("reports the upgrade's wall time against the critical path of its readiness gates", () => {
    // Per wave, the slowest gate times the times it is passed in turn: a rolling update (maxSurge 1,
    // maxUnavailable 0) passes its pod's readiness once per replica; a new Deployment once.
    const steps: GateStep[] = [
      { wave: "pre-upgrade-backup", delayMs: BACKUP_DELAY_MS, sequentialSteps: 1 },
      { wave: "api", delayMs: DELAYS.byApp.api, sequentialSteps: REPLICAS },
      { wave: "gateways", delayMs: DELAYS.byApp.gateway, sequentialSteps: 1 },
      { wave: "console", delayMs: DELAYS.byApp.console, sequentialSteps: REPLICAS },
      { wave: "workers", delayMs: DELAYS.byApp["worker-export"], sequentialSteps: 2 },
    ];
    const critical = criticalPathMs(steps);
    const changes = timeline.marks.map((m) => m.t);
    const changing =
      Math.max(...changes) -
      Math.min(...timeline.pods.filter((p) => p.version === TO).map((p) => p.created), ...changes);
    const figures = {
      measuredAt: new Date().toISOString(),
      from: FROM,
      to: TO,
      replicas: REPLICAS,
      delays: DELAYS,
      backupDelayMs: BACKUP_DELAY_MS,
      criticalPathMs: critical,
      upWallMs: upMs,
      rolloutWallMs: changing,
      ratioUp: Number((upMs / critical).toFixed(2)),
      // What a user's `pulumi up` takes: the CLI process alone, without the Automation API's reads after it.
      upProcessMs: cli?.upProcessMs,
      ratioUpProcess: cli ? Number((cli.upProcessMs / critical).toFixed(2)) : undefined,
      automationApi: cli ? { beforeMs: cli.beforeMs, afterMs: cli.afterMs } : undefined,
      ratioRollout: Number((changing / critical).toFixed(2)),
      split,
      clusterFloor,
    };
    fs.writeFileSync(path.join(REPORTS, "rollout.json"), `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`rollout figures: ${JSON.stringify(figures)}\n${splitLines(split).join("\n")}\n`);
    assert.ok(
      changing >= critical,
      `the rollout cannot beat its own readiness gates: ${changing} ms < ${critical} ms means a gate was skipped`,
    );
  });

  it("negative control: with maxUnavailable forced to the replica count, the same watcher sees the API's endpoint gap", async () => {
    const watch = new RolloutWatch(tier.server.kubeconfig, NS);
    await watch.start();
    const patch = {
      spec: {
        strategy: { rollingUpdate: { maxUnavailable: REPLICAS, maxSurge: 0 } },
        template: { metadata: { annotations: { "lockstep.e2e/restart": "control" } } },
      },
    };
    // Asynchronous kubectl: the pod binder and the watch run in this process.
    const patched = await tier.kubectlAsync([
      "patch",
      "deployment",
      "api",
      "-n",
      NS,
      "--type",
      "merge",
      "-p",
      JSON.stringify(patch),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const rolled = await tier.kubectlAsync(["rollout", "status", "deployment/api", "-n", NS, "--timeout=120s"]);
    assert.equal(rolled.code, 0, rolled.stderr);
    await new Promise((r) => setTimeout(r, 1000)); // the last EndpointSlice update reaches the watch
    const control = watch.stop();
    const violations = zeroDowntimeViolations(control, SPEC);
    const gap = violations.find((v) => v.what === "Service api had 0 ready endpoints");
    assert.ok(gap, `the watcher saw the gap: ${JSON.stringify(violations)}`);
    assert.ok(
      gap.to - gap.from >= DELAYS.byApp.api * 0.8,
      `the gap lasted about the API's readiness delay: ${gap.to - gap.from} ms`,
    );
  });
});
