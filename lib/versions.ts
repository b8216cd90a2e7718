/** Which version each first-party workload runs, given the target release and an open window. Pure. */
import type { FirstPartyComponent } from "./catalog";
import { openWindow, StackConfig } from "./config";

export const WORKER_KINDS = ["export", "lifecycle", "config"] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface GatewayTracks {
  /** What the stable track runs: `upgrade.from` during a canary, otherwise the release. */
  stable: string;
  /** The canary track and its traffic share, only inside a window with a canary percent. */
  canary?: { version: string; percent: number };
}

/** The one place that decides whether a gateway canary runs, and at what share. */
export function gatewayTracks(config: Pick<StackConfig, "release" | "upgrade">): GatewayTracks {
  const window = openWindow(config);
  if (window?.gatewayCanaryPercent === undefined) return { stable: config.release };
  return { stable: window.from, canary: { version: config.release, percent: window.gatewayCanaryPercent } };
}

export interface WorkloadVersion {
  /** Logical name of the Deployment. */
  workload: string;
  component: FirstPartyComponent;
  version: string;
}

export function workloadVersions(config: Pick<StackConfig, "release" | "upgrade" | "console">): WorkloadVersion[] {
  const gateways = gatewayTracks(config);
  const out: WorkloadVersion[] = [
    { workload: "api", component: "api", version: config.release },
    { workload: "gateway", component: "gateway", version: gateways.stable },
  ];
  if (gateways.canary) out.push({ workload: "gateway-canary", component: "gateway", version: gateways.canary.version });
  out.push(
    { workload: "console-blue", component: "console", version: config.console.blue },
    { workload: "console-green", component: "console", version: config.console.green },
  );
  for (const kind of WORKER_KINDS) out.push({ workload: `worker-${kind}`, component: "workers", version: config.release });
  return out;
}
