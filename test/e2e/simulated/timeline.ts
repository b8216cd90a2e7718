/**
 * What the rollout watcher records during an upgrade, and the checks on it. Plain data and functions (no
 * cluster): test/rollout/rolloutTimeline.test.ts checks them on hand-made timelines, rollout.e2e.ts on a real run.
 * Times are milliseconds since the watch started.
 */

export interface EndpointSample {
  t: number;
  service: string;
  ready: number;
}
export interface DeploymentSample {
  t: number;
  name: string;
  replicas: number;
  maxUnavailable: number;
  available: number;
  updated: number;
  version?: string;
  /** Whether the controller had seen this spec (observedGeneration >= generation): counts of an unseen spec are the old one's. @default true */
  observed?: boolean;
}
export interface PdbSample {
  t: number;
  name: string;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
}
export interface SelectorSample {
  t: number;
  service: string;
  selector: Record<string, string>;
}
export interface RouteSample {
  t: number;
  route: string;
  backends: { service: string; weight: number }[];
}
export interface PodRecord {
  name: string;
  app: string;
  version?: string;
  labels: Record<string, string>;
  created: number;
  ready?: number;
  ip?: string;
}
/** When a pod's address first became a ready endpoint of a Service. */
export interface ServedSample {
  t: number;
  service: string;
  pod: string;
}
export interface Mark {
  t: number;
  label: string;
}

export interface Timeline {
  /** Wall-clock time the watch started (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  endpoints: EndpointSample[];
  deployments: DeploymentSample[];
  pdbs: PdbSample[];
  selectors: SelectorSample[];
  routes: RouteSample[];
  pods: PodRecord[];
  served: ServedSample[];
  /** Events of the engine and the doubles worth drawing (a Backup completed, a wave's first change). */
  marks: Mark[];
}

export interface Violation {
  what: string;
  from: number;
  to: number;
}

/** The last sample of each key at or before `t`. */
function latest<S extends { t: number }>(samples: S[], key: (s: S) => string, t: number): Map<string, S> {
  const out = new Map<string, S>();
  for (const s of samples) if (s.t <= t) out.set(key(s), s);
  return out;
}

/** Intervals where a sample stream is "bad", once it has been good: [from, to) per key. */
function badIntervals<S extends { t: number }>(
  samples: S[],
  key: (s: S) => string,
  good: (s: S) => boolean,
  end: number,
  describe: (k: string, s: S) => string,
): Violation[] {
  const out: Violation[] = [];
  const seenGood = new Set<string>();
  const open = new Map<string, { from: number; what: string }>();
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const k = key(s);
    if (good(s)) {
      seenGood.add(k);
      const o = open.get(k);
      if (o) {
        out.push({ what: o.what, from: o.from, to: s.t });
        open.delete(k);
      }
    } else if (seenGood.has(k) && !open.has(k)) {
      open.set(k, { from: s.t, what: describe(k, s) });
    }
  }
  for (const o of open.values()) out.push({ what: o.what, from: o.from, to: end });
  return out;
}

/**
 * Services that, once serving, had no ready endpoint. A Service deleted on purpose at the end of a window
 * (the canary's) is not watched past its last sample: pass only the Services that must keep serving.
 */
export function endpointGaps(tl: Timeline, services: readonly string[]): Violation[] {
  const wanted = new Set(services);
  return badIntervals(
    tl.endpoints.filter((s) => wanted.has(s.service)),
    (s) => s.service,
    (s) => s.ready > 0,
    tl.endedAt - tl.startedAt,
    (k) => `Service ${k} had 0 ready endpoints`,
  );
}

/** Deployments whose available replicas fell below `replicas - maxUnavailable` after they were first fully available. */
export function capacityDips(tl: Timeline): Violation[] {
  return badIntervals(
    tl.deployments,
    (s) => s.name,
    (s) => s.available >= s.replicas - s.maxUnavailable,
    tl.endedAt - tl.startedAt,
    (k, s) => `Deployment ${k} had ${s.available} available of ${s.replicas} (maxUnavailable ${s.maxUnavailable})`,
  );
}

/** Route backends that carried weight while their Service had no ready endpoint. */
export function weightedEmptyBackends(tl: Timeline): Violation[] {
  const out: Violation[] = [];
  for (const route of tl.routes) {
    const endpoints = latest(tl.endpoints, (s) => s.service, route.t);
    for (const b of route.backends) {
      if (b.weight > 0 && (endpoints.get(b.service)?.ready ?? 0) === 0)
        out.push({
          what: `HTTPRoute ${route.route} sent weight ${b.weight} to ${b.service}, which had no ready endpoint`,
          from: route.t,
          to: route.t,
        });
    }
  }
  // A backend that loses its endpoints while weighted counts too.
  for (const s of tl.endpoints) {
    if (s.ready > 0) continue;
    const route = [...tl.routes].reverse().find((r) => r.t <= s.t);
    const weight = route?.backends.find((b) => b.service === s.service)?.weight ?? 0;
    if (weight > 0)
      out.push({
        what: `${s.service} lost its last ready endpoint while HTTPRoute ${route?.route} sent it weight ${weight}`,
        from: s.t,
        to: s.t,
      });
  }
  return out;
}

