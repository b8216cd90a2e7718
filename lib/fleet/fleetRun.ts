/**
 * A fleet upgrade, ring by ring: within a ring up to `concurrency` installs at once, each through
 * preflight -> preview with the policy pack -> up -> smoke. A failure stays with its install: the others
 * in its ring go on, a failed install is left as its `up` left it, and the next ring starts only when the
 * ring before it passed. After `maxFailures` failures no new install starts; running ones finish.
 * Pure orchestration: the steps are given (the CLI passes the Automation API, tests a fake).
 */
export const FLEET_STEPS = ["prepare", "preflight", "preview", "up", "smoke"] as const;
export type FleetStep = (typeof FLEET_STEPS)[number];

export interface StepOutcome {
  ok: boolean;
  /** What happened, one line (the error on failure). */
  detail: string;
}

export interface FleetTarget {
  stack: string;
  ring: string;
  /** The version the install runs now. */
  from: string;
}

export interface FleetSteps {
  /** Runs one step of one install; `log` appends to that install's log file. */
  run(step: FleetStep, target: FleetTarget, log: (line: string) => void): Promise<StepOutcome>;
  /** Where an install's log is written (reported with a failure). */
  logFile(stack: string): string;
  /** Appends to an install's log. */
  appendLog(stack: string, line: string): void;
}

export type InstallStatus = "passed" | "failed" | "skipped-current" | "not-started";

export interface InstallResult {
  stack: string;
  ring: string;
  from: string;
  status: InstallStatus;
  /** The step that failed, for a failure. */
  failedStep: FleetStep | null;
  detail: string;
  logFile: string | null;
  seconds: number;
}

export interface FleetRunOptions {
  rings: readonly string[];
  /** Installs to move, each with the ring it is tagged with. */
  targets: readonly FleetTarget[];
  /** Installs already at the target and verified: reported, not touched (a re-run resumes). */
  current: readonly FleetTarget[];
  concurrency: number;
  maxFailures: number;
  steps: FleetSteps;
  /** Progress, one line per step start and end. */
  progress(line: string): void;
  now(): number;
}

export interface FleetRunResult {
  results: InstallResult[];
  /** Rings that did not start, and why. */
  haltedRings: { ring: string; reason: string }[];
  allPassed: boolean;
}

async function upgradeOne(target: FleetTarget, options: FleetRunOptions): Promise<InstallResult> {
  const started = options.now();
  const { steps } = options;
  const log = (line: string) => steps.appendLog(target.stack, line);
  for (const step of FLEET_STEPS) {
    options.progress(`${target.ring}/${target.stack}: ${step} ...`);
    log(`== ${step}`);
    let outcome: StepOutcome;
    try {
      outcome = await steps.run(step, target, log);
    } catch (err) {
      outcome = { ok: false, detail: (err as Error).message.split("\n")[0] };
    }
    log(`== ${step}: ${outcome.ok ? "ok" : "FAILED"}: ${outcome.detail}`);
    if (!outcome.ok) {
      options.progress(`${target.ring}/${target.stack}: ${step} FAILED: ${outcome.detail}`);
      return {
        ...target,
        status: "failed",
        failedStep: step,
        detail: outcome.detail,
        logFile: steps.logFile(target.stack),
        seconds: Math.round((options.now() - started) / 1000),
      };
    }
    options.progress(`${target.ring}/${target.stack}: ${step} ok: ${outcome.detail}`);
  }
  return {
    ...target,
    status: "passed",
    failedStep: null,
    detail: "upgraded and verified",
    logFile: steps.logFile(target.stack),
    seconds: Math.round((options.now() - started) / 1000),
  };
}

export async function runFleetUpgrade(options: FleetRunOptions): Promise<FleetRunResult> {
  const results: InstallResult[] = options.current.map((t) => ({
    ...t,
    status: "skipped-current" as const,
    failedStep: null,
    detail: "already at the target and verified",
    logFile: null,
    seconds: 0,
  }));
  const haltedRings: FleetRunResult["haltedRings"] = [];
  let failures = 0;
  let halt: string | null = null;
  for (const ring of options.rings) {
    const queue = options.targets.filter((t) => t.ring === ring);
    if (queue.length === 0) continue;
    if (halt) {
      haltedRings.push({ ring, reason: halt });
      results.push(
        ...queue.map((t) => ({
          ...t,
          status: "not-started" as const,
          failedStep: null,
          detail: `ring ${ring} did not start: ${halt}`,
          logFile: null,
          seconds: 0,
        })),
      );
      continue;
    }
    options.progress(
      `ring ${ring}: ${queue.length} install(s), ${Math.min(options.concurrency, queue.length)} at a time`,
    );
    const ringResults: InstallResult[] = [];
    const pending = [...queue];
    const worker = async () => {
      for (let next = pending.shift(); next; next = pending.shift()) {
        if (failures >= options.maxFailures) {
          ringResults.push({
            ...next,
            status: "not-started",
            failedStep: null,
            detail: `not started: ${failures} failure(s) reached --max-failures ${options.maxFailures}`,
            logFile: null,
            seconds: 0,
          });
          continue;
        }
        const result = await upgradeOne(next, options);
        if (result.status === "failed") failures++;
        ringResults.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));
    results.push(...ringResults);
    const failed = ringResults.filter((r) => r.status !== "passed");
    if (failed.length) halt = `ring ${ring} did not pass (${failed.map((r) => `${r.stack}: ${r.status}`).join(", ")})`;
  }
  return {
    results,
    haltedRings,
    allPassed: results.every((r) => r.status === "passed" || r.status === "skipped-current"),
  };
}
