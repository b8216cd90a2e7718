import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { CommandOutput } from "../../cli/env";
import { capacityRow, plannedDeployments } from "../../cli/commands/capacityRow";
import type { PlanResult } from "../../plan/plan";
import { planStack } from "../helpers";

const NS = "aigw-staging";
const json = (body: unknown): CommandOutput => ({ status: 0, stdout: JSON.stringify(body), stderr: "" });

interface Node {
  cpu: string;
  memory: string;
  ready?: boolean;
  unschedulable?: boolean;
}
interface Pod {
  namespace: string;
  cpu: string;
  memory: string;
  lockstep?: boolean;
}

/** kubectl answering nodes and pods; `calls` records what was asked. */
function cluster(nodes: Node[], pods: Pod[], calls: string[][] = []) {
  return (args: string[]): CommandOutput => {
    calls.push(args);
    if (args[1] === "nodes")
      return json({
        items: nodes.map((n) => ({
          spec: { unschedulable: n.unschedulable ?? false },
          status: {
            allocatable: { cpu: n.cpu, memory: n.memory },
            conditions: [{ type: "Ready", status: n.ready === false ? "False" : "True" }],
          },
        })),
      });
    if (args[1] === "pods")
      return json({
        items: pods.map((p) => ({
          metadata: {
            namespace: p.namespace,
            labels: p.lockstep
              ? { "app.kubernetes.io/part-of": "lockstep", "app.kubernetes.io/managed-by": "pulumi" }
              : {},
          },
          spec: { containers: [{ resources: { requests: { cpu: p.cpu, memory: p.memory } } }] },
        })),
      });
    return { status: 1, stdout: "", stderr: `unexpected kubectl ${args.join(" ")}` };
  };
}

describe("preflight's cluster capacity row", () => {
  let staging: PlanResult;
  before(async () => {
    staging = await planStack("staging");
  });

  it("reads every planned Deployment with its wave, replicas, surge and one pod's requests", () => {
    const api = plannedDeployments(staging).find((d) => d.name === "api");
    assert.deepEqual(api, {
      name: "api",
      wave: "api",
      replicas: 1,
      maxSurge: 1,
      recreate: false,
      pod: { cpuMillis: 250, memoryBytes: 512 * 2 ** 20 },
    });
    assert.deepEqual(
      [...new Set(plannedDeployments(staging).map((d) => d.wave))],
      ["api", "gateways", "console", "workers"],
    );
  });

  it("passes with the margin when the peak fits beside what runs, and asks for nodes and live pods only", () => {
    const calls: string[][] = [];
    const row = capacityRow(
      cluster([{ cpu: "4", memory: "8Gi" }], [{ namespace: "kube-system", cpu: "1", memory: "1Gi" }], calls),
      NS,
      staging,
    );
    assert.equal(row.status, "✓", row.reason);
    assert.match(
      row.reason,
      /^margin 1\.25 CPU and 4 GiB: the rollout's peak 1\.75 CPU and 3 GiB; 1 node\(s\) allocate 4 CPU and 8 GiB, of which other pods request 1 CPU and 1 GiB$/,
    );
    assert.deepEqual(
      calls.map((c) => c.slice(0, 3)),
      [
        ["get", "nodes", "-o"],
        ["get", "pods", "--all-namespaces"],
      ],
    );
    assert.ok(calls[1].includes("--field-selector=status.phase!=Succeeded,status.phase!=Failed"));
  });

  it("fails naming what is short; the platform's own pods do not count, since the plan replaces them", () => {
    const full = [{ namespace: "kube-system", cpu: "2500m", memory: "1Gi" }];
    const row = capacityRow(cluster([{ cpu: "4", memory: "4Gi" }], full), NS, staging);
    assert.equal(row.status, "✗");
    assert.match(row.reason, /^0\.25 CPU short: the rollout's peak 1\.75 CPU and 3 GiB;/);
    const own = [{ namespace: NS, cpu: "2500m", memory: "1Gi", lockstep: true }];
    assert.equal(capacityRow(cluster([{ cpu: "4", memory: "4Gi" }], own), NS, staging).status, "✓");
    const elsewhere = [{ namespace: "other", cpu: "2500m", memory: "1Gi", lockstep: true }];
    assert.equal(capacityRow(cluster([{ cpu: "4", memory: "4Gi" }], elsewhere), NS, staging).status, "✗");
  });

  it("counts only schedulable, Ready nodes, and judges nothing when there are none", () => {
    const nodes = [
      { cpu: "64", memory: "256Gi", unschedulable: true },
      { cpu: "64", memory: "256Gi", ready: false },
      { cpu: "1", memory: "2Gi" },
    ];
    const row = capacityRow(cluster(nodes, []), NS, staging);
    assert.equal(row.status, "✗");
    assert.match(row.reason, /^0\.75 CPU short and 1 GiB short: .* 1 node\(s\) allocate 1 CPU and 2 GiB/);
    const odd = capacityRow(cluster([{ cpu: "lots", memory: "2Gi" }], []), NS, staging);
    assert.deepEqual(
      [odd.status, odd.reason],
      [
        "–",
        'the cluster reports a quantity that cannot be added up: "lots" is not a Kubernetes quantity (like 250m, 2, 512Mi or 1G)',
      ],
    );
    const none = capacityRow(cluster([], []), NS, staging);
    assert.deepEqual([none.status, none.reason], ["–", "the cluster lists 0 node(s), none schedulable and Ready"]);
  });

  it("is not checkable when kubectl cannot reach the cluster, nor judged without the plan", () => {
    const down = () => ({ status: 1, stdout: "", stderr: "The connection to the server localhost:8080 was refused" });
    assert.deepEqual(capacityRow(down, NS, staging), {
      check: "cluster capacity",
      status: "–",
      reason:
        "not checkable offline: no reachable cluster (kubectl: The connection to the server localhost:8080 was refused)",
    });
    assert.equal(capacityRow(cluster([{ cpu: "4", memory: "8Gi" }], []), NS, undefined).status, "–");
    const nodesOnly = (args: string[]): CommandOutput =>
      args[1] === "nodes"
        ? cluster([{ cpu: "4", memory: "8Gi" }], [])(args)
        : {
            status: 1,
            stdout: "",
            stderr: 'Error from server (Forbidden): pods is forbidden: User "ci" cannot list pods',
          };
    assert.deepEqual(
      capacityRow(nodesOnly, NS, staging).reason,
      'kubectl could not list the pods (Error from server (Forbidden): pods is forbidden: User "ci" cannot list pods), so what already runs is unknown',
    );
  });
});
