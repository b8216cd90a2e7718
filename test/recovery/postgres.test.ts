/** The CloudNativePG Cluster spec shared by original, recovered and drill clusters (lib/recovery/postgres.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSpec } from "../../lib/recovery/postgres";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const plan = { origin: "platform-db", database: "platform" };

describe("clusterSpec", () => {
  it("bootstraps an original cluster with initdb, one instance, 20Gi, a PDB, archiving through the plugin under its own name", () => {
    const spec = clusterSpec({ image: "pg@sha256:" + "a".repeat(64), plan, name: "platform-db" }) as Loose;
    assert.deepEqual(spec.bootstrap, { initdb: { database: "platform", owner: "platform" } });
    assert.equal(spec.instances, 1);
    assert.deepEqual(spec.storage, { size: "20Gi" });
    assert.equal(spec.enablePDB, true);
    assert.deepEqual(spec.affinity, { enablePodAntiAffinity: false, topologyKey: "kubernetes.io/hostname" });
    assert.deepEqual(spec.plugins, [
      {
        name: "barman-cloud.cloudnative-pg.io",
        isWALArchiver: true,
        parameters: { barmanObjectName: "platform-db-store" },
      },
    ]);
    assert.equal("externalClusters" in spec, false);
  });

  it("spreads several instances over hosts, and takes the size, the PDB and the serverName it is given", () => {
    const spec = clusterSpec({
      image: "i",
      plan,
      name: "platform-db-r1",
      instances: 3,
      storageSize: "100Gi",
      enablePDB: false,
      serverName: "platform-db-r1",
    }) as Loose;
    assert.deepEqual(
      [spec.instances, spec.storage.size, spec.enablePDB, spec.affinity.enablePodAntiAffinity],
      [3, "100Gi", false, true],
    );
    assert.equal(spec.plugins[0].parameters.serverName, "platform-db-r1");
    assert.equal(
      (clusterSpec({ image: "i", plan, name: "x", instances: 2 }) as Loose).affinity.enablePodAntiAffinity,
      true,
    );
  });
});
