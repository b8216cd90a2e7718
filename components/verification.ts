import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config";

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
 * Post-rollout smoke verification: health endpoints answer 200 and a prompt the platform's policy must
 * block answers the expected status (409). It re-runs whenever the set, the live color or the canary share
 * changes. A pass writes the verification record that promotion reads.
 */
export class Verification extends pulumi.ComponentResource {
  readonly smokeTest?: command.local.Command;
  /** "passed" once the smoke test ran in this deployment, "skipped" when `smoke` is not configured. */
  readonly status: pulumi.Output<string>;

  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:verification:Verification", name, {}, opts);
    if (!args.smoke) {
      pulumi.log.warn("smoke test skipped: lockstep:smoke is not set, so this deployment is not verified and cannot be promoted", this);
      this.status = pulumi.output("skipped");
    } else {
      const smoke = args.smoke;
      this.smokeTest = new command.local.Command("smoke-test", {
        create: "bash scripts/smoke.sh",
        environment: {
          STACK: args.stack,
          RELEASE: args.version,
          SET_DIGEST: args.setDigest,
          GATEWAY_URL: smoke.gatewayUrl,
          API_URL: smoke.apiUrl ?? "",
          CONSOLE_URL: smoke.consoleUrl ?? "",
          BLOCKED_PROMPT: smoke.blockedPrompt,
          EXPECTED_STATUS: String(smoke.expectedStatus),
          TOKEN_ENV: smoke.tokenEnv,
          RECORD_FILE: smoke.recordFile ?? "",
        },
        triggers: [args.setDigest, args.consoleLive, args.canaryPercent ?? 0],
      }, { parent: this });
      this.status = this.smokeTest.stdout.apply((out) => (/^verification: passed$/m.test(out) ? "passed" : "failed"));
    }
    this.registerOutputs({ status: this.status });
  }
}
