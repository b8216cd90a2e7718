/**
 * The wave plan: which waves run, in which order, and what each waits for. Pure, so the program,
 * the plan printer and the tests read one source of truth.
 */
export const WAVE_IDS = [
  "pre-upgrade-backup",
  "writers-down",
  "platform-services",
  "database",
  "api",
  "gateways",
  "console",
  "workers",
  "restore-drill",
  "verification",
] as const;
export type WaveId = (typeof WAVE_IDS)[number];

export interface WaveSpec {
  id: WaveId;
  title: string;
  /** Every earlier wave: a wave starts only when all of them are complete. */
  after: WaveId[];
}

const TITLES: Record<WaveId, string> = {
  "pre-upgrade-backup": "verified pre-upgrade backups (CNPG Backups, OpenBao raft snapshot)",
  "writers-down": "writers stop (API and workers at 0 replicas) before the databases are restored",

  "platform-services": "secrets, identity and operators",
  database: "control-plane PostgreSQL",
  api: "control-plane API (runs migrations at startup)",
  gateways: "gateways (rolling, canary by weight)",
  console: "console (blue/green, live Service)",
  workers: "workers (export, lifecycle, config)",
  "restore-drill": "restore drill (a scratch cluster recovers the latest backup, is checked, removed)",
  verification: "smoke verification and release record",
};

/** The waves that run only sometimes, and what turns each on. */
export interface OptionalWaves {
  /** An upgrade (or rollback) window is open: backups first. */
  upgradeWindow: boolean;
  /** The platform database is being restored over running writers. @default false */
  writersDown?: boolean;
  /** A restore drill is configured. @default false */
  restoreDrill?: boolean;
  /** The window moves back: the workloads beside the API go back before it, the reverse of an upgrade. @default false */
  rollback?: boolean;
  /**
   * A coordinated window moves forward: the writers stop after the database wave, so no API or worker of
   * the release before runs on the schema the new API's migrations leave. @default false
   */
  coordinated?: boolean;
}

const COORDINATED_WRITERS_DOWN = "writers stop (API and workers at 0 replicas) before the new API migrates";

/** The waves that move first-party workloads, in upgrade order. */
const WORKLOAD_WAVES: readonly WaveId[] = ["api", "gateways", "console", "workers"];

/**
 * Waits on all earlier waves rather than only the previous one, so removing or skipping a wave
 * can never silently let a later wave start before the backups. (The program names the wave before and
 * the backups on each resource; the engine's graph carries the rest: components/wave.ts.)
 */
export function waveOrder(optional: OptionalWaves): WaveSpec[] {
  const runs: Partial<Record<WaveId, boolean>> = {
    "pre-upgrade-backup": optional.upgradeWindow,
    "writers-down": optional.writersDown ?? false,
    "restore-drill": optional.restoreDrill ?? false,
  };
  let ids: WaveId[] = WAVE_IDS.filter((id) => runs[id] ?? true);
  const stopsBeforeApi = optional.coordinated === true && !optional.rollback && !runs["writers-down"];
  if (stopsBeforeApi) ids.splice(ids.indexOf("api"), 0, "writers-down");
  if (optional.rollback) {
    // An older API serves the versions before it, not after: gateways, console and workers go back first.
    const reversed = [...WORKLOAD_WAVES.slice(1), WORKLOAD_WAVES[0]];
    let next = 0;
    ids = ids.map((id) => (WORKLOAD_WAVES.includes(id) ? reversed[next++] : id));
  }
  const title = (id: WaveId) => (id === "writers-down" && stopsBeforeApi ? COORDINATED_WRITERS_DOWN : TITLES[id]);
  return ids.map((id, i) => ({ id, title: title(id), after: ids.slice(0, i) }));
}
