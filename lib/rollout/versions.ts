/** Which version each first-party workload runs, given the target release and an open window. Pure. */
import type { FirstPartyComponent } from "../release/catalog";
import type { StackConfig } from "../config/config";
import type { WaveId } from "./waves";

export const WORKER_KINDS = ["export", "lifecycle", "config"] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/** Every first-party Deployment, by name, with its component and the wave that moves it. */
const WORKLOAD_TABLE = {
  api: { component: "api", wave: "api" },
  gateway: { component: "gateway", wave: "gateways" },
  "gateway-canary": { component: "gateway", wave: "gateways" },
  "console-blue": { component: "console", wave: "console" },
  "console-green": { component: "console", wave: "console" },
  "worker-export": { component: "workers", wave: "workers" },
  "worker-lifecycle": { component: "workers", wave: "workers" },
  "worker-config": { component: "workers", wave: "workers" },
} as const satisfies Record<string, { component: FirstPartyComponent; wave: WaveId }>;

export type WorkloadName = keyof typeof WORKLOAD_TABLE;
export const WORKLOADS = Object.keys(WORKLOAD_TABLE) as WorkloadName[];

export function componentOf(workload: string): FirstPartyComponent | undefined {
  return (WORKLOAD_TABLE as Record<string, { component: FirstPartyComponent }>)[workload]?.component;
}

export function waveOf(workload: string): WaveId | undefined {
  return (WORKLOAD_TABLE as Record<string, { wave: WaveId }>)[workload]?.wave;
}

/** The window the versions are decided in: only its source version and canary share matter here. */
export interface WindowVersions {
  from: string;
  gatewayCanaryPercent?: number;
}

export interface GatewayTracks {
  /** What the stable track runs: the window's `from` during a canary, otherwise the release. */
  stable: string;
  /** The canary track and its traffic share, only inside a window with a canary percent. */
  canary?: { version: string; percent: number };
}

/** The one place that decides whether a gateway canary runs, and at what share. */
export function gatewayTracks(release: string, window: WindowVersions | undefined): GatewayTracks {
  if (window?.gatewayCanaryPercent === undefined) return { stable: release };
  return { stable: window.from, canary: { version: release, percent: window.gatewayCanaryPercent } };
}

/** Deployment name -> the version it runs once this configuration is deployed. */
export function workloadVersions(
  config: Pick<StackConfig, "release" | "console">,
  window: WindowVersions | undefined,
): Record<WorkloadName, string> & Record<string, string> {
  const gateways = gatewayTracks(config.release, window);
  const out: Record<string, string> = { api: config.release, gateway: gateways.stable };
  if (gateways.canary) out["gateway-canary"] = gateways.canary.version;
  out["console-blue"] = config.console.blue;
  out["console-green"] = config.console.green;
  for (const kind of WORKER_KINDS) out[`worker-${kind}`] = config.release;
  return out as Record<WorkloadName, string>;
}
