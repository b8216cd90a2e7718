import { LockstepInputError } from "../../lib/errors";
import { plan, PlanResult } from "../../plan/plan";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const PLAN_HELP = `Usage: lockstep plan --stack <name> [--deployed <version|file>] [--set key=value ...] [--json] [--catalog <dir>]
       npm run plan -- --stack <name> ...     (npm run -s plan -- ... for clean --json output)

Runs the lockstep program offline under Pulumi's mocks (no CLI, cluster or credentials), then the
policy pack, and prints the plan.

  --stack <name>      stack whose Pulumi.<name>.yaml to read (staging, prod, ...)
  --deployed <v|file> what the stack runs now: a version (every workload at it), or a record file
                      ({release, workloads}, or the JSON of \`pulumi stack output --json\`); the upgrade
                      window opens from it. Default: nothing deployed, a first install
  --set key=value     override a lockstep: config key; dotted keys reach into objects
                      (upgrade.from=1.4.2, console.live=green); values parse as JSON, else strings;
                      key=null removes the key
  --json              print one JSON object on stdout
  --catalog <dir>     release catalog directory (default: releases/)
  -h, --help          show this help

Exit codes: 0 ok, 1 mandatory policy violation, 2 invalid config or usage.`;

export function renderHuman(result: PlanResult): string {
  const lines: string[] = [];
  lines.push(`lockstep plan: stack ${result.stack}`);
  lines.push(`release ${result.release.version}  set ${result.release.setDigest}`);
  lines.push(result.deployed
    ? `deployed ${result.deployed.release} (${Object.entries(result.deployed.workloads).map(([w, v]) => `${w} ${v}`).join(", ")})`
    : "deployed: nothing (assumed a first install; pass --deployed <version|file> to plan an upgrade)");
  if (result.upgrade) {
    lines.push("", `upgrade window ${result.upgrade.from} -> ${result.upgrade.to} (${result.upgrade.mode}), opened by what is deployed:`);
    for (const d of result.upgrade.differences) lines.push(`  ~ ${d.key}: ${d.from} -> ${d.to}`);
    if (result.upgrade.differences.length === 0) lines.push("  (the pinned sets are identical)");
  }
  lines.push("", "waves (each starts after all earlier waves complete):");
  result.waves.forEach((w, i) => {
    lines.push(`  ${i + 1}. ${w.id} - ${w.title}`);
    for (const name of w.resources) {
      const r = result.resources.find((res) => res.name === name);
      lines.push(`       ${r ? r.type.replace(/^kubernetes:/, "") : "?"}  ${name}`);
    }
  });
  const custom = result.resources.filter((r) => !r.type.startsWith("lockstep:") && r.type !== "pulumi:pulumi:Stack").length;
  lines.push("", `${result.resources.length} registrations (${custom} resources)`);
  if (result.violations.length === 0) lines.push("policies: no violations");
  else {
    lines.push(`policies: ${result.violations.length} violation(s)`);
    for (const v of result.violations) lines.push(`  [${v.level}] ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`);
  }
  return lines.join("\n");
}

export async function planCommand(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("plan", argv, {
    stack: { type: "string" },
    set: { type: "string", multiple: true },
    catalog: { type: "string" },
    deployed: { type: "string" },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const result = await plan({ stack: values.stack, sets: values.set ?? [], deployed: values.deployed, catalogDir: values.catalog ?? env.catalogDir, projectDir: env.projectDir });
  const { config: _config, ...json } = result;
  return {
    exitCode: result.violations.some((v) => v.level === "mandatory") ? 1 : 0,
    human: renderHuman(result),
    json,
  };
}
