#!/usr/bin/env node
/**
 * The smoke test the Verification and stage checks run (`node bin/cli/smoke.js`, a command:local:Command):
 * it reads the plan the program wrote into LOCKSTEP_SMOKE_PLAN, runs it, prints one line per check and,
 * at the final stage, writes the verification record and the closing lines the program reads
 * (`verified-at: <iso>`, `verification: passed`). Its own entry, apart from `lockstep`: it starts in a
 * fraction of the CLI's time, inside the upgrade window. Exit 0 passed, 1 a check failed, 2 a bad plan.
 */
import "./compileCache"; // first: the window waits on this process's start
import * as fs from "node:fs";
import * as path from "node:path";
import { deepestIssue, showValue } from "../lib/core/errors";
import { smokePlanSchema, SmokePlan } from "../lib/smoke/plan";
import { checkLine as line, runSmoke, SmokeIo } from "../lib/smoke/run";

export const SMOKE_PLAN_ENV = "LOCKSTEP_SMOKE_PLAN";

/** The plan from its environment variable, or one message naming the field, the value and what is allowed. */
export function readPlan(text: string | undefined): SmokePlan | string {
  if (!text) return `${SMOKE_PLAN_ENV} is empty: the program writes the smoke plan there`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `${SMOKE_PLAN_ENV} is not JSON: ${(err as Error).message}`;
  }
  const parsed = smokePlanSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = deepestIssue(parsed.error.issues[0]);
  let value: unknown = raw;
  for (const key of issue.path) value = (value as Record<string, unknown> | undefined)?.[key];
  return `${SMOKE_PLAN_ENV}: ${issue.path.join(".") || "(the plan)"} ${issue.message}; got ${showValue(value, issue.path)}`;
}

function writeRecord(file: string, plan: SmokePlan, verifiedAt: string, checks: string[]): void {
  const record = {
    stack: plan.stack,
    version: plan.release,
    setDigest: plan.setDigest,
    smoke: "passed",
    verifiedAt,
    checks,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

export interface SmokeOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the plan and returns the exit code; every line goes through `output`. */
export async function smoke(planText: string | undefined, io: SmokeIo, output: SmokeOutput, now = () => new Date()) {
  const plan = readPlan(planText);
  if (typeof plan === "string") {
    output.err(`smoke: ${plan}`);
    return 2;
  }
  const results = await runSmoke(plan, io, (r) => (r.outcome === "fail" ? output.err(line(r)) : output.out(line(r))));
  const failed = results.filter((r) => r.outcome === "fail");
  const what = `${plan.stage} checks for ${plan.release} ${plan.setDigest}`;
  if (failed.length > 0) {
    output.err(
      `verification: failed (${failed.length} of ${results.length} ${what}: ${failed.map((r) => r.name).join(", ")})`,
    );
    return 1;
  }
  const passed = results.filter((r) => r.outcome === "ok").map((r) => r.name);
  if (plan.stage !== "final") {
    output.out(`smoke: ${plan.stage} passed (${passed.length} ${what})`);
    return 0;
  }
  const verifiedAt = now()
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
  if (plan.smoke.recordFile) {
    writeRecord(plan.smoke.recordFile, plan, verifiedAt, passed);
    output.out(`smoke: wrote verification record ${plan.smoke.recordFile}`);
  }
  output.out(`verified-at: ${verifiedAt}`);
  output.out("verification: passed");
  return 0;
}

if (require.main === module) {
  const io: SmokeIo = {
    fetch,
    env: process.env,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
  const output = {
    out: (l: string) => process.stdout.write(`${l}\n`),
    err: (l: string) => process.stderr.write(`${l}\n`),
  };
  smoke(process.env[SMOKE_PLAN_ENV], io, output).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`smoke: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(70);
    },
  );
}
