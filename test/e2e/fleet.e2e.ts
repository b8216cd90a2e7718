/**
 * A fleet upgraded for real: three installs of this project, each a stack tagged with its ring and each on
 * its own API server (the operators are cluster-scoped, so installs never share one), upgraded 1.5.0 ->
 * 1.5.1 by `lockstep fleet upgrade` as an operator runs it: the real Automation API and CLI on a file
 * backend, preflight, `pulumi preview` with the policy pack, `pulumi up`, smoke, ring by ring. A fourth
 * API server runs `staging`, the stack whose verification the fleet needs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog, setDigest } from "../../lib/release/catalog";
import { applySets } from "../../lib/config/stackFile";
import { defaultEnv } from "../../cli/env";
import type { ApiServer } from "./apiserver";
import { EngineTier } from "./tier";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const FROM = "1.5.0";
const TO = "1.5.1";
const NS = "aigw";
/** One install per ring, in ring order. */
const INSTALLS = [
  { stack: "acme-eu", ring: "canary", region: "eu", customer: "acme" },
  { stack: "globex-us", ring: "early", region: "us", customer: "globex" },
  { stack: "initech-ap", ring: "broad", region: "ap", customer: "initech" },
] as const;

/** An install's stack file as its platform team writes it: a production install at 1.5.0, on its own cluster. */
function installStackFile(tier: EngineTier, stack: string, kubeconfig: string, verifiedAt: string): string {
  // The tier's path-style keys, nested as a stack file holds them (the same rule as --set).
  const local = applySets(
    {},
    Object.entries(tier.localConfig(stack)).map(([key, value]) => `${key}=${value}`),
  );
  const config = {
    ...Object.fromEntries(Object.entries(local).map(([key, value]) => [`lockstep:${key}`, value])),
    "lockstep:release": FROM,
    "lockstep:environment": "prod",
    "lockstep:namespace": NS,
    "lockstep:kubernetesVersion": "1.31",
    "lockstep:console": { blue: FROM, green: FROM, live: "blue" },
    "lockstep:backup": {
      destinationPath: `s3://aigw-backups/${stack}/`,
      endpointURL: tier.objectStore.url,
      credentialsSecret: "backup-s3-credentials",
      retentionPolicy: "30d",
      schedule: "0 0 1 * * *",
    },
    "lockstep:promotion": {
      version: FROM,
      setDigest: setDigest(getRelease(catalog, FROM)),
      verifiedIn: "staging",
      verifiedAt,
    },
    "lockstep:cluster": { kubeconfig },
  };
  return `# ${stack}: a customer install (fleet e2e)\nconfig: ${JSON.stringify(config)}\n`;
}

