import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config/config";
import { smokePlan, SmokePlan } from "../lib/smoke/plan";

/** What runs a smoke plan: its own small entry, so a stage check costs the window little. */
export const SMOKE_COMMAND = "node bin/cli/smoke.js";

/** A Command that runs one smoke plan; `triggers` say when it runs again. */
export function smokeCommand(
  name: string,
  plan: SmokePlan,
  triggers: unknown[],
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return new command.local.Command(
    name,
    { create: SMOKE_COMMAND, environment: { LOCKSTEP_SMOKE_PLAN: JSON.stringify(plan) }, triggers },
    opts,
  );
}

export interface VerificationResult {
  status: "passed" | "failed" | "skipped";
  version: string;
  setDigest: string;
  verifiedAt: string | null;
  /** The checks that passed, by name, as the smoke test printed them. */
  checks: string[];
}

/** Reads the smoke test's lines: each passed check (`smoke: ok    <name>: …`) and the closing two. */
export function parseSmokeOutput(stdout: string, version: string, setDigest: string): VerificationResult {
  const passed = /^verification: passed$/m.test(stdout);
  const verifiedAt = /^verified-at: (\S+)$/m.exec(stdout)?.[1] ?? null;
  const checks = [...stdout.matchAll(/^smoke: ok +(.+?): /gm)].map((m) => m[1]);
  return { status: passed ? "passed" : "failed", version, setDigest, verifiedAt: passed ? verifiedAt : null, checks };
}

export interface VerificationArgs {
  stack: string;
  version: string;
  setDigest: string;
  consoleLive: string;
  /** Canary share, so moving the canary re-runs the smoke test. @default 0 */
  canaryPercent?: number;
  /** Smoke-test settings; when unset the smoke test is skipped with a warning. @default undefined */
  smoke?: StackConfig["smoke"];
}

/**
 * Post-rollout smoke verification (lib/smoke): health, the guardrail blocking a prompt (409), console
 * sign-in through the identity provider and its pages, the workers' status, an export job, and event
 * ingestion, each check named in the output. It re-runs whenever the set, the live color or the canary share
 * changes. A pass writes the verification record that promotion reads.
 */
export class Verification extends pulumi.ComponentResource {
  readonly smokeTest?: command.local.Command;
  /** What promotion reads from the stack outputs: the verified set and when its smoke test passed. */
  readonly result: pulumi.Output<VerificationResult>;

  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:verification:Verification", name, {}, opts);
    if (!args.smoke) {
      void pulumi.log.warn(
        "smoke test skipped: lockstep:smoke is not set, so this deployment is not verified and cannot be promoted",
        this,
      );
      this.result = pulumi.output({
        status: "skipped" as const,
        version: args.version,
        setDigest: args.setDigest,
        verifiedAt: null,
        checks: [],
      });
    } else {
      const plan = smokePlan("final", {
        stack: args.stack,
        release: args.version,
        setDigest: args.setDigest,
        smoke: args.smoke,
      });
      this.smokeTest = smokeCommand("smoke-test", plan, [args.setDigest, args.consoleLive, args.canaryPercent ?? 0], {
        parent: this,
      });
      this.result = this.smokeTest.stdout.apply((out) => parseSmokeOutput(out ?? "", args.version, args.setDigest));
    }
    this.registerOutputs({ result: this.result });
  }
}
