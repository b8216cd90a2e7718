/**
 * Rollback with data: a window that moves the release backward is a rollback, and only two kinds are safe.
 *
 * - `restore`: the release being left ran migrations the previous API cannot read (`contract`), so the
 *   writers stop, the databases come back into new clusters from the window's pre-upgrade backups, and the
 *   previous set runs on them.
 * - `expand-only`: the release being left only added to the schema (catalog `notes.migrations`), so the
 *   previous set runs on the current schema and every row written since is kept.
 *
 * Everything here is decided from config, the catalog and what the stack last deployed; a mismatch is an
 * input error naming the key, before any platform resource is declared.
 */
import * as semver from "semver";
import { Catalog, getRelease, upgradeSources } from "../release/catalog";
import type { DeployedState } from "../state/deployed";
import { LockstepInputError } from "../core/errors";
import type { RestoreConfig, RollbackConfig, RollbackMode } from "./recoveryConfig";
import type { DatabasePlan } from "./restore";
import { findUpgradePath } from "../release/semverRules";
import type { UpgradeWindow } from "../state/window";

export interface RollbackPlan {
  from: string;
  to: string;
  mode: RollbackMode;
  /** Why this kind of rollback, for the plan and the release record. */
  reason: string;
}

/**
 * The kind of rollback the catalog allows from `from` to `to`: expand-only migrations can be left without
 * a restore, unless the window also moved the PostgreSQL major (the older one cannot read the data).
 */
export function offeredRollback(catalog: Catalog, from: string, to: string): RollbackMode {
  const [left, back] = [getRelease(catalog, from), getRelease(catalog, to)];
  if (left.postgres.major !== back.postgres.major) return "restore";
  return left.notes.migrations === "expand-only" ? "expand-only" : "restore";
}

/**
 * A restore that starts inside a window belongs to a rollback with data; beside an upgrade it would back up
 * one cluster and migrate another. Throws when a recovery starts in a window that is not such a rollback.
 */
export function checkRestoreInWindow(
  window: UpgradeWindow | undefined,
  rollback: RollbackPlan | undefined,
  databases: readonly DatabasePlan[],
): void {
  const starting = databases.filter((d) => d.recovering && d.recovery);
  if (!window || starting.length === 0 || rollback?.mode === "restore") return;
  const what = starting.map((d) => `${d.key} into ${d.cluster}`).join(", ");
  const why = rollback
    ? `a rollback with mode "expand-only" keeps the data`
    : `the window ${window.from} -> ${window.to} is an upgrade`;
  fail(
    `lockstep:restore.name = ${JSON.stringify(starting[0].recovery?.name)} starts a restore (${what}), but ${why}; restore at the release that runs first (release ${window.from}), then upgrade, or roll back with mode "restore"`,
  );
}

export interface RollbackInputs {
  rollback: RollbackConfig | undefined;
  restore: RestoreConfig | undefined;
  window: UpgradeWindow | undefined;
  deployed: DeployedState | null;
  /** Where the platform database will run (from `databasePlans`). */
  platformDatabase: DatabasePlan;
}

const fail = (message: string): never => {
  throw new LockstepInputError(message);
};

/**
 * The rollback this deployment performs, or undefined when the window moves forward or none is open.
 * Throws when `lockstep:rollback` cannot be carried out as written. A backward window without
 * `lockstep:rollback` is left to the `upgrade-path` policy, which refuses it and says how to roll back.
 */
