import { LockstepInputError } from "../../lib/core/errors";
import { ChangeKind, plan, PlanResult } from "../../plan/plan";
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

/** `sha256:` digests cut to 12 hex digits for reading; the JSON keeps them whole. */
export function shortDigests(text: string): string {
  return text.replace(/sha256:([a-f0-9]{12})[a-f0-9]{52}/g, "sha256:$1…");
}

const MARK: Record<ChangeKind, string> = { new: "+", changed: "~", unchanged: "=", removed: "-" };

/** Per workload: the version deployed -> the version planned, the canary split and the console colors. */
function workloadLines(result: PlanResult): string[] {
  const planned = new Map(
    result.resources
      .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
      .map((r) => [
        r.name,
        (r.props as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.[
          "app.kubernetes.io/version"
        ] ?? "?",
      ]),
  );
  const deployed = result.deployed?.workloads ?? {};
  const route = result.resources.find((r) => r.name === "gateway-route")?.props as
    { spec?: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] } } | undefined;
  const weights = new Map(
    (route?.spec?.rules?.[0]?.backendRefs ?? []).map((b) => [
      b.name === "gateway-stable" ? "gateway" : b.name,
      b.weight ?? 1,
    ]),
  );
  const live = result.config.console.live;
  const names = [...new Set([...planned.keys(), ...Object.keys(deployed)])];
  const width = Math.max(...names.map((n) => n.length));
  return names.map((name) => {
    const before = deployed[name];
    const after = planned.get(name);
    const move =
      after === undefined
        ? `${before} -> removed`
        : before === undefined
          ? `new at ${after}`
          : before === after
            ? `${after} (unchanged)`
            : `${before} -> ${after}`;
    const notes = [
      weights.has(name) && weights.size > 1 ? `${weights.get(name)} % of gateway traffic` : "",
      name.startsWith("console-") ? (name === `console-${live}` ? "live" : "idle (its preview Service only)") : "",
    ].filter(Boolean);
    return `  ${name.padEnd(width)}  ${move}${notes.length ? `   ${notes.join(", ")}` : ""}`;
  });
}

/** The rollback chosen and why, where each database runs and how a recovered one comes back, the drill. */
function recoveryLines(result: PlanResult): string[] {
  const lines: string[] = [];
  const { rollback } = result;
  if (rollback) {
    const kind =
      rollback.mode === "restore" ? "with data: the databases are restored" : "on the current schema: no restore";
    lines.push(
      "",
      `rollback ${rollback.from} -> ${rollback.to} (${rollback.mode}), ${kind}, because ${rollback.reason}`,
    );
  }
  const databases = Object.values(result.databases);
  if (databases.some((d) => d.recovery)) {
    lines.push("", "databases:");
    for (const d of databases) {
      if (!d.recovery) {
        lines.push(`  ${d.key.padEnd(8)}  ${d.cluster} (the original cluster)`);
        continue;
      }
      const origin = d.keepOrigin
        ? `the original ${d.origin} is kept (protected) until it is retired`
        : `the original ${d.origin} is not declared`;
      lines.push(
        `  ${d.key.padEnd(8)}  ${d.cluster}${d.recovering ? " (new, recovered in this deployment)" : " (recovered earlier)"}: ${d.recovery.description}; archives WAL as ${d.serverName}; ${origin}`,
      );
    }
  }
  const drill = result.restoreDrill;
  if (drill)
    lines.push(
      "",
      `restore drill ${drill.id}: scratch cluster ${drill.cluster} recovers the latest state of ${drill.source}, is awaited until Ready, checked and removed`,
    );
  return lines;
}

export function renderHuman(result: PlanResult): string {
  const lines: string[] = [];
  lines.push(`lockstep plan: stack ${result.stack}`);
  lines.push(`release ${result.release.version}  set ${result.release.setDigest}`);
  lines.push(
    result.deployed
      ? `deployed ${result.deployed.release} (${Object.entries(result.deployed.workloads)
          .map(([w, v]) => `${w} ${v}`)
          .join(", ")})`
      : "deployed: nothing (assumed a first install; pass --deployed <version|file> to plan an upgrade)",
  );
  if (result.upgrade) {
    lines.push(
      "",
      `upgrade window ${result.upgrade.from} -> ${result.upgrade.to} (${result.upgrade.mode}), opened by what is deployed:`,
    );
    for (const d of result.upgrade.differences) lines.push(`  ~ ${d.key}: ${d.from} -> ${d.to}`);
    if (result.upgrade.differences.length === 0) lines.push("  (the pinned sets are identical)");
  }
  lines.push(...recoveryLines(result));
  lines.push(
    "",
    `workloads (deployed -> planned; console live: ${result.config.console.live}):`,
    ...workloadLines(result),
  );
  const mark = new Map((result.changes ?? []).map((c) => [`${c.type}::${c.name}`, MARK[c.change]]));
  lines.push(
    "",
    `waves (each starts after all earlier waves complete)${result.changes ? "; + new, ~ changed, = unchanged, - removed, against the deployed versions" : "; a first install: everything is new"}:`,
  );
  result.waves.forEach((w, i) => {
    lines.push(`  ${i + 1}. ${w.id} - ${w.title}`);
    for (const name of w.resources) {
      const r = result.resources.find((res) => res.name === name);
      lines.push(
        `     ${mark.get(`${r?.type}::${name}`) ?? "+"} ${r ? r.type.replace(/^kubernetes:/, "") : "?"}  ${name}`,
      );
    }
  });
  const removed = (result.changes ?? []).filter((c) => c.change === "removed");
  if (removed.length) {
    lines.push("", "removed (declared for the deployed versions, not any more):");
    for (const c of removed) lines.push(`     - ${c.type.replace(/^kubernetes:/, "")}  ${c.name}`);
  }
  const real = result.resources.filter((r) => !r.type.startsWith("lockstep:") && !r.type.startsWith("pulumi:"));
  const counts = (["new", "changed", "unchanged", "removed"] as ChangeKind[]).map(
    (k) => `${(result.changes ?? []).filter((c) => c.change === k).length} ${k}`,
  );
  lines.push(
    "",
    `${real.length} resources${result.changes ? ` (${counts.join(", ")})` : ""}; ${result.resources.length - real.length} more registrations are the stack, its provider and reference, and the components (waves and groupings) that hold the resources`,
  );
  if (result.violations.length === 0) lines.push("policies: no violations");
  else {
    lines.push(`policies: ${result.violations.length} violation(s)`);
    for (const v of result.violations)
      lines.push(`  [${v.level}] ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`);
  }
  if (result.notEnforced.length)
    lines.push(
      `policies not enforced (disabled in policy/config/${result.stack}.json): ${result.notEnforced.join(", ")}`,
    );
  return shortDigests(lines.join("\n"));
}

export async function planCommand(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("plan", argv, {
    stack: { type: "string" },
    set: { type: "string", multiple: true },
    catalog: { type: "string" },
    deployed: { type: "string" },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const result = await plan({
    stack: values.stack,
    sets: values.set ?? [],
    deployed: values.deployed,
    catalogDir: values.catalog ?? env.catalogDir,
    projectDir: env.projectDir,
  });
  const { config: _config, ...json } = result;
  return {
    exitCode: result.violations.some((v) => v.level === "mandatory") ? 1 : 0,
    human: renderHuman(result),
    json,
  };
}
