/**
 * The update gates: the rules that protect data and production, judged from the release record alone.
 * The policy pack reports them at preview; the program refuses an `up` that breaks one, so they hold on
 * every path, also where no pack runs (a fleet on the Pulumi Kubernetes Operator, whose Stack object has
 * no field for one, or an `up` typed without `--policy-pack`). One function per rule, so both say the
 * same words.
 */
import * as semver from "semver";
import { Catalog, upgradeSources } from "../release/catalog";
import { findUpgradePath } from "../release/semverRules";
import { postgresMajorRefusal } from "../release/postgresMajor";
import type { StackConfig } from "../config/config";
import type { DeployedState } from "./deployed";
import { promotionBackingRefusal, promotionVerdict } from "./promotion";
import type { ReleaseRecordData } from "./record";

/** Production by name when the stack's policy config names none (policy `prod-promoted-only`). */
export const DEFAULT_PRODUCTION_STACKS = ["prod"];

/** Each gate by the policy that reports it at preview. */
export type GateName = "upgrade-path" | "blue-green-integrity" | "prod-promoted-only";

export interface GateRefusal {
  gate: GateName;
  message: string;
}

/**
 * A window moves forward along an allowed path, backward only as a rollback of one such step, across a
 * major only coordinated, and into a release whose migrations contract the schema only coordinated: the
 * API and workers before it cannot read what those migrations leave, so they must be stopped first. A
 * PostgreSQL major moves only by its own path (`postgresMajorRefusal`).
 */
export function upgradePathRefusal(record: ReleaseRecordData, catalog: Catalog): string | undefined {
  const from = record.upgradeFrom;
  if (!from) return undefined;
  const to = record.release;
  if (semver.lt(to, from)) {
    if (!record.rollback)
      return `${from} -> ${to} moves backward and must be a rollback: with data (the window's pre-upgrade backups restored) or, where ${from}'s migrations are expand-only, on the current schema; \`lockstep rollback --stack ${record.stack}\` writes it`;
    const undone = findUpgradePath(to, from, upgradeSources(catalog));
    return undone.allowed
      ? postgresRefusal(record, catalog)
      : `rollback ${from} -> ${to} must undo one allowed upgrade step, and ${to} -> ${from} is not one: ${undone.reason}`;
  }
  const verdict = findUpgradePath(from, to, upgradeSources(catalog));
  if (!verdict.allowed) return `upgrade ${from} -> ${to} must follow an allowed path: ${verdict.reason}`;
  const coordinated = record.upgradeMode === "coordinated";
  if (!coordinated && semver.major(from) !== semver.major(to))
    return `upgrade ${from} -> ${to} crosses a major version and must run as a coordinated window (lockstep:upgrade.mode=coordinated): no state between waves is compatible`;
  const postgres = postgresRefusal(record, catalog);
  if (postgres || coordinated) return postgres;
  // Every release the API passes runs its migrations, a skipped patch's included.
  const apiFrom = record.deployed?.workloads.api ?? from;
  const contracting = catalog.versions.filter(
    (v) => semver.gt(v, apiFrom) && semver.lte(v, to) && catalog.releases.get(v)?.notes.migrations === "contract",
  );
  if (contracting.length === 0) return undefined;
  return `upgrade ${from} -> ${to} must run as a coordinated window (lockstep:upgrade.mode=coordinated): the migrations of ${contracting.join(", ")} are contract (releases/<version>.yaml notes.migrations), so the API and workers of ${apiFrom} cannot read the schema they leave, and in a rolling window they would serve on it until their wave. Coordinated, the writers stop before the new API migrates (the API and workers are down until they come back, so announce it); a release whose migrations only expand the schema rolls with no downtime`;
}

/** A window across PostgreSQL majors takes its own path (`postgresMajorRefusal`). */
function postgresRefusal(record: ReleaseRecordData, catalog: Catalog): string | undefined {
  const from = record.upgradeFrom;
  const [before, after] = [from && catalog.releases.get(from), catalog.releases.get(record.release)];
  if (!from || !before || !after) return undefined;
  const coordinated = record.upgradeMode === "coordinated";
  return postgresMajorRefusal(
    { from, to: record.release, coordinated, rollbackMode: record.rollback?.mode },
    before,
    after,
  );
}

