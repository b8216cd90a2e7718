/**
 * The wave plan: which waves run, in which order, and what each waits for. Pure, so the program,
 * the plan printer and the tests read one source of truth.
 */
export const WAVE_IDS = [
  "pre-upgrade-backup",
  "platform-services",
  "database",
  "api",
  "gateways",
  "console",
  "workers",
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
  "platform-services": "secrets, identity and operators",
  database: "control-plane PostgreSQL",
  api: "control-plane API (runs migrations at startup)",
  gateways: "gateways (rolling, canary by weight)",
  console: "console (blue/green, live Service)",
  workers: "workers (export, lifecycle, config)",
  verification: "smoke verification and release record",
};

/**
 * Waits on all earlier waves rather than only the previous one, so removing or skipping a wave
 * can never silently let a later wave start before the backups.
 */
export function waveOrder(upgradeWindowOpen: boolean): WaveSpec[] {
  const ids = WAVE_IDS.filter((id) => id !== "pre-upgrade-backup" || upgradeWindowOpen);
  return ids.map((id, i) => ({ id, title: TITLES[id], after: ids.slice(0, i) }));
}
