/** Which version each first-party workload runs, given the target release and an open window. Pure. */
import type { FirstPartyComponent } from "./catalog";
import { openWindow, StackConfig } from "./config";

export interface WorkloadVersion {
  /** Logical name of the Deployment. */
  workload: string;
  component: FirstPartyComponent;
  version: string;
}

export function workloadVersions(config: Pick<StackConfig, "release" | "upgrade" | "console">): WorkloadVersion[] {
  const window = openWindow(config);
  const canary = window?.gatewayCanaryPercent !== undefined;
  const out: WorkloadVersion[] = [
    { workload: "api", component: "api", version: config.release },
    // With a canary the stable track keeps the old version and the canary takes the new one.
    { workload: "gateway", component: "gateway", version: canary && window ? window.from : config.release },
  ];
  if (canary) out.push({ workload: "gateway-canary", component: "gateway", version: config.release });
  out.push(
    { workload: "console-blue", component: "console", version: config.console.blue },
    { workload: "console-green", component: "console", version: config.console.green },
  );
  for (const kind of WORKER_KINDS) out.push({ workload: `worker-${kind}`, component: "workers", version: config.release });
  return out;
}

export const WORKER_KINDS = ["export", "lifecycle", "config"] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];
