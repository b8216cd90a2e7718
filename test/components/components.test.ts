import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { versionSlug } from "../../components/backup";
import { objectStorePort } from "../../components/platform";
import { parseSmokeOutput } from "../../components/verification";
import type { PlanResult } from "../../plan/plan";
import { memoizeProgramRuns, runProgramsWith } from "../../plan/runtime";
import { ofType, planStack, PROJECT, prop, resource, ROLLING_WINDOW, runStack } from "../helpers";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
// Tests read deep Kubernetes shapes; a loose type keeps the assertions readable.
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const container = (r: { props: Record<string, unknown> }): Loose =>
  (prop(r as never, "spec.template.spec.containers") as Loose[])[0];

describe("components", () => {
  let staging: PlanResult;
  let prod: PlanResult;
  let canary: PlanResult;
  before(async () => {
    staging = await planStack("staging");
    prod = await planStack("prod");
    canary = await planStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
  });

  describe("operators and services as Helm releases", () => {
    it("installs each chart at the catalog's exact version through helm.v3.Release", () => {
      const pins = getRelease(catalog, "1.5.1").charts;
      const expected: Record<string, [string, string]> = {
        "cnpg-operator": ["cloudnative-pg", pins.cnpgOperator.version],
        "barman-cloud-plugin": ["plugin-barman-cloud", pins.barmanCloudPlugin.version],
        keycloak: ["keycloakx", pins.identity.version],
        openbao: ["openbao", pins.openbao.version],
        prometheus: ["prometheus", pins.observability.version],
      };
      const releases = ofType(staging, "kubernetes:helm.sh/v3:Release");
      assert.deepEqual(releases.map((r) => r.name).sort(), Object.keys(expected).sort());
      for (const r of releases) {
        assert.equal(r.props.chart, expected[r.name][0]);
        assert.equal(r.props.version, expected[r.name][1]);
        assert.equal(r.props.atomic, true, `${r.name} rolls back a failed upgrade`);
      }
      assert.equal(resource(staging, "cnpg-operator").props.version, "0.29.0");
    });

    it("layers values: catalog, then component wiring, then stack overrides", async () => {
      const withOverride = await planStack(
        "staging",
        'chartValues.openbao={"server":{"ha":{"replicas":5}},"injector":{"enabled":false}}',
      );
      const values = resource(withOverride, "openbao").props.values as Loose;
      assert.equal(values.server.ha.replicas, 5, "stack override wins");
      assert.equal(values.server.ha.raft.enabled, true, "catalog value kept beside it");
      assert.equal(values.injector.enabled, false);
      assert.equal((resource(staging, "openbao").props.values as Loose).server.ha.replicas, 1);
    });

    it("skips Helm's readiness wait only when awaitRollouts is false", async () => {
      assert.equal(resource(staging, "keycloak").props.skipAwait, false);
      const noWait = await planStack("staging", "awaitRollouts=false");
      assert.equal(resource(noWait, "keycloak").props.skipAwait, true);
      assert.equal(
        (prop(resource(noWait, "api"), "metadata.annotations") as Record<string, string>)["pulumi.com/skipAwait"],
        "true",
      );
    });

    it("waits for every Deployment's rollout by its own replica count, as kubectl rollout status does", async () => {
      const prod = await planStack("prod", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
      const deployments = prod.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
      const waits = deployments.map((d) => [
        d.name,
        JSON.parse((prop(d, "metadata.annotations") as Record<string, string>)["pulumi.com/waitFor"]) as string[],
      ]);
      const expected = deployments.map((d) => {
        const n = prop(d, "spec.replicas") as number;
        return [
          d.name,
          [
            `jsonpath={.status.updatedReplicas}=${n}`,
            `jsonpath={.status.availableReplicas}=${n}`,
            `jsonpath={.status.replicas}=${n}`,
          ],
        ];
      });
      assert.deepEqual(waits, expected);
      assert.deepEqual(
        deployments
          .map((d) => [d.name, prop(d, "spec.replicas")])
          .filter(([name]) => name === "api" || name === "gateway-canary"),
        [
          ["api", 3],
          ["gateway-canary", 2],
        ],
      );
    });

    it("readiness lives on the Deployments: no Service waits on the provider's settle, every Deployment on its rollout", async () => {
      const services = (plan: PlanResult) => plan.resources.filter((r) => r.type === "kubernetes:core/v1:Service");
      const annotation = (r: PlanResult["resources"][number], key: string) =>
        (prop(r, "metadata.annotations") as Record<string, string> | undefined)?.[key];
      const noWait = await planStack("staging", "awaitRollouts=false");
      for (const plan of [staging, noWait]) {
        assert.ok(services(plan).length >= 5, `${services(plan).length} Services`);
        assert.deepEqual(
          services(plan)
            .filter((r) => annotation(r, "pulumi.com/skipAwait") !== "true")
            .map((r) => r.name),
          [],
        );
      }
      const deployments = staging.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
      assert.deepEqual(
        deployments.filter((d) => annotation(d, "pulumi.com/waitFor") === undefined).map((d) => d.name),
        [],
        "every Deployment of an awaited stack waits for its whole rollout",
      );
      assert.equal(
        resource(staging, "console-svc").dependsOn.includes("console-blue"),
        true,
        "the live console Service waits for the live color's rollout",
      );
    });
  });

  describe("databases", () => {
    it("runs the catalog's PostgreSQL image, one instance, or three in HA", () => {
      const image = getRelease(catalog, "1.5.1").postgres.image;
      assert.equal(prop(resource(staging, "platform-db-cluster"), "spec.imageName"), image);
      assert.equal(prop(resource(staging, "platform-db-cluster"), "spec.instances"), 1);
      assert.equal(prop(resource(prod, "platform-db-cluster"), "spec.instances"), 3);
      assert.equal(prop(resource(prod, "keycloak-db-cluster"), "spec.instances"), 3);
    });

    it("archives WAL through the Barman Cloud plugin to an ObjectStore with retention, on a schedule", () => {
      for (const db of ["platform-db", "keycloak-db"]) {
        const plugins = prop(resource(staging, `${db}-cluster`), "spec.plugins") as Loose[];
        assert.deepEqual(plugins, [
          {
            name: "barman-cloud.cloudnative-pg.io",
            isWALArchiver: true,
            parameters: { barmanObjectName: `${db}-store` },
          },
        ]);
        const store = resource(staging, `${db}-objectstore`);
        assert.equal(prop(store, "metadata.name"), `${db}-store`);
        assert.equal(prop(store, "spec.retentionPolicy"), "14d");
        assert.equal(prop(store, "spec.configuration.destinationPath"), "s3://aigw-backups/staging/");
        assert.equal(prop(store, "spec.configuration.s3Credentials.accessKeyId.name"), "backup-s3-credentials");
        const scheduled = resource(staging, `${db}-scheduled-backup`);
        assert.equal(prop(scheduled, "spec.cluster.name"), db);
        assert.equal(prop(scheduled, "spec.method"), "plugin");
        assert.equal(prop(scheduled, "spec.schedule"), "0 0 2 * * *");
      }
    });

    it("protects stateful resources so an upgrade can never replace or delete them", async () => {
      const resources = await runStack("staging", "deployed=1.5.0");
      const protectedNames = resources
        .filter((r) => r.protect)
        .map((r) => r.name)
        .sort();
      assert.deepEqual(protectedNames, [
        "keycloak-db-cluster",
        "keycloak-db-objectstore",
        "platform-db-cluster",
        "platform-db-objectstore",
      ]);
      const retained = resources
        .filter((r) => r.retainOnDelete)
        .map((r) => r.name)
        .sort();
      // Clusters and their ObjectStores too: removing a database is always an explicit act, even after `pulumi state unprotect`.
      assert.deepEqual(retained, [
        "keycloak-db-cluster",
        "keycloak-db-objectstore",
        "operators-namespace",
        "platform-db-cluster",
        "platform-db-objectstore",
        "platform-namespace",
        "pre-upgrade-keycloak-db-1-5-0-to-1-5-1",
        "pre-upgrade-platform-db-1-5-0-to-1-5-1",
      ]);
    });
  });

  describe("pre-upgrade backups", () => {
    it("declares none while no window is open", () => {
      assert.equal(ofType(staging, "kubernetes:postgresql.cnpg.io/v1:Backup").length, 0);
      assert.equal(
        ofType(staging, "command:local:Command")
          .map((c) => c.name)
          .join(),
        "gateway-policy-check,console-flip-check,smoke-test",
        "only the smoke checks run outside a window",
      );
    });

    it("declares a from->to named Backup per database, each awaited by a check that fails fast, and an OpenBao raft snapshot", () => {
      const backups = ofType(canary, "kubernetes:postgresql.cnpg.io/v1:Backup");
      assert.deepEqual(backups.map((b) => prop(b, "metadata.name")).sort(), [
        "pre-upgrade-keycloak-db-1-5-0-to-1-5-1",
        "pre-upgrade-platform-db-1-5-0-to-1-5-1",
      ]);
      for (const b of backups) {
        // The provider does not wait (it could not stop at "failed"); the check Command does.
        assert.equal((prop(b, "metadata.annotations") as Record<string, string>)["pulumi.com/skipAwait"], "true");
        assert.equal(prop(b, "spec.method"), "plugin");
        const db = prop(b, "spec.cluster.name") as string;
        const check = resource(canary, `await-${db}-1-5-0-to-1-5-1`);
        assert.equal(check.props.create, "bash scripts/await-backup.sh");
        assert.deepEqual(check.props.environment, {
          NAMESPACE: "aigw-staging",
          BACKUP: prop(b, "metadata.name"),
          TIMEOUT_SECONDS: "3600",
        });
        assert.ok(check.dependsOn.includes(b.name), "the check starts after its Backup exists");
      }
      const snapshot = resource(canary, "openbao-snapshot-1-5-0-to-1-5-1");
      assert.equal(snapshot.props.create, "bash scripts/openbao-snapshot.sh");
      assert.deepEqual(snapshot.props.triggers, ["1.5.0", "1.5.1"]);
      assert.equal(
        (snapshot.props.environment as Record<string, string>).SNAPSHOT_FILE,
        "backups/openbao-1-5-0-to-1-5-1.snap",
      );
    });

    it("is the same declaration on every up inside one window (no second backup)", async () => {
      const again = await planStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=30");
      const names = (r: PlanResult) =>
        ofType(r, "kubernetes:postgresql.cnpg.io/v1:Backup")
          .map((b) => JSON.stringify(b.props))
          .sort();
      assert.deepEqual(names(again), names(canary), "moving the canary does not change the backups");
    });
  });

  describe("control-plane API", () => {
    it("rolls one pod at a time, gates on /readyz, and drains with preStop shorter than the grace period", () => {
      const api = resource(staging, "api");
      assert.deepEqual(
        prop(api, "spec.strategy"),
        { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        "a new pod is Ready before an old one goes, even with one replica",
      );
      const c = container(api);
      assert.equal(c.image, getRelease(catalog, "1.5.1").components.api.image);
      assert.equal(c.readinessProbe.httpGet.path, "/readyz");
      assert.ok(
        c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 300,
        "migrations get minutes to finish",
      );
      assert.deepEqual(c.lifecycle.preStop.exec.command, ["sh", "-c", "sleep 10"]);
      assert.ok((prop(api, "spec.template.spec.terminationGracePeriodSeconds") as number) > 10);
      assert.deepEqual(c.env.find((e: { name: string }) => e.name === "DATABASE_URL").valueFrom, {
        secretKeyRef: { name: "platform-db-app", key: "uri" },
      });
      assert.equal(prop(resource(staging, "api-svc"), "spec.ports.0.targetPort"), 8080);
    });

    it("gets a PDB only in HA", () => {
      assert.equal(ofType(staging, "kubernetes:policy/v1:PodDisruptionBudget").length, 0);
      const pdb = resource(prod, "api-pdb");
      assert.equal(prop(pdb, "spec.maxUnavailable"), 1);
      assert.deepEqual(prop(pdb, "spec.selector.matchLabels"), { "app.kubernetes.io/name": "api" });
      assert.equal(prop(resource(prod, "api"), "spec.replicas"), 3);
    });
  });

  describe("gateways", () => {
    it("serves on 41002 with /readyz, a preStop hook and anti-affinity in HA", () => {
      const gw = resource(prod, "gateway");
      const c = container(gw);
      assert.equal(c.ports[0].containerPort, 41002);
      assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: 41002 });
      assert.ok(c.lifecycle.preStop.exec);
      assert.ok(prop(gw, "spec.template.spec.affinity.podAntiAffinity"));
      assert.ok(resource(prod, "gateway-pdb"));
    });

    it("without a canary: one stable Deployment at the release and a single 100% backend", () => {
      assert.equal(
        (prop(resource(staging, "gateway"), "metadata.labels") as Record<string, string>)["app.kubernetes.io/version"],
        "1.5.1",
      );
      assert.throws(() => resource(staging, "gateway-canary"));
      assert.deepEqual(prop(resource(staging, "gateway-route"), "spec.rules.0.backendRefs"), [
        { name: "gateway-stable", port: 80, weight: 100 },
      ]);
    });

    it("with a canary: stable runs upgrade.from, canary runs release, weights p and 100-p", () => {
      const labels = (n: string) => prop(resource(canary, n), "metadata.labels") as Record<string, string>;
      assert.equal(labels("gateway")["app.kubernetes.io/version"], "1.5.0");
      assert.equal(labels("gateway-canary")["app.kubernetes.io/version"], "1.5.1");
      assert.equal(container(resource(canary, "gateway")).image, getRelease(catalog, "1.5.0").components.gateway.image);
      assert.equal(
        container(resource(canary, "gateway-canary")).image,
        getRelease(catalog, "1.5.1").components.gateway.image,
      );
      assert.deepEqual(prop(resource(canary, "gateway-route"), "spec.rules.0.backendRefs"), [
        { name: "gateway-stable", port: 80, weight: 90 },
        { name: "gateway-canary", port: 80, weight: 10 },
      ]);
      assert.deepEqual(prop(resource(canary, "gateway-route"), "spec.parentRefs"), [
        { name: "platform-gateway", namespace: "aigw-staging" },
      ]);
    });
  });

  describe("console blue/green", () => {
    it("runs each color at its configured version and points the live Service at the live color", async () => {
      const labels = (r: PlanResult, n: string) => prop(resource(r, n), "metadata.labels") as Record<string, string>;
      assert.equal(labels(staging, "console-blue")["app.kubernetes.io/version"], "1.5.1");
      assert.equal(labels(staging, "console-green")["app.kubernetes.io/version"], "1.5.0");
      assert.equal(
        (prop(resource(staging, "console-svc"), "spec.selector") as Record<string, string>)["lockstep.dev/color"],
        "blue",
      );
      assert.equal(
        (prop(resource(staging, "console-green-svc"), "spec.selector") as Record<string, string>)["lockstep.dev/color"],
        "green",
      );
      const flipped = await planStack("staging", "console.live=green");
      assert.equal(
        (prop(resource(flipped, "console-svc"), "spec.selector") as Record<string, string>)["lockstep.dev/color"],
        "green",
      );
      assert.deepEqual(
        resource(flipped, "console-blue").props,
        resource(staging, "console-blue").props,
        "flipping changes only the Service",
      );
    });
  });

  describe("workers", () => {
    it("runs export, lifecycle and config workers at the release", () => {
      for (const kind of ["export", "lifecycle", "config"]) {
        const w = resource(staging, `worker-${kind}`);
        assert.equal(container(w).env.find((e: { name: string }) => e.name === "WORKER_KIND").value, kind);
        assert.equal(container(w).image, getRelease(catalog, "1.5.1").components.workers.image);
      }
    });
  });

  describe("every Pod template", () => {
    it("follows restricted Pod Security with a read-only root, resources and secret refs only", () => {
      for (const d of [...ofType(prod, DEPLOYMENT), ...ofType(canary, DEPLOYMENT)]) {
        const pod = prop(d, "spec.template.spec") as Loose;
        assert.equal(pod.automountServiceAccountToken, false, d.name);
        assert.equal(pod.securityContext.runAsNonRoot, true, d.name);
        assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", d.name);
        for (const c of pod.containers) {
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, d.name);
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, d.name);
          assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], d.name);
          assert.ok(c.resources.requests.cpu && c.resources.limits.memory, d.name);
          for (const e of c.env)
            assert.ok(!/SECRET|PASSWORD|TOKEN/.test(e.name) || e.valueFrom?.secretKeyRef, `${d.name} ${e.name}`);
        }
      }
      assert.equal(
        (prop(resource(prod, "platform-namespace"), "metadata.labels") as Record<string, string>)[
          "pod-security.kubernetes.io/enforce"
        ],
        "restricted",
      );
    });
  });

  describe("verification and outputs", () => {
    it("smoke-tests after rollout, re-running when the set, live color or canary changes", () => {
      const smoke = resource(staging, "smoke-test");
      assert.equal(smoke.props.create, "node bin/cli/smoke.js");
      const plan = JSON.parse((smoke.props.environment as Record<string, string>).LOCKSTEP_SMOKE_PLAN);
      assert.equal(plan.stage, "final");
      assert.equal(plan.smoke.expectedStatus, 409);
      assert.equal(plan.setDigest, staging.release.setDigest);
      assert.deepEqual(smoke.props.triggers, [staging.release.setDigest, "blue", 0]);
    });

    it("reads the smoke script's verdict and time, which promotion takes from the stack outputs", () => {
      const d = `sha256:${"a".repeat(64)}`;
      assert.deepEqual(
        parseSmokeOutput(
          "smoke: ok    gateway ready: GET /readyz: 200\nsmoke: skip  console sign-in: needs lockstep:smoke.signIn\nsmoke: ok    console page /dashboard: GET /dashboard: 200\nverified-at: 2026-11-21T10:00:00Z\nverification: passed\n",
          "1.5.1",
          d,
        ),
        {
          status: "passed",
          version: "1.5.1",
          setDigest: d,
          verifiedAt: "2026-11-21T10:00:00Z",
          checks: ["gateway ready", "console page /dashboard"],
        },
      );
      assert.deepEqual(
        parseSmokeOutput("verified-at: 2026-11-21T10:00:00Z\nverification: failed (1 check(s))\n", "1.5.1", d),
        { status: "failed", version: "1.5.1", setDigest: d, verifiedAt: null, checks: [] },
      );
    });

    it("takes the verdict and the time only from whole lines, not from a check's text that contains them", () => {
      const d = `sha256:${"b".repeat(64)}`;
      // A failing check may echo what it looked for; neither line below is the script's own verdict.
      const echoed = "smoke: FAIL  expected 'verification: passed'\nverification: passed (0 of 3 checks ran)\n";
      assert.equal(parseSmokeOutput(echoed, "1.5.1", d).status, "failed");
      assert.equal(parseSmokeOutput("smoke: FAIL x\nnot verification: passed\n", "1.5.1", d).status, "failed");
      const time =
        "note: verified-at: 1999-01-01T00:00:00Z\nverified-at: 2026-11-21T10:00:00Z trailing\nverified-at: 2026-11-22T08:30:00Z\nverification: passed\n";
      assert.equal(parseSmokeOutput(time, "1.5.1", d).verifiedAt, "2026-11-22T08:30:00Z");
    });

    it("skips the smoke test with a warning when smoke is not set", async () => {
      const unverified = await planStack("staging", "smoke=null");
      assert.throws(() => resource(unverified, "smoke-test"));
      assert.ok(resource(unverified, "lockstep-release"));
      assert.deepEqual(await warningsOf("smoke=null"), [
        "warning: [runtime] smoke test skipped: lockstep:smoke is not set, so this deployment is not verified and cannot be promoted",
      ]);
    });

    it("warns that a canary share set with no window open is ignored, naming the key and the version", async () => {
      assert.deepEqual(await warningsOf("upgrade.gatewayCanaryPercent=10"), [
        "warning: [runtime] lockstep:upgrade.gatewayCanaryPercent (10) is ignored: every workload already runs 1.5.1, so no upgrade window is open and no canary runs",
      ]);
      assert.deepEqual(
        await warningsOf(...ROLLING_WINDOW, "upgrade.gatewayCanaryPercent=10"),
        [],
        "in a window the canary runs",
      );
      assert.deepEqual(
        (await warningsOf("deployed=1.5.0", "upgrade.gatewayCanaryPercent=10")).map(
          (w) => /^warning: \[runtime\] ([a-z-]+): /.exec(w)?.[1],
        ),
        ["upgrade-path", "blue-green-integrity"],
        "a preview says which gate `pulumi up` refuses, without a policy pack",
      );
    });

    /** The release record a plan writes into the `lockstep-release` ConfigMap. */
    const releaseRecordOf = (r: PlanResult) =>
      JSON.parse((resource(r, "lockstep-release").props.data as Record<string, string>)["release.json"]) as Record<
        string,
        unknown
      >;
    /** A stack at rest on 1.5.1, after its window. */
    const AT_REST = path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json");

    it("writes the same release record from one up to the next at rest: the colors before appear only while they differ", async () => {
      const first = releaseRecordOf(await planStack("staging"));
      const second = releaseRecordOf(await planStack("staging", `deployed=${AT_REST}`));
      assert.deepEqual(second, first, "a first install and the up after it write the same record");
      assert.equal(second.consoleBefore, null);
      const moving = releaseRecordOf(await planStack("staging", `deployed=${AT_REST}`, "console.green=1.5.1"));
      assert.deepEqual(moving.consoleBefore, { blue: "1.5.1", green: "1.5.0", live: "blue" });
    });

    /** The stack at rest, changed, as a file the offline plan reads. */
    const deployedVariant = (
      change: (outputs: { workloads: Record<string, string>; consoleLive?: string }) => void,
    ) => {
      const outputs = JSON.parse(fs.readFileSync(AT_REST, "utf8"));
      change(outputs);
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-deployed-")), "deployed.json");
      fs.writeFileSync(file, JSON.stringify(outputs));
      return `deployed=${file}`;
    };
    const consoleBefore = async (...sets: string[]) =>
      releaseRecordOf(await planStack("staging", ...sets)).consoleBefore;

    it("writes the colors before when only the live color moves, as the deployed outputs name it", async () => {
      const liveBlue = deployedVariant((o) => (o.consoleLive = "blue"));
      assert.deepEqual(await consoleBefore(liveBlue, "console.live=green"), {
        blue: "1.5.1",
        green: "1.5.0",
        live: "blue",
      });
      assert.equal(await consoleBefore(liveBlue), null, "at rest: nothing moves");
    });

    it("writes no colors before when the deployed outputs name only one console color", async () => {
      const oneColor = deployedVariant((o) => delete o.workloads["console-green"]);
      assert.equal(await consoleBefore(oneColor, "console.green=1.5.1"), null);
    });

    it("records the release set in the cluster and in the stack outputs", () => {
      const record = releaseRecordOf(canary);
      assert.equal(record.release, "1.5.1");
      assert.equal(record.setDigest, canary.release.setDigest);
      assert.equal(record.upgradeFrom, "1.5.0");
      assert.equal(record.gatewayCanaryPercent, 10);
      assert.equal(canary.release.version, "1.5.1");
      assert.deepEqual(
        canary.waves.map((w) => w.id),
        [
          "pre-upgrade-backup",
          "platform-services",
          "database",
          "api",
          "gateways",
          "console",
          "workers",
          "verification",
        ],
      );
    });

    it("gives every registration a unique logical name", () => {
      for (const r of [staging, prod, canary]) {
        const names = r.resources.map((x) => x.name);
        assert.equal(new Set(names).size, names.length);
      }
    });
  });
});

