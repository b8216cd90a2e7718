/** `lockstep drift --stack <s> [--reset]`: what differs between the cluster and the stack, and putting it back. */
import { enforcedPack } from "../../lib/config/packConfig";
import { readStackFile } from "../../lib/config/stackFile";
import { LockstepInputError } from "../../lib/core/errors";
import { cell, DriftedResource, DriftReport, driftBetween } from "../../lib/state/drift";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { failureOf, FleetBackend, requireEngine } from "../fleetBackend";
import { table } from "../table";

export const DRIFT_HELP = `Usage: lockstep drift --stack <name> [--reset] [--json]

Lists what differs between the cluster and the stack: every resource and field someone changed by hand
(kubectl edit, scale, set image) or deleted, with the value in the cluster and the value the stack
declares. It runs two previews and changes nothing: one against the state as the last \`pulumi up\`
left it, one after a refresh from the cluster (\`pulumi preview --refresh\`). What only the refreshed
preview would change is drift; what both would change is the stack file's own change since the last
up, listed apart as pending, not drift.

With --reset it brings the cluster back to the stack: \`pulumi up --refresh\` with the policy pack,
then the drift check again. It refuses, touching nothing, while the stack file has pending changes:
an up would apply those too (a release change opens an upgrade window); run \`pulumi preview\` and
\`pulumi up\` for them first.

  --stack <name>   the stack to check (required; Pulumi.<name>.yaml)
  --reset          bring the cluster back to the stack, then check again
  --json           print one JSON object
  -h, --help       show this help

Exit codes: 0 no drift (or --reset removed it), 1 drift found (or left after --reset, or --reset
refused), 2 bad input or no Pulumi CLI.`;

/** One row per drifted field; a resource gone from the cluster gets one row of its own. */
function rows(resources: readonly DriftedResource[]): string[][] {
  return resources.flatMap((r) =>
    r.fields.length === 0
      ? [
          [
            `${r.kind} ${r.name}`,
            r.op === "create" ? "(the whole object)" : "(no field reported)",
            r.op === "create" ? "missing" : "",
            "",
            r.op,
          ],
        ]
      : r.fields.map((f) => [`${r.kind} ${r.name}`, f.path, cell(f.live), cell(f.declared), r.op]),
  );
}

function describe(stack: string, report: DriftReport): string {
  const lines: string[] = [];
  if (report.drifted.length === 0) lines.push(`no drift: the cluster matches stack ${stack}`);
  else {
    const fields = report.drifted.reduce((n, r) => n + Math.max(1, r.fields.length), 0);
    lines.push(
      `drift in stack ${stack}: ${report.drifted.length} resource(s), ${fields} field(s) differ from the stack`,
    );
    lines.push("", table(["resource", "field", "cluster", "stack", "an up would"], rows(report.drifted)));
  }
  if (report.pending.length > 0)
    lines.push(
      "",
      `pending, not drift: the stack file changes ${report.pending.length} resource(s) since the last up (${report.pending
        .map((r) => r.name)
        .join(", ")})`,
    );
  return lines.join("\n");
}

async function check(backend: FleetBackend, stack: string, env: CliEnv): Promise<DriftReport> {
  const log = (line: string) => env.progress(`  ${line}`);
  env.progress(`drift: previewing ${stack} as the last up left it`);
  // As --reset would apply it: taking over the fields a hand edit's field manager now owns.
  const pending = await backend.plannedSteps(stack, { refresh: false, forceConflicts: true, onOutput: log });
  env.progress(`drift: previewing ${stack} after a refresh from the cluster`);
  const refreshed = await backend.plannedSteps(stack, { refresh: true, forceConflicts: true, onOutput: log });
  return driftBetween(pending, refreshed);
}

const summary = (report: DriftReport) => ({
  drifted: report.drifted,
  pending: report.pending.map(({ name, kind, op, fields }) => ({ name, kind, op, fields: fields.map((f) => f.path) })),
});

export async function drift(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("drift", argv, { stack: { type: "string" }, reset: { type: "boolean" } });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack prod");
  const stack = values.stack;
  readStackFile(stack, env.projectDir); // a stack with no file is refused here, naming the file
  const backend = requireEngine(env.fleet, "drift", "previews the stack");
  const found = await check(backend, stack, env);
  const human = describe(stack, found);
  if (!values.reset || found.drifted.length === 0) {
    const clean = found.drifted.length === 0;
    return { exitCode: clean ? 0 : 1, human, json: { ok: clean, stack, ...summary(found) } };
  }
  if (found.pending.length > 0)
    return {
      exitCode: 1,
      human: `${human}\n\n--reset refused, nothing touched: an up would also apply the stack file's pending changes; run \`pulumi preview --stack ${stack}\` and \`pulumi up --stack ${stack}\` for them first, then reset`,
      json: { ok: false, stack, reset: "refused", ...summary(found) },
    };
  env.progress(`drift: resetting ${stack} with pulumi up --refresh (${found.drifted.length} resource(s))`);
  const failed = await failureOf(
    backend.up(stack, {
      ...enforcedPack(stack, env.projectDir),
      refresh: true,
      forceConflicts: true,
      onOutput: (line) => env.progress(`  ${line}`),
    }),
  );
  if (failed)
    return {
      exitCode: 1,
      human: `${human}\n\nreset failed: ${failed}`,
      json: { ok: false, stack, reset: "failed", error: failed, ...summary(found) },
    };
  const after = await check(backend, stack, env);
  const clean = after.drifted.length === 0;
  return {
    exitCode: clean ? 0 : 1,
    human: `${human}\n\nreset: pulumi up --refresh succeeded; ${clean ? "checked again: no drift left" : `checked again, drift left:\n${describe(stack, after)}`}`,
    json: { ok: clean, stack, reset: clean ? "done" : "drift left", before: summary(found), ...summary(after) },
  };
}
