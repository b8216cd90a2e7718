/**
 * Where an `up`'s wall time goes: the engine's step events, split into the program's start (the `up`
 * begins to its first change), each wave's own time (its first step starts to its last step done), the
 * gaps between one wave's last step and the next wave's first, and the end (the last step to the `up`'s
 * return). Pure, so the split is tested on recorded events (test/rollout/windowSplit.test.ts).
 */

/** One engine step, with its parent: unchanged ones too, since a changed child's wave is found through them. */
export interface StepTimes {
  urn: string;
  parent?: string;
  /** A custom resource; a component's step is its registration, not work, so it only places children. */
  custom: boolean;
  /** Anything but `same` and `read`: only a change is work. */
  changed: boolean;
  started: number;
  done?: number;
}

export interface WaveTime {
  wave: string;
  startedMs: number;
  doneMs: number;
  ms: number;
}

export interface WindowSplit {
  /** The `up` begins to its first change: the engine, the program and its reads. */
  startMs: number;
  waves: WaveTime[];
  /** Between one wave's last step done and the next wave's first step started; negative never. */
  gaps: { after: string; before: string; ms: number }[];
  /** The last step done to the `up`'s return. */
  endMs: number;
  totalMs: number;
}

const WAVE_PREFIX = "wave-";
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

/** The wave a step belongs to: its nearest ancestor named `wave-<id>`, or none (the stack's own). */
function waveOf(urn: string, parents: ReadonlyMap<string, string | undefined>): string | undefined {
  for (let at: string | undefined = urn; at !== undefined; at = parents.get(at)) {
    const name = nameOf(at);
    if (name.startsWith(WAVE_PREFIX)) return name.slice(WAVE_PREFIX.length);
  }
  return undefined;
}

/**
 * Splits an `up` that started at `upStarted` and returned at `upEnded` (the same clock as the steps).
 * Steps outside every wave (the provider, the release record) count in no wave; a wave whose steps never
 * finished ends at its last start.
 */
export function windowSplit(all: readonly StepTimes[], upStarted: number, upEnded: number): WindowSplit {
  const parents = new Map(all.map((s) => [s.urn, s.parent]));
  const steps = all.filter((s) => s.custom && s.changed);
  const byWave = new Map<string, { started: number; done: number }>();
  for (const s of steps) {
    const wave = waveOf(s.urn, parents);
    if (wave === undefined) continue;
    const done = s.done ?? s.started;
    const seen = byWave.get(wave);
    byWave.set(wave, {
      started: Math.min(seen?.started ?? s.started, s.started),
      done: Math.max(seen?.done ?? done, done),
    });
  }
  const waves = [...byWave.entries()]
    .map(([wave, t]) => ({
      wave,
      startedMs: t.started - upStarted,
      doneMs: t.done - upStarted,
      ms: t.done - t.started,
    }))
    .sort((a, b) => a.startedMs - b.startedMs);
  const gaps = waves.slice(1).map((w, i) => ({
    after: waves[i].wave,
    before: w.wave,
    ms: Math.max(0, w.startedMs - waves[i].doneMs),
  }));
  const firstChange = Math.min(...steps.map((s) => s.started));
  const lastDone = Math.max(...steps.map((s) => s.done ?? s.started));
  return {
    startMs: steps.length ? firstChange - upStarted : upEnded - upStarted,
    waves,
    gaps,
    endMs: steps.length ? upEnded - lastDone : 0,
    totalMs: upEnded - upStarted,
  };
}

/** The split as lines a reader takes in: where each second of the `up` went. */
export function splitLines(split: WindowSplit): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `start (engine, program, its reads) ${s(split.startMs)}`,
    ...split.waves.map((w) => `wave ${w.wave} ${s(w.ms)}`),
    `gaps between waves ${s(split.gaps.reduce((a, g) => a + g.ms, 0))} (${split.gaps.map((g) => `${g.after}->${g.before} ${s(g.ms)}`).join(", ")})`,
    `end ${s(split.endMs)}`,
  ];
}
