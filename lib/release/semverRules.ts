/**
 * The platform's version rules, as plain functions shared by the program, the plan and the policy pack.
 *
 * Compatibility (from the upgrade guide's matrix): the API runs the target release; every other
 * component may run the same major, a minor between API-1 and API, and never anything newer than the API.
 * Upgrade paths: never backward, never skipping a minor; a major bump only from a source the target lists.
 */
import * as semver from "semver";

export type Version = string;

export function parseVersion(v: Version): semver.SemVer {
  const parsed = semver.parse(v);
  if (!parsed) throw new Error(`not a semantic version: ${JSON.stringify(v)}`);
  return parsed;
}

export interface CompatibilityVerdict {
  compatible: boolean;
  /** Human reason, phrased as what must hold. Empty when compatible. */
  reason: string;
}

/** Whether a component at `version` may run beside an API at `apiVersion` (N-1 window). */
export function compatibleWithApi(version: Version, apiVersion: Version): CompatibilityVerdict {
  const v = parseVersion(version);
  const api = parseVersion(apiVersion);
  if (v.major !== api.major) {
    return {
      compatible: false,
      reason: `${version} must share the API's major version ${api.major} (API runs ${apiVersion})`,
    };
  }
  if (semver.gt(v, api)) {
    return { compatible: false, reason: `${version} must not be newer than the API (${apiVersion})` };
  }
  if (api.minor - v.minor > 1) {
    return {
      compatible: false,
      reason: `${version} must be within one minor of the API ${apiVersion} (allowed ${api.major}.${Math.max(api.minor - 1, 0)}.x - ${apiVersion})`,
    };
  }
  return { compatible: true, reason: "" };
}

/** The compatibility window of an API version as a semver range, for messages and docs. */
export function compatibilityRange(apiVersion: Version): string {
  const api = parseVersion(apiVersion);
  const lowestMinor = Math.max(api.minor - 1, 0);
  return `>=${api.major}.${lowestMinor}.0 <=${apiVersion}`;
}

export interface UpgradeStepVerdict {
  allowed: boolean;
  reason: string;
}

/**
 * Whether one direct step `from` -> `to` is allowed.
 * `allowedSources` are the semver ranges the target's release notes list (`upgradeFrom`).
 */
export function upgradeStep(from: Version, to: Version, allowedSources: readonly string[]): UpgradeStepVerdict {
  const f = parseVersion(from);
  const t = parseVersion(to);
  if (semver.eq(f, t)) return { allowed: true, reason: "" };
  if (semver.lt(t, f)) {
    return {
      allowed: false,
      reason: `${from} -> ${to} is a downgrade; upgrades must move forward (roll back by restoring the pre-upgrade backup)`,
    };
  }
  const listed = allowedSources.some((range) => semver.satisfies(f, range));
  if (t.major !== f.major) {
    if (!listed) {
      return {
        allowed: false,
        reason: `${from} -> ${to} is a major upgrade and ${to} must list ${from} among its upgrade sources (it lists: ${allowedSources.join(", ") || "none"})`,
      };
    }
    return { allowed: true, reason: "" };
  }
  if (t.minor - f.minor > 1) {
    return {
      allowed: false,
      reason: `${from} -> ${to} skips ${t.minor - f.minor - 1} minor version(s); upgrades must go one minor at a time`,
    };
  }
  if (allowedSources.length > 0 && !listed) {
    return {
      allowed: false,
      reason: `${to} must list ${from} among its upgrade sources (it lists: ${allowedSources.join(", ")})`,
    };
  }
  return { allowed: true, reason: "" };
}

export interface UpgradePath {
  allowed: boolean;
  reason: string;
  /** The shortest allowed path through released versions, from first to last, when one exists. */
  suggested: Version[] | null;
}

/**
 * Checks `from` -> `to` and, when the direct step is refused, finds the shortest path through the
 * catalog (preferring the newest patch of each intermediate minor) so the message can name it.
 */
export function findUpgradePath(
  from: Version,
  to: Version,
  releases: ReadonlyMap<Version, readonly string[]>,
): UpgradePath {
  const direct = upgradeStep(from, to, releases.get(to) ?? []);
  if (direct.allowed) return { allowed: true, reason: "", suggested: [from, to] };
  if (semver.lt(to, from)) return { allowed: false, reason: direct.reason, suggested: null };
  const suggested = shortestPath(from, to, releases);
  const via = suggested ? `; take ${suggested.join(" -> ")} instead` : "; no allowed path exists in the catalog";
  return { allowed: false, reason: direct.reason + via, suggested };
}

function shortestPath(from: Version, to: Version, releases: ReadonlyMap<Version, readonly string[]>): Version[] | null {
  // Newest first, so among equally short paths BFS settles on the newest patch of each minor.
  const candidates = [...releases.keys()].filter((v) => semver.gt(v, from) && semver.lte(v, to)).sort(semver.rcompare);
  const previous = new Map<Version, Version>();
  const queue: Version[] = [from];
  const seen = new Set<Version>([from]);
  while (queue.length > 0) {
    const current = queue.shift() as Version;
    if (current === to) break;
    for (const next of candidates) {
      if (seen.has(next) || !semver.gt(next, current)) continue;
      if (!upgradeStep(current, next, releases.get(next) ?? []).allowed) continue;
      seen.add(next);
      previous.set(next, current);
      queue.push(next);
    }
  }
  if (!previous.has(to)) return null;
  const path: Version[] = [to];
  while (path[0] !== from) path.unshift(previous.get(path[0]) as Version);
  return path;
}

/** Whether a Kubernetes version ("1.31" or "1.31.4" or "v1.31.4") is inside `[min, max]` by minor. */
export function kubernetesInRange(version: string, range: { min: string; max: string }): boolean {
  const v = semver.coerce(version);
  const min = semver.coerce(range.min);
  const max = semver.coerce(range.max);
  if (!v || !min || !max) return false;
  const minor = (x: semver.SemVer) => x.major * 1000 + x.minor;
  return minor(v) >= minor(min) && minor(v) <= minor(max);
}

export interface KubernetesVerdict {
  ok: boolean;
  /** Why it passes or what must hold, naming the cluster version, the release and its range. */
  reason: string;
}

/** The one check of a cluster's Kubernetes version against a release's supported range (policy and preflight). */
export function kubernetesVerdict(
  version: string | null | undefined,
  release: { version: string; kubernetes: { min: string; max: string } },
): KubernetesVerdict {
  const range = `${release.kubernetes.min} - ${release.kubernetes.max}`;
  if (!version)
    return {
      ok: false,
      reason: `the stack must declare lockstep:kubernetesVersion so it can be checked against release ${release.version}'s supported range ${range}`,
    };
  return kubernetesInRange(version, release.kubernetes)
    ? { ok: true, reason: `Kubernetes ${version} is inside release ${release.version}'s supported range ${range}` }
    : {
        ok: false,
        reason: `Kubernetes ${version} must be inside release ${release.version}'s supported range ${range}`,
      };
}
