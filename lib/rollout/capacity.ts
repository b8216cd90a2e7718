/**
 * Whether the cluster can hold the rollout at its peak. A rolling update runs `maxSurge` extra pods of a
 * Deployment while it moves, and the waves move one after another, so the peak is every planned
 * Deployment at its replicas plus the largest one wave's surge. Against it: the schedulable nodes'
 * allocatable CPU and memory, less the requests of what already runs and is not replaced by the plan.
 * Pure: preflight reads the plan and the cluster, this adds them up.
 */

/** CPU in millicores and memory in bytes. */
export interface Amount {
  cpuMillis: number;
  memoryBytes: number;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** A Kubernetes quantity (`250m`, `1.5`, `512Mi`, `1G`) as a number of base units; throws on anything else. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === "number") return quantity;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new Error(`${JSON.stringify(quantity)} is not a Kubernetes quantity (like 250m, 2, 512Mi or 1G)`);
  const suffix = match[2] ?? "";
  return Number(match[1]) * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** Requests as the API returns them: `{ cpu?: "250m", memory?: "512Mi" }`. */
export type Requests = Record<string, string | number> | undefined;

export function amountOf(requests: Requests): Amount {
  return {
    cpuMillis: requests?.cpu !== undefined ? Math.round(parseQuantity(requests.cpu) * 1000) : 0,
    memoryBytes: requests?.memory !== undefined ? Math.round(parseQuantity(requests.memory)) : 0,
  };
}

const add = (a: Amount, b: Amount): Amount => ({
  cpuMillis: a.cpuMillis + b.cpuMillis,
  memoryBytes: a.memoryBytes + b.memoryBytes,
});
const times = (a: Amount, n: number): Amount => ({ cpuMillis: a.cpuMillis * n, memoryBytes: a.memoryBytes * n });
export const ZERO: Amount = { cpuMillis: 0, memoryBytes: 0 };
export const sum = (amounts: readonly Amount[]): Amount => amounts.reduce(add, ZERO);

/** A Deployment the plan declares, as far as its footprint goes. */
export interface PlannedDeployment {
  name: string;
  wave: string;
  replicas: number;
  /** `strategy.rollingUpdate.maxSurge`: a count or a percentage; Recreate surges nothing. @default "25%" */
  maxSurge?: string | number;
  recreate?: boolean;
  /** One pod's requests: its containers' added up (init containers run before them, one at a time). */
  pod: Amount;
}

/** Extra pods a rolling update runs at once: a count, or a percentage of replicas rounded up, as the Deployment controller does. */
export function surgePods(d: Pick<PlannedDeployment, "replicas" | "maxSurge" | "recreate">): number {
  if (d.recreate) return 0;
  const surge = d.maxSurge ?? "25%";
  if (typeof surge === "number") return surge;
  const percent = /^(\d+)%$/.exec(surge);
  if (percent) return Math.ceil((d.replicas * Number(percent[1])) / 100);
  return Number(surge);
}

/**
 * Every planned Deployment at its replicas, plus the largest surge of any one wave (the waves move one
 * after another), taken per resource: the CPU of the wave that surges most CPU, the memory of the one
 * that surges most memory.
 */
export function surgePeak(deployments: readonly PlannedDeployment[]): Amount {
  const steady = sum(deployments.map((d) => times(d.pod, d.replicas)));
  const byWave = new Map<string, Amount>();
  for (const d of deployments) byWave.set(d.wave, add(byWave.get(d.wave) ?? ZERO, times(d.pod, surgePods(d))));
  const surges = [...byWave.values()];
  return add(steady, {
    cpuMillis: Math.max(0, ...surges.map((s) => s.cpuMillis)),
    memoryBytes: Math.max(0, ...surges.map((s) => s.memoryBytes)),
  });
}

/** What is left of `allocatable` once `running` and `peak` are placed; negative where it does not fit. */
export function capacityMargin(allocatable: Amount, running: Amount, peak: Amount): Amount {
  return {
    cpuMillis: allocatable.cpuMillis - running.cpuMillis - peak.cpuMillis,
    memoryBytes: allocatable.memoryBytes - running.memoryBytes - peak.memoryBytes,
  };
}

export function showCpu(millis: number): string {
  return `${(millis / 1000).toFixed(2).replace(/\.?0+$/, "")} CPU`;
}

export function showMemory(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2).replace(/\.?0+$/, "")} GiB`;
}
