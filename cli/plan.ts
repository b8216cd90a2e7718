/**
 * `npm run plan -- --stack <name> [--set key=value ...] [--json] [--catalog <dir>]`
 * Exit codes: 0 ok, 1 a mandatory policy violation, 2 invalid config or usage (message on stderr).
 */
import "../plan/lazyRequire"; // first: defers SDK modules the plan never uses, before @pulumi/pulumi loads
import { parseArgs } from "node:util";
import { LockstepInputError } from "../lib/errors";
import { plan, PlanResult } from "../plan/plan";

const USAGE = `Usage: npm run plan -- --stack <name> [--set key=value ...] [--json] [--catalog <dir>]

Runs the lockstep program offline under Pulumi's mocks (no CLI, cluster or credentials), then the
policy pack, and prints the plan.

  --stack <name>      stack whose Pulumi.<name>.yaml to read (staging, prod, ...)
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
  if (result.upgrade) {
    lines.push("", `upgrade window ${result.upgrade.from} -> ${result.upgrade.to}:`);
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

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        set: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        catalog: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`plan: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack) {
    process.stderr.write(`plan: --stack is required\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = await plan({ stack: values.stack, sets: values.set ?? [], catalogDir: values.catalog });
    if (values.json) {
      const { config: _config, upgrade: _upgrade, ...json } = result;
      process.stdout.write(`${JSON.stringify(json)}\n`);
    } else {
      process.stdout.write(`${renderHuman(result)}\n`);
    }
    return result.violations.some((v) => v.level === "mandatory") ? 1 : 0;
  } catch (err) {
    if (err instanceof LockstepInputError) {
      process.stderr.write(`plan: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`plan: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  });
}
