/**
 * What `rollback` and `restore` share with each other: read what a stack runs, then write a change to its
 * stack file only after the offline plan of the changed stack passes, and show that plan. Nothing is
 * applied: `pulumi up` does that, after review.
 */
import * as path from "node:path";
import type { Catalog } from "../lib/release/catalog";
import { DeployedState, deployedFromOutputs, parseDeployedArgument } from "../lib/state/deployed";
import { LockstepInputError } from "../lib/core/errors";
import { editStackConfig, StackFile } from "../lib/config/stackFile";
import { commitStackFile } from "../lib/config/stackFileWrite";
import { lineDiff } from "../lib/core/textDiff";
import { plan } from "../plan/plan";
import { renderHuman } from "./commands/plan";
import type { CliEnv, CommandResult } from "./env";

/** What a stack runs, and from where: `--deployed`, else its last outputs; null when neither is available. */
export async function readDeployed(
  stack: string,
  argument: string | undefined,
  catalog: Catalog,
  env: CliEnv,
): Promise<{ deployed: DeployedState | null; source: string; from: "argument" | "outputs" | "nowhere" }> {
  if (argument)
    return { deployed: parseDeployedArgument(argument, catalog), source: `--deployed ${argument}`, from: "argument" };
  if (env.stackOutputs)
    return {
      deployed: deployedFromOutputs(await env.stackOutputs(stack), `stack ${stack}`),
      source: `the outputs of stack ${stack}`,
      from: "outputs",
    };
  return {
    deployed: null,
    source: "nowhere: no Pulumi CLI to read the stack's outputs and no --deployed",
    from: "nowhere",
  };
}

/** `--set` forms of stack-file updates: a string as it is, anything else as JSON, `undefined` as a removal. */
function asSets(updates: Record<string, unknown>): string[] {
  return Object.entries(updates).map(([key, value]) =>
    value === undefined ? `${key}=null` : `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
}

export interface StackChange {
  stack: string;
  /** The stack file as the command read it: planned with the updates, then edited and written. */
  stackFile: StackFile;
  /** The catalog the command loaded. */
  catalog: Catalog;
  /** `lockstep:<key>` -> new value; `undefined` removes the key. */
  updates: Record<string, unknown>;
  /** What the stack runs; null for a stack that runs nothing yet. */
  deployed: DeployedState | null;
  dryRun: boolean;
  /** The first line of the report: what the change does. */
  headline: string;
  /** Extra lines after the headline (what the operator does next). */
  notes?: string[];
  /** Fields for --json. */
  json: Record<string, unknown>;
}

/**
 * Plans the stack as changed (config checked exactly as the program checks it, then the policy pack);
 * writes the stack file only when nothing mandatory is violated and it is not a dry run.
 */
export async function writeStackChange(change: StackChange, env: CliEnv): Promise<CommandResult> {
  const result = await plan({
    stack: change.stack,
    sets: asSets(change.updates),
    deployed: change.deployed,
    projectDir: env.projectDir,
    catalog: change.catalog,
    stackFile: change.stackFile,
  });
  const file = change.stackFile.file;
  const rel = path.relative(env.projectDir, file);
  const before = change.stackFile.text;
  const after = editStackConfig(file, before, change.updates);
  const diff = lineDiff(before, after);
  const refused = result.violations.filter((v) => v.level === "mandatory");
  const write = refused.length === 0 && !change.dryRun;
  if (write) commitStackFile(file, before, after);
  const status = refused.length
    ? `refused: the plan of the changed stack violates ${refused.length} mandatory policy(ies), so ${rel} was not written`
    : change.dryRun
      ? `dry run: ${rel} was not written`
      : `wrote ${rel}; review it, then run \`pulumi preview\` and \`pulumi up\` on ${change.stack}`;
  const { config: _config, ...planJson } = result;
  return {
    exitCode: refused.length ? 1 : 0,
    human: [change.headline, ...(change.notes ?? []), status, "", diff, "", renderHuman(result)].join("\n"),
    json: { ...change.json, ok: refused.length === 0, written: write, file: rel, diff, plan: planJson },
  };
}

/** Refuses a command that needs what the stack runs when nothing says it. */
export function requireDeployed(deployed: DeployedState | null, source: string, command: string): DeployedState {
  if (!deployed)
    throw new LockstepInputError(
      `lockstep ${command} needs what the stack runs, and found nothing deployed in ${source}; install the Pulumi CLI and log in, or pass --deployed <file> (the JSON of \`pulumi stack output --json\`)`,
    );
  return deployed;
}
