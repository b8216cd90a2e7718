/**
 * The docs' commands, run as written with the real Pulumi CLI, against the e2e API server: the "Run it
 * for real" block of docs/getting-started.md previews each shipped stack (the CLI validates its config
 * first, then the program and the policy pack run), and the upgrade example of docs/upgrading.md (the
 * README's first upgrade too) is accepted by the CLI's config validation and the program. A docs edit
 * that breaks a command fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { editStackConfig } from "../../lib/config/stackFile";
import { run } from "./doubles/kube";
import { REALM_PATH } from "./doubles/platformEndpoints";
import { BLOCKED_PROMPT, EngineTier, FILE_BACKEND_QUERY, PROJECT } from "./tier";
import { requireToolchainVersion } from "./toolchain";

/** The README and every page of docs/, by path. */
export function docs(): Record<string, string> {
  const pages = fs
    .readdirSync(path.join(PROJECT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  return Object.fromEntries(["README.md", ...pages].map((p) => [p, fs.readFileSync(path.join(PROJECT, p), "utf8")]));
}

/** The fenced block right after `<!-- e2e: <name> -->` in the docs (exactly one page holds it). */
export function docsBlock(name: string): string {
  const marker = `<!-- e2e: ${name} -->`;
  const holding = Object.entries(docs()).filter(([, text]) => text.includes(marker));
  assert.equal(holding.length, 1, `exactly one page holds ${marker}: ${holding.map(([p]) => p).join(", ") || "none"}`);
  const [page, text] = holding[0];
  const fence = /```(\w+)?\n([\s\S]*?)```/.exec(text.slice(text.indexOf(marker) + marker.length));
  assert.ok(fence, `${page} has no fenced block after ${marker}`);
  return fence[2];
}

describe("the docs' commands with the real Pulumi CLI", { timeout: 900_000 }, () => {
  let tier: EngineTier;
  let checkout: string;
  let env: Record<string, string>;
  let backend: string;
  /** The docs' block with its local login pointed at this test's own backend directory. */
  const ownBackend = (block: string, into: string) => {
    const local = `pulumi login 'file://~?${FILE_BACKEND_QUERY}'`;
    assert.ok(
      block.split("\n").some((l) => l.startsWith(local)),
      `the block logs in with ${local}`,
    );
    return block.replace(local, `pulumi login 'file://${into}?${FILE_BACKEND_QUERY}'`);
  };

  before(async () => {
    tier = await EngineTier.start();
    // A checkout beside ../shared, as the docs assume, with its own HOME for its file backend at `~`.
    const work = path.join(tier.root, "readme");
    checkout = path.join(work, "lockstep");
    fs.mkdirSync(work);
    fs.cpSync(tier.projectDir, checkout, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !src.endsWith(`${path.sep}.lockstep`),
    });
    fs.symlinkSync(tier.shared, path.join(work, "shared"));
    // The CLI finds "~" through the user database, not $HOME: a login to `file://~` would write into the
    // real ~/.pulumi and preview whatever an earlier run left there. The test logs into its own directory
    // instead (the block's "or your own backend") and keeps its credentials out of the user's home.
    const {
      PULUMI_BACKEND_URL: _backend,
      PULUMI_CONFIG_PASSPHRASE: _passphrase,
      PULUMI_HOME: _home,
      ...rest
    } = tier.env;
    backend = path.join(work, "backend");
    fs.mkdirSync(backend);
    env = { ...rest, PULUMI_HOME: path.join(work, "pulumi-home") };
  });
  after(async () => {
    await tier?.stop();
  });

  // Asynchronous, so the doubles living in this process keep answering while the CLI runs.
  const bash = (script: string) =>
    run("bash", ["-euo", "pipefail", "-c", script], { cwd: checkout, env, timeoutMs: 600_000 });

  /** The docs' block for `stack`, logged into `into` (this test's own backend directory). */
  const runForReal = (stack: string, into = backend) => {
    const block = docsBlock("run-for-real");
    assert.match(block, /^export STACK=staging\b/m, "the block selects its stack with `export STACK=staging`");
    return bash(ownBackend(block, into).replace(/^export STACK=staging\b.*$/m, `export STACK=${stack}`));
  };

  /** A preview of every wave with the real provider and the pack, and no mandatory violation. */
  function assertPreviewed(stack: string, r: { code: number | null; stdout: string; stderr: string }) {
    assert.equal(r.code, 0, `docs commands for ${stack}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    assert.doesNotMatch(r.stdout, /\berror:/);
    for (const wave of ["platform-services", "database", "api", "gateways", "console", "workers", "verification"]) {
      assert.match(r.stdout, new RegExp(`lockstep:platform:Wave +wave-${wave}`), `preview shows wave ${wave}`);
    }
    for (const resource of [
      "kubernetes:helm.sh/v3:Release +cnpg-operator",
      "kubernetes:helm.sh/v3:Release +prometheus",
      "kubernetes:postgresql.cnpg.io/v1:Cluster +platform-db-cluster",
      "kubernetes:apps/v1:Deployment +api",
      "kubernetes:apps/v1:Deployment +gateway",
      "command:local:Command +smoke-test",
    ]) {
      assert.match(r.stdout, new RegExp(resource), `preview shows ${resource}`);
    }
    assert.match(r.stdout, /lockstep@v0\.1\.0 \(local: policy\)/, "the policy pack ran");
    // The real provider answers with its own version, which is not the one @pulumi/kubernetes asks for.
    const reported = /resource plugin kubernetes is expected to have version >=4\.34\.2, but has (\S+);/.exec(
      r.stdout + r.stderr,
    )?.[1];
    assert.equal(
      `v${reported}`,
      requireToolchainVersion("pulumi-resource-kubernetes"),
      "the provider that ran is the one the toolchain built",
    );
    console.log(`docs: ${stack}: the Kubernetes provider reported version ${reported}`);
    assert.doesNotMatch(r.stdout, /\[mandatory\]/);
  }

  it("previews the shipped staging stack with the docs' commands: every wave's resources, no error", async () => {
    assertPreviewed("staging", await runForReal("staging"));
  });

  it("prod's preview reads staging's own outputs: refused while they do not back Pulumi.prod.yaml's promotion, every wave once `lockstep promote` wrote it from them", async () => {
    // A backend and a cluster of its own: staging runs for real here, and the upgrade example below
    // deploys another staging from 1.3.4 (the operators are cluster-scoped, so two cannot share one).
    const own = path.join(path.dirname(backend), "backend-promotion");
    fs.mkdirSync(own);
    const cluster = (await tier.addCluster()).server.kubeconfig;
    const files = ["Pulumi.prod.yaml", "Pulumi.staging.yaml"].map((f) => path.join(checkout, f));
    const shipped = files.map((f) => fs.readFileSync(f, "utf8"));
    const smoke = Object.entries({
      gatewayUrl: tier.endpoints.url,
      apiUrl: tier.endpoints.url,
      consoleUrl: tier.endpoints.url,
      consolePreviewUrl: `${tier.endpoints.url}/preview/{color}`,
      "signIn.issuerUrl": `${tier.endpoints.url}${REALM_PATH}`,
      blockedPrompt: BLOCKED_PROMPT,
    })
      .map(([key, value]) => `pulumi config set --stack staging --path lockstep:smoke.${key} ${JSON.stringify(value)}`)
      .concat(`pulumi config set --stack staging --path lockstep:cluster.kubeconfig ${JSON.stringify(cluster)}`);
    const login = `pulumi login 'file://${own}?${FILE_BACKEND_QUERY}' >/dev/null && export PULUMI_CONFIG_PASSPHRASE=change-me`;
    try {
      // Staging runs and verifies 1.5.1 (its smoke test calls the endpoint double: no gateway runs here).
      const staged = await runForReal("staging", own);
      assert.equal(staged.code, 0, staged.stderr.slice(-2000));
      const up = await bash(
        `${login} && ${smoke.join(" && ")} && pulumi up --stack staging --yes --skip-preview --policy-pack policy --policy-pack-config policy/config/staging.json`,
      );
      assert.equal(up.code, 0, `${up.stdout.slice(-2000)}\n${up.stderr.slice(-1500)}`);
      // The shipped promotion record was typed, not written from this staging's outputs: refused at preview.
      const refused = await runForReal("prod", own);
      assert.notEqual(refused.code, 0, "prod's preview must refuse a promotion staging's outputs do not back");
      assert.match(refused.stdout, /\[mandatory\]\s+prod-promoted-only/);
      assert.match(
        refused.stdout,
        /must be backed by staging's outputs \(stack organization\/lockstep\/staging, read live\)/,
      );
      assert.match(
        refused.stdout,
        /says staging verified it at 2026-11-20T14:05:00Z, but staging's outputs say 20\d\d-/,
      );
      // The release flow's promotion, then the same preview as the docs run it.
      const promoted = await bash(`${login} && npm run -s lockstep -- promote --from staging --to prod`);
      assert.equal(promoted.code, 0, `${promoted.stdout}\n${promoted.stderr}`);
      assert.match(promoted.stdout, /promoted staging -> prod: release 1\.5\.1/);
      assertPreviewed("prod", await runForReal("prod", own));
    } finally {
      files.forEach((f, i) => fs.writeFileSync(f, shipped[i]));
    }
  });

  it("the upgrade-procedure example, on a stack that runs 1.3.4, passes the CLI's config validation and opens the window by itself", async () => {
    const lines = docsBlock("upgrade-window-config")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const readme = docs()["README.md"].split("\n");
    assert.deepEqual(
      lines.filter((l) => !readme.includes(l)),
      [],
      "the README's first upgrade sets the same keys as docs/upgrading.md's example",
    );
    const example = parseYaml(lines.join("\n")) as Record<string, unknown>;
    const keys = Object.keys(example);
    assert.ok(
      keys.length >= 3 && keys.every((k) => k.startsWith("lockstep:")),
      `the example sets lockstep keys: ${keys.join(", ")}`,
    );
    assert.ok(
      !JSON.stringify(example).includes('"from"'),
      "the example types no upgrade.from: the window opens from what runs",
    );
    const file = path.join(checkout, "Pulumi.staging.yaml");
    const base = fs.readFileSync(file, "utf8");
    const setKeys = (updates: Record<string, unknown>) =>
      fs.writeFileSync(file, editStackConfig(file, fs.readFileSync(file, "utf8"), updates));
    const login = `pulumi login 'file://${backend}?${FILE_BACKEND_QUERY}' >/dev/null && export PULUMI_CONFIG_PASSPHRASE=change-me && pulumi stack select staging --create`;
    try {
      // "Say production runs 1.3.4": deploy it.
      // The smoke test calls the endpoint double here: no gateway runs in this tier.
      const smoke = {
        gatewayUrl: tier.endpoints.url,
        apiUrl: tier.endpoints.url,
        consoleUrl: tier.endpoints.url,
        blockedPrompt: BLOCKED_PROMPT,
        expectedStatus: 409,
      };
      setKeys({ release: "1.3.4", console: { blue: "1.3.4", green: "1.3.4", live: "blue" }, smoke });
      const deployed = await bash(`${login} && pulumi up --stack staging --yes --skip-preview`);
      assert.equal(deployed.code, 0, `${deployed.stdout.slice(-2000)}\n${deployed.stderr.slice(-1500)}`);
      // Then the docs' example, as written.
      setKeys(Object.fromEntries(keys.map((k) => [k.slice("lockstep:".length), example[k]])));
      const r = await bash(`${login} && pulumi preview --stack staging`);
      assert.equal(r.code, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-1500)}`);
      assert.match(
        r.stdout,
        /kubernetes:postgresql.cnpg.io\/v1:Backup +pre-upgrade-platform-db-1-3-4-to-1-4-2/,
        "the window opens from what runs: the pre-upgrade backup is planned",
      );
      assert.match(r.stdout, /kubernetes:apps\/v1:Deployment +gateway-canary/, "the canary of the example is planned");
    } finally {
      fs.writeFileSync(file, base);
    }
  });
});