/** What the program warned on stderr, run in this thread (the SDK under mocks writes warnings with console.warn). */
async function warningsOf(...sets: string[]): Promise<string[]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: unknown) => warnings.push(String(message));
  const runner = runProgramsWith(undefined);
  const memo = memoizeProgramRuns(false);
  try {
    await runStack("staging", ...sets);
  } finally {
    runProgramsWith(runner);
    memoizeProgramRuns(memo);
    console.warn = warn;
  }
  return warnings;
}

describe("names and ports derived from the stack's settings", () => {
  it("puts versions into Kubernetes names lowercased, one dash for each run of other characters", () => {
    assert.equal(versionSlug("1.4.2"), "1-4-2");
    assert.equal(versionSlug("1.6.0-RC.1"), "1-6-0-rc-1");
    assert.equal(versionSlug("2.0.0-beta..2+Build.7"), "2-0-0-beta-2-build-7");
  });

  it("opens the object store's port for backups: the endpoint's own, else 80 for http and 443 for https or none", () => {
    assert.equal(objectStorePort(undefined), 443);
    assert.equal(objectStorePort("http://minio.backup.svc:9000"), 9000);
    assert.equal(objectStorePort("https://s3.internal:8443/bucket"), 8443);
    assert.equal(objectStorePort("http://minio.backup.svc"), 80);
    assert.equal(objectStorePort("https://s3.eu-west-1.amazonaws.com"), 443);
  });
});
