/**
 * The restricted Pod Security profile, as data, for first-party pods and for the third-party charts. A
 * chart takes its security contexts through values at chart-specific paths; those paths are kept here, so
 * the program sets them and the policy pack checks exactly the same paths.
 */
import type { ChartKey } from "../release/catalog";
import type { Values } from "../core/merge";

/** Every container: the restricted profile plus a read-only root filesystem. */
export function restrictedContainer() {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Every pod, running as `uid` (the user the image is built for). */
export function restrictedPod(uid: number, gid: number = uid) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

interface ChartSecurity {
  /** Values paths of pod security contexts. */
  pod: readonly (readonly string[])[];
  /** Values paths of container security contexts. */
  container: readonly (readonly string[])[];
  /** The user the chart's image runs as. */
  uid: number;
  gid: number;
}

export const CHART_SECURITY: Record<ChartKey, ChartSecurity> = {
  cnpgOperator: { pod: [["podSecurityContext"]], container: [["containerSecurityContext"]], uid: 10001, gid: 10001 },
  barmanCloudPlugin: {
    pod: [["podSecurityContext"]],
    container: [["containerSecurityContext"]],
    uid: 10001,
    gid: 10001,
  },
  identity: {
    pod: [["podSecurityContext"]],
    container: [["securityContext"], ["dbchecker", "securityContext"]],
    uid: 1000,
    gid: 1000,
  },
  openbao: {
    pod: [["server", "statefulSet", "securityContext", "pod"]],
    container: [["server", "statefulSet", "securityContext", "container"]],
    uid: 100,
    gid: 1000,
  },
  observability: {
    pod: [["server", "securityContext"]],
    container: [
      ["server", "containerSecurityContext"],
      ["configmapReload", "prometheus", "containerSecurityContext"],
    ],
    uid: 65534,
    gid: 65534,
  },
};

function setAt(target: Values, path: readonly string[], value: unknown): void {
  let cursor = target;
  for (const key of path.slice(0, -1)) cursor = (cursor[key] ??= {}) as Values;
  cursor[path[path.length - 1]] = value;
}

/** The values that run a chart's pods under the restricted profile with read-only root filesystems. */
export function restrictedChartValues(chart: ChartKey): Values {
  const security = CHART_SECURITY[chart];
  const values: Values = {};
  for (const path of security.pod) setAt(values, path, restrictedPod(security.uid, security.gid));
  for (const path of security.container)
    setAt(values, path, { ...restrictedContainer(), runAsUser: security.uid, runAsGroup: security.gid });
  return values;
}
