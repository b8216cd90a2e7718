/**
 * Each component declared alone with only its required args: the `@default` each Args field documents is
 * what it renders (the platform always passes them, so only here do the defaults run), and the wave order
 * refuses a wave it does not hold or one declared out of turn.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ControlPlaneApi } from "../../components/api";
import { Console } from "../../components/console";
import { Gateway } from "../../components/gateway";
import { Identity } from "../../components/identity";
import { Observability } from "../../components/observability";
import { Operators } from "../../components/operators";
import { OpenBaoRestore, parseDrillOutput, RestoreDrill, WritersDown } from "../../components/recovery";
import { PostgresCluster } from "../../components/postgres";
import { OpenBao } from "../../components/secrets";
import { WaveSequence } from "../../components/wave";
import { Workers } from "../../components/workers";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { chartLocations } from "../../lib/release/charts";
import type { DatabasePlan } from "../../lib/recovery/restore";
import type { WaveSpec } from "../../lib/rollout/waves";
import { recordProgram, RecordedResource } from "../../plan/runtime";
import { named, PROJECT } from "../helpers";

const IMAGE = "registry.example/aigw/x@sha256:" + "a".repeat(64);
const replicas = (r: RecordedResource) => (r.props as { spec: { replicas: number } }).spec.replicas;
const skipsAwait = (r: RecordedResource) =>
  (r.props as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.["pulumi.com/skipAwait"];
const declare = async (build: () => unknown) =>
  (
    await recordProgram("staging", {}, [], async () => {
      build();
    })
  ).resources;

describe("components alone, on their defaults", () => {
  it("the API: one replica, no PDB, awaited", async () => {
    const resources = await declare(
      () =>
        new ControlPlaneApi("control-plane-api", {
          namespace: "ns",
          version: "1.5.1",
          image: IMAGE,
          databaseSecret: "db-app",
        }),
    );
    assert.equal(replicas(named(resources, "api")), 1);
    assert.equal(skipsAwait(named(resources, "api")), undefined);
    assert.equal(
      resources.some((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget"),
      false,
    );
  });

  it("the console: one replica per color, awaited", async () => {
    const colors = { blue: { version: "1.5.1", image: IMAGE }, green: { version: "1.5.0", image: IMAGE } };
    const resources = await declare(
      () => new Console("console", { namespace: "ns", colors, live: "green", apiUrl: "http://api.ns.svc" }),
    );
    for (const color of ["blue", "green"]) {
      assert.equal(replicas(named(resources, `console-${color}`)), 1, color);
      assert.equal(skipsAwait(named(resources, `console-${color}`)), undefined);
    }
  });

  it("the workers: one replica per kind, awaited", async () => {
    const resources = await declare(
      () =>
        new Workers("workers", {
          namespace: "ns",
          version: "1.5.1",
          image: IMAGE,
          databaseSecret: "db-app",
          apiUrl: "http://api.ns.svc",
        }),
    );
    for (const kind of ["export", "lifecycle", "config"]) {
      assert.equal(replicas(named(resources, `worker-${kind}`)), 1, kind);
      assert.equal(skipsAwait(named(resources, `worker-${kind}`)), undefined);
    }
  });

  it("the gateways: one stable replica, no canary, no hostnames, awaited", async () => {
    const resources = await declare(
      () =>
        new Gateway("gateways", {
          namespace: "ns",
          stable: { version: "1.5.1", image: IMAGE },
          apiUrl: "http://api.ns.svc",
          parentGateway: { name: "gw", namespace: "ns" },
        }),
    );
    assert.equal(replicas(named(resources, "gateway")), 1);
    assert.equal(skipsAwait(named(resources, "gateway")), undefined);
    assert.equal(
      resources.some((r) => r.name === "gateway-canary"),
      false,
    );
    assert.equal("hostnames" in (named(resources, "gateway-route").props.spec as object), false);
  });

  const release = getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "1.5.1");
  const charts = chartLocations(release, undefined, PROJECT);

  it("OpenBao: one raft node, values in the clear, awaited", async () => {
    const resources = await declare(() => new OpenBao("secrets", { release, chart: charts.openbao, namespace: "ns" }));
    const chart = named(resources, "openbao");
    assert.equal((chart.props as { values: { server: { ha: { replicas: number } } } }).values.server.ha.replicas, 1);
    assert.deepEqual(chart.secretProps, []);
    assert.equal(chart.props.skipAwait, false);
  });

  it("observability: values in the clear, awaited, after a discovery role named for its namespace", async () => {
    const resources = await declare(
      () => new Observability("observability", { release, chart: charts.observability, namespace: "ns" }),
    );
    const chart = named(resources, "prometheus");
    assert.deepEqual(chart.secretProps, []);
    assert.equal(chart.props.skipAwait, false);
    const role = named(resources, "prometheus-discovery");
    assert.equal((role.props as { metadata: { name: string } }).metadata.name, "ns-prometheus-discovery");
    assert.ok(chart.dependencyUrns.includes(role.urn), "the chart binds a role that exists first");
  });

  const backup = {
    destinationPath: "s3://b/x/",
    credentialsSecret: "s3-creds",
    retentionPolicy: "7d",
    schedule: "0 0 3 * * *",
    encryption: "AES256" as const,
    snapshotDir: "./backups",
    method: "objectStore" as const,
    volumeSnapshot: { online: true },
  };
  const platformDb: DatabasePlan = {
    key: "platform",
    origin: "platform-db",
    database: "app",
    cluster: "platform-db",
    serverName: "platform-db",
    keepOrigin: true,
    recovering: false,
  };
  const keycloakDb: DatabasePlan = {
    key: "identity",
    origin: "keycloak-db",
    database: "keycloak",
    cluster: "keycloak-db",
    serverName: "keycloak-db",
    keepOrigin: true,
    recovering: false,
  };
  const cluster = (r: RecordedResource) =>
    r.props as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { instances: number; storage: { size: string } };
    };

  it("a database: one 20Gi instance, labelled, awaited until Ready, half an hour to create or update", async () => {
    const resources = await declare(
      () => new PostgresCluster("platform-db", { namespace: "ns", image: IMAGE, plan: platformDb, backup }),
    );
    const c = cluster(named(resources, "platform-db-cluster"));
    assert.deepEqual([c.spec.instances, c.spec.storage.size], [1, "20Gi"]);
    assert.deepEqual(c.metadata.labels, {
      "app.kubernetes.io/part-of": "lockstep",
      "app.kubernetes.io/name": "platform-db",
    });
    assert.deepEqual(c.metadata.annotations, { "pulumi.com/waitFor": "condition=Ready" });
    assert.deepEqual(named(resources, "platform-db-cluster").customTimeouts, {
      create: "30m",
      update: "30m",
      delete: "",
    });
    assert.deepEqual(named(resources, "platform-db").outputs, {
      clusterName: "platform-db",
      serverName: "platform-db",
      originKept: false,
      objectStore: "platform-db-store",
      appSecretName: "platform-db-app",
    });
  });

  it("a recovered database: two hours to create beside the kept original, and says the original is kept", async () => {
    const recovery = { name: "r1", source: "platform-db", description: "full recovery" };
    const plan: DatabasePlan = {
      ...platformDb,
      cluster: "platform-db-r1",
      serverName: "platform-db-r1",
      recovery,
      recovering: true,
    };
    const resources = await declare(
      () => new PostgresCluster("platform-db", { namespace: "ns", image: IMAGE, plan, backup }),
    );
    assert.deepEqual(named(resources, "platform-db-r1-cluster").customTimeouts, {
      create: "120m",
      update: "30m",
      delete: "",
    });
    assert.deepEqual(named(resources, "platform-db-cluster").customTimeouts, {
      create: "30m",
      update: "30m",
      delete: "",
    });
    assert.equal((named(resources, "platform-db").outputs as { originKept: boolean }).originKept, true);
    const dropped = await declare(
      () =>
        new PostgresCluster("platform-db", {
          namespace: "ns",
          image: IMAGE,
          plan: { ...plan, keepOrigin: false },
          backup,
        }),
    );
    assert.equal((named(dropped, "platform-db").outputs as { originKept: boolean }).originKept, false);
    assert.equal(
      dropped.some((r) => r.name === "platform-db-cluster"),
      false,
    );
  });

  it("a database with neither the original nor a recovered cluster is a program error naming the database", async () => {
    await assert.rejects(
      declare(
        () =>
          new PostgresCluster("platform-db", {
            namespace: "ns",
            image: IMAGE,
            plan: { ...platformDb, keepOrigin: false },
            backup,
          }),
      ),
      { message: "database platform: neither the original cluster nor a recovered one is declared" },
    );
  });

  it("Keycloak: one replica on one 10Gi database instance, values in the clear, both awaited", async () => {
    const resources = await declare(
      () =>
        new Identity("identity", { release, chart: charts.identity, namespace: "ns", backup, database: keycloakDb }),
    );
    const chart = named(resources, "keycloak");
    assert.equal((chart.props as { values: { replicas: number } }).values.replicas, 1);
    assert.deepEqual(chart.secretProps, []);
    assert.equal(chart.props.skipAwait, false);
    const c = cluster(named(resources, "keycloak-db-cluster"));
    assert.deepEqual([c.spec.instances, c.spec.storage.size], [1, "10Gi"]);
    assert.deepEqual(c.metadata.annotations, { "pulumi.com/waitFor": "condition=Ready" });
    assert.equal(named(resources, "keycloak-db").parentUrn?.split("::").pop(), "identity");
  });

  it("the operators: in cnpg-system, awaited", async () => {
    const resources = await declare(() => new Operators("operators", { release, charts }));
    for (const name of ["cnpg-operator", "barman-cloud-plugin"]) {
      assert.equal(named(resources, name).props.namespace, "cnpg-system", name);
      assert.equal(named(resources, name).props.skipAwait, false, name);
    }
  });

  describe("the recovery steps", () => {
    const plan: DatabasePlan = {
      key: "platform",
      origin: "platform-db",
      database: "app",
      cluster: "platform-db",
      serverName: "platform-db",
      keepOrigin: true,
      recovering: false,
    };
    const env = (resources: RecordedResource[], name: string) =>
      named(resources, name).props.environment as Record<string, string>;

    it("writers down: every writer Deployment named, ten minutes to stop, again for a new restore", async () => {
      const resources = await declare(
        () => new WritersDown("writers", { namespace: "ns", deployments: ["api", "worker-export"], key: "r1" }),
      );
      assert.equal(named(resources, "writers-down-r1").props.create, "bash scripts/writers-down.sh");
      assert.deepEqual(env(resources, "writers-down-r1"), {
        NAMESPACE: "ns",
        DEPLOYMENTS: "api worker-export",
        TIMEOUT_SECONDS: "600",
      });
      assert.deepEqual(named(resources, "writers-down-r1").props.triggers, ["r1"]);
      assert.deepEqual(Object.keys(named(resources, "writers").outputs ?? {}), ["stopped"]);
    });

    it("OpenBao restore: through openbao-0, not forced, again for a new restore or snapshot", async () => {
      const resources = await declare(
        () =>
          new OpenBaoRestore("openbao-restore", { namespace: "ns", snapshotFile: "backups/x.snap", restoreName: "r1" }),
      );
      assert.equal(named(resources, "openbao-restore-r1").props.create, "bash scripts/openbao-restore.sh");
      assert.deepEqual(env(resources, "openbao-restore-r1"), {
        NAMESPACE: "ns",
        OPENBAO_POD: "openbao-0",
        SNAPSHOT_FILE: "backups/x.snap",
        FORCE: "false",
      });
      assert.deepEqual(named(resources, "openbao-restore-r1").props.triggers, ["r1", "backups/x.snap", false]);
      assert.deepEqual(Object.keys(named(resources, "openbao-restore").outputs ?? {}), ["snapshotSha256"]);
    });

    it("restore drill: a scratch cluster beside the drilled one, half an hour to be Ready, again for a new id", async () => {
      const resources = await declare(
        () => new RestoreDrill("drill", { namespace: "ns", plan, id: "d1", image: IMAGE }),
      );
      const e = env(resources, "restore-drill-d1");
      assert.equal(named(resources, "restore-drill-d1").props.create, "bash scripts/restore-drill.sh");
      assert.deepEqual(
        { ...e, MANIFEST: "(below)" },
        {
          NAMESPACE: "ns",
          CLUSTER: "platform-db-drill",
          MANIFEST: "(below)",
          DRILL_ID: "d1",
          DATABASE_KEY: "platform",
          DATABASE: "app",
          SOURCE: "platform-db",
          SOURCE_CLUSTER: "platform-db",
          TIMEOUT_SECONDS: "1800",
        },
      );
      assert.equal(JSON.parse(e.MANIFEST).metadata.name, "platform-db-drill");
      assert.deepEqual(named(resources, "restore-drill-d1").props.triggers, ["d1"]);
      assert.deepEqual(Object.keys(named(resources, "drill").outputs ?? {}), ["result"]);
    });

    it("reads the drill script's last line as its result, and refuses anything else naming the script", () => {
      const result = {
        id: "d1",
        database: "platform",
        cluster: "platform-db-drill",
        source: "platform-db",
        passed: true,
        startedAt: "2026-11-22T10:00:00Z",
        finishedAt: "2026-11-22T10:05:00Z",
        seconds: 300,
      };
      assert.deepEqual(parseDrillOutput(`recovering...\nready\n${JSON.stringify(result)}\n`), result);
      assert.throws(() => parseDrillOutput("recovering...\nfailed: timeout\n"), {
        message: 'scripts/restore-drill.sh must end with its JSON result, not "failed: timeout"',
      });
      assert.throws(() => parseDrillOutput(JSON.stringify({ ...result, passed: "yes" })), {
        message: "scripts/restore-drill.sh result: passed: Invalid input: expected boolean, received string",
      });
      // A runaway last line is quoted only in part: 200 characters.
      assert.throws(() => parseDrillOutput(`ok\n${"x".repeat(250)}`), {
        message: `scripts/restore-drill.sh must end with its JSON result, not "${"x".repeat(200)}"`,
      });
    });
  });

  describe("the wave order", () => {
    const order: WaveSpec[] = [
      { id: "platform-services", title: "one", after: [] },
      { id: "database", title: "two", after: ["platform-services"] },
      { id: "api", title: "three", after: ["platform-services", "database"] },
    ];
    const inOrder = (ids: WaveSpec["id"][]) =>
      declare(() => {
        const sequence = new WaveSequence(new pulumi.ComponentResource("lockstep:test:Parent", "parent"), order);
        // A resource in each wave: depending on a component is depending on the resources inside it.
        for (const id of ids) sequence.run(id, (wave) => new k8s.core.v1.ConfigMap(`in-${id}`, {}, { parent: wave }));
      });

    it("declares the waves it holds in turn, each after every earlier one", async () => {
      const resources = await inOrder(["platform-services", "api"]);
      const dependencies = (name: string) => named(resources, name).dependencyUrns.map((u) => u.split("::").pop());
      assert.deepEqual(dependencies("wave-api"), ["in-platform-services"]);
      assert.deepEqual(
        dependencies("in-api"),
        ["in-platform-services"],
        "what a wave holds waits for the earlier waves too",
      );
      assert.deepEqual(dependencies("in-platform-services"), []);
      assert.deepEqual(named(resources, "wave-api").outputs, { title: "three" });
    });

    it("refuses a wave it does not hold, listing the ones it does", async () => {
      await assert.rejects(inOrder(["gateways"]), {
        message: "wave gateways is not in this wave order (platform-services, database, api)",
      });
    });

    it("names the wave before, through empty waves, and the backups always", async () => {
      const fourWaves: WaveSpec[] = [
        { id: "pre-upgrade-backup", title: "zero", after: [] },
        ...order.map((w) => ({ ...w, after: ["pre-upgrade-backup" as const, ...w.after] })),
      ];
      const declared = (holding: WaveSpec["id"][]) =>
        declare(() => {
          const sequence = new WaveSequence(new pulumi.ComponentResource("lockstep:test:Parent", "parent"), fourWaves);
          for (const { id } of fourWaves) {
            sequence.run(id, (wave) => {
              // A component alone does not make a wave hold a resource; what is inside it does.
              const inner = new pulumi.ComponentResource("lockstep:test:Inner", `inner-${id}`, {}, { parent: wave });
              if (holding.includes(id)) new k8s.core.v1.ConfigMap(`in-${id}`, {}, { parent: inner });
            });
          }
        });
      const namedBy = (resources: Awaited<ReturnType<typeof declared>>, name: string) =>
        named(resources, name).dependencyUrns.map((u) => u.split("::").pop());
      const all = await declared(["pre-upgrade-backup", "platform-services", "database", "api"]);
      assert.deepEqual(namedBy(all, "in-api"), ["in-pre-upgrade-backup", "in-database"]);
      assert.deepEqual(namedBy(all, "in-database"), ["in-pre-upgrade-backup", "in-platform-services"]);
      const emptyDatabase = await declared(["pre-upgrade-backup", "platform-services", "api"]);
      assert.deepEqual(
        namedBy(emptyDatabase, "in-api"),
        ["in-pre-upgrade-backup", "in-platform-services"],
        "an empty wave is looked through",
      );
      const noneBefore = await declared(["api"]);
      assert.deepEqual(namedBy(noneBefore, "in-api"), [], "nothing earlier to wait for");
    });

    it("refuses a wave declared after a later one, or twice", async () => {
      await assert.rejects(inOrder(["api", "database"]), { message: "wave database must be declared before wave api" });
      await assert.rejects(inOrder(["database", "database"]), {
        message: "wave database must be declared before wave database",
      });
    });
  });
});
