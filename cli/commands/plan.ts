import * as fs from "node:fs";
import { LockstepInputError } from "../../lib/core/errors";
import { readStackFile, StackFile } from "../../lib/config/stackFile";
import { DeployedState, deployedFromOutputs } from "../../lib/state/deployed";
import { ChangeKind, plan, PlanResult, VerifierOutputs } from "../../plan/plan";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const PLAN_HELP = `Usage: lockstep plan --stack <name> [--deployed <version|file> | --read-outputs]
                    [--staging-outputs <file>] [--set key=value ...] [--json] [--catalog <dir>]
       npm run plan -- --stack <name> ...     (npm run -s plan -- ... for clean --json output)

Runs the lockstep program offline under Pulumi's mocks (no CLI, cluster or credentials), then the
policy pack, and prints the plan.

  --stack <name>      stack whose Pulumi.<name>.yaml to read (staging, prod, ...)
  --deployed <v|file> what the stack runs now: a version (every workload at it), or a record file
                      ({release, workloads}, or the JSON of \`pulumi stack output --json\`); the upgrade
                      window opens from it. Default: nothing deployed, a first install
  --read-outputs      read what the stack runs from its outputs in the backend, with the Pulumi CLI
                      (logged in, as for \`pulumi preview\`), and, for a production stack, the
                      outputs of the stack its lockstep:promotion names; the plan says where from
  --staging-outputs <file>
                      the JSON of \`pulumi stack output --json\` of the stack a production
                      stack's lockstep:promotion names: a moving production stack's promotion is
                      checked against it. Default: not checked, and the plan says so (pulumi
                      preview and up read those outputs live)
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

/** Which charts' values were checked against their schema; a refused value never gets this far. */
function chartValuesLines(checks: PlanResult["chartValues"]): string[] {
  const checked = checks.filter((c) => c.checked);
  const unchecked = checks.filter((c) => !c.checked);
  const name = (c: (typeof checks)[number]) => `${c.name} ${c.version}`;
  return [
    ...(checked.length
      ? [`chart values: valid against the values.schema.json of ${checked.map(name).join(", ")}`]
      : []),
    ...(unchecked.length
      ? [
          `chart values not checked here: ${unchecked.map(name).join(", ")} (${[...new Set(unchecked.map((c) => (c.checked ? "" : c.reason)))].join("; ")})`,
        ]
      : []),
  ];
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
      : result.deployedSource
        ? "deployed: nothing (a first install)"
        : "deployed: nothing (assumed a first install; pass --deployed <version|file> or --read-outputs to plan an upgrade)",
  );
  if (result.deployedSource) lines.push(`what runs, from ${result.deployedSource}`);
  if (result.upgrade) {
    lines.push(
      "",
      `upgrade window ${result.upgrade.from} -> ${result.upgrade.to} (${result.upgrade.mode}), opened by what is deployed:`,
    );
    for (const d of result.upgrade.differences) lines.push(`  ~ ${d.key}: ${d.from} -> ${d.to}`);
    if (result.upgrade.differences.length === 0) lines.push("  (the pinned sets are identical)");
    if (result.upgrade.postgres) lines.push(`  ${result.upgrade.postgres.description}`);
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
  const source = result.promotionSource;
  if (source)
    lines.push(
      "",
      source.verification
        ? `promotion: checked against ${source.stack}'s outputs from ${source.origin}`
        : `promotion: not checked against ${source.stack}'s outputs: ${source.origin}`,
    );
  lines.push(...chartValuesLines(result.chartValues));
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

/**
 * `--read-outputs`: what the stack runs, from its outputs in the backend, and for a promotion the outputs
 * of the stack it names, so a PR check plans against what runs instead of a first install.
 */
async function readFromBackend(
  stack: string,
  stackFile: StackFile,
  deployedFlag: string | undefined,
  stagingFile: string | undefined,
  env: CliEnv,
): Promise<{ deployed: DeployedState | null; source: string; verifier?: VerifierOutputs }> {
  if (deployedFlag)
    throw new LockstepInputError(
      `--read-outputs and --deployed ${deployedFlag} both say what the stack runs; give one`,
    );
  if (!env.stackOutputs)
    throw new LockstepInputError(
      "--read-outputs reads the stack's outputs with the Pulumi CLI, and none is installed here; install it and log in to the stack's backend, or pass --deployed <file> (the JSON of `pulumi stack output --json`)",
    );
  const outputs = await env.stackOutputs(stack);
  const deployed = deployedFromOutputs(outputs, `stack ${stack}`);
  const source = deployed
    ? `the outputs of stack ${stack}, read from the backend`
    : `the outputs of stack ${stack}, read from the backend: none, so a first install`;
  const promotion = stackFile.values.promotion as { verifiedIn?: unknown } | undefined;
  const verifiedIn = typeof promotion?.verifiedIn === "string" ? promotion.verifiedIn : undefined;
  if (!verifiedIn || verifiedIn === stack || stagingFile) return { deployed, source };
  const verifier = {
    origin: `stack ${verifiedIn}, read from the backend with --read-outputs`,
    outputs: await env.stackOutputs(verifiedIn),
  };
  return { deployed, source, verifier };
}

/** A file of `pulumi stack output --json`, named by the flag that gave it. */
export function readOutputsFile(file: string, flag: string): VerifierOutputs {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LockstepInputError(
      `${flag} ${file}: not a readable JSON file (${(err as Error).message}); write it with \`pulumi stack output --json --stack staging > ${file}\``,
    );
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw new LockstepInputError(`${flag} ${file}: must be the JSON object of \`pulumi stack output --json\``);
  return {
    origin: `the file ${file} (exported outputs given with ${flag}, not read live)`,
    outputs: raw as Record<string, unknown>,
  };
}

export async function planCommand(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("plan", argv, {
    stack: { type: "string" },
    set: { type: "string", multiple: true },
    catalog: { type: "string" },
    deployed: { type: "string" },
    "staging-outputs": { type: "string" },
    "read-outputs": { type: "boolean" },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const given = values["staging-outputs"];
  // Read once: the plan takes the same stack file it asks about the promotion.
  const stackFile = values["read-outputs"] ? readStackFile(values.stack, env.projectDir) : undefined;
  const read = stackFile ? await readFromBackend(values.stack, stackFile, values.deployed, given, env) : undefined;
  const result = await plan({
    stack: values.stack,
    ...(stackFile ? { stackFile } : {}),
    sets: values.set ?? [],
    deployed: read ? read.deployed : values.deployed,
    catalogDir: values.catalog ?? env.catalogDir,
    projectDir: env.projectDir,
    ...(given ? { verifierOutputs: readOutputsFile(given, "--staging-outputs") } : {}),
    ...(read?.verifier ? { verifierOutputs: read.verifier } : {}),
    ...(read ? { deployedSource: read.source } : {}),
  });
  const { config: _config, ...json } = result;
  return {
    exitCode: result.violations.some((v) => v.level === "mandatory") ? 1 : 0,
    human: renderHuman(result),
    json,
  };
}
