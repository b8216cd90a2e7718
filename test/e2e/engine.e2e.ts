/**
 * The program as users run it: the real Pulumi CLI (through the Automation API and as a command) and
 * the real Node.js language host and Kubernetes provider, against a real kube-apiserver with the real
 * charts. What cannot run here (the command provider, the CNPG operator's status) is a test double,
 * each named in tier.ts.
 *
 * One API server, one stack lineage, in order: first deploy, idempotence, drift found and reset, an
 * upgrade window, the policy pack, secrets, recovery from a killed `up`, a rollback with the data and a
 * restore drill.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { FINAL_CHECKS } from "./doubles/platformEndpoints";
import { EngineTier, FILE_BACKEND_QUERY, PROJECT } from "./tier";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const NS = "aigw-staging";
const FROM = "1.4.2";
const TO = "1.5.0";

interface Step {
  phase: "pre" | "outputs";
  op: string;
  type: string;
  name: string;
}
function recorder(): { steps: Step[]; onEvent: (e: EngineEvent) => void } {
  const steps: Step[] = [];
  const name = (urn: string) => urn.split("::").pop() as string;
  return {
    steps,
    onEvent: (e) => {
      if (e.resourcePreEvent)
        steps.push({
          phase: "pre",
          op: e.resourcePreEvent.metadata.op,
          type: e.resourcePreEvent.metadata.type,
          name: name(e.resourcePreEvent.metadata.urn),
        });
      if (e.resOutputsEvent)
        steps.push({
          phase: "outputs",
          op: e.resOutputsEvent.metadata.op,
          type: e.resOutputsEvent.metadata.type,
          name: name(e.resOutputsEvent.metadata.urn),
        });
    },
  };
}
const changed = (s: Step) => s.op !== "same" && s.op !== "read";
const TRUNCATED_SIDECAR = /failed to load checkpoint: EOF/;

/** docs/day-two.md, whose "An interrupted `up`" runbook these tests follow. */
const runbook = () => fs.readFileSync(path.join(PROJECT, "docs", "day-two.md"), "utf8");

/** Runs the runbook's line for an emptied checkpoint sidecar, as written there, on a file backend. */
function clearEmptySidecars(backendDir: string): { code: number; stderr: string } {
  const line = runbook()
    .split("\n")
    .find((l) => l.startsWith('find "$BACKEND_DIR/.pulumi/stacks"'));
  assert.ok(line, "docs/day-two.md's interrupted-up runbook has the sidecar line");
  const r = spawnSync("bash", ["-c", line], { env: { ...process.env, BACKEND_DIR: backendDir }, encoding: "utf8" });
  return { code: r.status ?? 1, stderr: r.stderr };
}

/** What a failed CLI run said: its error lines and its last lines. */
const said = (r: { stdout: string; stderr: string }) =>
  [
    ...r.stdout
      .split("\n")
      .filter((l) => /error|failed/i.test(l))
      .slice(0, 20),
    "--- stderr:",
    r.stderr.trim().split("\n").slice(-10).join("\n"),
  ].join("\n");

