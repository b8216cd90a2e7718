/**
 * The kwok configuration of the simulated cluster: one fake node, and pods that become Running and Ready
 * a set time after they are bound, per app (`app.kubernetes.io/name`). The API's delay stands for its
 * migrations at startup: its pods answer /readyz only once they are done.
 *
 * Written for kwok v0.8.0's Stage API (kwok.x-k8s.io/v1alpha1); the selectors are its jq-like paths.
 */

/** The annotation kwok is told to manage nodes by. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
export const APP_LABEL = "app.kubernetes.io/name";

export interface ReadinessDelays {
  /** Delay before a pod of one of these apps is Ready, in milliseconds. */
  byApp: Record<string, number>;
  /** Delay for every other pod (operators, charts' pods). */
  otherMs: number;
}

/** One entry of a stage's matchExpressions: kwok's jq-like key, an operator, and values for In/NotIn. */
const expression = (key: string, operator: "In" | "NotIn" | "Exists" | "DoesNotExist", values?: string[]) =>
  `    - key: '${key}'\n      operator: '${operator}'\n${values ? `      values: [${values.map((v) => `'${v}'`).join(", ")}]\n` : ""}`;
const selector = (...expressions: string[]) => `\n  selector:\n    matchExpressions:\n${expressions.join("")}`;

/** Pending pods not being deleted, narrowed by `extra` (more expressions, or none). */
const podSelector = (extra: string) =>
  selector(
    expression(".metadata.deletionTimestamp", "DoesNotExist"),
    expression(".status.phase", "In", ["Pending"]),
    extra,
  );

/** Running and Ready with a pod IP, every container running; the same for init containers as completed. */
const READY_STATUS = `
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: ContainersReady, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: Ready, status: "True", lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now | Quote }}}}}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}}
      {{ end }}
      {{ with NodeIPWith .spec.nodeName }}
      hostIP: {{ . | Quote }}
      {{ end }}
      {{ with PodIPWith .spec.nodeName false ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ . | Quote }}
      podIPs:
      - ip: {{ . | Quote }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}`;

const stage = (name: string, body: string) => `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:${body}`;

const appIs = (operator: "In" | "NotIn", apps: string[]) =>
  expression(`.metadata.labels["${APP_LABEL}"]`, operator, apps);

/** Pending pods the app selector (`extra`) matches become Running and Ready `ms` after kwok sees them. */
const podReady = (name: string, extra: string, ms: number) =>
  stage(
    name,
    `\n  resourceRef: {apiGroup: v1, kind: Pod}${podSelector(extra)}  delay:\n    durationMilliseconds: ${ms}${READY_STATUS}`,
  );

/** The whole stage file: the node, one ready stage per delayed app, one for the rest, and deletion. */
export function kwokStages(delays: ReadinessDelays): string {
  const apps = Object.keys(delays.byApp);
  for (const [app, ms] of Object.entries(delays.byApp)) {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(app) || !Number.isInteger(ms) || ms < 0)
      throw new Error(`readiness delay ${app}=${ms}: an app name and whole milliseconds >= 0 are needed`);
  }
  const node = stage(
    "node-ready",
    `
  resourceRef: {apiGroup: v1, kind: Node}${selector(expression('.status.conditions.[] | select( .type == "Ready" ) | .status', "NotIn", ["True"]))}  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: "kwok node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: "kwok node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: "kwok node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: "kwok node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      addresses:
      - {type: InternalIP, address: {{ NodeIP | Quote }}}
      - {type: Hostname, address: {{ NodeName | Quote }}}
      allocatable: {cpu: 1k, memory: 1Ti, pods: 1M}
      capacity: {cpu: 1k, memory: 1Ti, pods: 1M}
      nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: "fake", kubeProxyVersion: "fake", containerRuntimeVersion: "kwok", bootID: "", machineID: "", kernelVersion: "", osImage: "", systemUUID: ""}
      phase: Running`,
  );
  const perApp = Object.entries(delays.byApp).map(([app, ms]) => podReady(`pod-ready-${app}`, appIs("In", [app]), ms));
  const rest = podReady("pod-ready", apps.length ? appIs("NotIn", apps) : "", delays.otherMs);
  const remove = stage(
    "pod-delete",
    `
  resourceRef: {apiGroup: v1, kind: Pod}${selector(expression(".metadata.deletionTimestamp", "Exists"))}  next:
    delete: true`,
  );
  return [node, ...perApp, rest, remove].join("\n") + "\n";
}
