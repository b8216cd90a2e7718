/**
 * A simulated cluster beside the tier's kube-apiserver, so that Deployments really roll: the real
 * kube-controller-manager (Deployments -> ReplicaSets -> Pods, StatefulSets, EndpointSlices, PDB status,
 * garbage collection) and the real kwok (one fake node; pods Running and Ready after a delay per app),
 * with doubles/podBinder.ts standing in for kube-scheduler. Nothing runs in the pods: readiness is the
 * delay kwok is configured with, which is what the upgrade's order and the endpoints depend on.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ApiServer, Processes } from "../apiserver";
import { PodBinder } from "../doubles/podBinder";
import { KWOK_NODE_ANNOTATION, kwokStages, ReadinessDelays } from "./kwokStages";

export const NODE_NAME = "kwok-node-0";
/** The controllers a rollout needs; the node lifecycle controller is left out (no kubelet heartbeats). */
const CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "job-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "disruption-controller",
  "serviceaccount-controller",
  "garbage-collector-controller",
  "namespace-controller",
  "pod-garbage-collector-controller",
];

export interface SimulatedClusterTools {
  "kube-controller-manager": string;
  kwok: string;
}

export interface SimulatedCluster {
  delays: ReadinessDelays;
  binder: PodBinder;
  /** The controllers' and kwok's output so far (for a failure message). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startSimulatedCluster(
  server: ApiServer,
  tools: SimulatedClusterTools,
  delays: ReadinessDelays,
): Promise<SimulatedCluster> {
  const dir = path.join(server.dir, "simulated");
  fs.mkdirSync(dir, { recursive: true });
  const stagesFile = path.join(dir, "kwok-stages.yaml");
  fs.writeFileSync(stagesFile, kwokStages(delays));
  const processes = new Processes(dir);
  const launch = (name: keyof SimulatedClusterTools, args: string[]) => processes.launch(name, tools[name], args);
  const node = server.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: NODE_NAME,
        annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
        labels: {
          "kubernetes.io/hostname": NODE_NAME,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "topology.kubernetes.io/zone": "zone-a",
          type: "kwok",
        },
      },
    }),
  );
  if (node.status !== 0) throw new Error(`creating the fake node ${NODE_NAME} failed: ${node.stderr}`);
  launch("kube-controller-manager", [
    `--kubeconfig=${server.kubeconfig}`,
    "--leader-elect=false",
    "--secure-port=0",
    `--controllers=${CONTROLLERS.join(",")}`,
    `--service-account-private-key-file=${server.dir}/sa.key`,
    `--root-ca-file=${server.dir}/ca.crt`,
    "--concurrent-deployment-syncs=10",
    "--concurrent-replicaset-syncs=10",
  ]);
  launch("kwok", [
    `--kubeconfig=${server.kubeconfig}`,
    `--config=${stagesFile}`,
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    "--cidr=10.244.0.0/16",
    "--node-ip=10.0.0.1",
  ]);
  const binder = new PodBinder(server.kubeconfig, NODE_NAME);
  binder.start();
  const logs = () => processes.logs();
  const stop = async () => {
    await binder.stop();
    await processes.stop();
  };
  // The node is Ready once kwok runs its stage: that proves kwok reads its config and reaches the server.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = server.kubectl([
      "get",
      "node",
      NODE_NAME,
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    if (ready.stdout.trim() === "True") break;
    const exited = processes.exited();
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(
        `the simulated cluster did not start (node ${NODE_NAME} not Ready${exited ? `, a process exited with ${exited.exitCode}` : " after 60 s"}):\n${logs()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { delays, binder, logs, stop };
}
