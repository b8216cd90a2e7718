/**
 * The upgrade window, decided from what is deployed, not from what the operator remembers to type.
 *
 * A window is open whenever the stack's last deployment differs from the target: another release was
 * deployed, or the release was but a workload still runs something else (a canary in flight). Its `from`
 * is what runs: the deployed release when the target moved, otherwise the oldest version still running.
 * `lockstep:upgrade.from` is optional; when written, it must agree with the deployed record.
 */
import * as semver from "semver";
import type { StackConfig, UpgradeMode } from "../config/config";
import type { DeployedState } from "./deployed";
import { LockstepInputError } from "../core/errors";
import { componentOf } from "../rollout/versions";

export interface UpgradeWindow {
  /** What runs before the window: the source of the path check, the backups and the stable gateways. */
  from: string;
  to: string;
  mode: UpgradeMode;
  /** The canary's share of gateway traffic; unset means no canary. */
  gatewayCanaryPercent?: number;
}

/** The version the window starts from, or undefined when everything runs the target already. */
export function runningFrom(deployed: DeployedState, target: string): string | undefined {
  if (deployed.release !== target) return deployed.release;
  // Console colors are chosen per stack (the idle color may stay behind on purpose), so they do not hold a window open.
  const moving = Object.entries(deployed.workloads)
    .filter(([w]) => componentOf(w) !== "console")
    .map(([, v]) => v);
  const oldest = moving.filter((v) => v !== target).sort(semver.compare)[0];
  return oldest;
}

/** Opens the window from the deployed state; throws `LockstepInputError` when `upgrade.from` disagrees with it. */
export function upgradeWindow(
  config: Pick<StackConfig, "release" | "upgrade">,
  deployed: DeployedState | null,
): UpgradeWindow | undefined {
  const written = config.upgrade?.from;
  const from = deployed ? runningFrom(deployed, config.release) : undefined;
  if (written !== undefined && written !== config.release && written !== from) {
    const runs = deployed
      ? from
        ? `this stack runs ${from} (its last deployment)`
        : `this stack already runs ${config.release} everywhere (its last deployment)`
      : "this stack has deployed nothing yet (a first install)";
    throw new LockstepInputError(
      `lockstep:upgrade.from = ${JSON.stringify(written)}, but ${runs}; the window opens from what runs, so remove upgrade.from${from ? ` or set it to ${from}` : ""}`,
    );
  }
  if (from === undefined) return undefined;
  return {
    from,
    to: config.release,
    mode: config.upgrade?.mode ?? "rolling",
    gatewayCanaryPercent: config.upgrade?.gatewayCanaryPercent,
  };
}