export function planRollback(catalog: Catalog, inputs: RollbackInputs): RollbackPlan | undefined {
  const { rollback, restore, window, deployed, platformDatabase } = inputs;
  if (!window) return undefined; // nothing moves: a rollback that completed earlier leaves its config behind harmlessly
  const backward = semver.lt(window.to, window.from);
  if (!rollback) return undefined;
  if (!backward) {
    fail(
      `lockstep:rollback.from = ${JSON.stringify(rollback.from)}: release ${window.to} is not older than ${window.from} (what this stack runs), so this window is an upgrade, not a rollback; remove lockstep:rollback`,
    );
  }
  if (rollback.from !== window.from) {
    fail(
      `lockstep:rollback.from = ${JSON.stringify(rollback.from)}, but this stack runs ${window.from} (its last deployment); set it to ${window.from}`,
    );
  }
  const path = findUpgradePath(window.to, window.from, upgradeSources(catalog));
  if (!path.allowed) {
    fail(
      `lockstep:release = ${JSON.stringify(window.to)}: a rollback returns to the release ${window.from} was upgraded from in one window, and ${window.to} -> ${window.from} is not one (${path.reason})`,
    );
  }
  const migrations = getRelease(catalog, window.from).notes.migrations;
  if (rollback.mode === "expand-only") {
    const majors = [getRelease(catalog, window.from).postgres.major, getRelease(catalog, window.to).postgres.major];
    if (majors[0] !== majors[1])
      fail(
        `lockstep:rollback.mode = "expand-only": ${window.from} -> ${window.to} moves PostgreSQL ${majors[0]} back to ${majors[1]}, which cannot read what ${majors[0]} wrote; roll back with mode "restore" and the window's pre-upgrade backups (lockstep rollback --stack <stack> writes both)`,
      );
    if (migrations !== "expand-only") {
      fail(
        `lockstep:rollback.mode = "expand-only": release ${window.from}'s migrations are ${migrations} (catalog notes.migrations), so ${window.to} cannot run on its schema; roll back with mode "restore" and the window's pre-upgrade backups (lockstep rollback --stack <stack> writes both)`,
      );
    }
    return {
      from: window.from,
      to: window.to,
      mode: "expand-only",
      reason: `${window.from}'s migrations are expand-only (catalog notes.migrations): ${window.to} runs on the current schema and every row written since the upgrade is kept; no restore`,
    };
  }
  if (!restore || !platformDatabase.recovery) {
    fail(
      `lockstep:rollback.mode = "restore" needs lockstep:restore recovering the platform database from the window's pre-upgrade backup (lockstep rollback --stack <stack> writes it)`,
    );
  }
  const recovery = platformDatabase.recovery as NonNullable<DatabasePlan["recovery"]>;
  if (!platformDatabase.recovering) {
    fail(
      `lockstep:restore.name = ${JSON.stringify(recovery.name)} is the restore this stack already runs on (${platformDatabase.cluster}); a rollback restores into new clusters: choose a new restore.name (lockstep rollback does)`,
    );
  }
  if (!recovery.target || (!recovery.target.targetImmediate && !recovery.target.targetTime)) {
    const key = recovery.target ? "lockstep:restore.targetImmediate" : "lockstep:restore.backupIDs.platform";
    fail(
      `${key} is unset: a rollback restores the window's pre-upgrade backup as it ended (restore.backupIDs with restore.targetImmediate) or a restore.targetTime before the upgrade, never the archived WAL after it, which holds ${window.from}'s migrations`,
    );
  }
  const point = deployed?.restorePoint;
  const taken = point && point.from === window.to && point.to === window.from ? point.backups.platform : undefined;
  if (taken && recovery.target?.backupID !== undefined && recovery.target.backupID !== taken.backupId) {
    fail(
      `lockstep:restore.backupIDs.platform = ${JSON.stringify(recovery.target.backupID)}, but the window ${window.to} -> ${window.from} took backup ${taken.backupId} of ${taken.serverName} before its migrations; set it to ${taken.backupId}`,
    );
  }
  const why =
    migrations === "expand-only"
      ? `restore chosen although ${window.from}'s migrations are expand-only: the data goes back too`
      : `${window.from}'s migrations are contract (catalog notes.migrations): ${window.to} cannot run on that schema`;
  return {
    from: window.from,
    to: window.to,
    mode: "restore",
    reason: `${why}; writers stop, then the databases come back from ${recovery.description}; rows written after that are not in the restored databases (the original clusters keep them)`,
  };
}
