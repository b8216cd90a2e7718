/** `lockstep smoke --stack <s>`: the smoke checks the `up` runs, run again by hand. */
import { parseStackConfig } from "../../lib/config/config";
import { readStackFile } from "../../lib/config/stackFile";
import { LockstepInputError, showValue } from "../../lib/core/errors";
import { getRelease, loadCatalog, setDigest } from "../../lib/release/catalog";
import { SMOKE_STAGES, smokePlan, SmokeStage } from "../../lib/smoke/plan";
import { checkLine as line, runSmoke } from "../../lib/smoke/run";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const SMOKE_HELP = `Usage: lockstep smoke --stack <name> [--stage final|gateways|console-flip] [--color blue|green] [--json]

Runs the smoke checks of a stack now, as its \`pulumi up\` runs them (docs/verification.md), with the
stack file's lockstep:smoke and the secrets from this shell's environment (LOCKSTEP_SMOKE_TOKEN,
LOCKSTEP_SMOKE_CLIENT_SECRET, LOCKSTEP_ADMIN_TOKEN, or the names smoke.* gives). It prints one line per
check. It changes nothing and writes no verification record: only an \`up\` verifies a set for promotion.

  --stack <name>    the stack to check (required; Pulumi.<name>.yaml)
  --stage <stage>   final (default: everything), gateways (the gateway and its guardrail), or
                    console-flip (a console color at its own address, smoke.consolePreviewUrl)
  --color <color>   with --stage console-flip: the color to check (default: lockstep:console.live)
  --json            print one JSON object
  -h, --help        show this help

The release and set digest named are the stack's outputs (what runs) when a Pulumi CLI is installed,
else the stack file's release. Exit codes: 0 every check passed, 1 a check failed, 2 bad input.`;

export async function smokeCommand(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("smoke", argv, {
    stack: { type: "string" },
    stage: { type: "string", default: "final" },
    color: { type: "string" },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const stack = values.stack;
  const stage = values.stage as SmokeStage;
  if (!SMOKE_STAGES.includes(stage)) {
    throw new LockstepInputError(`--stage ${showValue(values.stage)}: must be one of ${SMOKE_STAGES.join(", ")}`);
  }
  if (values.color !== undefined && (stage !== "console-flip" || !["blue", "green"].includes(values.color))) {
    throw new LockstepInputError(
      `--color ${showValue(values.color)}: must be blue or green, with --stage console-flip`,
    );
  }
  const catalog = loadCatalog(env.catalogDir);
  const file = readStackFile(stack, env.projectDir);
  const config = parseStackConfig(file.values, catalog, { secretKeys: file.secretKeys });
  if (!config.smoke) throw new LockstepInputError(`${file.file}: lockstep:smoke is not set: there is nothing to check`);
  if (stage === "console-flip" && !config.smoke.consolePreviewUrl) {
    throw new LockstepInputError(
      `${file.file}: lockstep:smoke.consolePreviewUrl is not set: --stage console-flip checks a color at its own address`,
    );
  }
  const outputs = env.stackOutputs ? await env.stackOutputs(stack) : undefined;
  const running = outputs?.release as { version?: string; setDigest?: string } | undefined;
  const release = running?.version ?? config.release;
  const digest = running?.setDigest ?? setDigest(getRelease(catalog, release));
  const color = (values.color as "blue" | "green" | undefined) ?? config.console.live;
  // By hand, never a record: promotion trusts only what an up verified.
  const plan = smokePlan(
    stage,
    { stack, release, setDigest: digest, smoke: { ...config.smoke, recordFile: undefined } },
    stage === "console-flip" ? color : undefined,
  );
  env.progress(`smoke ${stack}: ${stage} checks for ${release} ${digest}${running ? "" : " (the stack file's)"}`);
  const results = await runSmoke(plan, env.smokeIo, (r) => env.progress(line(r)));
  const failed = results.filter((r) => r.outcome === "fail");
  const passed = results.filter((r) => r.outcome === "ok").length;
  return {
    exitCode: failed.length ? 1 : 0,
    // Each line went to stderr as it came; the end repeats what failed.
    human: [
      ...failed.map(line),
      failed.length
        ? `smoke ${stack}: ${failed.length} of ${results.length} checks failed: ${failed.map((r) => r.name).join(", ")}`
        : `smoke ${stack}: passed (${passed} checks, ${results.length - passed} skipped)`,
    ].join("\n"),
    json: { ok: failed.length === 0, stack, stage, release, setDigest: digest, results },
  };
}
