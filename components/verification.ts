import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config/config";

export interface VerificationResult {
  status: "passed" | "failed" | "skipped";
  version: string;
  setDigest: string;
  verifiedAt: string | null;
}

/** Reads the smoke script's closing lines (`verified-at: <iso>`, `verification: passed`). */
export function parseSmokeOutput(stdout: string, version: string, setDigest: string): VerificationResult {
  const passed = /^verification: passed$/m.test(stdout);
  const verifiedAt = /^verified-at: (\S+)$/m.exec(stdout)?.[1] ?? null;
  return { status: passed ? "passed" : "failed", version, setDigest, verifiedAt: passed ? verifiedAt : null };
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
 * Post-rollout smoke verification: health endpoints answer 200 and a prompt the platform's policy must
 * block answers the expected status (409). It re-runs whenever the set, the live color or the canary share
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
      });
    } else {
      const smoke = args.smoke;
      this.smokeTest = new command.local.Command(
        "smoke-test",
        {
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
        },
        { parent: this },
      );
      this.result = this.smokeTest.stdout.apply((out) => parseSmokeOutput(out ?? "", args.version, args.setDigest));
    }
    this.registerOutputs({ result: this.result });
  }
}
