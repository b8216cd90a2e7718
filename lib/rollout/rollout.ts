/**
 * lib/rollout: how a window moves. The wave order, which version each workload runs in each wave,
 * and every intermediate state a rolling window passes through, checked for compatibility.
 *
 * Every state a rollout passes through, and whether each is compatible. From deployed D to target T,
 * after wave k the workloads of waves <= k run T and the rest still run D (a workload that does not exist
 * yet is absent; one the target removes stays until its wave). The gateway canary is a workload of its
 * own, so both tracks are in every state. A rolling window must be compatible in every state; a
 * coordinated one (an announced maintenance window) only in its final state.
 */
import * as semver from "semver";
import type { Catalog } from "../release/catalog";
import { compatibleBeside } from "../release/compatibility";
import type { UpgradeMode } from "../config/config";
import { componentOf, waveOf } from "./versions";
import type { WaveId } from "./waves";

export type Versions = Record<string, string>;

export interface RolloutState {
  /** The wave just completed, or "start" for what runs before the window. */
  after: WaveId | "start";
  versions: Versions;
}

/** The states of a rollout, in order: what runs now, then after each wave that moves a workload. */
export function rolloutStates(deployed: Versions | null, target: Versions, waves: readonly WaveId[]): RolloutState[] {
  const states: RolloutState[] = [];
  let current: Versions = { ...(deployed ?? {}) };
  if (deployed) states.push({ after: "start", versions: { ...current } });
  for (const wave of waves) {
    const names = new Set([...Object.keys(current), ...Object.keys(target)].filter((w) => waveOf(w) === wave));
    if (names.size === 0) continue;
    const next: Versions = { ...current };
    for (const name of names) {
      if (name in target) next[name] = target[name];
      else delete next[name];
    }
    current = next;
    states.push({ after: wave, versions: { ...current } });
  }
  return states;
}

export interface StateProblem {
  workload: string;
  version: string;
  reason: string;
}

/** What is incompatible in one state: every workload checked against the API it runs beside. */
export function stateProblems(state: RolloutState, catalog: Catalog | undefined): StateProblem[] {
  const api = state.versions.api;
  if (!api) return [];
  return Object.entries(state.versions).flatMap(([workload, version]) => {
    const component = componentOf(workload);
    if (!component || component === "api") return [];
    const verdict = compatibleBeside(catalog, component, version, api);
    return verdict.compatible ? [] : [{ workload, version, reason: verdict.reason }];
  });
}

export interface RolloutVerdict {
  ok: boolean;
  /** The first incompatible state, named for a human ("after wave api: api 2.0.0 with gateway 1.5.1"). */
  firstBad?: { state: RolloutState; problems: StateProblem[]; description: string };
  /** How to get through, when it is not ok. */
  wayThrough?: string;
  states: RolloutState[];
}

export function describeState(state: RolloutState, problems: StateProblem[]): string {
  const where = state.after === "start" ? "before the first wave" : `after wave ${state.after}`;
  const reasons = [...new Set(problems.map((p) => p.reason))];
  return `${where}: api ${state.versions.api} with ${problems.map((p) => `${p.workload} ${p.version}`).join(", ")} (${reasons.join("; ")})`;
}

/** Checks a rollout: every state in a rolling window, the final state in a coordinated one. */
export function checkRollout(
  deployed: Versions | null,
  target: Versions,
  waves: readonly WaveId[],
  mode: UpgradeMode,
  catalog: Catalog | undefined,
): RolloutVerdict {
  const states = rolloutStates(deployed, target, waves);
  const checked = mode === "coordinated" ? states.slice(-1) : states;
  for (const state of checked) {
    const problems = stateProblems(state, catalog);
    if (problems.length === 0) continue;
    const majorMove =
      deployed?.api !== undefined &&
      target.api !== undefined &&
      semver.major(deployed.api) !== semver.major(target.api);
    const wayThrough =
      mode === "coordinated"
        ? `the final state must be compatible: move ${problems.map((p) => p.workload).join(", ")} into ${problems[0].reason.replace(/^.* must be in /, "")}`
        : majorMove
          ? 'a major version moves in a coordinated window: set lockstep:upgrade.mode=coordinated and put both console colors on the new version (docs/upgrading.md, "Major versions")'
          : `bring ${problems.map((p) => p.workload).join(", ")} inside the API's window first, one minor at a time`;
    return {
      ok: false,
      firstBad: { state, problems, description: describeState(state, problems) },
      wayThrough,
      states,
    };
  }
  return { ok: true, states };
}