describe("the real Pulumi CLI and engine against a real API server", { timeout: 1_200_000 }, () => {
  let tier: EngineTier;
  let stack: Stack;

  before(async () => {
    tier = await EngineTier.start();
    stack = await tier.stack("staging", {
      ...tier.localConfig("staging"),
      "lockstep:release": FROM,
      "lockstep:console.blue": FROM,
      "lockstep:console.green": FROM,
      "lockstep:console.live": "blue",
    });
  });
  after(async () => {
    await tier?.stop();
  });
  const uid = (kind: string, name: string) =>
    JSON.parse(tier.kubectl(["get", kind, name, "-n", NS, "-o", "json"]).stdout).metadata.uid as string;

  it(`first deploy at ${FROM}: preview plans every resource, up creates them, the API server holds the catalog's set`, async () => {
    const preview = await stack.preview();
    const creates = preview.changeSummary.create ?? 0;
    assert.ok(creates >= 50, `preview plans the platform (${JSON.stringify(preview.changeSummary)})`);
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.create, creates, "up creates what preview planned");
    tier.backupCredentials("aigw-staging"); // the platform team's, once the namespace exists
    const image = (name: string) =>
      JSON.parse(tier.kubectl(["get", "deployment", name, "-n", NS, "-o", "json"]).stdout).spec.template.spec
        .containers[0].image as string;
    assert.equal(image("api"), getRelease(catalog, FROM).components.api.image);
    assert.equal(image("gateway"), getRelease(catalog, FROM).components.gateway.image);
    const releases = JSON.parse(tier.server.kubectl(["get", "secrets", "-A", "-l", "owner=helm", "-o", "json"]).stdout)
      .items.map((s: { metadata: { labels: Record<string, string> } }) => s.metadata.labels.name)
      .sort();
    assert.deepEqual(
      [...new Set(releases)],
      ["barman-cloud", "cnpg", "keycloak", "openbao", "prometheus"],
      "the five charts are installed by the real helm",
    );
    // The set's Prometheus runs its pinned images by digest and scrapes the gateways of this namespace alone.
    const prometheus = JSON.parse(
      tier.kubectl(["get", "deployment", "prometheus-server", "-n", NS, "-o", "json"]).stdout,
    ).spec.template.spec.containers as { name: string; image: string }[];
    const pinned = getRelease(catalog, FROM).charts.observability.images;
    assert.deepEqual(
      prometheus.map((c) => c.image.split("@")[1]).sort(),
      [pinned.server, pinned.configReloader].map((i) => i.split("@")[1]).sort(),
    );
    const scrape = JSON.parse(tier.kubectl(["get", "configmap", "prometheus-server", "-n", NS, "-o", "json"]).stdout)
      .data["prometheus.yml"] as string;
    assert.match(scrape, /job_name: lockstep-gateways[\s\S]*own_namespace: true[\s\S]*regex: gateway;41002/);
    assert.doesNotMatch(scrape, /job_name: kubernetes-pods/, "the chart's cluster-wide jobs are off");
    assert.equal(up.outputs.release.value.version, FROM);
    assert.equal(
      up.outputs.verification.value.status,
      "passed",
      "the smoke test ran against the endpoint double and passed",
    );
    assert.ok(tier.endpoints.served.includes("POST /v1/chat/completions 409"));
    // Each check named, as the smoke test printed it: sign-in through the identity provider's OIDC token
    // endpoint, the pages signed in, the admin API's workers, an export job, and ingestion.
    assert.deepEqual(up.outputs.verification.value.checks, FINAL_CHECKS);
    const served = tier.endpoints.served;
    for (const request of [
      "POST /realms/platform/protocol/openid-connect/token 200",
      "GET /v1/admin/workers/status 200",
      "GET /preview/blue/api/config 200", // blue checked at its own address before the live Service
    ]) {
      assert.ok(served.includes(request), `${request} in:\n${served.join("\n")}`);
    }
    const record = JSON.parse(
      fs.readFileSync(path.join(tier.projectDir, ".lockstep", "verified-staging.json"), "utf8"),
    );
    assert.deepEqual(record.checks, up.outputs.verification.value.checks, "the record lists the same checks");
  });

  it("a second up makes 0 changes", async () => {
    const up = await stack.up();
    // "read" is the program reading its own last outputs (the StackReference); the engine counts no change for it.
    const changes = Object.entries(up.summary.resourceChanges ?? {}).filter(([op]) => op !== "same" && op !== "read");
    assert.deepEqual(changes, []);
    const nop = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(nop.code, 0, `pulumi preview --expect-no-changes:\n${said(nop)}`);
  });

  it("lockstep drift finds a Deployment scaled and re-imaged by hand, by field, and --reset puts both back", async () => {
    const api = () => JSON.parse(tier.kubectl(["get", "deployment", "api", "-n", NS, "-o", "json"]).stdout);
    const declared = api();
    const declaredImage = declared.spec.template.spec.containers[0].image as string;
    const handImage = declaredImage.replace(/@sha256:[0-9a-f]+$/, "@sha256:" + "e".repeat(64));
    const scale = tier.kubectl(["scale", "deployment", "api", "-n", NS, "--replicas", "5"]);
    assert.equal(scale.code, 0, scale.stderr);
    const container = declared.spec.template.spec.containers[0].name as string;
    const image = tier.kubectl(["set", "image", "deployment/api", "-n", NS, `${container}=${handImage}`]);
    assert.equal(image.code, 0, image.stderr);

    const found = await tier.lockstep(["drift", "--stack", "staging", "--json"]);
    // The engine's error lines, and the line after each (where "1 error occurred:" puts the error).
    const errors = (r: { stderr: string }) => {
      const lines = r.stderr.split("\n").filter((l) => !/warning: (using|resource plugin)/.test(l));
      return lines
        .flatMap((l, i) => (/error/i.test(l) ? [l, lines[i + 1] ?? ""] : []))
        .slice(0, 40)
        .join("\n");
    };
    assert.equal(found.code, 1, `lockstep drift exits 1 on drift:\n${found.stdout}\n${errors(found)}`);
    const report = JSON.parse(found.stdout) as {
      drifted: { name: string; kind: string; fields: { path: string; live?: unknown; declared?: unknown }[] }[];
      pending: unknown[];
    };
    const apiDrift = report.drifted.find((r) => r.kind === "Deployment" && r.name === "api");
    assert.ok(apiDrift, `the api Deployment is reported: ${found.stdout}`);
    const field = (p: string) => apiDrift.fields.find((f) => f.path === p);
    assert.deepEqual(field("spec.replicas"), { path: "spec.replicas", live: 5, declared: declared.spec.replicas });
    const imageField = apiDrift.fields.find((f) => /containers\[0\]\.image$/.test(f.path));
    assert.deepEqual([imageField?.live, imageField?.declared], [handImage, declaredImage]);
    assert.deepEqual(
      report.drifted.map((r) => r.name),
      ["api"],
      "nothing else is reported: no refresh noise (status, managed fields) counts as drift",
    );
    assert.deepEqual(report.pending, [], "the stack file has no change of its own");

    const human = await tier.lockstep(["drift", "--stack", "staging"]);
    assert.match(human.stdout, /Deployment api\s+spec\.replicas\s+5\s+/);
    console.log(`drift: what lockstep drift printed:\n${human.stdout}`); // the example in docs/day-two.md

    const reset = await tier.lockstep(["drift", "--stack", "staging", "--reset", "--json"], { timeoutMs: 600_000 });
    assert.equal(reset.code, 0, `lockstep drift --reset:\n${reset.stdout}\n${errors(reset)}`);
    assert.equal(JSON.parse(reset.stdout).reset, "done");
    const after = api();
    assert.equal(after.spec.replicas, declared.spec.replicas, "the replicas are the stack's again");
    assert.equal(after.spec.template.spec.containers[0].image, declaredImage, "the image is the stack's again");
    const clean = await tier.lockstep(["drift", "--stack", "staging"]);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, /no drift: the cluster matches stack staging/);
  });

  it(`${TO}'s migrations are contract: a rolling window into it is refused by the program itself, with no policy pack, before anything changes`, async () => {
    // Nothing says where the window starts: the program reads what this stack deployed last (1.4.2).
    await tier.setConfig(stack, {
      "lockstep:release": TO,
      "lockstep:upgrade.gatewayCanaryPercent": "10",
      "lockstep:console.green": TO,
    });
    const { steps, onEvent } = recorder();
    await assert.rejects(stack.up({ onEvent }), (err: Error) => {
      assert.match(err.message, /this update is refused before it changes anything/);
      assert.match(
        err.message,
        /upgrade-path: upgrade 1\.4\.2 -> 1\.5\.0 must run as a coordinated window \(lockstep:upgrade\.mode=coordinated\): the migrations of 1\.5\.0 are contract/,
      );
      return true;
    });
    assert.deepEqual(
      steps.filter((s) => s.phase === "pre" && changed(s) && s.type !== "pulumi:pulumi:Stack"),
      [],
      "nothing was touched",
    );
  });

  it(`coordinated window ${FROM} -> ${TO}: backups before any operator or chart change, the writers stopped after the database and before the new API, the API before gateways, gateways before console and workers, nothing stateful replaced`, async () => {
    const before = {
      cluster: uid("clusters.postgresql.cnpg.io", "platform-db"),
      store: uid("objectstores.barmancloud.cnpg.io", "platform-db-store"),
    };
    await tier.setConfig(stack, {
      "lockstep:upgrade.gatewayCanaryPercent": "null",
      "lockstep:upgrade.mode": "coordinated",
    });
    const { steps, onEvent } = recorder();
    const up = await stack.up({ onEvent });
    assert.equal(up.summary.result, "succeeded");
    // The OpenBao snapshot survives this machine: uploaded beside the database backups, encrypted.
    const snapshot = tier.objectStore.objects.get("/aigw-backups/staging/openbao/openbao-1-4-2-to-1-5-0.snap");
    assert.ok(snapshot, `object store holds: ${[...tier.objectStore.objects.keys()].join(", ") || "nothing"}`);
    assert.deepEqual([snapshot.encryption, snapshot.signedBy], ["AES256", "AKIAE2E"]);

    const first = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const last = (pred: (s: Step) => boolean) => steps.map(pred).lastIndexOf(true);
    const backupsDone = last(
      (s) =>
        s.phase === "outputs" &&
        (s.type === "kubernetes:postgresql.cnpg.io/v1:Backup" || s.name.startsWith("openbao-snapshot")),
    );
    assert.ok(backupsDone >= 0, "the window took its backups");
    assert.deepEqual(
      steps
        .filter((s) => s.phase === "outputs" && s.type === "kubernetes:postgresql.cnpg.io/v1:Backup")
        .map((s) => s.name)
        .sort(),
      [`pre-upgrade-keycloak-db-1-4-2-to-1-5-0`, `pre-upgrade-platform-db-1-4-2-to-1-5-0`],
    );
    const chartChanges = steps.filter(
      (s) => s.phase === "pre" && s.type === "kubernetes:helm.sh/v3:Release" && changed(s),
    );
    assert.ok(chartChanges.length >= 2, `keycloakx and openbao move with the set: ${JSON.stringify(chartChanges)}`);
    const firstChartChange = first(
      (s) => s.phase === "pre" && s.type === "kubernetes:helm.sh/v3:Release" && changed(s),
    );
    assert.ok(backupsDone < firstChartChange, "every backup completes before the first chart or operator change");
    const writersDown = first((s) => s.phase === "outputs" && s.name === "writers-down-1-4-2-to-1-5-0");
    const databaseDone = last((s) => s.phase === "outputs" && s.type === "kubernetes:postgresql.cnpg.io/v1:Cluster");
    const apiStart = first((s) => s.phase === "pre" && s.name === "api" && changed(s));
    assert.ok(writersDown >= 0, "the writers were stopped");
    assert.ok(databaseDone < writersDown, "after the database wave");
    assert.ok(writersDown < apiStart, "and before the new API (and its migrations) started");
    for (const writer of ["api", "worker-export", "worker-lifecycle", "worker-config"]) {
      const d = JSON.parse(tier.kubectl(["get", "deployment", writer, "-n", NS, "-o", "json"]).stdout);
      assert.equal(d.spec.replicas, 1, `${writer} is back at its declared replicas after kubectl scale set it to 0`);
      assert.equal(d.metadata.annotations["lockstep.dev/writers-stopped"], "1-4-2-to-1-5-0");
    }
    const apiDone = last((s) => s.phase === "outputs" && s.name === "api");
    const gatewaysStart = first((s) => s.phase === "pre" && s.name === "gateway" && changed(s));
    const gatewaysDone = last((s) => s.phase === "outputs" && s.name === "gateway");
    const laterStart = first((s) => s.phase === "pre" && /^(console-(blue|green)|worker-)/.test(s.name) && changed(s));
    assert.ok(apiDone < gatewaysStart, "the API (and its migrations) completes before any gateway changes");
    assert.ok(gatewaysDone < laterStart, "gateways complete before the console and workers change");
    const stateful = steps.filter((s) => /Cluster|ObjectStore/.test(s.type) && /replace|delete/.test(s.op));
    assert.deepEqual(stateful, [], "no CNPG Cluster or ObjectStore is replaced or deleted");
    assert.deepEqual(
      {
        cluster: uid("clusters.postgresql.cnpg.io", "platform-db"),
        store: uid("objectstores.barmancloud.cnpg.io", "platform-db-store"),
      },
      before,
    );
    const route = JSON.parse(
      tier.kubectl(["get", "httproutes.gateway.networking.k8s.io", "gateway", "-n", NS, "-o", "json"]).stdout,
    );
    assert.deepEqual(
      route.spec.rules[0].backendRefs.map((b: { name: string }) => b.name),
      ["gateway-stable"],
      "a coordinated window moves the whole set: no canary",
    );
    assert.ok(
      fs.existsSync(path.join(tier.projectDir, "backups", "openbao-1-4-2-to-1-5-0.snap")),
      "the OpenBao snapshot file was written and verified",
    );
    assert.deepEqual(up.outputs.upgradeWindow.value, {
      from: FROM,
      to: TO,
      mode: "coordinated",
      gatewayCanaryPercent: null,
    });
    assert.match(
      JSON.stringify(up.outputs.restorePoint.value),
      /"platform":\{"backupId":"\d{14}","cluster":"platform-db"/,
      "the window's restore point holds the backupId CloudNativePG reported",
    );

    // The order is in the engine's own graph: the checkpoint's dependencies of the real resources.
    const state = (await stack.exportStack()).deployment as { resources: { urn: string; dependencies?: string[] }[] };
    const deps = (name: string) =>
      (state.resources.find((r) => r.urn.endsWith(`::${name}`))?.dependencies ?? []).map((u) => u.split("::").pop());
    for (const release of ["cnpg-operator", "openbao", "keycloak", "prometheus"]) {
      assert.ok(
        deps(release).includes("await-platform-db-1-4-2-to-1-5-0") &&
          deps(release).includes("openbao-snapshot-1-4-2-to-1-5-0"),
        `${release} depends on the backups in the checkpoint: ${deps(release).join(", ")}`,
      );
    }
    assert.ok(
      deps("gateway").includes("api") && deps("worker-export").includes("console-svc"),
      "each wave depends on the wave before's resources",
    );
    assert.ok(
      !deps("worker-export").includes("gateway") && deps("worker-export").includes("await-platform-db-1-4-2-to-1-5-0"),
      "and through it on the earlier ones, but directly on the backups",
    );
  });

  it("the live console color keeps its version: rolled in place, the pack refuses it at preview and the program at up; the flip first, then the old color in a later up", async () => {
    const packArgs = { policyPacks: ["policy"], policyPackConfigs: ["policy/config/staging.json"] };
    const ok = await stack.preview(packArgs);
    assert.match(ok.stdout, /lockstep@v0\.1\.0 \(local: policy\)/);
    assert.doesNotMatch(ok.stdout, /mandatory/);
    // Blue serves 1.4.2; green, idle, was verified at 1.5.0. Moving blue now would roll the live color.
    await tier.setConfig(stack, { "lockstep:console.blue": TO });
    const inPlace = /console-blue is the live color and must not roll in place from 1\.4\.2 to 1\.5\.0/;
    await assert.rejects(stack.preview(packArgs), (err: Error) => {
      assert.match(err.message, /\[mandatory\] +blue-green-integrity/);
      assert.match(err.message, inPlace);
      return true;
    });
    await assert.rejects(stack.up(), (err: Error) => {
      assert.match(err.message, /blue-green-integrity: /);
      assert.match(err.message, inPlace);
      return true;
    });
    // Moving blue in the up that flips to green is refused too; the flip alone goes through.
    await tier.setConfig(stack, { "lockstep:console.live": "green" });
    await assert.rejects(stack.up(), (err: Error) => {
      assert.match(
        err.message,
        /console-blue served traffic before this deployment and must keep 1\.4\.2 while live flips to green/,
      );
      return true;
    });
    await tier.setConfig(stack, { "lockstep:console.blue": FROM });
    const live = () =>
      JSON.parse(tier.kubectl(["get", "service", "console", "-n", NS, "-o", "json"]).stdout).spec.selector[
        "lockstep.dev/color"
      ];
    // Green built with another environment's gateway: its check at its own address stops the flip.
    const elsewhere = "https://gateway.prod.example.com";
    tier.endpoints.setConsoleSettings("green", { apiUrl: tier.endpoints.url, gatewayUrl: elsewhere });
    await assert.rejects(stack.up(), (err: Error) => {
      assert.match(err.message, /console-flip-check/);
      assert.match(
        err.message,
        /console-green settings: gatewayUrl is "https:\/\/gateway\.prod\.example\.com", the stack says http:\/\/127\.0\.0\.1:\d+/,
      );
      return true;
    });
    assert.equal(live(), "blue", "the live Service still selects blue");
    tier.endpoints.setConsoleSettings("green", { apiUrl: tier.endpoints.url, gatewayUrl: tier.endpoints.url });
    assert.equal((await stack.up()).summary.result, "succeeded");
    assert.equal(live(), "green");
    // Blue is idle now: it moves in the next up.
    await tier.setConfig(stack, { "lockstep:console.blue": TO });
    const moved = await stack.up();
    assert.equal(moved.summary.result, "succeeded");
    assert.deepEqual(
      [moved.outputs.workloads.value["console-blue"], moved.outputs.consoleLive.value, live()],
      [TO, "green", "green"],
    );
  });

  it("an upgrade.from that disagrees with what the stack runs stops preview before anything, naming both versions", async () => {
    await tier.setConfig(stack, { "lockstep:upgrade.from": "1.3.4" });
    try {
      await assert.rejects(stack.preview(), (err: Error) => {
        assert.match(
          err.message,
          /lockstep:upgrade\.from = "1\.3\.4", but this stack already runs 1\.5\.0 everywhere \(its last deployment\)/,
        );
        return true;
      });
    } finally {
      await tier.setConfig(stack, { "lockstep:upgrade.from": "null" });
    }
  });

  it("a chart value the pinned chart's values.schema.json refuses stops preview before anything, naming key, value and chart", async () => {
    await tier.setConfig(stack, { "lockstep:chartValues.cnpgOperator.replicaCount": "one" });
    try {
      await assert.rejects(stack.preview(), (err: Error) => {
        assert.match(
          err.message,
          /lockstep:chartValues\.cnpgOperator\.replicaCount = "one": the cloudnative-pg 0\.29\.0 chart \(pinned by release 1\.5\.0\) refuses it: the schema allows integer here \(.*cloudnative-pg-0\.29\.0\/values\.schema\.json\)/,
        );
        return true;
      });
    } finally {
      await tier.setConfig(stack, { "lockstep:chartValues.cnpgOperator.replicaCount": "null" });
    }
  });

  it("a stack secret set with --secret appears nowhere in plaintext in the state file", async () => {
    const plaintext = "e2e-s3cr3t-4f9d1c";
    const set = await tier.cli([
      "config",
      "set",
      "--stack",
      "staging",
      "--secret",
      "--path",
      "lockstep:chartValues.identity.podAnnotations.lockstep-e2e-secret",
      plaintext,
    ]);
    assert.equal(set.code, 0, set.stderr);
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const values = tier.kubectl([
      "get",
      "statefulset",
      "keycloak-keycloakx",
      "-n",
      NS,
      "-o",
      "jsonpath={.spec.template.metadata.annotations.lockstep-e2e-secret}",
    ]);
    assert.equal(values.stdout, plaintext, "the chart received the secret");
    assert.ok(!tier.stateFile("staging").includes(plaintext), "the checkpoint holds the value only encrypted");
    assert.ok(!fs.readFileSync(path.join(tier.projectDir, "Pulumi.staging.yaml"), "utf8").includes(plaintext));
  });

  it("a pre-upgrade Backup that fails stops the up at once, before any chart, operator or database change", async () => {
    tier.cnpg.failBackups = /1-5-0-to-1-5-1$/;
    // 1.5.0 -> 1.5.1, coordinated as well (1.5.1's migrations are contract); blue, idle, takes the new console.
    await tier.setConfig(stack, { "lockstep:release": "1.5.1", "lockstep:console.blue": "1.5.1" });
    const { steps, onEvent } = recorder();
    const started = Date.now();
    try {
      await assert.rejects(stack.up({ onEvent }), (err: Error) => {
        assert.match(
          err.message,
          /pre-upgrade-platform-db-1-5-0-to-1-5-1 FAILED: simulated failure: the object store refused the base backup/,
        );
        return true;
      });
      assert.ok(
        Date.now() - started < 120_000,
        `the up failed fast, in ${Math.round((Date.now() - started) / 1000)} s (the Backup's timeout is an hour)`,
      );
      const moved = steps.filter((s) => s.phase === "pre" && changed(s) && /helm\.sh|Cluster|Deployment/.test(s.type));
      assert.deepEqual(moved, [], "no chart, operator, database or workload change started");
      const outputs = await stack.outputs();
      assert.equal(
        outputs.release.value.version,
        "1.5.0",
        "a failed up leaves the deployed record at what really runs",
      );
    } finally {
      tier.cnpg.failBackups = undefined;
      await tier.setConfig(stack, { "lockstep:release": "1.5.0", "lockstep:console.blue": TO });
    }
  });

  it("an up killed with SIGKILL recovers with the documented steps: pulumi cancel, refresh --clear-pending-creates, up", async () => {
    await tier.setConfig(stack, { "lockstep:ha": "true" });
    const child = tier.spawnCli(["up", "--stack", "staging", "--yes", "--skip-preview"]);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`up never started changing resources:\n${out}`)), 120_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (/(creating|updating) \(/.test(out)) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((r) => child.once("exit", r));
    const up = ["up", "--stack", "staging", "--yes", "--skip-preview"];
    let locked = await tier.cli(up);
    if (TRUNCATED_SIDECAR.test(locked.stderr)) {
      // The kill landed while the file backend rewrote the checkpoint's sidecar: the runbook's first line is for this.
      assert.equal(clearEmptySidecars(tier.backendDir).code, 0);
      locked = await tier.cli(up);
    }
    assert.notEqual(locked.code, 0, "the dead process's lock stops the next up");
    assert.match(locked.stderr, /currently locked/);
    for (const args of [
      ["cancel", "--stack", "staging", "--yes"],
      ["refresh", "--stack", "staging", "--yes", "--clear-pending-creates", "--skip-preview"],
      up,
    ]) {
      const r = await tier.cli(args);
      assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${said(r)}`);
    }
    const again = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(again.code, 0, `after recovery the stack and the cluster agree:\n${said(again)}`);
    const pdbs = JSON.parse(tier.kubectl(["get", "pdb", "-n", NS, "-o", "json"]).stdout).items.map(
      (p: { metadata: { name: string } }) => p.metadata.name,
    );
    assert.ok(
      pdbs.includes("api") && pdbs.includes("gateway"),
      `the interrupted change (HA) is complete: ${pdbs.join(", ")}`,
    );
  });

  it("a chart upgrade killed half-way leaves its release locked: preflight names it, the runbook's helm line unlocks it, the next chart change goes through", async () => {
    // What a kill leaves in Helm's storage, made the way Helm makes it: an upgrade that waits for pods
    // (none run on this API server), killed while it waits.
    const release = JSON.parse((await tier.helm(["list", "-n", NS, "-o", "json"])).stdout).find(
      (r: { name: string }) => r.name === "keycloak",
    );
    const chart = path.join(tier.shared, "charts", release.chart);
    const status = async () =>
      JSON.parse((await tier.helm(["status", "keycloak", "-n", NS, "-o", "json"])).stdout).info.status as string;
    const upgrade = spawn(
      "helm",
      ["upgrade", "keycloak", chart, "-n", NS, "--reuse-values", "--wait", "--timeout", "5m"],
      { env: tier.env, stdio: "ignore" },
    );
    try {
      const deadline = Date.now() + 60_000;
      while ((await status()) !== "pending-upgrade") {
        assert.ok(Date.now() < deadline, "helm upgrade never reached pending-upgrade");
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      upgrade.kill("SIGKILL");
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await status(), "pending-upgrade", "the killed upgrade left its revision pending");

    // Invisible to the engine: refresh and preview are clean, and the next change to the chart fails on Helm's lock.
    assert.equal((await tier.cli(["refresh", "--stack", "staging", "--yes", "--skip-preview"])).code, 0);
    const blind = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(blind.code, 0, `the engine sees nothing to do:\n${said(blind)}`);
    await tier.setConfig(stack, { "lockstep:chartValues.identity.podAnnotations.lockstep-e2e-unlocked": "yes" });
    const locked = await tier.cli(["up", "--stack", "staging", "--yes", "--skip-preview"]);
    assert.notEqual(locked.code, 0);
    assert.match(
      locked.stdout + locked.stderr,
      /keycloak[\s\S]*another operation \(install\/upgrade\/rollback\) is in progress/,
    );

    // Preflight names the release and the command; the runbook runs it, then refresh and up converge.
    const checked = await tier.lockstep(["preflight", "--stack", "staging", "--skip-plan", "--json"]);
    const row = (JSON.parse(checked.stdout).rows as { check: string; status: string; reason: string }[]).find(
      (r) => r.check === "Helm releases",
    );
    assert.equal(row?.status, "✗", checked.stdout);
    const unlock = /run `(helm rollback keycloak -n aigw-staging)`/.exec(row?.reason ?? "")?.[1];
    assert.ok(unlock, `preflight says how to unlock it: ${row?.reason}`);
    assert.match(
      runbook(),
      new RegExp(`^helm rollback <release> -n <namespace>`, "m"),
      "docs/day-two.md's runbook has the step",
    );
    const unlocked = await tier.helm(unlock.split(" ").slice(1));
    assert.equal(unlocked.code, 0, unlocked.stderr);
    for (const args of [
      ["refresh", "--stack", "staging", "--yes", "--skip-preview"],
      ["up", "--stack", "staging", "--yes", "--skip-preview"],
    ]) {
      const r = await tier.cli(args);
      assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${said(r)}`);
    }
    assert.equal(await status(), "deployed");
    const annotation = tier.kubectl([
      "get",
      "statefulset",
      "keycloak-keycloakx",
      "-n",
      NS,
      "-o",
      "jsonpath={.spec.template.metadata.annotations.lockstep-e2e-unlocked}",
    ]);
    assert.equal(annotation.stdout, "yes", "the chart change that Helm's lock refused went through");
    const again = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(again.code, 0, `the stack and the cluster agree:\n${said(again)}`);
  });

  it("a kill inside the file backend's sidecar write (an empty <stack>.json.attrs) is mended by the runbook's first line", async () => {
    const sidecar = `${tier.checkpointPath("staging")}.attrs`;
    assert.ok(!fs.existsSync(sidecar), `a backend logged in with ?${FILE_BACKEND_QUERY} writes no sidecar: ${sidecar}`);
    const checkpoint = tier.stateFile("staging");
    // What a backend logged in without it leaves when the process dies between os.Create and the encoder's write.
    fs.writeFileSync(sidecar, "");
    const broken = await tier.cli(["cancel", "--stack", "staging", "--yes"]);
    assert.notEqual(broken.code, 0, "not even pulumi cancel reads the stack");
    assert.match(broken.stderr, TRUNCATED_SIDECAR);
    assert.equal(clearEmptySidecars(tier.backendDir).code, 0);
    assert.ok(!fs.existsSync(sidecar), "the empty sidecar is gone");
    assert.equal(tier.stateFile("staging"), checkpoint, "the checkpoint itself is untouched");
    const again = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(again.code, 0, `the stack reads again and agrees with the cluster:\n${said(again)}`);
  });

  it(`lockstep rollback --mode restore: ${TO} -> ${FROM} with the data: writers stop, the databases come back in new clusters from the window's backups, the API comes back last`, async () => {
    const originUid = uid("clusters.postgresql.cnpg.io", "platform-db");
    // The operator's command, as users run it: it reads the stack's outputs through the real CLI and writes the stack file.
    const written = await tier.lockstep(["rollback", "--stack", "staging", "--mode", "restore", "--json"]);
    assert.equal(written.code, 0, `lockstep rollback:\n${written.stdout.slice(-2000)}\n${written.stderr}`);
    const report = JSON.parse(written.stdout) as {
      from: string;
      to: string;
      written: boolean;
      restorePoint: { backups: Record<string, { backupId: string }> };
    };
    assert.deepEqual([report.from, report.to, report.written], [TO, FROM, true]);
    const stackFile = fs.readFileSync(path.join(tier.projectDir, "Pulumi.staging.yaml"), "utf8");
    assert.match(stackFile, new RegExp(`lockstep:release: ${FROM.replace(/\./g, "\\.")}`));
    const restoreName = /name: (rb-1-5-0-\d{4})/.exec(stackFile)?.[1];
    assert.ok(restoreName, `the stack file names the restore:\n${stackFile}`);

    const packArgs = { policyPacks: ["policy"], policyPackConfigs: ["policy/config/staging.json"] };
    const preview = await stack.preview(packArgs);
    assert.doesNotMatch(
      preview.stdout,
      /mandatory/,
      "upgrade-path, rollback-with-data and restore-integrity pass the rollback",
    );
    const { steps, onEvent } = recorder();
    const up = await stack.up({ onEvent });
    assert.equal(up.summary.result, "succeeded");

    const recovered = `platform-db-${restoreName}`;
    const at = (phase: Step["phase"], name: string) => steps.findIndex((s) => s.phase === phase && s.name === name);
    assert.ok(at("outputs", `writers-down-${restoreName}`) >= 0, "the writers were stopped");
    assert.ok(
      at("outputs", `writers-down-${restoreName}`) < at("pre", `${recovered}-cluster`),
      "writers are down before the recovered cluster is created",
    );
    const apiStart = at("pre", "api");
    for (const workload of ["gateway", "worker-export", "worker-config"]) {
      assert.ok(
        at("outputs", workload) >= 0 && at("outputs", workload) < apiStart,
        `${workload} returns to ${FROM} before the API does`,
      );
    }
    const cluster = JSON.parse(
      tier.kubectl(["get", "clusters.postgresql.cnpg.io", recovered, "-n", NS, "-o", "json"]).stdout,
    );
    assert.equal(cluster.spec.bootstrap.recovery.source, "origin");
    const origin = cluster.spec.externalClusters.find((c: { name: string }) => c.name === "origin");
    assert.equal(origin.plugin.parameters.serverName, "platform-db", "it recovers what platform-db archived");
    assert.equal(
      cluster.spec.bootstrap.recovery.recoveryTarget.backupID,
      report.restorePoint.backups.platform.backupId,
      "from the window's pre-upgrade backup",
    );
    assert.equal(
      cluster.spec.bootstrap.recovery.recoveryTarget.targetImmediate,
      true,
      "as that backup ended, before the migrations",
    );
    assert.equal(
      uid("clusters.postgresql.cnpg.io", "platform-db"),
      originUid,
      "the original cluster is kept, untouched",
    );
    const api = JSON.parse(tier.kubectl(["get", "deployment", "api", "-n", NS, "-o", "json"]).stdout).spec.template.spec
      .containers[0];
    assert.equal(api.image, getRelease(catalog, FROM).components.api.image);
    assert.match(
      JSON.stringify(api.env),
      new RegExp(`"name":"${recovered}-app"`),
      "the API reads the recovered cluster's credentials",
    );
    assert.equal(up.outputs.databases.value.platform.cluster, recovered);
    assert.equal(up.outputs.release.value.version, FROM);

    // The next up settles the finished rollback (its writers-down step leaves the stack, the record says
    // the rollback is done) and touches no database or workload; then the stack is at rest.
    // The writers' `lockstep.dev/writers-stopped` annotation leaves with the stop: a metadata update of
    // theirs, no rollout (their pod templates stay as they were).
    const writers = ["api", "worker-export", "worker-lifecycle", "worker-config"];
    const templates = () =>
      writers.map((w) =>
        JSON.stringify(JSON.parse(tier.kubectl(["get", "deployment", w, "-n", NS, "-o", "json"]).stdout).spec.template),
      );
    const before = templates();
    const settle = recorder();
    assert.equal((await stack.up({ onEvent: settle.onEvent })).summary.result, "succeeded");
    const touched = settle.steps.filter(
      (s) =>
        s.phase === "pre" &&
        changed(s) &&
        /Cluster|Deployment|helm\.sh/.test(s.type) &&
        !(s.type === "kubernetes:apps/v1:Deployment" && writers.includes(s.name) && s.op === "update"),
    );
    assert.deepEqual(touched, [], "settling changes no cluster, workload or chart");
    assert.deepEqual(templates(), before, "no writer rolls while settling");
    const again = await tier.cli(["preview", "--stack", "staging", "--expect-no-changes"]);
    assert.equal(again.code, 0, `the rolled-back stack is at rest:\n${said(again)}`);
  });

  it("a restore drill recovers the latest backup into a scratch cluster, checks it answers, deletes it and records the result", async () => {
    await tier.setConfig(stack, { "lockstep:restoreDrill.id": "e2e1" });
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const drill = up.outputs.restoreDrill.value as { id: string; passed: boolean; cluster: string; database: string };
    assert.deepEqual([drill.id, drill.passed, drill.database], ["e2e1", true, "platform"]);
    assert.match(drill.cluster, /^platform-db-rb-1-5-0-\d{4}-drill$/, "it drills the cluster the platform runs on now");
    const left = tier.kubectl(["get", "clusters.postgresql.cnpg.io", drill.cluster, "-n", NS]);
    assert.notEqual(left.code, 0, "the scratch cluster is gone");
    assert.match(left.stderr, /NotFound/);
    const record = JSON.parse(tier.kubectl(["get", "configmap", "lockstep-release", "-n", NS, "-o", "json"]).stdout)
      .data["restore-drill.json"];
    assert.match(record, /"passed": true/, "the release record keeps the drill's result");
  });
});