/**
 * Selector changes of `service` made before the Deployment they now select had rolled out the version it
 * ends the watch at: all replicas updated and available. A flip to a color that is still at its old version
 * (its own update not yet started) sends the live traffic to pods about to be replaced.
 */
export function earlyFlips(
  tl: Timeline,
  service: string,
  deploymentOf: (selector: Record<string, string>) => string,
): Violation[] {
  const flips = tl.selectors.filter((s) => s.service === service);
  const end = tl.endedAt - tl.startedAt;
  const out: Violation[] = [];
  for (let i = 1; i < flips.length; i++) {
    if (JSON.stringify(flips[i].selector) === JSON.stringify(flips[i - 1].selector)) continue;
    const target = deploymentOf(flips[i].selector);
    const d = latest(tl.deployments, (s) => s.name, flips[i].t).get(target);
    const final = latest(tl.deployments, (s) => s.name, end).get(target);
    if (
      !d ||
      d.observed === false ||
      d.available < d.replicas ||
      d.updated < d.replicas ||
      d.version !== final?.version
    ) {
      out.push({
        what: `Service ${service} switched to ${target} while it had ${d?.available ?? 0} of ${d?.replicas ?? "?"} available (${d?.updated ?? 0} updated) at version ${d?.version ?? "?"}, before its rollout to ${final?.version ?? "?"} finished`,
        from: flips[i].t,
        to: flips[i].t,
      });
    }
  }
  return out;
}

/** Pods of `match` that a Service served sooner than `minMs` after the pod was created. */
export function servedEarly(tl: Timeline, match: (p: PodRecord) => boolean, minMs: number): Violation[] {
  const pods = new Map(tl.pods.filter(match).map((p) => [p.name, p]));
  return tl.served
    .filter((s) => pods.has(s.pod) && s.t - (pods.get(s.pod) as PodRecord).created < minMs)
    .map((s) => ({
      what: `${s.service} served ${s.pod} ${s.t - (pods.get(s.pod) as PodRecord).created} ms after it was created (its readiness delay is ${minMs} ms)`,
      from: s.t,
      to: s.t,
    }));
}

/** The first time a pod matching each wave became Ready; undefined for a wave none of whose pods did. */
export function firstReady(
  tl: Timeline,
  waves: readonly { wave: string; match: (p: PodRecord) => boolean }[],
): { wave: string; t?: number }[] {
  return waves.map(({ wave, match }) => {
    const times = tl.pods.filter((p) => match(p) && p.ready !== undefined).map((p) => p.ready as number);
    return { wave, t: times.length ? Math.min(...times) : undefined };
  });
}

/** One wave of the critical path: how many readiness gates it passes one after another, and each one's delay. */
export interface GateStep {
  wave: string;
  delayMs: number;
  sequentialSteps: number;
}

/**
 * The critical path of the readiness gates: per wave, its slowest gate times how many times it must be
 * passed in turn (a rolling update with maxSurge 1 and maxUnavailable 0 passes it once per replica).
 */
export function criticalPathMs(steps: readonly GateStep[]): number {
  const perWave = new Map<string, number>();
  for (const s of steps) perWave.set(s.wave, Math.max(perWave.get(s.wave) ?? 0, s.delayMs * s.sequentialSteps));
  return [...perWave.values()].reduce((a, b) => a + b, 0);
}

/**
 * PDBs whose healthy pods fell below the desired count after they were first met. A status that guards
 * nothing yet (desiredHealthy 0: not computed, or no pods) is no sample: a new PDB beside a new Deployment
 * starts below its count until the first pods are Ready, and that is not a disruption.
 */
export function pdbBreaches(tl: Timeline): Violation[] {
  return badIntervals(
    tl.pdbs.filter((s) => s.desiredHealthy > 0),
    (s) => s.name,
    (s) => s.currentHealthy >= s.desiredHealthy,
    tl.endedAt - tl.startedAt,
    (k, s) => `PodDisruptionBudget ${k} had ${s.currentHealthy} healthy, below the ${s.desiredHealthy} it guards`,
  );
}

export interface ZeroDowntimeSpec {
  /** Services that must keep at least one ready endpoint once they have one. */
  services: readonly string[];
  /** A blue/green Service and the Deployment a selector of it names. */
  flipped?: { service: string; deploymentOf: (selector: Record<string, string>) => string };
}

/** Every way the timeline broke zero downtime; empty when it held. */
export function zeroDowntimeViolations(tl: Timeline, spec: ZeroDowntimeSpec): Violation[] {
  return [
    ...endpointGaps(tl, spec.services),
    ...capacityDips(tl),
    ...weightedEmptyBackends(tl),
    ...pdbBreaches(tl),
    ...(spec.flipped ? earlyFlips(tl, spec.flipped.service, spec.flipped.deploymentOf) : []),
  ];
}
