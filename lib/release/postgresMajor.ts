/**
 * A PostgreSQL major move is a data migration, not an image change. lockstep takes CloudNativePG's
 * offline in-place major upgrade (the operator runs `pg_upgrade` when a Cluster's image names a higher
 * major): the window's verified pre-upgrade Backups come first, every instance is down while it runs,
 * and the way back is those Backups, restored into new clusters on the old major. Pure.
 */
import * as semver from "semver";
import type { Release } from "./catalog";

/** The first CloudNativePG release that upgrades a Cluster's major in place, declaratively. */
export const IN_PLACE_MAJOR_SINCE = "1.26.0";

export interface PostgresMajorPath {
  from: number;
  to: number;
  /** `in-place`: pg_upgrade forward; `restore`: back, from the pre-upgrade backups into new clusters. */
  method: "in-place" | "restore";
  /** What the plan prints. */
  description: string;
}

const operatorOf = (release: Release) => release.charts.cnpgOperator.appVersion.replace(/^v/, "");

/** The path a window takes across PostgreSQL majors; null when the major stays. */
export function postgresMajorPath(from: Release, to: Release): PostgresMajorPath | null {
  const [a, b] = [from.postgres.major, to.postgres.major];
  if (a === b) return null;
  if (b < a)
    return {
      from: a,
      to: b,
      method: "restore",
      description: `PostgreSQL ${a} -> ${b}: restored, not downgraded (PostgreSQL ${b} cannot read what ${a} wrote): the databases come back on ${b} in new clusters from the window's pre-upgrade backups`,
    };
  return {
    from: a,
    to: b,
    method: "in-place",
    description: `PostgreSQL ${a} -> ${b}: in place with pg_upgrade (CloudNativePG ${operatorOf(to)}'s offline in-place major upgrade), after the verified pre-upgrade Backups; every instance is down while it runs, then a base backup of ${b} is taken at once (${a}'s backups cannot restore ${b}); the way back is the pre-upgrade Backups: \`lockstep rollback --mode restore\` brings the databases back on ${a} in new clusters`,
  };
}

/**
 * What a window across PostgreSQL majors must be: forward, coordinated (the cluster is offline) and run
 * by an operator that upgrades in place; backward, only a rollback that restores the data.
 */
export function postgresMajorRefusal(
  window: { from: string; to: string; coordinated: boolean; rollbackMode: string | undefined },
  from: Release,
  to: Release,
): string | undefined {
  const path = postgresMajorPath(from, to);
  if (!path) return undefined;
  const moves = `${window.from} -> ${window.to} moves PostgreSQL ${path.from} to ${path.to}`;
  if (path.method === "restore")
    return window.rollbackMode === "restore"
      ? undefined
      : `${moves}, and PostgreSQL ${path.to} cannot read data ${path.from} wrote: it must be a rollback with the data (\`lockstep rollback --mode restore\`), which brings the databases back from the window's pre-upgrade backups`;
  const problems: string[] = [];
  if (!window.coordinated)
    problems.push(
      "must run as a coordinated window (lockstep:upgrade.mode=coordinated): pg_upgrade shuts every instance down, replicas included, until it completes",
    );
  const operator = operatorOf(to);
  if (!semver.valid(operator) || semver.lt(operator, IN_PLACE_MAJOR_SINCE))
    problems.push(
      `needs CloudNativePG ${IN_PLACE_MAJOR_SINCE} or later to upgrade in place, and release ${window.to} pins ${operator}`,
    );
  return problems.length ? `${moves}: it ${problems.join(", and it ")}` : undefined;
}
