/**
 * What each component renders, field by field, on the shipped stacks: the ports, probes and environment
 * the images expect, the chart values the secure defaults need, and each component's registered outputs.
 * Expected values are literals from the images' contracts and the seeds, not from the code under test.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PlanResult, runStack as planRun } from "../../plan/plan";
import type { RecordedResource } from "../../plan/runtime";
import { ofType, orderedAfter, planStack, PROJECT, prop, resource, runStack } from "../helpers";
import { getRelease, loadCatalog } from "../../lib/release/catalog";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const container = (result: PlanResult, name: string): Loose =>
  (prop(resource(result, name), "spec.template.spec.containers") as Loose[])[0];
const PLATFORM_DB_URI = { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "platform-db-app", key: "uri" } } };
const outputsOf = (resources: RecordedResource[], name: string): Record<string, unknown> | undefined =>
  resources.find((r) => r.name === name && !r.custom)?.outputs;
const UNKNOWN = { __pulumiUnknown: true };

describe("component shapes", () => {
  let staging: PlanResult;
  let prod: PlanResult;
  let recorded: RecordedResource[];
  before(async () => {
    staging = await planStack("staging");
    prod = await planStack("prod");
    recorded = await runStack("staging");
  });

  describe("the control-plane API", () => {
    it("serves http on 8080 behind port 80, ready at /readyz, alive at /healthz, migrating at start", () => {
      const api = container(staging, "api");
      assert.deepEqual(api.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      assert.equal(api.readinessProbe.httpGet.path, "/readyz");
      assert.equal(api.livenessProbe.httpGet.path, "/healthz");
      assert.equal(api.startupProbe.httpGet.path, "/healthz");
      assert.deepEqual(api.env, [PLATFORM_DB_URI, { name: "MIGRATE_ON_START", value: "true" }]);
      assert.deepEqual(prop(resource(staging, "api-svc"), "spec.ports"), [
        { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
      ]);
    });

    it("registers its Deployment, Service and in-cluster URL as outputs", () => {
      assert.deepEqual(outputsOf(recorded, "control-plane-api"), {
        deployment: "api",
        service: "api",
        url: "http://api.aigw-staging.svc",
      });
    });
  });

  describe("the gateways", () => {
    let canary: PlanResult;
    let prodCanary: PlanResult;
    before(async () => {
      canary = await planStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
      prodCanary = await planStack("prod", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
    });

    it("serve on 41002 behind port 80, ready at /readyz, alive at /healthz, told the API's URL and their port", () => {
      for (const name of ["gateway", "gateway-canary"]) {
        const c = container(canary, name);
        assert.deepEqual(c.ports, [{ name: "http", containerPort: 41002, protocol: "TCP" }], name);
        assert.equal(c.readinessProbe.httpGet.path, "/readyz");
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        // Each track is told the plugins of its own release: the stable 1.5.0's, the canary 1.5.1's.
        const rateLimit = name === "gateway" ? "2.1.0" : "2.1.1";
        assert.deepEqual(c.env, [
          { name: "API_URL", value: "http://api.aigw-staging.svc" },
          { name: "GATEWAY_PORT", value: "41002" },
          { name: "GATEWAY_BUILTIN_PLUGINS", value: `pii-redaction=1.4.0,prompt-guard=1.1.0,rate-limit=${rateLimit}` },
        ]);
        assert.deepEqual(prop(resource(canary, `${name === "gateway" ? "gateway-stable" : name}-svc`), "spec.ports"), [
          { name: "http", port: 80, targetPort: 41002, protocol: "TCP" },
        ]);
      }
      assert.deepEqual(prop(resource(canary, "gateway"), "spec.selector.matchLabels"), {
        "app.kubernetes.io/name": "gateway",
        "lockstep.dev/track": "stable",
      });
      assert.deepEqual(prop(resource(canary, "gateway-canary"), "spec.selector.matchLabels"), {
        "app.kubernetes.io/name": "gateway",
        "lockstep.dev/track": "canary",
      });
    });

    it("split traffic by weight on one HTTPRoute under the stack's Gateway and hostnames, moved only after both tracks rolled out", () => {
      const route = resource(canary, "gateway-route");
      assert.equal(prop(route, "metadata.name"), "gateway");
      assert.deepEqual(prop(route, "spec.parentRefs"), [{ name: "platform-gateway", namespace: "aigw-staging" }]);
      assert.deepEqual(prop(route, "spec.hostnames"), ["gateway.staging.example.internal"]);
      assert.deepEqual(prop(route, "spec.rules"), [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [
            { name: "gateway-stable", port: 80, weight: 90 },
            { name: "gateway-canary", port: 80, weight: 10 },
          ],
        },
      ]);
      assert.ok(
        route.dependsOn.includes("gateway") && route.dependsOn.includes("gateway-canary"),
        route.dependsOn.join(", "),
      );
      const closed = resource(staging, "gateway-route");
      assert.deepEqual(prop(closed, "spec.rules.0.backendRefs"), [{ name: "gateway-stable", port: 80, weight: 100 }]);
    });

    it("run two canary replicas in HA (a drain never empties the track) and one otherwise", () => {
      assert.equal(prop(resource(prodCanary, "gateway-canary"), "spec.replicas"), 2);
      assert.equal(prop(resource(prodCanary, "gateway"), "spec.replicas"), 3);
      assert.equal(prop(resource(canary, "gateway-canary"), "spec.replicas"), 1);
    });

    it("register the stable and canary versions, the canary's share and the route", async () => {
      const open = await runStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
      assert.deepEqual(outputsOf(open, "gateways"), {
        stableVersion: "1.5.0",
        canaryVersion: "1.5.1",
        canaryPercent: 10,
        route: "gateway",
      });
      assert.deepEqual(outputsOf(recorded, "gateways"), { stableVersion: "1.5.1", canaryPercent: 0, route: "gateway" });
    });
  });

  describe("the console", () => {
    it("serves http on 3000 behind port 80 per color and live, healthy at /api/health, calling the API's Service", () => {
      for (const color of ["blue", "green"]) {
        const c = container(staging, `console-${color}`);
        assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }], color);
        assert.equal(c.readinessProbe.httpGet.path, "/api/health");
        assert.equal(c.livenessProbe.httpGet.path, "/api/health");
        assert.deepEqual(c.env, [{ name: "API_URL", value: "http://api.aigw-staging.svc" }]);
        assert.deepEqual(prop(resource(staging, `console-${color}-svc`), "spec.ports"), [
          { name: "http", port: 80, targetPort: 3000, protocol: "TCP" },
        ]);
      }
      assert.deepEqual(prop(resource(staging, "console-svc"), "spec.ports"), [
        { name: "http", port: 80, targetPort: 3000, protocol: "TCP" },
      ]);
    });

    it("registers the live color and each color's version", () => {
      assert.deepEqual(outputsOf(recorded, "console"), { live: "blue", blue: "1.5.1", green: "1.5.0" });
    });
  });

  describe("the workers", () => {
    it("run one Deployment per kind, selected by kind, healthy on 9090, with the API and the database", () => {
      for (const kind of ["export", "lifecycle", "config"]) {
        const name = `worker-${kind}`;
        assert.deepEqual(prop(resource(staging, name), "spec.selector.matchLabels"), {
          "app.kubernetes.io/name": name,
          "lockstep.dev/worker": kind,
        });
        const c = container(staging, name);
        assert.deepEqual(c.ports, [{ name: "health", containerPort: 9090, protocol: "TCP" }], kind);
        assert.equal(c.readinessProbe.httpGet.path, "/readyz");
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        assert.deepEqual(c.env, [
          { name: "WORKER_KIND", value: kind },
          { name: "API_URL", value: "http://api.aigw-staging.svc" },
          PLATFORM_DB_URI,
        ]);
      }
    });

    it("registers the kinds and the version", () => {
      assert.deepEqual(outputsOf(recorded, "workers"), { kinds: ["export", "lifecycle", "config"], version: "1.5.1" });
    });
  });

  describe("the databases", () => {
    it("back up through one ObjectStore per database: the stack's destination, its credentials' keys, gzip, server-side encryption, retention", async () => {
      const store = resource(staging, "platform-db-objectstore");
      assert.equal(prop(store, "metadata.name"), "platform-db-store");
      assert.deepEqual(prop(store, "metadata.labels"), {
        "app.kubernetes.io/part-of": "lockstep",
        "app.kubernetes.io/name": "platform-db",
      });
      assert.deepEqual(prop(store, "spec"), {
        retentionPolicy: "14d",
        configuration: {
          destinationPath: "s3://aigw-backups/staging/",
          endpointURL: "https://s3.internal:9000",
          s3Credentials: {
            accessKeyId: { name: "backup-s3-credentials", key: "ACCESS_KEY_ID" },
            secretAccessKey: { name: "backup-s3-credentials", key: "ACCESS_SECRET_KEY" },
          },
          wal: { compression: "gzip", maxParallel: 2, encryption: "AES256" },
          data: { compression: "gzip", jobs: 2, encryption: "AES256" },
        },
      });
      const noEndpoint = await planStack(
        "staging",
        'backup={"destinationPath":"s3://bkt/p/","credentialsSecret":"creds"}',
      );
      assert.equal(
        "endpointURL" in (prop(resource(noEndpoint, "platform-db-objectstore"), "spec.configuration") as object),
        false,
      );
    });

    it("are protected and retained on delete, never replaced by delete-first, and awaited until Ready", () => {
      const byName = new Map(recorded.map((r) => [r.name, r]));
      for (const name of [
        "platform-db-objectstore",
        "platform-db-cluster",
        "keycloak-db-objectstore",
        "keycloak-db-cluster",
      ]) {
        const r = byName.get(name) as RecordedResource;
        assert.deepEqual([r.protect, r.retainOnDelete, r.deleteBeforeReplace], [true, true, false], name);
      }
      assert.deepEqual(prop(resource(staging, "platform-db-cluster"), "metadata.annotations"), {
        "pulumi.com/waitFor": "condition=Ready",
      });
      assert.ok(resource(staging, "platform-db-cluster").dependsOn.includes("platform-db-objectstore"));
    });

    it("are not awaited when awaitRollouts is false", async () => {
      const noWait = await planStack("staging", "awaitRollouts=false");
      assert.deepEqual(prop(resource(noWait, "platform-db-cluster"), "metadata.annotations"), {
        "pulumi.com/skipAwait": "true",
      });
    });

    it("take a daily backup at the stack's schedule through the plugin, one at once after (re)creation", () => {
      const scheduled = resource(staging, "platform-db-scheduled-backup");
      assert.equal(prop(scheduled, "metadata.name"), "platform-db-daily");
      assert.deepEqual(prop(scheduled, "spec"), {
        schedule: "0 0 2 * * *",
        immediate: true,
        backupOwnerReference: "self",
        cluster: { name: "platform-db" },
        method: "plugin",
        pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
      });
      assert.ok(scheduled.dependsOn.includes("platform-db-cluster"));
    });

    it("register the cluster, its archive's server name, the store and the app Secret", () => {
      assert.deepEqual(outputsOf(recorded, "platform-db"), {
        clusterName: "platform-db",
        serverName: "platform-db",
        originKept: false,
        objectStore: "platform-db-store",
        appSecretName: "platform-db-app",
      });
    });
  });

  describe("the pre-upgrade backups", () => {
    let window: PlanResult;
    let windowRun: RecordedResource[];
    before(async () => {
      window = await planStack("staging", "deployed=1.5.0");
      windowRun = await runStack("staging", "deployed=1.5.0");
    });

    it("take an on-demand Backup per database through the plugin, labelled with the window, retained, awaited by a check", () => {
      const backup = resource(window, "pre-upgrade-platform-db-1-5-0-to-1-5-1");
      assert.deepEqual(prop(backup, "metadata"), {
        name: "pre-upgrade-platform-db-1-5-0-to-1-5-1",
        namespace: "aigw-staging",
        labels: {
          "app.kubernetes.io/part-of": "lockstep",
          "lockstep.dev/upgrade-from": "1.5.0",
          "lockstep.dev/upgrade-to": "1.5.1",
        },
        annotations: { "pulumi.com/skipAwait": "true" },
      });
      assert.deepEqual(prop(backup, "spec"), {
        cluster: { name: "platform-db" },
        method: "plugin",
        pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
      });
      assert.equal(windowRun.find((r) => r.name === "pre-upgrade-platform-db-1-5-0-to-1-5-1")?.retainOnDelete, true);
      const check = resource(window, "await-platform-db-1-5-0-to-1-5-1");
      assert.equal(check.props.create, "bash scripts/await-backup.sh");
      assert.deepEqual(check.props.environment, {
        NAMESPACE: "aigw-staging",
        BACKUP: "pre-upgrade-platform-db-1-5-0-to-1-5-1",
        TIMEOUT_SECONDS: "3600",
      });
      assert.deepEqual(check.props.triggers, ["1.5.0", "1.5.1"]);
      assert.ok(check.dependsOn.includes("pre-upgrade-platform-db-1-5-0-to-1-5-1"));
    });

    it("snapshot OpenBao's raft store from openbao-0 into the stack's snapshot directory, then its object store", () => {
      const snapshot = resource(window, "openbao-snapshot-1-5-0-to-1-5-1");
      assert.equal(snapshot.props.create, "bash scripts/openbao-snapshot.sh");
      assert.deepEqual(snapshot.props.environment, {
        NAMESPACE: "aigw-staging",
        OPENBAO_POD: "openbao-0",
        SNAPSHOT_FILE: "backups/openbao-1-5-0-to-1-5-1.snap",
        DESTINATION_PATH: "s3://aigw-backups/staging/",
        ENDPOINT_URL: "https://s3.internal:9000",
        CREDENTIALS_SECRET: "backup-s3-credentials",
        ENCRYPTION: "AES256",
      });
      assert.deepEqual(snapshot.props.triggers, ["1.5.0", "1.5.1"]);
    });

    it("register the Backups, the restore point, the snapshot file and its object", () => {
      assert.deepEqual(outputsOf(windowRun, "pre-upgrade-backup"), {
        backupObjects: ["pre-upgrade-platform-db-1-5-0-to-1-5-1", "pre-upgrade-keycloak-db-1-5-0-to-1-5-1"],
        backups: UNKNOWN,
        openBaoSnapshot: "backups/openbao-1-5-0-to-1-5-1.snap",
        openBaoSnapshotObject: "s3://aigw-backups/staging/openbao/openbao-1-5-0-to-1-5-1.snap",
        openBaoSnapshotSha256: UNKNOWN,
      });
    });
  });

  describe("Keycloak", () => {
    it("connects to its own database's read-write Service with the generated password, scratch volumes mounted", () => {
      for (const [result, replicas, pdb, instances] of [
        [staging, 1, {}, 1],
        [prod, 2, { maxUnavailable: 1 }, 3],
      ] as const) {
        const values = resource(result, "keycloak").props.values as Loose;
        assert.deepEqual(values.database, {
          vendor: "postgres",
          hostname: "keycloak-db-rw",
          port: 5432,
          database: "keycloak",
          username: "keycloak",
          existingSecret: "keycloak-db-app",
          existingSecretKey: "password",
        });
        assert.equal(values.replicas, replicas);
        assert.deepEqual(values.podDisruptionBudget, pdb);
        assert.equal(values.extraVolumes, "- name: data\n  emptyDir: {}\n- name: tmp\n  emptyDir: {}\n");
        assert.equal(
          values.extraVolumeMounts,
          "- name: data\n  mountPath: /opt/keycloak/data\n- name: tmp\n  mountPath: /tmp\n",
        );
        assert.equal(prop(resource(result, "keycloak-db-cluster"), "spec.instances"), instances);
        assert.equal(prop(resource(result, "keycloak-db-cluster"), "spec.storage.size"), "10Gi");
      }
      assert.ok(
        resource(staging, "keycloak").dependsOn.includes("keycloak-db-cluster"),
        "Keycloak starts after its database",
      );
    });

    it("registers its database cluster and the chart's revision", () => {
      assert.deepEqual(outputsOf(recorded, "identity"), { databaseCluster: "keycloak-db", revision: UNKNOWN });
    });
  });

  describe("observability", () => {
    it("runs the release's Prometheus by digest, restricted, scraping only the gateways of its namespace with the labels the analysis selects", () => {
      const values = resource(staging, "prometheus").props.values as Loose;
      const pins = getRelease(loadCatalog(path.join(PROJECT, "releases")), "1.5.1").charts.observability.images;
      assert.deepEqual(values.server.image, {
        repository: "quay.io/prometheus/prometheus",
        tag: "v3.14.0",
        digest: pins.server.split("@")[1],
      });
      assert.equal(values.configmapReload.prometheus.image.digest, pins.configReloader.split("@")[1]);
      assert.deepEqual(values.server.securityContext, {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        fsGroup: 65534,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const ctx of [
        values.server.containerSecurityContext,
        values.configmapReload.prometheus.containerSecurityContext,
      ]) {
        assert.equal(ctx.readOnlyRootFilesystem, true);
        assert.deepEqual(ctx.capabilities, { drop: ["ALL"] });
      }
      assert.equal(values.server.releaseNamespace, true, "discovery bound in its namespace alone");
      assert.deepEqual(values.server.resources, {
        requests: { cpu: "200m", memory: "512Mi" },
        limits: { cpu: "1", memory: "2Gi" },
      });
      assert.deepEqual(values.configmapReload.prometheus.resources.limits, { cpu: "100m", memory: "64Mi" });
      assert.equal(values.server.useExistingClusterRoleName, "aigw-staging-prometheus-discovery");
      assert.deepEqual(prop(resource(staging, "prometheus-discovery"), "rules"), [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ]);
      for (const sub of ["alertmanager", "kube-state-metrics", "prometheus-node-exporter", "prometheus-pushgateway"])
        assert.equal(values[sub].enabled, false, sub);
      assert.equal(values.scrapeConfigs["kubernetes-pods"].enabled, false);
      assert.equal(values.scrapeConfigs.prometheus, undefined, "its own job stays the chart's");
      const job = values.scrapeConfigs["lockstep-gateways"];
      assert.deepEqual(job.kubernetes_sd_configs, [{ role: "pod", namespaces: { own_namespace: true } }]);
      assert.deepEqual(job.relabel_configs[0], {
        source_labels: [
          "__meta_kubernetes_pod_label_app_kubernetes_io_name",
          "__meta_kubernetes_pod_container_port_number",
        ],
        regex: "gateway;41002",
        action: "keep",
      });
      assert.deepEqual(
        job.relabel_configs.slice(1).map((r: Loose) => [r.source_labels[0], r.target_label]),
        [
          ["__meta_kubernetes_namespace", "namespace"],
          ["__meta_kubernetes_pod_label_lockstep_dev_track", "track"],
          ["__meta_kubernetes_pod_label_app_kubernetes_io_version", "version"],
          ["__meta_kubernetes_pod_name", "pod"],
        ],
      );
      assert.equal(resource(staging, "prometheus").props.namespace, "aigw-staging");
      assert.deepEqual(outputsOf(recorded, "observability"), {
        revision: { __pulumiUnknown: true },
        service: "prometheus-server.aigw-staging:80",
      });
    });
  });

  describe("OpenBao", () => {
    it("runs raft in HA mode (1 node on staging, 3 on prod), a /tmp scratch volume, and no injector", () => {
      for (const [result, replicas] of [
        [staging, 1],
        [prod, 3],
      ] as const) {
        const values = resource(result, "openbao").props.values as Loose;
        assert.deepEqual(values.server.ha, { enabled: true, replicas, raft: { enabled: true } });
        assert.deepEqual(values.server.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
        assert.deepEqual(values.server.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
        assert.deepEqual(values.injector, { enabled: false });
      }
    });

    it("passes chart values as secrets to every chart once the stack stores any chartValues as a secret", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-secret-values-"));
      for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) fs.copyFileSync(path.join(PROJECT, f), path.join(dir, f));
      fs.appendFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        "  lockstep:chartValues:\n    openbao:\n      server:\n        extraSecret:\n          secure: v1:c2VjcmV0:Y2lwaGVydGV4dA==\n",
      );
      const secret = (await planRun({ stack: "staging", projectDir: dir })).run.resources.filter(
        (r) => r.type === "kubernetes:helm.sh/v3:Release",
      );
      assert.deepEqual(
        secret.map((r) => [r.name, r.secretProps.includes("values")]),
        secret.map((r) => [r.name, true]),
      );
      assert.equal(secret.length, 5);
      const clear = recorded.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
      assert.deepEqual(
        clear.map((r) => [r.name, r.secretProps.includes("values")]),
        clear.map((r) => [r.name, false]),
      );
      fs.rmSync(dir, { recursive: true });
    });

    it("registers the chart's revision (known once installed)", () => {
      assert.deepEqual(outputsOf(recorded, "secrets"), { revision: UNKNOWN });
    });
  });

  describe("Helm releases and operators", () => {
    it("clean up a failed upgrade, and name the chart repository only when installing from one", async () => {
      for (const r of ofType(staging, "kubernetes:helm.sh/v3:Release"))
        assert.equal(r.props.cleanupOnFail, true, r.name);
      assert.deepEqual(resource(staging, "openbao").props.repositoryOpts, {
        repo: "https://openbao.github.io/openbao-helm",
      });
      const fromOci = await planStack("staging", "chartSource=oci://registry.example/charts");
      for (const r of ofType(fromOci, "kubernetes:helm.sh/v3:Release")) {
        assert.equal("repositoryOpts" in r.props, false, `${r.name} comes from the OCI registry`);
        assert.match(String(r.props.chart), /^oci:\/\/registry\.example\/charts\//);
      }
    });

    it("put the operators in their own namespace, the plugin after the operator", () => {
      assert.equal(prop(resource(staging, "operators-namespace"), "metadata.name"), "cnpg-system");
      assert.equal(resource(staging, "cnpg-operator").props.namespace, "cnpg-system");
      assert.ok(resource(staging, "cnpg-operator").dependsOn.includes("operators-namespace"));
      assert.ok(resource(staging, "barman-cloud-plugin").dependsOn.includes("cnpg-operator"));
      assert.deepEqual(Object.keys(outputsOf(recorded, "operators") ?? {}).sort(), [
        "barmanCloudRevision",
        "cnpgRevision",
      ]);
    });
  });

  describe("the smoke verification", () => {
    const planOf = (r: { props: Record<string, unknown> }) =>
      JSON.parse((r.props.environment as Record<string, string>).LOCKSTEP_SMOKE_PLAN);

    it("runs the final smoke plan with the stack's endpoints, the set and the blocked prompt, again when the set, the live color or the canary moves", async () => {
      const smoke = resource(staging, "smoke-test");
      assert.equal(smoke.props.create, "node bin/cli/smoke.js");
      const digest = "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878"; // release 1.5.1's set, as Pulumi.prod.yaml's promotion records it
      const plan = planOf(smoke);
      assert.deepEqual([plan.stage, plan.stack, plan.release, plan.setDigest], ["final", "staging", "1.5.1", digest]);
      assert.equal(plan.smoke.gatewayUrl, "https://gateway.staging.example.internal");
      assert.equal(plan.smoke.blockedPrompt, "test blocked content");
      assert.equal(plan.smoke.signIn.issuerUrl, "https://id.staging.example.internal/realms/platform");
      assert.equal(plan.smoke.recordFile, ".lockstep/verified-staging.json");
      assert.deepEqual(smoke.props.triggers, [digest, "blue", 0]);
      const canary = await planStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
      assert.deepEqual(resource(canary, "smoke-test").props.triggers, [digest, "blue", 10]);
      assert.deepEqual(resource(canary, "gateway-policy-check").props.triggers, [digest, 10]);
      const bare = await planStack("staging", 'smoke={"gatewayUrl":"https://g.example","blockedPrompt":"blocked"}');
      const defaults = planOf(resource(bare, "smoke-test")).smoke;
      assert.deepEqual(
        [defaults.apiUrl, defaults.consoleUrl, defaults.recordFile, defaults.expectedStatus, defaults.consolePages],
        [undefined, undefined, undefined, 409, ["/dashboard"]],
      );
      assert.throws(() => resource(bare, "console-flip-check"), "no preview address, no flip check");
    });

    it("checks policy enforcement right after the gateway wave, before any later wave starts", () => {
      const check = resource(staging, "gateway-policy-check");
      assert.equal(check.parent, "wave-gateways");
      for (const gateway of ["gateway", "gateway-route"])
        assert.ok(check.dependsOn.includes(gateway), check.dependsOn.join(", "));
      assert.equal(planOf(check).stage, "gateways");
      for (const next of ["console-blue", "console-svc"]) {
        assert.ok(resource(staging, next).dependsOn.includes("gateway-policy-check"), `${next} names the check`);
      }
      for (const later of ["worker-export", "smoke-test"]) {
        assert.ok(orderedAfter(staging, later, "gateway-policy-check"), `${later} waits for the check`);
      }
    });

    it("checks the live color at its own address before the live Service selects it", async () => {
      const check = resource(staging, "console-flip-check");
      assert.equal(check.parent, "console");
      assert.ok(check.dependsOn.includes("console-blue"), check.dependsOn.join(", "));
      assert.ok(resource(staging, "console-svc").dependsOn.includes("console-flip-check"));
      assert.deepEqual(planOf(check).flip, { color: "blue", url: "https://console-blue.staging.example.internal" });
      const flipped = await planStack("staging", "console.live=green");
      const toGreen = resource(flipped, "console-flip-check");
      assert.deepEqual(planOf(toGreen).flip, { color: "green", url: "https://console-green.staging.example.internal" });
      assert.ok(toGreen.dependsOn.includes("console-green"), toGreen.dependsOn.join(", "));
    });

    it("registers its result, known once the smoke test ran", () => {
      assert.deepEqual(outputsOf(recorded, "verification"), { result: UNKNOWN });
    });
  });

  describe("the platform", () => {
    it("registers what the next deployment reads: release, workloads, window, console, databases, restore point", async () => {
      const open = outputsOf(
        await runStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10"),
        "platform",
      ) as Loose;
      const { parts, ...release } = open.release as { parts: Record<string, string> };
      assert.deepEqual(release, {
        version: "1.5.1",
        setDigest: "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878",
      });
      assert.deepEqual(Object.keys(parts).sort(), [
        "charts.barmanCloudPlugin",
        "charts.cnpgOperator",
        "charts.identity",
        "charts.observability",
        "charts.openbao",
        "components.api",
        "components.console",
        "components.gateway",
        "components.workers",
        "kubernetes",
        "postgres",
      ]);
      assert.deepEqual(open.workloads, {
        api: "1.5.1",
        "console-blue": "1.5.1",
        "console-green": "1.5.0",
        gateway: "1.5.0",
        "gateway-canary": "1.5.1",
        "worker-config": "1.5.1",
        "worker-export": "1.5.1",
        "worker-lifecycle": "1.5.1",
      });
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(open.components as Record<string, { version: string; image: string }>).map(([k, v]) => [
            k,
            [v.version, v.image.split("@")[0]],
          ]),
        ),
        {
          api: ["1.5.1", "registry.lockstep.example/aigw/api"],
          console: ["1.5.1", "registry.lockstep.example/aigw/console"],
          gateway: ["1.5.1", "registry.lockstep.example/aigw/gateway"],
          workers: ["1.5.1", "registry.lockstep.example/aigw/workers"],
        },
      );
      assert.deepEqual(open.upgradeWindow, { from: "1.5.0", to: "1.5.1", mode: "rolling", gatewayCanaryPercent: 10 });
      assert.equal(open.consoleLive, "blue");
      assert.deepEqual(open.databases, {
        platform: { cluster: "platform-db", serverName: "platform-db", keptOrigin: false },
        identity: { cluster: "keycloak-db", serverName: "keycloak-db", keptOrigin: false },
      });
      assert.deepEqual(open.restorePoint, UNKNOWN, "the window's backups are its restore point, known once taken");
      assert.equal(open.restoreDrill, null);
      assert.deepEqual(
        (open.waves as { id: string; after: string[] }[]).map((w) => [w.id, w.after.length]),
        [
          ["pre-upgrade-backup", 0],
          ["platform-services", 1],
          ["database", 2],
          ["api", 3],
          ["gateways", 4],
          ["console", 5],
          ["workers", 6],
          ["verification", 7],
        ],
      );
      const closed = outputsOf(recorded, "platform") as Loose;
      assert.equal(closed.upgradeWindow, null);
      assert.equal(closed.restorePoint, null);
      assert.deepEqual(
        (closed.waves as { id: string }[]).map((w) => w.id),
        ["platform-services", "database", "api", "gateways", "console", "workers", "verification"],
        "no backup wave without a window",
      );
    });
  });

  describe("ownership", () => {
    it("puts each resource under the component that declares it, and each component under its wave", async () => {
      const window = await planStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
      const children: Record<string, string[]> = {
        platform: [
          "wave-pre-upgrade-backup",
          "wave-platform-services",
          "wave-database",
          "wave-api",
          "wave-gateways",
          "wave-console",
          "wave-workers",
          "wave-verification",
        ],
        "wave-pre-upgrade-backup": ["pre-upgrade-backup"],
        "pre-upgrade-backup": [
          "openbao-snapshot-1-5-0-to-1-5-1",
          "pre-upgrade-platform-db-1-5-0-to-1-5-1",
          "await-platform-db-1-5-0-to-1-5-1",
        ],
        "wave-platform-services": ["operators", "platform-namespace", "network", "secrets", "identity"],
        operators: ["operators-namespace", "cnpg-operator", "barman-cloud-plugin"],
        secrets: ["openbao"],
        identity: ["keycloak-db", "keycloak"],
        "keycloak-db": ["keycloak-db-objectstore", "keycloak-db-cluster", "keycloak-db-scheduled-backup"],
        "wave-database": ["platform-db"],
        "platform-db": ["platform-db-objectstore", "platform-db-cluster", "platform-db-scheduled-backup"],
        "wave-api": ["control-plane-api"],
        "control-plane-api": ["api-sa", "api", "api-svc"],
        "wave-gateways": ["gateways", "gateway-policy-check"],
        gateways: [
          "gateway-sa",
          "gateway",
          "gateway-stable-svc",
          "gateway-canary-sa",
          "gateway-canary",
          "gateway-canary-svc",
          "gateway-route",
        ],
        "wave-console": ["console"],
        console: [
          "console-blue-sa",
          "console-blue",
          "console-blue-svc",
          "console-green",
          "console-flip-check",
          "console-svc",
        ],
        "wave-workers": ["workers"],
        workers: ["worker-export-sa", "worker-export", "worker-config"],
        "wave-verification": ["verification", "release-record"],
        verification: ["smoke-test"],
        "release-record": ["lockstep-release"],
      };
      for (const [parent, names] of Object.entries(children)) {
        for (const name of names) assert.equal(resource(window, name).parent, parent, `${name} belongs to ${parent}`);
      }
    });

    it("orders the components of one wave: namespace first, identity after the operators, the record after the smoke test", () => {
      const after = (name: string, dependency: string) =>
        assert.ok(
          resource(staging, name).dependsOn.includes(dependency),
          `${name} after ${dependency}: ${resource(staging, name).dependsOn.join(", ")}`,
        );
      after("network", "platform-namespace");
      after("secrets", "platform-namespace");
      after("identity", "platform-namespace");
      after("identity", "cnpg-operator");
      after("release-record", "smoke-test");
    });
  });

  describe("network policies, the release record and the waves", () => {
    it("label every NetworkPolicy as lockstep's and register their names", () => {
      const policies = ofType(staging, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
      for (const p of policies) {
        assert.equal(
          (prop(p, "metadata.labels") as Record<string, string>)["app.kubernetes.io/part-of"],
          "lockstep",
          p.name,
        );
        assert.equal(prop(p, "metadata.namespace"), "aigw-staging");
        assert.ok(prop(p, "spec.podSelector"), `${p.name} selects pods`);
        assert.equal(p.parent, "network", `${p.name} belongs to the network component`);
      }
      const names = [
        "default-deny",
        "allow-dns",
        "gateway",
        "console",
        "api",
        "workers",
        "platform-db-instances",
        "keycloak-db-instances",
        "keycloak",
        "prometheus",
        "openbao",
      ];
      assert.deepEqual(policies.map((p) => prop(p, "metadata.name")).sort(), [...names].sort());
      assert.deepEqual(outputsOf(recorded, "network"), { policies: names });
    });

    it("label the release record with lockstep and the version, and register its name", () => {
      assert.deepEqual(prop(resource(staging, "lockstep-release"), "metadata.labels"), {
        "app.kubernetes.io/part-of": "lockstep",
        "app.kubernetes.io/version": "1.5.1",
      });
      assert.deepEqual(outputsOf(recorded, "release-record"), { name: "lockstep-release" });
    });

    it("register each wave's title", () => {
      assert.deepEqual(outputsOf(recorded, "wave-api"), { title: "control-plane API (runs migrations at startup)" });
      assert.deepEqual(outputsOf(recorded, "wave-console"), { title: "console (blue/green, live Service)" });
    });
  });
});
