/** Shared test helpers: run the plan, look up resources, and walk dependency edges the engine would see. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { plan, PlannedResource, PlanResult, runStack as runStackOptions } from "../plan/plan";
import type { RecordedResource } from "../plan/runtime";
import { LockstepInputError } from "../lib/core/errors";

export const PROJECT = path.resolve(__dirname, "..");
/** ../shared beside the checkout; LOCKSTEP_SHARED names it for runs that copy the project elsewhere (the mutation sandbox). */
export const SHARED = process.env.LOCKSTEP_SHARED
  ? path.resolve(process.env.LOCKSTEP_SHARED)
  : path.resolve(PROJECT, "..", "shared");

/** A folder of ../shared; throws (failing the test, never skipping it) when it is absent. */
export function requireShared(part: "crds" | "charts" | "chart-schemas"): string {
  const dir = path.join(SHARED, part);
  if (!fs.existsSync(dir))
    throw new Error(
      `../shared is absent: ${dir} does not exist; this test reads the real CRDs, charts and chart schemas from ../shared beside the checkout`,
    );
  return dir;
}

/**
 * `--set` overrides, plus one test convenience: `deployed=<version>` is not a config key but the plan's
 * `--deployed` (what the stack runs now, which opens the upgrade window).
 */
function split(sets: string[]): { sets: string[]; deployed: string | null } {
  const deployed = sets.find((s) => s.startsWith("deployed="))?.slice("deployed=".length) ?? null;
  return { sets: sets.filter((s) => !s.startsWith("deployed=")), deployed };
}

/**
 * A rolling window on the staging stack file: 1.3.4 -> 1.4.2, whose migrations only expand the schema,
 * with the new console on the idle color (blue) and 1.3.4 still live on green.
 */
export const ROLLING_WINDOW = [
  "upgrade.mode=rolling",
  "release=1.4.2",
  "console.blue=1.4.2",
  "console.green=1.3.4",
  "console.live=green",
  "deployed=1.3.4",
] as const;
/** The same window as `--set` values (what runs comes as `deployed`), and as the plan CLI's arguments. */
export const ROLLING_WINDOW_SETS = ROLLING_WINDOW.filter((s) => !s.startsWith("deployed="));
export const ROLLING_WINDOW_ARGS = [
  ...ROLLING_WINDOW.filter((s) => s.startsWith("deployed=")).flatMap((s) => [
    "--deployed",
    s.slice("deployed=".length),
  ]),
  ...ROLLING_WINDOW_SETS.flatMap((s) => ["--set", s]),
];

export function planStack(stack: string, ...sets: string[]): Promise<PlanResult> {
  return plan({ stack, ...split(sets) });
}

/** The resources a stack's program registers under the recording mocks, with `--set` overrides. */
export async function runStack(stack: string, ...sets: string[]): Promise<RecordedResource[]> {
  return (await runStackOptions({ stack, ...split(sets) })).run.resources;
}

export function resource(result: PlanResult, name: string): PlannedResource {
  return named(result.resources, name);
}

/** The resource called `name` in a plan's or a recorded run's list; throws naming what the list has when none is. */
export function named<T extends { name: string }>(resources: readonly T[], name: string): T {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; have: ${resources.map((r) => r.name).join(", ")}`);
  return found;
}

export function ofType(result: PlanResult, type: string): PlannedResource[] {
  return result.resources.filter((r) => r.type === type);
}

/** Whether `from` is ordered after `to`: through its dependsOn edges or its parents', transitively. */
export function orderedAfter(result: PlanResult, from: string, to: string): boolean {
  const byName = new Map(result.resources.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length) {
    const current = byName.get(queue.shift() as string);
    if (!current || seen.has(current.name)) continue;
    seen.add(current.name);
    for (const dep of current.dependsOn) {
      if (dep === to) return true;
      queue.push(dep);
    }
    if (current.parent) queue.push(current.parent);
  }
  return false;
}

/** Reads a nested prop by dotted path. */
export function prop(r: PlannedResource, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), r.props);
}

/** The message of the LockstepInputError `fn` throws; fails the test when it throws nothing or another error. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LockstepInputError, String(err));
    return err.message;
  }
  assert.fail("expected a LockstepInputError");
}

/** A cluster whose API server answers `kubectl version` with `version`: the program's reader, stood in. */
export const clusterAt = (version: string) => () => ({ version });
/** The staging stack's cluster (it types 1.31). */
export const CLUSTER_1_31 = clusterAt("1.31.14");
/** The prod stack's cluster (it types 1.32). */
export const CLUSTER_1_32 = clusterAt("1.32.3");
