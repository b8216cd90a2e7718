/**
 * lib/fleet: many installs of one project. Rings, the version distribution, which install needs which
 * path, the ring-by-ring run, and the export to the Pulumi Kubernetes Operator.
 *
 * A fleet is the stacks of this project tagged with a ring: what each install runs, the version
 * distribution, and which installs need an upgrade and by which path. Pure: the CLI reads the stacks
 * (through the Automation API) into `Install`s and hands them here.
 */
import * as semver from "semver";
import { z } from "zod";
import { Catalog, upgradeSources } from "../release/catalog";
import type { DeployedState } from "../state/deployed";
import { LockstepInputError } from "../core/errors";
import { dnsLabel, exactVersion } from "../release/schemas";
import { findUpgradePath, kubernetesVerdict } from "../release/semverRules";
import { runningFrom } from "../state/window";

/** Stack tags that place a stack in the fleet (`pulumi stack tag set lockstep:ring canary`). */
export const FLEET_TAGS = { ring: "lockstep:ring", region: "lockstep:region", customer: "lockstep:customer" } as const;

export const DEFAULT_RINGS = ["canary", "early", "broad"] as const;

export const fleetFileSchema = z.strictObject({
  /** Ring names in upgrade order. @default canary, early, broad */
  rings: z
    .array(dnsLabel)
    .min(1, { message: "must name at least one ring" })
    .default([...DEFAULT_RINGS])
    .refine((rings) => new Set(rings).size === rings.length, { message: "must not name a ring twice" }),
  /** The stack whose verification a fleet upgrade requires of its target version. @default staging */
  verifiedIn: z.string().min(1).default("staging"),
});
export type FleetFile = z.infer<typeof fleetFileSchema>;

export interface LastUpdate {
  result: "succeeded" | "failed" | "in-progress" | "not-started";
  /** ISO time the update ended (or started, while in progress). */
  at: string | null;
}

export interface Install {
  stack: string;
  ring: string;
  region: string | null;
  customer: string | null;
  /** What the stack's last outputs say it runs; null when it deployed nothing. */
  deployed: DeployedState | null;
  /** The stack file's `lockstep:release` (what the next `up` moves to). */
  configuredRelease: string | null;
  /** The stack file's `lockstep:kubernetesVersion`. */
  kubernetesVersion: string | null;
  lastUpdate: LastUpdate | null;
  /** The last smoke verification in the outputs: its status and the version it verified. */
  verification: { status: string; version: string | null; verifiedAt: string | null } | null;
}

/** Whether anything runs a version other than the release: a window (a canary, a console on the other color) is open. */
export function windowOpen(deployed: DeployedState | null): boolean {
  return deployed !== null && runningFrom(deployed, deployed.release) !== undefined;
}

/** Installs sorted by ring order, then name; an unknown ring is refused with the rings there are. */
export function byRing(installs: readonly Install[], rings: readonly string[]): Install[] {
  for (const install of installs) {
    if (!rings.includes(install.ring)) {
      throw new LockstepInputError(
        `stack ${install.stack}: tag ${FLEET_TAGS.ring} = ${JSON.stringify(install.ring)} is not a ring of this fleet (${rings.join(", ")}); fix the tag or add the ring to fleet.yaml`,
      );
    }
  }
  return [...installs].sort((a, b) => rings.indexOf(a.ring) - rings.indexOf(b.ring) || a.stack.localeCompare(b.stack));
}

export interface VersionShare {
  /** A released version, or "not deployed". */
  version: string;
  count: number;
  stacks: string[];
}

/** How many installs run each release, newest first; installs that deployed nothing last. */
export function distribution(installs: readonly Install[]): VersionShare[] {
  const groups = new Map<string, string[]>();
  for (const install of installs) {
    const key = install.deployed?.release ?? "not deployed";
    groups.set(key, [...(groups.get(key) ?? []), install.stack]);
  }
  const versions = [...groups.keys()].filter((v) => semver.valid(v)).sort(semver.rcompare);
  const ordered = groups.has("not deployed") ? [...versions, "not deployed"] : versions;
  return ordered.map((version) => ({
    version,
    count: groups.get(version)?.length ?? 0,
    stacks: [...(groups.get(version) ?? [])].sort(),
  }));
}

export type UpgradeNeed =
  | { stack: string; ring: string; status: "current"; from: string }
  | { stack: string; ring: string; status: "behind"; from: string; path: string[] }
  | { stack: string; ring: string; status: "blocked"; from: string | null; path: string[] | null; reasons: string[] };

/**
 * Where each install stands against `to`: current, behind (with the path, the policy pack's path logic),
 * or blocked (why it cannot take the path: no path, Kubernetes out of a release's range, config a release
 * requires, a window or rollback still open, nothing deployed).
 */
export function upgradeNeeds(
  installs: readonly Install[],
  to: string,
  catalog: Catalog,
  configKeys: (stack: string) => readonly string[],
): UpgradeNeed[] {
  exactVersion.parse(to);
  if (!catalog.releases.has(to))
    throw new LockstepInputError(
      `--to ${to}: not in the release catalog; available versions: ${catalog.versions.join(", ")}`,
    );
  return installs.map((install): UpgradeNeed => {
    const { stack, ring, deployed } = install;
    if (!deployed)
      return {
        stack,
        ring,
        status: "blocked",
        from: null,
        path: null,
        reasons: ["it has deployed nothing: a first install is a `pulumi up` of its own, not an upgrade"],
      };
    const from = deployed.release;
    if (from === to && !windowOpen(deployed)) return { stack, ring, status: "current", from };
    const reasons: string[] = [];
    if (windowOpen(deployed))
      reasons.push(
        `a window is open (workloads at ${[...new Set(Object.values(deployed.workloads))].sort(semver.compare).join(" and ")}): finish or close it first`,
      );
    if (from === to) return { stack, ring, status: "blocked", from, path: [from], reasons };
    const found = findUpgradePath(from, to, upgradeSources(catalog));
    const path = found.suggested;
    if (!path) return { stack, ring, status: "blocked", from, path: null, reasons: [...reasons, found.reason] };
    const keys = configKeys(stack);
    for (const version of path.slice(1)) {
      const release = catalog.releases.get(version);
      if (!release) continue;
      const k8s = kubernetesVerdict(install.kubernetesVersion, release);
      if (!k8s.ok) reasons.push(k8s.reason);
      const missing = release.notes.requiredConfig.filter((key) => !keys.includes(key));
      if (missing.length) reasons.push(`release ${version} requires config the stack lacks: ${missing.join(", ")}`);
      if (semver.major(version) !== semver.major(path[path.indexOf(version) - 1])) {
        reasons.push(
          `${path[path.indexOf(version) - 1]} -> ${version} crosses a major: a coordinated window, announced, one install at a time (lockstep promote)`,
        );
      }
    }
    return reasons.length
      ? { stack, ring, status: "blocked", from, path, reasons }
      : { stack, ring, status: "behind", from, path };
  });
}
