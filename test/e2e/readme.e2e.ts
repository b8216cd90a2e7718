/**
 * The README's commands, run as written with the real Pulumi CLI, against the e2e API server: the
 * "Run it for real" block previews each shipped stack (the CLI validates its config first, then the
 * program and the policy pack run), and the upgrade-procedure config example is accepted by the CLI's
 * config validation and the program. A README edit that breaks a command fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { editStackConfig } from "../../lib/stackFile";
import { run } from "./doubles/kube";
import { EngineTier, PROJECT } from "./tier";

const README = fs.readFileSync(path.join(PROJECT, "README.md"), "utf8");

/** The fenced block right after `<!-- e2e: <name> -->` in the README. */
export function readmeBlock(name: string): string {
  const marker = `<!-- e2e: ${name} -->`;
  const at = README.indexOf(marker);
  assert.ok(at >= 0, `README.md has no ${marker}`);
  const fence = /```(\w+)?\n([\s\S]*?)```/.exec(README.slice(at + marker.length));
  assert.ok(fence, `README.md has no fenced block after ${marker}`);
  return fence[2];
}

describe("the README's commands with the real Pulumi CLI", { timeout: 900_000 }, () => {
  let tier: EngineTier;
  let checkout: string;
  let env: Record<string, string>;

  before(async () => {
    tier = await EngineTier.start();
    // A checkout beside ../shared, as the README assumes, with its own HOME for `pulumi login --local`.
    const work = path.join(tier.root, "readme");
    checkout = path.join(work, "lockstep");
    fs.mkdirSync(work);
    fs.cpSync(tier.projectDir, checkout, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith(`${path.sep}.lockstep`) });
    fs.symlinkSync(tier.shared, path.join(work, "shared"));
    const home = path.join(work, "home");
    fs.mkdirSync(home);
    const { PULUMI_BACKEND_URL: _backend, PULUMI_CONFIG_PASSPHRASE: _passphrase, PULUMI_HOME: _home, ...rest } = tier.env;
    env = { ...rest, HOME: home };
  });
  after(async () => { await tier?.stop(); });

  // Asynchronous, so the doubles living in this process keep answering while the CLI runs.
  const bash = (script: string) => run("bash", ["-euo", "pipefail", "-c", script], { cwd: checkout, env, timeoutMs: 600_000 });

  for (const stack of ["staging", "prod"]) {
    it(`previews the shipped ${stack} stack with the README's commands: every wave's resources, no error`, async () => {
      const block = readmeBlock("run-for-real");
      assert.match(block, /^export STACK=staging\b/m, "the block selects its stack with `export STACK=staging`");
      const r = await bash(block.replace(/^export STACK=staging\b.*$/m, `export STACK=${stack}`));
      assert.equal(r.code, 0, `README commands for ${stack}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
      assert.doesNotMatch(r.stdout, /\berror:/);
      for (const wave of ["platform-services", "database", "api", "gateways", "console", "workers", "verification"]) {
        assert.match(r.stdout, new RegExp(`lockstep:platform:Wave +wave-${wave}`), `preview shows wave ${wave}`);
      }
      for (const resource of ["kubernetes:helm.sh/v3:Release +cnpg-operator", "kubernetes:postgresql.cnpg.io/v1:Cluster +platform-db-cluster", "kubernetes:apps/v1:Deployment +api", "kubernetes:apps/v1:Deployment +gateway", "command:local:Command +smoke-test"]) {
        assert.match(r.stdout, new RegExp(resource), `preview shows ${resource}`);
      }
      assert.match(r.stdout, /lockstep@v0\.1\.0 \(local: policy\)/, "the policy pack ran");
      assert.doesNotMatch(r.stdout, /\[mandatory\]/);
    });
  }

  it("the upgrade-procedure config example passes the CLI's config validation and the program", async () => {
    const example = parseYaml(readmeBlock("upgrade-window-config").split("\n").map((l) => l.trim()).join("\n")) as Record<string, unknown>;
    const keys = Object.keys(example);
    assert.ok(keys.length >= 3 && keys.every((k) => k.startsWith("lockstep:")), `the example sets lockstep keys: ${keys.join(", ")}`);
    // The example's keys replace the shipped staging stack's (which runs 1.5.1), as the README says to.
    const file = path.join(checkout, "Pulumi.staging.yaml");
    const base = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, editStackConfig(file, base, Object.fromEntries(keys.map((k) => [k.slice("lockstep:".length), example[k]]))));
    const r = await bash("pulumi login --local >/dev/null && export PULUMI_CONFIG_PASSPHRASE=change-me && pulumi stack select staging --create && pulumi preview --stack staging");
    fs.writeFileSync(file, base);
    assert.equal(r.code, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-1500)}`);
    assert.match(r.stdout, /kubernetes:postgresql.cnpg.io\/v1:Backup +pre-upgrade-platform-db-1-4-2-to-1-5-0/, "the window opens: the pre-upgrade backup is planned");
  });
});