/**
 * The console color that served before this deployment keeps its version: the idle color moves and is
 * verified, the flip waits for it, and the old live color changes only in a later `up`, once it is idle.
 * A coordinated window moves the whole set together (its downtime is announced), both colors included,
 * and a rollback takes the console back with the API (the color that runs the older console goes live).
 */
export function liveColorRefusal(record: ReleaseRecordData): string | undefined {
  const before = record.consoleBefore;
  if (!before || record.upgradeMode === "coordinated" || record.rollback) return undefined;
  const wasLive = before.live;
  const now = record.console[wasLive];
  if (now === before[wasLive]) return undefined;
  const idle = wasLive === "blue" ? "green" : "blue";
  const flipping = record.console.live !== wasLive;
  return flipping
    ? `console-${wasLive} served traffic before this deployment and must keep ${before[wasLive]} while live flips to ${idle}, not move to ${now} in the same up; flip first (lockstep:console.live: ${idle}), then move ${wasLive} in a later up, once it is idle`
    : `console-${wasLive} is the live color and must not roll in place from ${before[wasLive]} to ${now}: put ${now} on the idle color (lockstep:console.${idle}: ${now}), verify it, then flip lockstep:console.live to ${idle}`;
}

/** Production: by name in the pack's config, or by `lockstep:environment: prod`. */
export function isProduction(stack: string, environment: string, productionStacks: readonly string[]): boolean {
  return environment === "prod" || productionStacks.includes(stack);
}

/**
 * The stack whose outputs must back this deployment's promotion: the one the promotion names, whenever a
 * production stack moves to a release (a first install included). Null when nothing moves, the stack is
 * not production or has no promotion (the verdict refuses that on its own), or a rollback returns to the
 * set the stack itself ran before (its restore point backs that).
 */
export function promotionSourceStack(
  stack: string,
  config: Pick<StackConfig, "environment" | "release" | "promotion" | "rollback">,
  deployed: DeployedState | null,
  productionStacks: readonly string[],
): string | null {
  if (!isProduction(stack, config.environment, productionStacks) || !config.promotion || config.rollback) return null;
  if (deployed?.release === config.release) return null;
  return config.promotion.verifiedIn;
}

/**
 * A production stack (by name, or with environment prod) runs exactly a set staging promoted, and when it
 * moves, the verifying stack's own outputs back the promotion (a typed record alone does not).
 */
export function promotionRefusal(
  record: ReleaseRecordData,
  catalog: Catalog,
  productionStacks: readonly string[],
): string | undefined {
  const byName = productionStacks.includes(record.stack);
  if (!isProduction(record.stack, record.environment, productionStacks)) return undefined;
  const verdict = promotionVerdict(record.promotion, record.release, catalog, record.stack);
  if (verdict.ok)
    return record.promotion && record.promotionSource
      ? promotionBackingRefusal(record.promotion, record.promotionSource)
      : undefined;
  const note =
    byName && record.environment !== "prod"
      ? ` (stack ${record.stack} is production by name, whatever its lockstep:environment says)`
      : "";
  return `${verdict.reason}${note}`;
}

/** Every gate the record breaks, in the order a person fixes them. */
export function gateRefusals(
  record: ReleaseRecordData,
  catalog: Catalog,
  productionStacks: readonly string[],
): GateRefusal[] {
  const found: [GateName, string | undefined][] = [
    ["upgrade-path", upgradePathRefusal(record, catalog)],
    ["blue-green-integrity", liveColorRefusal(record)],
    ["prod-promoted-only", promotionRefusal(record, catalog, productionStacks)],
  ];
  return found.flatMap(([gate, message]) => (message ? [{ gate, message }] : []));
}

/**
 * What the program does with the gates before it declares anything. An `up` that breaks one is refused
 * whole (nothing is touched); a preview only warns, since the pack reports the same rule with its level.
 */
export function refusalText(refusals: readonly GateRefusal[]): string {
  const lines = refusals.map((r) => `  ${r.gate}: ${r.message}`);
  return `this update is refused before it changes anything; the rules that protect the data and production hold with or without a policy pack:\n${lines.join("\n")}`;
}