describe("a fleet of three installs upgrades for real, ring by ring", { timeout: 1_800_000 }, () => {
  let tier: EngineTier;
  const servers = new Map<string, ApiServer>();
  const image = (server: ApiServer, deployment: string) =>
    JSON.parse(server.kubectl(["get", "deployment", deployment, "-n", NS, "-o", "json"]).stdout).spec.template.spec
      .containers[0].image as string;

  before(async () => {
    tier = await EngineTier.start();
    for (const install of INSTALLS) servers.set(install.stack, (await tier.addCluster()).server);
    // Staging verified FROM first: a production install runs only what the verifying stack's outputs show
    // verified, so each install's promotion record is written from them, as `lockstep promote` does.
    const staging = await tier.stack("staging", {
      ...tier.localConfig("staging"),
      "lockstep:release": FROM,
      "lockstep:console.blue": FROM,
      "lockstep:console.green": FROM,
    });
    assert.equal((await staging.up()).summary.result, "succeeded");
    const verified = (await staging.outputs()).verification.value as { status: string; verifiedAt: string };
    assert.equal(verified.status, "passed");
    const stacks = await Promise.all(
      INSTALLS.map(async (install) => {
        fs.writeFileSync(
          path.join(tier.projectDir, `Pulumi.${install.stack}.yaml`),
          installStackFile(
            tier,
            install.stack,
            (servers.get(install.stack) as ApiServer).kubeconfig,
            verified.verifiedAt,
          ),
        );
        const stack = await tier.stack(install.stack);
        for (const [key, value] of Object.entries({
          ring: install.ring,
          region: install.region,
          customer: install.customer,
        }))
          await stack.setTag(`lockstep:${key}`, value);
        return stack;
      }),
    );
    // Every install at FROM (first installs, without the fleet), then the verifying stack moves on to the
    // target: 1.5.1's migrations are contract, so its window is coordinated.
    const ups = await Promise.all(stacks.map((s) => s.up()));
    assert.deepEqual(
      ups.map((u) => u.summary.result),
      ["succeeded", "succeeded", "succeeded"],
    );
    tier.backupCredentials("aigw-staging");
    await tier.setConfig(staging, {
      "lockstep:release": TO,
      "lockstep:console.blue": TO,
      "lockstep:console.green": TO,
      "lockstep:upgrade.mode": "coordinated",
    });
    assert.equal((await staging.up()).summary.result, "succeeded");
    // The object-store credentials are the platform team's, created beside each install (preflight checks them).
    for (const server of servers.values()) {
      const r = server.kubectl([
        "create",
        "secret",
        "generic",
        "backup-s3-credentials",
        "-n",
        NS,
        "--from-literal=ACCESS_KEY_ID=e2e",
        "--from-literal=ACCESS_SECRET_KEY=e2e",
      ]);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(async () => {
    await tier?.stop();
  });

  it("each install runs on its own cluster: lockstep:cluster targets the provider and the scripts, not the shell's context", () => {
    for (const install of INSTALLS) {
      assert.equal(
        image(servers.get(install.stack) as ApiServer, "api"),
        getRelease(catalog, FROM).components.api.image,
        `${install.stack}'s API runs ${FROM} on its cluster`,
      );
    }
    const onDefault = tier.kubectl(["get", "namespace", NS, "--ignore-not-found", "-o", "name"]);
    assert.equal(
      onDefault.stdout.trim(),
      "",
      `nothing of the installs landed on the shell's cluster (KUBECONFIG), which runs staging only`,
    );
    const stagingApi = JSON.parse(tier.kubectl(["get", "deployment", "api", "-n", "aigw-staging", "-o", "json"]).stdout)
      .spec.template.spec.containers[0].image as string;
    assert.equal(stagingApi, getRelease(catalog, TO).components.api.image, `staging runs ${TO} on the shell's cluster`);
  });

  it(`fleet status and needs-upgrade read the installs from the backend: 3 at ${FROM}, each behind by one window`, async () => {
    const status = await tier.lockstep(["fleet", "status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as {
      installs: { stack: string; ring: string; release: string; windowOpen: boolean }[];
      distribution: { version: string; count: number }[];
      untagged: string[];
    };
    assert.deepEqual(
      report.installs.map((i) => [i.stack, i.ring, i.release, i.windowOpen]).sort(),
      INSTALLS.map((i) => [i.stack, i.ring, FROM, false]).sort(),
    );
    assert.deepEqual(
      report.distribution.map((d) => [d.version, d.count]),
      [[FROM, 3]],
    );
    assert.deepEqual(report.untagged, ["staging"]);
    const needs = await tier.lockstep(["fleet", "needs-upgrade", "--to", TO, "--json"]);
    assert.equal(needs.code, 0, needs.stderr);
    const list = (JSON.parse(needs.stdout) as { needs: { stack: string; status: string; path: string[] }[] }).needs;
    assert.deepEqual(
      list.map((n) => [n.stack, n.status, n.path]).sort(),
      INSTALLS.map((i) => [i.stack, "behind", [FROM, TO]]).sort(),
    );
  });

  it(`fleet upgrade --to ${TO}: canary, then early, then broad; each install's backups, API and gateways move on its own cluster`, async () => {
    const run = await tier.lockstep(["fleet", "upgrade", "--to", TO, "--json"], { timeoutMs: 1_500_000 });
    assert.equal(run.code, 0, `lockstep fleet upgrade:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      results: { stack: string; ring: string; status: string; logFile: string }[];
      logDir: string;
    };
    assert.deepEqual(
      report.results.map((r) => [r.ring, r.stack, r.status]),
      INSTALLS.map((i) => [i.ring, i.stack, "passed"]),
    );
    // Ring order, from the progress lines: a ring's first step starts after the ring before finished smoke.
    const lines = run.stderr.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    for (let i = 1; i < INSTALLS.length; i++) {
      const previousDone = at(new RegExp(`^${INSTALLS[i - 1].ring}/${INSTALLS[i - 1].stack}: smoke ok:`));
      const start = at(new RegExp(`^${INSTALLS[i].ring}/${INSTALLS[i].stack}: prepare \\.\\.\\.`));
      assert.ok(
        previousDone >= 0 && start > previousDone,
        `${INSTALLS[i].ring} starts after ${INSTALLS[i - 1].ring} passed:\n${lines.join("\n").slice(-2000)}`,
      );
    }
    for (const install of INSTALLS) {
      const server = servers.get(install.stack) as ApiServer;
      assert.equal(
        image(server, "api"),
        getRelease(catalog, TO).components.api.image,
        `${install.stack}'s API runs ${TO}`,
      );
      assert.equal(
        image(server, "gateway"),
        getRelease(catalog, TO).components.gateway.image,
        `${install.stack}'s gateways run ${TO}`,
      );
      // The window's Backup was created and awaited on this install's own cluster, by its own script run.
      const backup = JSON.parse(
        server.kubectl([
          "get",
          "backups.postgresql.cnpg.io",
          "pre-upgrade-platform-db-1-5-0-to-1-5-1",
          "-n",
          NS,
          "-o",
          "json",
        ]).stdout,
      );
      assert.equal(backup.status.phase, "completed");
      // preflight's cluster rows came from the real kubectl adapter, asking this install's own API server.
      const log = fs.readFileSync(path.join(tier.projectDir, report.logDir, `${install.stack}.log`), "utf8");
      assert.match(
        log,
        /✓ {2}continuous backup +platform-db archives WAL to s3:\/\/aigw-backups\/[a-z-]+\/ \(ContinuousArchiving True\)/,
        `${install.stack}'s preflight read its cluster`,
      );
      assert.match(log, /✓ {2}last completed backup +platform-db completed a backup/);
      const outputs = JSON.parse((await tier.cli(["stack", "output", "--json", "--stack", install.stack])).stdout) as {
        release: { version: string };
        verification: { status: string; version: string };
      };
      assert.deepEqual(
        [outputs.release.version, outputs.verification.status, outputs.verification.version],
        [TO, "passed", TO],
      );
    }
    assert.equal(
      tier.kubectl(["get", "backups.postgresql.cnpg.io", "-n", NS, "-o", "name"]).stdout.includes("1-5-0-to-1-5-1"),
      false,
      "no install's window touched staging's cluster (staging's own window backs up its namespace, aigw-staging)",
    );
  });

  it("the CLI's real adapters (cli/env.ts) read the stack and the cluster they are asked for", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, tier.env); // the real CLI on PATH, the file backend, the passphrase
    try {
      const env = defaultEnv(tier.projectDir);
      assert.ok(env.stackOutputs && env.fleet, "the `pulumi version` probe found the CLI");
      // Outputs of the stack named: each verified at its own time.
      const globex = await env.stackOutputs("globex-us");
      // 1.5.1's migrations are contract: the fleet upgrade wrote a coordinated window.
      assert.deepEqual(globex.upgradeWindow, { from: FROM, to: TO, mode: "coordinated", gatewayCanaryPercent: null });
      const verifiedAt = (outputs: Record<string, unknown>) =>
        (outputs.verification as { verifiedAt: string }).verifiedAt;
      assert.notEqual(verifiedAt(await env.stackOutputs("staging")), verifiedAt(globex));
      await assert.rejects(env.stackOutputs("no-such-stack"), /no-such-stack/);
      const listed = await env.fleet.listStacks();
      assert.deepEqual(
        listed.map((x) => [x.name, x.tags["lockstep:ring"] ?? null, x.lastUpdate?.result ?? null]).sort(),
        [
          ["acme-eu", "canary", "succeeded"],
          ["globex-us", "early", "succeeded"],
          ["initech-ap", "broad", "succeeded"],
          ["staging", null, "succeeded"],
        ],
      );
      // kubectl as preflight calls it: the flags it is given pick the cluster.
      const asked = env.kubectl([
        "--kubeconfig",
        (servers.get("initech-ap") as ApiServer).kubeconfig,
        "get",
        "backups.postgresql.cnpg.io",
        "pre-upgrade-platform-db-1-5-0-to-1-5-1",
        "-n",
        NS,
        "-o",
        "jsonpath={.status.phase}",
      ]);
      assert.deepEqual([asked.status, asked.stdout], [0, "completed"]);
      const shell = env.kubectl([
        "get",
        "backups.postgresql.cnpg.io",
        "pre-upgrade-platform-db-1-5-0-to-1-5-1",
        "-n",
        NS,
      ]);
      assert.notEqual(shell.status, 0, "the shell's cluster (KUBECONFIG: staging's) has no such Backup");
      assert.match(shell.stderr, /NotFound|not found/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it("a second run resumes: every install is already at the target and verified, nothing runs", async () => {
    const history = async (stack: string) =>
      (JSON.parse((await tier.cli(["stack", "history", "--json", "--stack", stack])).stdout) as unknown[]).length;
    const before = await Promise.all(INSTALLS.map((i) => history(i.stack)));
    const run = await tier.lockstep(["fleet", "upgrade", "--to", TO, "--json"]);
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const report = JSON.parse(run.stdout) as { results: { stack: string; status: string }[] };
    assert.deepEqual(
      report.results.map((r) => [r.stack, r.status]).sort(),
      INSTALLS.map((i) => [i.stack, "skipped-current"]).sort(),
    );
    assert.deepEqual(await Promise.all(INSTALLS.map((i) => history(i.stack))), before, "no update ran");
  });
});
