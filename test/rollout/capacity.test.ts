import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  amountOf,
  capacityMargin,
  parseQuantity,
  PlannedDeployment,
  showCpu,
  showMemory,
  surgePeak,
  surgePods,
} from "../../lib/rollout/capacity";

describe("parseQuantity", () => {
  it("reads Kubernetes quantities: milli, plain, decimal and binary suffixes, exponents", () => {
    assert.equal(parseQuantity("250m"), 0.25);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("1.5"), 1.5);
    assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
    assert.equal(parseQuantity("1Gi"), 2 ** 30);
    assert.equal(parseQuantity("1G"), 1e9);
    assert.equal(parseQuantity("128974848"), 128974848);
    assert.equal(parseQuantity("1e3"), 1000);
    assert.equal(parseQuantity(4), 4);
    assert.equal(parseQuantity(" 250m\n"), 0.25, "YAML's surrounding space is not part of it");
  });

  it("refuses what is not a quantity, naming it", () => {
    assert.throws(() => parseQuantity("lots"), /^Error: "lots" is not a Kubernetes quantity/);
    assert.throws(() => parseQuantity("1Xi"), /"1Xi" is not a Kubernetes quantity/);
  });
});

describe("amountOf", () => {
  it("turns requests into millicores and bytes; what is not requested counts 0", () => {
    assert.deepEqual(amountOf({ cpu: "250m", memory: "512Mi" }), { cpuMillis: 250, memoryBytes: 512 * 2 ** 20 });
    assert.deepEqual(amountOf({ memory: "1Gi" }), { cpuMillis: 0, memoryBytes: 2 ** 30 });
    assert.deepEqual(amountOf(undefined), { cpuMillis: 0, memoryBytes: 0 });
  });
});

describe("surgePods", () => {
  it("takes a count as it is, a percentage of replicas rounded up, 25 % by default, and 0 for Recreate", () => {
    assert.equal(surgePods({ replicas: 3, maxSurge: 1 }), 1);
    assert.equal(surgePods({ replicas: 3, maxSurge: "50%" }), 2);
    assert.equal(surgePods({ replicas: 3 }), 1);
    assert.equal(surgePods({ replicas: 8 }), 2);
    assert.equal(surgePods({ replicas: 3, maxSurge: 1, recreate: true }), 0);
    assert.equal(surgePods({ replicas: 3, maxSurge: "2" }), 2, "a count written as a string");
    assert.equal(surgePods({ replicas: 10, maxSurge: "100%" }), 10);
  });
});

const MI = 2 ** 20;
const deployment = (name: string, wave: string, replicas: number, cpu: number, memMi: number): PlannedDeployment => ({
  name,
  wave,
  replicas,
  maxSurge: 1,
  pod: { cpuMillis: cpu, memoryBytes: memMi * MI },
});

describe("surgePeak", () => {
  it("is every Deployment at its replicas plus the largest one wave's surge, per resource", () => {
    const peak = surgePeak([
      deployment("api", "api", 3, 250, 512),
      deployment("gateway", "gateways", 3, 500, 512),
      deployment("gateway-canary", "gateways", 1, 500, 512),
      deployment("worker-export", "workers", 2, 100, 2048),
      deployment("worker-config", "workers", 2, 100, 2048),
    ]);
    // steady: 750 + 1500 + 500 + 200 + 200 CPU; memory 1536 + 1536 + 512 + 4096 + 4096 Mi
    // largest surge: gateways for CPU (500 + 500), workers for memory (2048 + 2048)
    assert.deepEqual(peak, { cpuMillis: 3150 + 1000, memoryBytes: (11776 + 4096) * MI });
  });

  it("adds no surge for a Recreate Deployment and nothing for an empty plan", () => {
    assert.deepEqual(surgePeak([{ ...deployment("w", "workers", 2, 100, 100), recreate: true }]), {
      cpuMillis: 200,
      memoryBytes: 200 * MI,
    });
    assert.deepEqual(surgePeak([]), { cpuMillis: 0, memoryBytes: 0 });
  });
});

describe("capacityMargin", () => {
  it("is what is left after what runs and the peak; negative where it does not fit", () => {
    const margin = capacityMargin(
      { cpuMillis: 4000, memoryBytes: 8192 * MI },
      { cpuMillis: 1000, memoryBytes: 1024 * MI },
      { cpuMillis: 3500, memoryBytes: 4096 * MI },
    );
    assert.deepEqual(margin, { cpuMillis: -500, memoryBytes: 3072 * MI });
    assert.equal(showCpu(1500), "1.5 CPU");
    assert.equal(showCpu(2000), "2 CPU");
    assert.equal(showMemory(3072 * MI), "3 GiB");
    assert.equal(showMemory(512 * MI), "0.5 GiB");
  });
});
