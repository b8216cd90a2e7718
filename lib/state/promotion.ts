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

/** What the verifying stack's outputs say about its last deployment: the release and its smoke test. */
export interface SourceVerification {
  version: string | null;
  setDigest: string | null;
  smoke: string;
  verifiedAt: string | null;
}

/** The verifying stack a promotion names, what its outputs show, and where they were read. */
export interface PromotionSource {
  /** The stack the promotion names (`lockstep:promotion.verifiedIn`). */
  stack: string;
  /** Where its outputs came from, in the words the plan and the refusals use. */
  origin: string;
  /** What they show; null when nothing was read (an offline plan given no file of them). */
  verification: SourceVerification | null;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** The verification in a stack's outputs (`release` and `verification`), whatever shape an old stack left. */
export function sourceVerification(outputs: Record<string, unknown>): SourceVerification {
  const release = (outputs.release ?? {}) as Record<string, unknown>;
  const verification = (outputs.verification ?? {}) as Record<string, unknown>;
  return {
    version: text(release.version),
    setDigest: text(release.setDigest),
    smoke: text(verification.status) ?? "skipped",
    verifiedAt: text(verification.verifiedAt),
  };
}

/**
 * A promotion is backed when the verifying stack's own outputs show it: that stack runs the promoted
 * version with the promoted set, its smoke test passed, and the record's time is the one its outputs
 * give (`lockstep promote` copies it). A record typed by hand, or one staging has since moved on from,
 * is not backed. Every reason is given at once.
 */
export function promotionBackingRefusal(promotion: Promotion, source: PromotionSource): string | undefined {
  const seen = source.verification;
  if (!seen) return undefined;
  const from = `${source.stack}'s outputs (${source.origin})`;
  if (!seen.version)
    return `${from} show no deployment, so nothing verified ${promotion.version}: deploy and verify it in ${source.stack}, then \`lockstep promote --from ${source.stack}\``;
  const reasons: string[] = [];
  if (seen.version !== promotion.version)
    reasons.push(`${source.stack} runs ${seen.version}, not the promoted ${promotion.version}`);
  else if (seen.setDigest !== promotion.setDigest)
    reasons.push(`${source.stack} runs the set ${seen.setDigest}, not the promoted ${promotion.setDigest}`);
  if (seen.smoke !== "passed")
    reasons.push(`${source.stack}'s last smoke test ${seen.smoke === "failed" ? "failed" : "was skipped"}`);
  if (seen.verifiedAt !== promotion.verifiedAt)
    reasons.push(
      `the promotion record says ${source.stack} verified it at ${promotion.verifiedAt}, but ${source.stack}'s outputs say ${seen.verifiedAt ?? "never"}: a record not written from them is not a verification`,
    );
  if (reasons.length === 0) return undefined;
  return `the promotion must be backed by ${from}, and is not: ${reasons.join("; ")}; promote again from what ${source.stack} runs and verified (\`lockstep promote --from ${source.stack}\`)`;
}
