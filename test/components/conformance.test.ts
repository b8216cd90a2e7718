/**
 * Conformance: every CloudNativePG, Barman Cloud and Gateway API object the program declares validates
 * against the real CRD schemas in ../shared/crds; core objects validate with kubernetes-models; chart
 * values validate against the charts' values.schema.json; every chart the catalog pins exists upstream, as
 * vendored in ../shared/charts. Fails, naming the path it looked in, when ../shared is absent.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { ValidateFunction } from "ajv";
import type { PlannedResource, PlanResult } from "../../plan/plan";
import { parse as parseYaml } from "yaml";
import { CHARTS, DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { chartFolder } from "../../lib/release/charts";
import { ajv, CrdValidators, loadCrdValidators } from "../crdKit";
import { planStack, PROJECT, requireShared } from "../helpers";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CORE: Record<string, string> = {
  "kubernetes:apps/v1:Deployment": "apps/v1/Deployment",
  "kubernetes:core/v1:Service": "v1/Service",
  "kubernetes:core/v1:ServiceAccount": "v1/ServiceAccount",
  "kubernetes:core/v1:Namespace": "v1/Namespace",
  "kubernetes:core/v1:ConfigMap": "v1/ConfigMap",
  "kubernetes:policy/v1:PodDisruptionBudget": "policy/v1/PodDisruptionBudget",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": "networking.k8s.io/v1/NetworkPolicy",
};

describe("conformance", () => {
  let plans: PlanResult[] = [];
  before(async () => {
    plans = [
      await planStack("staging"),
      await planStack("prod"),
      await planStack("staging", "ha=true", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=25", "console.live=green"),
      await planStack("staging", "release=2.0.0", "deployed=1.5.1", "console.blue=2.0.0", "console.green=2.0.0"),
      // Day two: a point-in-time restore, a rollback with data from a backupID, and a drill.
      await planStack(
        "staging",
        "deployed=1.5.1",
        'restore={"name":"r1","targetTime":"2026-11-20T10:00:00Z"}',
        'restoreDrill={"id":"2026-11-22"}',
      ),
      await planStack(
        "staging",
        `deployed=${path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json")}`,
        "release=1.5.0",
        "console.blue=1.5.0",
        'rollback={"from":"1.5.1","mode":"restore"}',
        'restore={"name":"rb","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"},"targetImmediate":true}',
      ),
    ];
  });

  /** Drops what the engine does not know at preview (a Command's stdout in the record): nothing to validate yet. */
  function known(value: unknown): unknown {
    if (Array.isArray(value)) return value.filter((v) => !pulumi.isUnknown(v)).map(known);
    if (!value || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !pulumi.isUnknown(v))
        .map(([k, v]) => [k, known(v)]),
    );
  }

  const all = (type: (t: string) => boolean): PlannedResource[] =>
    plans.flatMap((p) =>
      p.resources.filter((r) => type(r.type)).map((r) => ({ ...r, props: known(r.props) as PlannedResource["props"] })),
    );

  describe("CRD conformance (../shared/crds)", () => {
    let validators = new CrdValidators(new Map());
    before(() => {
      validators = loadCrdValidators();
    });

    it("loads the CNPG, Barman Cloud and Gateway API schemas", () => {
      for (const key of [
        "kubernetes:postgresql.cnpg.io/v1:Cluster",
        "kubernetes:postgresql.cnpg.io/v1:Backup",
        "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
        "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      ])
        assert.ok(validators.has(key), key);
    });

    it("validates every custom object the program declares", () => {
      const custom = all((t) => validators.has(t));
      const kinds = new Set(custom.map((r) => r.type));
      assert.equal(kinds.size, 5, `expected all five custom kinds, got ${[...kinds].join(", ")}`);
      let validated = 0;
      for (const r of custom) {
        const validate = validators.get(r.type) as ValidateFunction;
        assert.ok(validate(r.props), `${r.name} (${r.type}): ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        validated++;
      }
      assert.ok(validated >= 30, `validated ${validated} custom objects across the plans`);
    });

    it("validates the recovered clusters and the drill's scratch cluster, which carry bootstrap.recovery and externalClusters", () => {
      const validate = validators.get("kubernetes:postgresql.cnpg.io/v1:Cluster") as ValidateFunction;
      const recovered = all((t) => t === "kubernetes:postgresql.cnpg.io/v1:Cluster").filter(
        (r) => (r.props as Loose).spec.bootstrap.recovery,
      );
      assert.deepEqual([...new Set(recovered.map((r) => r.name))].sort(), [
        "keycloak-db-r1-cluster",
        "keycloak-db-rb-cluster",
        "platform-db-r1-cluster",
        "platform-db-rb-cluster",
      ]);
      const drills = all((t) => t === "command:local:Command")
        .filter((r) => r.name.startsWith("restore-drill-"))
        .map((r) => JSON.parse((r.props as Loose).environment.MANIFEST) as Loose);
      assert.equal(drills.length, 1);
      for (const object of [...recovered.map((r) => r.props as Loose), ...drills]) {
        assert.ok(validate(object), `${object.metadata.name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      }
      // Not vacuous: a mistyped target, and a misspelt field the API server would silently prune, are rejected.
      const mistyped = structuredClone(recovered[0].props) as Loose;
      mistyped.spec.bootstrap.recovery.recoveryTarget = { targetTime: 20261120 };
      assert.equal(validate(mistyped), false);
      const misspelt = structuredClone(recovered[0].props) as Loose;
      misspelt.spec.bootstrap.recovery.recoveryTarget = { backupId: "20261120T101500" };
      assert.equal(validate(misspelt), false);
    });

    it("is not vacuous: a malformed Cluster and HTTPRoute are rejected", () => {
      const cluster = structuredClone(all((t) => t === "kubernetes:postgresql.cnpg.io/v1:Cluster")[0].props) as Loose;
      cluster.spec.instances = "three";
      assert.equal(validators.get("kubernetes:postgresql.cnpg.io/v1:Cluster")?.(cluster), false);
      const route = structuredClone(
        all((t) => t === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")[0].props,
      ) as Loose;
      route.spec.rules[0].backendRefs[0].weight = -5;
      assert.equal(validators.get("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")?.(route), false);
    });
  });

  describe("core objects (kubernetes-models)", () => {
    it("validates every Deployment, Service, ServiceAccount, Namespace, ConfigMap, PDB and NetworkPolicy", async () => {
      let count = 0;
      for (const [type, module] of Object.entries(CORE)) {
        const kind = module.split("/").pop() as string;
        const models = (await import(`kubernetes-models/${module}`)) as Record<
          string,
          new (data: unknown) => { validate(): void }
        >;
        for (const r of all((t) => t === type)) {
          assert.doesNotThrow(() => new models[kind](r.props).validate(), `${r.name} (${type})`);
          count++;
        }
      }
      assert.ok(count > 60, `validated ${count} core objects`);
      const { Deployment } = await import("kubernetes-models/apps/v1/Deployment");
      const broken = structuredClone(all((t) => t === "kubernetes:apps/v1:Deployment")[0].props) as Loose;
      broken.spec.replicas = "three";
      assert.throws(() => new Deployment(broken).validate(), /replicas must be integer/);
    });
  });

  describe("chart values (../shared/chart-schemas)", () => {
    const schemas: [string, string][] = [
      ["cnpg-operator", "cloudnative-pg-0.29.0"],
      ["barman-cloud-plugin", "plugin-barman-cloud-0.7.0"],
    ];
    for (const [release, schemaName] of schemas) {
      it(`validates the ${release} values against ${schemaName}'s values.schema.json`, () => {
        const schema = JSON.parse(
          fs.readFileSync(path.join(requireShared("chart-schemas"), `${schemaName}.values.schema.json`), "utf8"),
        );
        const validate = ajv().compile(schema);
        const releases = all((t) => t === "kubernetes:helm.sh/v3:Release").filter((x) => x.name === release);
        assert.equal(releases.length, plans.length, `one ${release} per plan`);
        for (const r of releases) {
          assert.ok(validate(r.props.values), `${release}: ${JSON.stringify(validate.errors)}`);
        }
        assert.equal(validate({ replicaCount: "one" }), false, "the schema rejects a wrong type");
      });
    }
  });

  describe("chart pins (../shared/charts)", () => {
    it("every chart every release pins exists upstream at that version and app version", () => {
      const charts = requireShared("charts");
      const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
      let checked = 0;
      for (const version of catalog.versions) {
        for (const key of CHARTS) {
          const pin = catalog.releases.get(version)?.charts[key];
          assert.ok(pin);
          const manifest = path.join(charts, chartFolder(pin), "Chart.yaml");
          assert.ok(
            fs.existsSync(manifest),
            `${version} pins ${key} ${pin.chart} ${pin.version}, which has no release upstream (no ${manifest})`,
          );
          const chart = parseYaml(fs.readFileSync(manifest, "utf8")) as {
            name: string;
            version: string;
            appVersion: string;
          };
          assert.deepEqual(
            [chart.name, String(chart.version), String(chart.appVersion)],
            [pin.chart, pin.version, pin.appVersion],
            `${version} ${key}`,
          );
          checked++;
        }
      }
      assert.equal(checked, catalog.versions.length * CHARTS.length);
    });
  });
});
