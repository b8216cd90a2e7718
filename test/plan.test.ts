import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { plan } from "../plan/plan";
import { PROJECT } from "./helpers";

/** Runs the built CLI exactly as `npm run plan` does, after rebuilding bin/ if any source is newer. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(PROJECT, "bin", "cli", "lockstep.js"), "plan", ...args], { cwd: PROJECT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  const build = spawnSync(process.execPath, [path.join(PROJECT, "scripts", "build.mjs"), "--quiet", "--if-stale"], { cwd: PROJECT, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
});

describe("npm run plan (the CLI)", () => {
  for (const stack of ["staging", "prod"]) {
    it(`--stack ${stack} --json prints exactly one JSON object and exits 0 with zero violations`, () => {
      const r = cli("--stack", stack, "--json");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(out), ["stack", "release", "resources", "waves", "violations"]);
      assert.equal(out.stack, stack);
      assert.deepEqual(out.violations, []);
      const types = new Set(out.resources.map((x: { type: string }) => x.type));
      for (const t of ["kubernetes:postgresql.cnpg.io/v1:Cluster", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
        "kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "command:local:Command"]) {
        assert.ok(types.has(t), `${stack} declares ${t}`);
      }
      assert.equal(types.has("kubernetes:policy/v1:PodDisruptionBudget"), stack === "prod", "PDBs exactly when ha");
      const first = out.resources.find((x: { name: string }) => x.name === "api");
      assert.deepEqual(Object.keys(first), ["type", "name", "parent", "dependsOn", "props"]);
      assert.equal(first.parent, "control-plane-api");
    });
  }

  it("gives the same plan as the in-process run (the CLI's startup shortcuts change nothing)", async () => {
    const r = cli("--stack", "staging", "--json", "--set", "upgrade.from=1.5.0", "--set", "upgrade.gatewayCanaryPercent=20");
    const { config: _c, upgrade: _u, ...inProcess } = await plan({ stack: "staging", sets: ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=20"] });
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(inProcess)));
  });

  it("judges with the catalog given by --catalog, in config and in policies alike", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
    for (const f of fs.readdirSync(path.join(PROJECT, "releases"))) fs.copyFileSync(path.join(PROJECT, "releases", f), path.join(dir, f));
    const file = path.join(dir, "1.5.1.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('min: "1.30"', 'min: "1.32"'));
    const r = cli("--stack", "staging", "--json", "--catalog", dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).violations[0].message, /Kubernetes 1\.31 must be inside release 1\.5\.1's supported range 1\.32 - 1\.33/);
    fs.rmSync(dir, { recursive: true });
  });

  it("exits 1 on a mandatory violation, naming the policy", () => {
    const r = cli("--stack", "staging", "--json", "--set", "upgrade.from=1.3.4");
    assert.equal(r.code, 1);
    assert.ok(JSON.parse(r.stdout).violations.some((v: { policy: string; level: string }) => v.policy === "upgrade-path" && v.level === "mandatory"));
  });

  it("exits 2 on invalid config or usage with the message on stderr and nothing on stdout", () => {
    for (const args of [["--stack", "staging", "--set", "environment=dev"], ["--stack", "missing"], [], ["--stack", "staging", "--frobnicate"]]) {
      const r = cli(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^lockstep plan: /);
    }
    assert.match(cli("--stack", "staging", "--set", "environment=dev").stderr, /lockstep:environment = "dev": must be "staging" or "prod"/);
  });

  it("prints a readable summary without --json: set digest, waves and what differs from upgrade.from", () => {
    const r = cli("--stack", "staging", "--set", "upgrade.from=1.5.0");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /release 1\.5\.1  set sha256:[a-f0-9]{64}/);
    assert.match(r.stdout, /upgrade window 1\.5\.0 -> 1\.5\.1:\n  ~ components\.api: 1\.5\.0/);
    assert.match(r.stdout, /1\. pre-upgrade-backup - verified pre-upgrade backups/);
    assert.match(r.stdout, /8\. verification/);
    assert.match(r.stdout, /policies: no violations/);
    assert.match(cli("--help").stdout, /Usage: lockstep plan --stack <name>/);
  });
});

describe("policy verdicts through the plan, on the real stack configs", () => {
  const cases: [string, string[], RegExp][] = [
    ["skipping a minor", ["release=1.5.0", "upgrade.from=1.3.4", "console.blue=1.5.0"], /^upgrade-path$/],
    ["a downgrade", ["upgrade.from=2.0.0"], /^upgrade-path$/],
    ["a console color two minors behind the API", ["console.green=1.3.4"], /^(mixed-version-compatibility|blue-green-integrity)$/],
    ["a canary above the maximum", ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=80"], /^canary-bounds$/],
    ["a major upgrade with gateways still on the old major", ["release=2.0.0", "upgrade.from=1.5.1", "upgrade.gatewayCanaryPercent=10", "console.blue=2.0.0", "console.green=2.0.0"], /^mixed-version-compatibility$/],
    ["a cluster below the supported range", ["kubernetesVersion=1.28"], /^kubernetes-baseline$/],
  ];
  for (const [what, sets, policy] of cases) {
    it(`refuses ${what}`, async () => {
      const result = await plan({ stack: "staging", sets });
      const mandatory = result.violations.filter((v) => v.level === "mandatory");
      assert.ok(mandatory.some((v) => policy.test(v.policy)), `${what}: ${JSON.stringify(result.violations)}`);
    });
  }

  it("declares no canary when the window is closed (from equals release)", async () => {
    const result = await plan({ stack: "staging", sets: ["upgrade.from=1.5.1", "upgrade.gatewayCanaryPercent=10"] });
    assert.ok(!result.resources.some((r) => r.name === "gateway-canary"));
    assert.deepEqual(result.violations, []);
  });

  it("refuses prod at a release it was not promoted to", async () => {
    const result = await plan({ stack: "prod", sets: ["release=1.5.0", "console.blue=1.5.0"] });
    assert.deepEqual(result.violations.map((v) => v.policy), ["prod-promoted-only"]);
  });

  it("accepts the compliant variants of the same changes", async () => {
    for (const sets of [["release=1.5.0", "upgrade.from=1.4.2", "console.blue=1.5.0", "console.green=1.4.2"], ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=50"], ["release=2.0.0", "upgrade.from=1.5.1", "console.blue=2.0.0", "console.green=2.0.0"]]) {
      const result = await plan({ stack: "staging", sets });
      assert.deepEqual(result.violations, [], sets.join(" "));
    }
  });
});
