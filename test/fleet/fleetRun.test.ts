/** The fleet run's rules, directly: ring gates, --max-failures, concurrency, and failures kept per install. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineFailure } from "../../cli/fleetBackend";
import { FleetStep, FleetTarget, runFleetUpgrade, StepOutcome } from "../../lib/fleet/fleetRun";

function steps(fail: Record<string, FleetStep>, order: string[], delays: Record<string, number> = {}) {
  let running = 0;
  const peak = { value: 0 };
  return {
    peak,
    steps: {
      async run(step: FleetStep, target: FleetTarget): Promise<StepOutcome> {
        if (step === "prepare") {
          running++;
          peak.value = Math.max(peak.value, running);
          order.push(`start ${target.stack}`);
        }
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

const targets = (ring: string, n: number): FleetTarget[] =>
  Array.from({ length: n }, (_, i) => ({ stack: `${ring}-${i + 1}`, ring, from: "1.5.0" }));

describe("runFleetUpgrade", () => {
  it("stops starting installs after --max-failures; running ones finish; later rings do not start", async () => {
    const order: string[] = [];
    const { steps: s } = steps({ "a-1": "up" }, order);
    const result = await runFleetUpgrade({
      rings: ["a", "b"],
      targets: [...targets("a", 3), ...targets("b", 2)],
      current: [],
      concurrency: 1,
      maxFailures: 1,
      steps: s,
      progress: () => undefined,
      now: () => 0,
    });
    assert.deepEqual(
      result.results.map((r) => [r.stack, r.status]),
      [
        ["a-1", "failed"],
        ["a-2", "not-started"],
        ["a-3", "not-started"],
        ["b-1", "not-started"],
        ["b-2", "not-started"],
      ],
    );
    assert.deepEqual(order, ["start a-1"]);
    assert.equal(result.results[0].failedStep, "up");
    assert.equal(result.results[0].logFile, "/logs/a-1.log");
    assert.equal(result.allPassed, false);
  });

  it("runs at most --concurrency installs at once, and a ring passes only when all of it passed", async () => {
    const order: string[] = [];
    const { steps: s, peak } = steps({}, order, { "a-1": 20, "a-2": 20, "a-3": 20, "a-4": 20 });
    const result = await runFleetUpgrade({
      rings: ["a", "b"],
      targets: [...targets("a", 4), ...targets("b", 1)],
      current: [{ stack: "done", ring: "a", from: "1.5.1" }],
      concurrency: 2,
      maxFailures: 1,
      steps: s,
      progress: () => undefined,
      now: () => 0,
    });
    assert.equal(peak.value, 2);
    assert.equal(result.allPassed, true);
    assert.ok(order.indexOf("start b-1") > order.indexOf("start a-4"), "ring b starts after ring a");
    assert.equal(result.results.find((r) => r.stack === "done")?.status, "skipped-current");
  });

  it("a thrown step is a failure of that install with its message, not of the run", async () => {
    const result = await runFleetUpgrade({
      rings: ["a"],
      targets: targets("a", 2),
      current: [],
      concurrency: 2,
      maxFailures: 5,
      progress: () => undefined,
      now: () => 0,
      steps: {
        run: async (step, t) => {
          if (t.stack === "a-1" && step === "preview") throw new Error("engine exited 255\nmore");
          return { ok: true, detail: "" };
        },
        logFile: (s) => s,
        appendLog: () => undefined,
      },
    });
    const byStack = result.results.map((r) => [r.stack, r.status, r.detail]).sort((x, y) => x[0].localeCompare(y[0]));
    assert.deepEqual(byStack, [
      ["a-1", "failed", "engine exited 255"],
      ["a-2", "passed", "upgraded and verified"],
    ]);
  });
});

describe("runFleetUpgrade's report", () => {
  it("prints each step's start and end, logs each step per install, times each install, and says why later rings did not start", async () => {
    const progress: string[] = [];
    const logs: Record<string, string[]> = {};
    let clock = 1_000_000_000; // far from zero, so a sum of readings is no duration
    const result = await runFleetUpgrade({
      rings: ["a", "empty", "b", "c"],
      targets: [...targets("a", 3), ...targets("b", 1), ...targets("c", 1)],
      current: [{ stack: "done", ring: "a", from: "1.5.1" }],
      concurrency: 4,
      maxFailures: 5,
      progress: (line) => progress.push(line),
      now: () => (clock += 1500),
      steps: {
        run: async (step, t) =>
          t.stack === "a-2" && step === "smoke"
            ? { ok: false, detail: "smoke: 502 from /readyz" }
            : t.stack === "a-3" && step === "preview"
              ? { ok: false, detail: "policy refused" }
              : { ok: true, detail: `${step} done` },
        logFile: (stack) => `/logs/${stack}.log`,
        appendLog: (stack, line) => {
          (logs[stack] ??= []).push(line);
        },
      },
    });
    assert.equal(progress[0], "ring a: 3 install(s), 3 at a time");
    assert.deepEqual(
      progress.filter((l) => l.startsWith("a/a-2: smoke")),
      ["a/a-2: smoke ...", "a/a-2: smoke FAILED: smoke: 502 from /readyz"],
    );
    assert.deepEqual(
      progress.filter((l) => l.startsWith("a/a-1: up")),
      ["a/a-1: up ...", "a/a-1: up ok: up done"],
    );
    assert.equal(
      progress.some((l) => l.startsWith("ring empty") || l.startsWith("ring b") || l.startsWith("ring c")),
      false,
      progress.join("\n"),
    );
    assert.deepEqual(logs["a-1"].slice(0, 4), [
      "== prepare",
      "== prepare: ok: prepare done",
      "== preflight",
      "== preflight: ok: preflight done",
    ]);
    assert.deepEqual(logs["a-2"].slice(-2), ["== smoke", "== smoke: FAILED: smoke: 502 from /readyz"]);
    const halt = "ring a did not pass (a-3: failed, a-2: failed)";
    assert.deepEqual(result.haltedRings, [
      { ring: "b", reason: halt },
      { ring: "c", reason: halt },
    ]);
    const row = (stack: string) => result.results.find((r) => r.stack === stack);
    assert.deepEqual(row("done"), {
      stack: "done",
      ring: "a",
      from: "1.5.1",
      status: "skipped-current",
      failedStep: null,
      detail: "already at the target and verified",
      logFile: null,
      seconds: 0,
    });
    assert.deepEqual(row("b-1"), {
      stack: "b-1",
      ring: "b",
      from: "1.5.0",
      status: "not-started",
      failedStep: null,
      detail: `ring b did not start: ${halt}`,
      logFile: null,
      seconds: 0,
    });
    // Two installs interleave on one clock that moves 1.5 s per reading: each takes a whole number of seconds, more than none.
    for (const stack of ["a-1", "a-2"]) {
      const { seconds } = row(stack) as { seconds: number };
      assert.ok(Number.isInteger(seconds) && seconds >= 2 && seconds <= 30, `${stack}: ${seconds} s`);
    }
    assert.deepEqual(
      [row("a-1")?.status, row("a-1")?.detail, row("a-2")?.status, row("a-2")?.failedStep, row("a-2")?.detail],
      ["passed", "upgraded and verified", "failed", "smoke", "smoke: 502 from /readyz"],
    );
  });

  it("names the failures that reached --max-failures on each install it did not start", async () => {
    const { steps: s } = steps({ "a-1": "preflight" }, []);
    const result = await runFleetUpgrade({
      rings: ["a"],
      targets: targets("a", 2),
      current: [],
      concurrency: 1,
      maxFailures: 1,
      steps: s,
      progress: () => undefined,
      now: () => 0,
    });
    assert.deepEqual(
      result.results.map((r) => r.detail),
      ["preflight broke", "not started: 1 failure(s) reached --max-failures 1"],
    );
  });
});

describe("engineFailure: a failed preview or up in one line", () => {
  // The shape of the Automation API's CommandError for a failed `pulumi preview` (its first line is "code: -2").
  const commandError = new Error(
    [
      "code: -2",
      " stdout: Previewing update (acme-eu):",
      "    pulumi:pulumi:Stack lockstep-acme-eu running",
      "Policies:",
      "    ❌ lockstep@v0.1.0 (local: policy)",
      "        - [mandatory]  prod-promoted-only  (pulumi:pulumi:Stack: lockstep-acme-eu)",
      "          prod must run a set promoted from staging",
      "",
      " stderr: Command failed with exit code 255: pulumi preview --stack acme-eu --non-interactive",
      "error: preview failed",
      "",
      " err?: Error: Command failed with exit code 255",
    ].join("\n"),
  );

  it("names the command and exit code and keeps the error and policy lines, not the wrapper's first line", () => {
    const message = engineFailure("pulumi preview of acme-eu", commandError).message;
    assert.match(message, /^pulumi preview of acme-eu failed \(exit 255\): /);
    assert.match(message, /\[mandatory\] {2}prod-promoted-only/);
    assert.match(message, /error: preview failed/);
    assert.equal(message.includes("\n"), false, "one line, for the summary table");
  });

  it("keeps the program's own error, as the engine prints an unhandled exception", () => {
    const program = new Error(
      "code: -2\n stdout: error: Running program 'index.ts' failed with an unhandled exception:\n    LockstepInputError: lockstep:cluster.kubeconfig = \"\": must be the path of a kubeconfig file\n        at refuse (lib/config/config.ts:215:36)\n stderr: Command failed with exit code 1: pulumi up",
    );
    assert.match(
      engineFailure("pulumi up of acme-eu", program).message,
      /^pulumi up of acme-eu failed \(exit 1\): error: Running program .* \| LockstepInputError: lockstep:cluster\.kubeconfig = "": must be the path of a kubeconfig file$/,
    );
  });

  it("falls back to the last line when nothing says error", () => {
    assert.equal(
      engineFailure("pulumi up of x", new Error("code: 1\nsomething odd happened")).message,
      "pulumi up of x failed (exit 1): something odd happened",
    );
    assert.equal(
      engineFailure("pulumi up of x", new Error("code: 12\n  stdout:   first\nthen\n stderr: last")).message,
      "pulumi up of x failed (exit 12): last",
      "the last line alone, its stream's label dropped; a code of two digits",
    );
  });

  it("keeps the last three telling lines, once each, and at most 600 characters", () => {
    const lines = ["error: a", "error: b", "error: a", "error: c", "error: d"];
    assert.equal(
      engineFailure("pulumi up of x", new Error(lines.join("\n"))).message,
      "pulumi up of x failed: error: b | error: c | error: d",
    );
    const long = engineFailure("pulumi up of x", new Error(`error: ${"x".repeat(700)}`)).message;
    assert.equal(long.length, "pulumi up of x failed: ".length + 600);
  });

  it("a label is dropped only at the start of a line, with all the space after it", () => {
    assert.equal(
      engineFailure("pulumi up of x", new Error("code: 1\nsaid stdout: error:  here")).message,
      "pulumi up of x failed (exit 1): said stdout: error:  here",
    );
    assert.equal(
      engineFailure("pulumi up of x", new Error("code: 1\nerr?:   error: here")).message,
      "pulumi up of x failed (exit 1): error: here",
    );
  });
});
