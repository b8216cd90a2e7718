/**
 * The first-party workload builder (components/workload.ts) alone: the combinations it refuses, each at
 * its boundary, and what one spec renders: spread, PDB, rollout strategy, probes, the preStop sleep.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  clusterService,
  createWorkload,
  replicasFor,
  validateWorkloadSpec,
  WorkloadSpec,
} from "../../components/workload";
import { LockstepInputError } from "../../lib/core/errors";
import { recordProgram, RecordedResource } from "../../plan/runtime";
import { named } from "../helpers";

const base: WorkloadSpec = {
  name: "app",
  appName: "app",
  namespace: "ns",
  component: "api",
  version: "1.5.1",
  image: `registry.example/app@sha256:${"a".repeat(64)}`,
  replicas: 1,
  spread: false,
  port: { name: "http", containerPort: 8080 },
  readinessPath: "/ready",
  livenessPath: "/alive",
  preStopSleepSeconds: 5,
  terminationGracePeriodSeconds: 30,
  env: [],
  resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
  awaitRollout: true,
};
const refusal = (spec: WorkloadSpec): string => {
  try {
    validateWorkloadSpec(spec);
  } catch (err) {
    assert.ok(err instanceof LockstepInputError, String(err));
    return err.message;
  }
  return "accepted";
};

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function render(spec: Partial<WorkloadSpec>): Promise<RecordedResource[]> {
  return (
    await recordProgram("staging", {}, [], () => {
      createWorkload({ ...base, ...spec }, new pulumi.ComponentResource("lockstep:test:Parent", "parent"));
    })
  ).resources;
}
const propsOf = (resources: RecordedResource[], name: string): Loose => named(resources, name).props;

describe("validateWorkloadSpec", () => {
  it("refuses a grace period not longer than the preStop sleep, naming both fields", () => {
    assert.equal(
      refusal({ ...base, terminationGracePeriodSeconds: 5 }),
      "app: terminationGracePeriodSeconds (5) must be greater than preStopSleepSeconds (5), or in-flight requests are cut off",
    );
    assert.equal(refusal({ ...base, terminationGracePeriodSeconds: 6 }), "accepted");
  });

  it("refuses fewer than one replica", () => {
    assert.equal(refusal({ ...base, replicas: 0 }), "app: replicas (0) must be at least 1");
    assert.equal(refusal({ ...base, replicas: 1 }), "accepted");
  });

  it("refuses spreading a single replica", () => {
    assert.equal(refusal({ ...base, spread: true, replicas: 1 }), "app: spread (HA) needs replicas >= 2, got 1");
    assert.equal(refusal({ ...base, spread: true, replicas: 2 }), "accepted");
  });

  it("refuses a literal secret in the environment, and takes it from a secretKeyRef", () => {
    assert.equal(
      refusal({ ...base, env: [{ name: "DB_PASSWORD", value: "hunter2hunter2" }] }),
      "app: env DB_PASSWORD must come from a secretKeyRef, not a literal value",
    );
    assert.equal(
      refusal({ ...base, env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] }),
      "accepted",
    );
    assert.equal(refusal({ ...base, env: [{ name: "LOG_LEVEL", value: "debug" }] }), "accepted");
  });

  it("answers HA with three replicas and otherwise one", () => {
    assert.deepEqual([replicasFor(true), replicasFor(false)], [3, 1]);
  });
});

describe("createWorkload", () => {
  it("renders one replica unspread: no affinity, no PDB, rolling one new pod at a time, awaited", async () => {
    const resources = await render({});
    const d = propsOf(resources, "app");
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    assert.equal(d.spec.template.spec.affinity, undefined);
    assert.equal(d.spec.template.spec.topologySpreadConstraints, undefined);
    // Found by the real provider: its own Deployment await once called a rolling update done at one new
    // pod of three, and the live console Service switched to a colour still rolling out.
    assert.deepEqual(d.metadata.annotations, {
      "pulumi.com/waitFor": JSON.stringify([
        "jsonpath={.status.updatedReplicas}=1",
        "jsonpath={.status.availableReplicas}=1",
        "jsonpath={.status.replicas}=1",
      ]),
    });
    assert.equal(
      resources.some((r) => r.name === "app-pdb"),
      false,
    );
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.startupProbe, undefined, "no startup probe unless a slow start is declared");
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: "/ready", port: 8080 },
      initialDelaySeconds: 10,
      periodSeconds: 5,
      failureThreshold: 3,
    });
    assert.deepEqual(c.livenessProbe, {
      httpGet: { path: "/alive", port: 8080 },
      periodSeconds: 10,
      failureThreshold: 6,
    });
    assert.deepEqual(c.lifecycle, { preStop: { exec: { command: ["sh", "-c", "sleep 5"] } } });
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 30);
    assert.equal(propsOf(resources, "app-sa").automountServiceAccountToken, false);
  });

  it("labels the Deployment and pods with the version, the ServiceAccount and PDB without it, gives the read-only root a /tmp scratch volume, and owns them", async () => {
    const resources = await render({ replicas: 2 });
    const lasting = {
      "app.kubernetes.io/name": "app",
      "app.kubernetes.io/component": "api",
      "app.kubernetes.io/part-of": "lockstep",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const labels = { ...lasting, "app.kubernetes.io/version": "1.5.1" };
    const sa = propsOf(resources, "app-sa");
    assert.deepEqual(sa.metadata, { name: "app", namespace: "ns", labels: lasting });
    assert.deepEqual(propsOf(resources, "app-pdb").metadata.labels, lasting);
    const d = propsOf(resources, "app");
    assert.deepEqual([d.metadata.name, d.metadata.namespace, d.metadata.labels], ["app", "ns", labels]);
    assert.deepEqual(d.spec.template.metadata.labels, labels);
    assert.deepEqual(d.spec.selector.matchLabels, { "app.kubernetes.io/name": "app" });
    assert.deepEqual(d.spec.template.spec.containers[0].volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    assert.deepEqual(d.spec.template.spec.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }]);
    assert.equal(d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
    for (const name of ["app-sa", "app"])
      assert.equal(named(resources, name).parentUrn?.split("::").pop(), "parent", name);
  });

  it("spreads HA replicas across hosts and zones, with a PDB that keeps all but one", async () => {
    const resources = await render({ replicas: 3, spread: true, selectorLabels: { "lockstep.dev/track": "stable" } });
    const selector = { "app.kubernetes.io/name": "app", "lockstep.dev/track": "stable" };
    const spec = propsOf(resources, "app").spec.template.spec;
    assert.deepEqual(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, [
      {
        weight: 100,
        podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } },
      },
    ]);
    assert.deepEqual(spec.topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
      },
    ]);
    const pdb = propsOf(resources, "app-pdb");
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: selector } });
    assert.equal(named(resources, "app-pdb").parentUrn?.split("::").pop(), "parent");
    assert.equal(pdb.metadata.namespace, "ns");
  });

  it("recreates instead when asked, declares the startup probe on the liveness path, and skips the await when told", async () => {
    const d = propsOf(await render({ rollout: "recreate", startupFailureThreshold: 60, awaitRollout: false }), "app");
    assert.deepEqual(d.spec.strategy, { type: "Recreate" });
    assert.deepEqual(d.spec.template.spec.containers[0].startupProbe, {
      httpGet: { path: "/alive", port: 8080 },
      periodSeconds: 5,
      failureThreshold: 60,
    });
    assert.deepEqual(d.metadata.annotations, { "pulumi.com/skipAwait": "true" });
  });

  it("declares a ClusterIP Service that waits for the Deployments it names and for its endpoints", async () => {
    const { resources } = await recordProgram("staging", {}, [], () => {
      const parent = new pulumi.ComponentResource("lockstep:test:Parent", "parent");
      const { deployment } = createWorkload(base, parent);
      const port = { name: "http", port: 80, targetPort: 8080 };
      clusterService(
        {
          name: "app",
          namespace: "ns",
          selector: { "app.kubernetes.io/name": "app" },
          port,
          dependsOn: [deployment],
        },
        parent,
      );
    });
    const svc = resources.find((r) => r.name === "app-svc") as RecordedResource;
    assert.deepEqual(svc.props.spec, {
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "app" },
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
    });
    assert.deepEqual(svc.props.metadata, {
      name: "app",
      namespace: "ns",
      labels: { "app.kubernetes.io/part-of": "lockstep" },
      annotations: { "pulumi.com/skipAwait": "true" },
    });
    assert.deepEqual(
      svc.dependencyUrns.map((u) => u.split("::").pop()),
      ["app"],
    );
    assert.equal(svc.parentUrn?.split("::").pop(), "parent");
  });

  // The provider's Service await is a fixed 10-second settle after the first Endpoints event (it does not
  // require a ready endpoint), and where nothing runs pods it is its whole timeout; readiness is the Deployment's.
  it("never waits on the provider's Service await, and depends on nothing it was not given", async () => {
    const { resources } = await recordProgram("staging", {}, [], () => {
      const parent = new pulumi.ComponentResource("lockstep:test:Parent", "parent");
      const port = { name: "http", port: 80, targetPort: 8080 };
      clusterService({ name: "app", namespace: "ns", selector: { "app.kubernetes.io/name": "app" }, port }, parent);
    });
    const svc = resources.find((r) => r.name === "app-svc") as RecordedResource;
    assert.deepEqual((svc.props.metadata as { annotations: unknown }).annotations, { "pulumi.com/skipAwait": "true" });
    assert.deepEqual(svc.dependencyUrns, []);
  });
});
