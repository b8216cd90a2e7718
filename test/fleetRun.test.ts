/** The fleet run's rules, directly: ring gates, --max-failures, concurrency, and failures kept per install. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FleetStep, FleetTarget, runFleetUpgrade, StepOutcome } from "../lib/fleetRun";

function steps(fail: Record<string, FleetStep>, order: string[], delays: Record<string, number> = {}) {
  let running = 0;
  const peak = { value: 0 };
  return {
    peak,
    steps: {
      async run(step: FleetStep, target: FleetTarget): Promise<StepOutcome> {
        if (step === "prepare") { running++; peak.value = Math.max(peak.value, running); order.push(`start ${target.stack}`); }
        await new Promise((r) => setTimeout(r, delays[target.stack] ?? 1));
        const failed = fail[target.stack] === step;
        if (failed || step === "smoke") running--;
        return failed ? { ok: false, detail: `${step} broke` } : { ok: true, detail: "ok" };
      },
      logFile: (stack: string) => `/logs/${stack}.log`,
      appendLog: () => undefined,
    },
  };
}

const targets = (ring: string, n: number): FleetTarget[] => Array.from({ length: n }, (_, i) => ({ stack: `${ring}-${i + 1}`, ring, from: "1.5.0" }));

describe("runFleetUpgrade", () => {
  it("stops starting installs after --max-failures; running ones finish; later rings do not start", async () => {
    const order: string[] = [];
    const { steps: s } = steps({ "a-1": "up" }, order);
    const result = await runFleetUpgrade({ rings: ["a", "b"], targets: [...targets("a", 3), ...targets("b", 2)], current: [], concurrency: 1, maxFailures: 1, steps: s, progress: () => undefined, now: () => 0 });
    assert.deepEqual(result.results.map((r) => [r.stack, r.status]), [["a-1", "failed"], ["a-2", "not-started"], ["a-3", "not-started"], ["b-1", "not-started"], ["b-2", "not-started"]]);
    assert.deepEqual(order, ["start a-1"]);
    assert.equal(result.results[0].failedStep, "up");
    assert.equal(result.results[0].logFile, "/logs/a-1.log");
    assert.equal(result.allPassed, false);
  });

  it("runs at most --concurrency installs at once, and a ring passes only when all of it passed", async () => {
    const order: string[] = [];
    const { steps: s, peak } = steps({}, order, { "a-1": 20, "a-2": 20, "a-3": 20, "a-4": 20 });
    const result = await runFleetUpgrade({ rings: ["a", "b"], targets: [...targets("a", 4), ...targets("b", 1)], current: [{ stack: "done", ring: "a", from: "1.5.1" }], concurrency: 2, maxFailures: 1, steps: s, progress: () => undefined, now: () => 0 });
    assert.equal(peak.value, 2);
    assert.equal(result.allPassed, true);
    assert.ok(order.indexOf("start b-1") > order.indexOf("start a-4"), "ring b starts after ring a");
    assert.equal(result.results.find((r) => r.stack === "done")?.status, "skipped-current");
  });

  it("a thrown step is a failure of that install with its message, not of the run", async () => {
    const result = await runFleetUpgrade({
      rings: ["a"], targets: targets("a", 2), current: [], concurrency: 2, maxFailures: 5, progress: () => undefined, now: () => 0,
      steps: { run: async (step, t) => { if (t.stack === "a-1" && step === "preview") throw new Error("engine exited 255\nmore"); return { ok: true, detail: "" }; }, logFile: (s) => s, appendLog: () => undefined },
    });
    const byStack = result.results.map((r) => [r.stack, r.status, r.detail]).sort((x, y) => x[0].localeCompare(y[0]));
    assert.deepEqual(byStack, [["a-1", "failed", "engine exited 255"], ["a-2", "passed", "upgraded and verified"]]);
  });
});
