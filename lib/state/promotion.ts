/**
 * Whether a verified staging set may be promoted to another stack, and what to write there. Pure.
 * Refusals are collected, so one run explains every reason at once.
 */
import * as semver from "semver";
import { Catalog, setDigest, upgradeSources } from "../release/catalog";
import { findUpgradePath } from "../release/semverRules";
import type { VerificationRecord } from "./verification";

export interface PromotionRequest {
  fromStack: string;
  toStack: string;
  record: VerificationRecord;
  catalog: Catalog;
  /** The target stack's current `lockstep:release`. */
  currentRelease: string;
  /** The target stack's console colors (`lockstep:console`, defaults applied). */
  currentConsole: { blue: string; green: string; live: "blue" | "green" };
  now: Date;
}

export interface Promotion {
  version: string;
  setDigest: string;
  verifiedIn: string;
  verifiedAt: string;
}

export type PromotionDecision =
  | { ok: true; release: string; previous: string; promotion: Promotion; updates: Record<string, unknown> }
  | { ok: false; reasons: string[] };

export function decidePromotion(req: PromotionRequest): PromotionDecision {
  const { record, catalog } = req;
  const reasons: string[] = [];
  if (record.stack !== req.fromStack)
    reasons.push(`the verification record is for stack ${record.stack}, not ${req.fromStack}`);
  if (record.smoke !== "passed")
    reasons.push(
      `${req.fromStack} is not verified: its smoke test ${record.smoke === "skipped" ? "was skipped (lockstep:smoke is not set)" : "failed"}`,
    );
  const release = catalog.releases.get(record.version);
  if (!release) {
    reasons.push(
      `${req.fromStack} verified ${record.version}, which is not in the release catalog (${catalog.versions.join(", ")})`,
    );
  } else if (setDigest(release) !== record.setDigest) {
    reasons.push(
      `the catalog's set for ${record.version} is ${setDigest(release)}, but ${req.fromStack} verified ${record.setDigest}: the set changed after verification, so it must be verified again`,
    );
  }
  // A verification cannot have happened after now: such a record was written by hand, or its clock is wrong.
  if (typeof record.verifiedAt === "string" && Date.parse(record.verifiedAt) > req.now.getTime())
    reasons.push(
      `the verification record says it was verified at ${record.verifiedAt}, which is later than now (${req.now.toISOString()}); a record from the future is not a verification`,
    );
  if (release && req.currentRelease !== record.version) {
    const path = findUpgradePath(req.currentRelease, record.version, upgradeSources(catalog));
    if (!path.allowed) reasons.push(`${req.toStack} runs ${req.currentRelease}, and ${path.reason}`);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const promotion: Promotion = {
    version: record.version,
    setDigest: record.setDigest,
    verifiedIn: req.fromStack,
    verifiedAt: record.verifiedAt ?? req.now.toISOString(),
  };
  // A finished rollback's config goes: the release moves forward again (a restore's stays: it says where the data lives).
  const updates: Record<string, unknown> = { release: record.version, promotion, rollback: undefined };
  // Moving the release opens the upgrade window by itself (the program reads what runs), so the target
  // takes its pre-upgrade backups before anything changes; a written upgrade.from could only go stale.
  // A minor or patch puts the new console on the idle color, ready to verify behind its preview Service
  // before the live flip. A major moves as one coordinated window, both console colors included: no
  // state in between is compatible, and the old major's console is no rollback target for the new API.
  // A release whose migrations contract the schema is coordinated too (its writers stop before the new
  // API migrates), the console still by the idle color. Re-promoting the same version changes neither.
  if (req.currentRelease !== record.version) {
    const major = semver.major(record.version) !== semver.major(req.currentRelease);
    const contract = release?.notes.migrations === "contract";
    updates.upgrade = major || contract ? { mode: "coordinated" } : undefined;
    const idle = req.currentConsole.live === "blue" ? "green" : "blue";
    updates.console = major
      ? { ...req.currentConsole, blue: record.version, green: record.version }
      : { ...req.currentConsole, [idle]: record.version };
  }
  return { ok: true, release: record.version, previous: req.currentRelease, promotion, updates };
}

export interface PromotionVerdict {
  ok: boolean;
  /** Why the stack may run this set, or what must hold. */
  reason: string;
}

/**
 * The one check that a prod stack runs exactly the set staging verified (policy `prod-promoted-only` and
 * preflight's "staging verified" row): the promotion record names the release, and its digest is the
 * catalog's digest for that release.
 */
export function promotionVerdict(
  promotion: Promotion | null | undefined,
  release: string,
  catalog: Catalog,
  stack: string,
): PromotionVerdict {
  const known = catalog.releases.get(release);
  if (!known)
    return { ok: false, reason: `release ${release} is not in the release catalog (${catalog.versions.join(", ")})` };
  if (!promotion) {
    return {
      ok: false,
      reason: `${stack} must run a promoted set: lockstep:promotion is missing; promote ${release} from staging with \`lockstep promote --from staging --to ${stack}\``,
    };
  }
  if (promotion.version !== release) {
    return {
      ok: false,
      reason: `${stack} release ${release} must be the promoted version, but the promotion record is for ${promotion.version}`,
    };
  }
  const expected = setDigest(known);
  if (promotion.setDigest !== expected) {
    return {
      ok: false,
      reason: `the set digest verified in ${promotion.verifiedIn} (${promotion.setDigest}) must equal the catalog's digest for ${release} (${expected}); the set changed after verification`,
    };
  }
  return {
    ok: true,
    reason: `${release} verified in ${promotion.verifiedIn} at ${promotion.verifiedAt}, set ${expected}`,
  };
}
