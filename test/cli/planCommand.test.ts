/**
 * `lockstep plan` through the CLI's own entry (`main`) in this process, on the project's files: what the
 * plan says, its exit codes and its text. test/cli/plan.test.ts runs the built binary as `npm run plan` does.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { main } from "../../cli/lockstep";
import { plan } from "../../plan/plan";
import { readStackFile } from "../../lib/config/stackFile";
import { env, lockstep, OFFLINE_SMOKE_IO } from "../cliKit";
import { PROJECT, ROLLING_WINDOW_ARGS, ROLLING_WINDOW_SETS } from "../helpers";

/**
 * The same command in this process, through the CLI's own entry (`main`) on the project's files: for what
 * the plan says. What the built binary does (exit codes of the process, stdout and stderr apart, pipes)
 * stays with `cli` above.
 */
const WORKLOADS = [
  "api",
  "gateway",
  "console-blue",
  "console-green",
  "worker-export",
  "worker-lifecycle",
  "worker-config",
];

async function inProcess(...args: string[]) {
  return lockstep(env(PROJECT), "plan", ...args);
}

describe("lockstep plan", () => {
  describe("npm run plan (the CLI)", () => {
    // Through the CLI's entry in-process; test/cli/plan.test.ts holds the built binary to the same JSON, exit
    // codes and streams.
    for (const stack of ["staging", "prod"]) {
      it(`--stack ${stack} --json prints exactly one JSON object and exits 0 with zero violations`, async () => {
        const r = await inProcess("--stack", stack, "--json");
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.deepEqual(Object.keys(out), [
          "stack",
          "release",
          "resources",
          "waves",
          "violations",
          "notEnforced",
          "chartValues",
          "deployed",
          "deployedSource",
          "upgrade",
          "changes",
          "rollback",
          "databases",
          "restoreDrill",
          "promotionSource",
        ]);
        assert.equal(out.deployed, null, "without --deployed the plan assumes a first install, and says so");
        assert.equal(out.upgrade, null);
        assert.equal(out.stack, stack);
        assert.deepEqual(out.violations, []);
        assert.deepEqual(out.notEnforced, [], "the shipped pack configs enforce every policy");
        const types = new Set(out.resources.map((x: { type: string }) => x.type));
        for (const t of [
          "kubernetes:postgresql.cnpg.io/v1:Cluster",
          "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
          "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
          "kubernetes:helm.sh/v3:Release",
          "kubernetes:apps/v1:Deployment",
          "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
          "command:local:Command",
        ]) {
          assert.ok(types.has(t), `${stack} declares ${t}`);
        }
        assert.equal(types.has("kubernetes:policy/v1:PodDisruptionBudget"), stack === "prod", "PDBs exactly when ha");
        const first = out.resources.find((x: { name: string }) => x.name === "api");
        assert.deepEqual(Object.keys(first), ["type", "name", "parent", "dependsOn", "props"]);
        assert.equal(first.parent, "control-plane-api");
      });
    }

    it("judges with the catalog given by --catalog, in config and in policies alike", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
      for (const f of fs.readdirSync(path.join(PROJECT, "releases")))
        fs.copyFileSync(path.join(PROJECT, "releases", f), path.join(dir, f));
      const file = path.join(dir, "1.5.1.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('min: "1.30"', 'min: "1.32"'));
      const r = await inProcess("--stack", "staging", "--json", "--catalog", dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        JSON.parse(r.stdout).violations[0].message,
        /Kubernetes 1\.31 must be inside release 1\.5\.1's supported range 1\.32 - 1\.33/,
      );
      fs.rmSync(dir, { recursive: true });
    });

    it("exits 1 on a mandatory violation, naming the policy", async () => {
      const r = await inProcess("--stack", "staging", "--json", "--deployed", "1.3.4");
      assert.equal(r.code, 1);
      assert.ok(
        JSON.parse(r.stdout).violations.some(
          (v: { policy: string; level: string }) => v.policy === "upgrade-path" && v.level === "mandatory",
        ),
      );
    });

    it("exits 2 on invalid config or usage with the message on stderr and nothing on stdout", async () => {
      const config = await inProcess("--stack", "staging", "--set", "environment=dev");
      assert.equal(config.code, 2, config.stderr);
      assert.match(config.stderr, /^lockstep plan: .*lockstep:environment = "dev": must be "staging" or "prod"/);
      for (const args of [["--stack", "missing"], [], ["--stack", "staging", "--frobnicate"]]) {
        const r = await inProcess(...args);
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^lockstep plan: /);
      }
    });

    it("prints a readable summary without --json: set digest, waves and what differs from upgrade.from", async () => {
      const r = await inProcess("--stack", "staging", ...ROLLING_WINDOW_ARGS);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /release 1\.4\.2  set sha256:[a-f0-9]{12}…/);
      assert.match(r.stdout, /deployed 1\.3\.4 \(api 1\.3\.4, gateway 1\.3\.4/);
      assert.match(
        r.stdout,
        /upgrade window 1\.3\.4 -> 1\.4\.2 \(rolling\), opened by what is deployed:\n  ~ components\.api: 1\.3\.4/,
      );
      assert.match(r.stdout, /1\. pre-upgrade-backup - verified pre-upgrade backups/);
      assert.match(r.stdout, /8\. verification/);
      assert.match(r.stdout, /policies: no violations/);
      assert.match((await inProcess("--help")).stdout, /Usage: lockstep plan --stack <name>/);
    });
  });

  describe("policy verdicts through the plan, on the real stack configs", () => {
    // Each case names every mandatory policy that refuses it, so a policy that stops firing shows.
    const cases: [string, string | null, string[], string[]][] = [
      [
        "skipping a minor",
        "1.3.4",
        ["release=1.5.0", "console.blue=1.5.0"],
        ["blue-green-integrity", "mixed-version-compatibility", "upgrade-path"],
      ],
      ["a downgrade", "2.0.0", [], ["blue-green-integrity", "mixed-version-compatibility", "upgrade-path"]],
      ["a contract release in a rolling window", "1.5.0", ["console.live=green"], ["upgrade-path"]],
      [
        "the live color rolled in place",
        "1.5.0",
        ["upgrade.mode=coordinated", "release=1.5.0"],
        ["blue-green-integrity"],
      ],
      [
        "a console color two minors behind the API",
        null,
        ["console.green=1.3.4"],
        ["blue-green-integrity", "mixed-version-compatibility"],
      ],
      [
        "a canary above the maximum",
        "1.3.4",
        [...ROLLING_WINDOW_SETS, "upgrade.gatewayCanaryPercent=80"],
        ["canary-bounds"],
      ],
      [
        "a major upgrade with gateways still on the old major",
        "1.5.1",
        [
          "release=2.0.0",
          "upgrade.mode=coordinated",
          "upgrade.gatewayCanaryPercent=10",
          "console.blue=2.0.0",
          "console.green=2.0.0",
        ],
        ["canary-bounds", "mixed-version-compatibility"],
      ],
      [
        "a major upgrade as a rolling window",
        "1.5.1",
        ["release=2.0.0", "console.blue=2.0.0", "console.green=2.0.0"],
        ["blue-green-integrity", "mixed-version-compatibility", "upgrade-path"],
      ],
      ["a cluster below the supported range", null, ["kubernetesVersion=1.28"], ["kubernetes-baseline"]],
    ];
    for (const [what, deployed, sets, policies] of cases) {
      it(`refuses ${what}`, async () => {
        const result = await plan({ stack: "staging", sets, deployed });
        const mandatory = [...new Set(result.violations.filter((v) => v.level === "mandatory").map((v) => v.policy))];
        assert.deepEqual(mandatory.sort(), policies, `${what}: ${JSON.stringify(result.violations)}`);
      });
    }

    it("declares no canary when the window is closed (everything deployed already runs the release)", async () => {
      const result = await plan({ stack: "staging", sets: ["upgrade.gatewayCanaryPercent=10"], deployed: "1.5.1" });
      assert.ok(!result.resources.some((r) => r.name === "gateway-canary"));
      assert.deepEqual(result.violations, []);
    });

    it("refuses prod at a release it was not promoted to", async () => {
      const result = await plan({ stack: "prod", sets: ["release=1.5.0", "console.blue=1.5.0"] });
      assert.deepEqual(
        result.violations.map((v) => v.policy),
        ["prod-promoted-only"],
      );
    });

    it("accepts the compliant variants of the same changes", async () => {
      const variants: [string, string[]][] = [
        ["1.4.2", ["release=1.5.0", "upgrade.mode=coordinated", "console.blue=1.5.0", "console.green=1.4.2"]],
        ["1.3.4", [...ROLLING_WINDOW_SETS, "upgrade.gatewayCanaryPercent=50"]],
        ["1.5.0", ["console.live=green", "upgrade.mode=coordinated"]],
        ["1.5.1", ["release=2.0.0", "upgrade.mode=coordinated", "console.blue=2.0.0", "console.green=2.0.0"]],
      ];
      for (const [deployed, sets] of variants) {
        const result = await plan({ stack: "staging", sets, deployed });
        assert.deepEqual(result.violations, [], sets.join(" "));
      }
    });
  });

  describe("the window opens from what is deployed (lockstep plan --deployed)", () => {
    it("prod at 1.5.1 moved to 2.0.0 with nothing else typed: exit 1, the policy, the first bad state and the way through", async () => {
      const r = await inProcess("--stack", "prod", "--deployed", "1.5.1", "--set", "release=2.0.0", "--json");
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(
        { from: out.upgrade.from, to: out.upgrade.to, mode: out.upgrade.mode },
        { from: "1.5.1", to: "2.0.0", mode: "rolling" },
      );
      const compat = out.violations.find((v: { policy: string }) => v.policy === "mixed-version-compatibility");
      assert.match(compat.message, /the first that is not is after wave api: api 2\.0\.0 with gateway 1\.5\.1/);
      assert.match(
        compat.message,
        /a major version moves in a coordinated window: set lockstep:upgrade\.mode=coordinated/,
      );
      assert.ok(
        out.violations.some(
          (v: { policy: string; message: string }) =>
            v.policy === "upgrade-path" && /must run as a coordinated window/.test(v.message),
        ),
      );
    });

    it("--deployed 1.5.0 on staging (which targets 1.5.1): wave 1 holds the pre-upgrade backups, with no upgrade.from written", async () => {
      // 1.5.1's migrations are contract: a coordinated window, its writers stopped before the new API.
      const r = await inProcess(
        "--stack",
        "staging",
        "--deployed",
        "1.5.0",
        "--set",
        "upgrade.mode=coordinated",
        "--json",
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.waves[0].id, "pre-upgrade-backup");
      assert.deepEqual(out.waves.map((w: { id: string }) => w.id).slice(3, 5), ["writers-down", "api"]);
      assert.deepEqual(out.waves[0].resources.filter((n: string) => n.startsWith("pre-upgrade-")).sort(), [
        "pre-upgrade-keycloak-db-1-5-0-to-1-5-1",
        "pre-upgrade-platform-db-1-5-0-to-1-5-1",
      ]);
      assert.equal(out.deployed.release, "1.5.0");
    });

    it("--deployed 1.5.0 with upgrade.from=1.4.2: exit 2, naming both versions, nothing planned", async () => {
      const r = await inProcess("--stack", "staging", "--deployed", "1.5.0", "--set", "upgrade.from=1.4.2");
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /^lockstep plan: lockstep:upgrade\.from = "1\.4\.2", but this stack runs 1\.5\.0 \(its last deployment\)/,
      );
    });

    it("takes a per-workload record, such as `pulumi stack output --json` mid-canary", async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-deployed-")), "outputs.json");
      const workloads = {
        api: "1.5.1",
        gateway: "1.5.0",
        "gateway-canary": "1.5.1",
        "console-blue": "1.5.1",
        "console-green": "1.5.0",
        "worker-export": "1.5.1",
        "worker-lifecycle": "1.5.1",
        "worker-config": "1.5.1",
      };
      fs.writeFileSync(
        file,
        JSON.stringify({
          // The set 1.5.1 really is: a digest the catalog does not give 1.5.1 is refused (an edited release).
          release: {
            version: "1.5.1",
            setDigest: "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878",
          },
          workloads,
          consoleLive: "blue",
        }),
      );
      const r = await inProcess(
        "--stack",
        "staging",
        "--deployed",
        file,
        "--set",
        "upgrade.gatewayCanaryPercent=30",
        "--json",
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.upgrade.from, "1.5.0", "the stable gateways still run 1.5.0, so the window stays open");
      const route = out.resources.find((x: { name: string }) => x.name === "gateway-route");
      assert.deepEqual(
        route.props.spec.rules[0].backendRefs.map((b: { weight: number }) => b.weight),
        [70, 30],
      );
      fs.writeFileSync(file, JSON.stringify({ release: "1.5.1", workloads: { api: "9.9.9" } }));
      const bad = await inProcess("--stack", "staging", "--deployed", file);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--deployed .*outputs\.json: api runs 9\.9\.9, which is not in the release catalog/);
    });

    it("says what it assumed without --deployed: a first install", async () => {
      const r = await inProcess("--stack", "staging");
      assert.match(
        r.stdout,
        /^deployed: nothing \(assumed a first install; pass --deployed <version\|file> or --read-outputs to plan an upgrade\)$/m,
      );
    });
  });

  describe("the prod gate and secrets in the plan's output", () => {
    it("keys the prod gate on the stack: prod with environment flipped to staging and no promotion exits 1", async () => {
      const r = await inProcess("--stack", "prod", "--set", "environment=staging", "--set", "promotion=null", "--json");
      assert.equal(r.code, 1, r.stderr);
      assert.ok(
        JSON.parse(r.stdout).violations.some(
          (v: { policy: string; message: string }) =>
            v.policy === "prod-promoted-only" && /production by name/.test(v.message),
        ),
      );
    });

    describe("--staging-outputs: the offline path to the check preview and up make live", () => {
      const prod = readStackFile("prod", PROJECT);
      const promotion = prod.values.promotion as { setDigest: string; verifiedAt: string };
      const outputsFile = (verifiedAt: string) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-staging-")), "staging.json");
        const release = { version: "1.5.1", setDigest: promotion.setDigest };
        fs.writeFileSync(file, JSON.stringify({ release, verification: { status: "passed", verifiedAt } }));
        return file;
      };

      it("without the file, prod's first install names the check as not done", async () => {
        const r = await inProcess("--stack", "prod");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /promotion: not checked against staging's outputs: an offline plan reads no stack/);
      });

      it("with staging's outputs, the record they back plans clean and says where they came from", async () => {
        const file = outputsFile(promotion.verifiedAt);
        const r = await inProcess("--stack", "prod", "--staging-outputs", file);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.includes(`promotion: checked against staging's outputs from the file ${file} (exported`));
      });

      it("a record they do not back (typed by hand) exits 1 under prod-promoted-only", async () => {
        const r = await inProcess(
          "--stack",
          "prod",
          "--staging-outputs",
          outputsFile("2026-12-01T09:00:00Z"),
          "--json",
        );
        assert.equal(r.code, 1, r.stderr);
        const [violation] = JSON.parse(r.stdout).violations;
        assert.equal(violation.policy, "prod-promoted-only");
        assert.match(
          violation.message,
          /says staging verified it at 2026-11-20T14:05:00Z, but staging's outputs say 2026-12-01T09:00:00Z/,
        );
      });

      it("--read-outputs: the PR check plans against what runs, and reads staging's outputs for prod", async () => {
        const staging = {
          release: { version: "1.5.1", setDigest: promotion.setDigest },
          verification: { status: "passed", verifiedAt: promotion.verifiedAt },
        };
        const backend = env(PROJECT, { outputs: { prod: {}, staging } });
        const first = await lockstep(backend, "plan", "--stack", "prod", "--read-outputs");
        assert.equal(first.code, 0, first.stderr);
        assert.match(
          first.stdout,
          /what runs, from the outputs of stack prod, read from the backend: none, so a first install/,
        );
        assert.match(
          first.stdout,
          /promotion: checked against staging's outputs from stack staging, read from the backend/,
        );
        const typed = await lockstep(
          backend,
          "plan",
          "--stack",
          "prod",
          "--read-outputs",
          "--set",
          "promotion.verifiedAt=2026-11-19T00:00:00Z",
        );
        assert.equal(typed.code, 1, "a promotion staging's outputs do not back is refused in the PR check too");
        const ran150 = {
          release: { version: "1.5.0" },
          workloads: Object.fromEntries(WORKLOADS.map((w) => [w, "1.5.0"])),
        };
        const window = await lockstep(
          env(PROJECT, { outputs: { staging: ran150 } }),
          "plan",
          "--stack",
          "staging",
          "--read-outputs",
        );
        assert.match(window.stdout, /what runs, from the outputs of stack staging, read from the backend\n/);
        assert.match(window.stdout, /upgrade window 1\.5\.0 -> 1\.5\.1/);
        assert.equal(
          window.code,
          1,
          "1.5.1's contract migrations in a rolling window: the PR check refuses what the first-install plan passed",
        );
      });

      it("--read-outputs without a Pulumi CLI, or with --deployed: exit 2, saying why", async () => {
        const none = await inProcess("--stack", "staging", "--read-outputs");
        assert.equal(none.code, 2);
        assert.match(
          none.stderr,
          /--read-outputs reads the stack's outputs with the Pulumi CLI, and none is installed here/,
        );
        const both = await lockstep(
          env(PROJECT, { outputs: {} }),
          "plan",
          "--stack",
          "staging",
          "--read-outputs",
          "--deployed",
          "1.5.0",
        );
        assert.equal(both.code, 2);
        assert.match(both.stderr, /--read-outputs and --deployed 1\.5\.0 both say what the stack runs; give one/);
      });

      it("a file that is not JSON exits 2, naming the flag and the file", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-staging-")), "bad.json");
        fs.writeFileSync(file, "release: 1.5.1");
        const r = await inProcess("--stack", "prod", "--staging-outputs", file);
        assert.equal(r.code, 2);
        assert.ok(r.stderr.includes(`--staging-outputs ${file}: not a readable JSON file`), r.stderr);
        assert.equal(r.stdout, "");
      });
    });

    it("never prints an encrypted value, text or JSON: secrets show as [secret]", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-secret-plan-"));
      for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) fs.copyFileSync(path.join(PROJECT, f), path.join(dir, f));
      const cipher = "v1:c2VjcmV0:Y2lwaGVydGV4dA==";
      fs.appendFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        `  lockstep:chartValues:\n    identity:\n      adminPassword:\n        secure: ${cipher}\n`,
      );
      const env = {
        projectDir: dir,
        catalogDir: path.join(PROJECT, "releases"),
        now: () => new Date(),
        stackOutputs: null,
        kubectl: () => ({ status: 1, stdout: "", stderr: "" }),
        fleet: null,
        progress: () => undefined,
        smokeIo: OFFLINE_SMOKE_IO,
      };
      for (const json of [true, false]) {
        let stdout = "";
        const code = await main(["plan", "--stack", "staging", ...(json ? ["--json"] : [])], env, {
          out: (s) => {
            stdout += s;
          },
          err: () => undefined,
        });
        assert.equal(code, 0);
        assert.ok(!stdout.includes(cipher), "the ciphertext is never printed");
        if (json) {
          const keycloak = JSON.parse(stdout).resources.find((x: { name: string }) => x.name === "keycloak");
          assert.match(JSON.stringify(keycloak.props.values), /"adminPassword":"\[secret\]"/);
        }
      }
    });
  });

  describe("the plan, read by an operator", () => {
    it("marks each resource new, changed, unchanged or removed against the deployed versions", async () => {
      const result = await plan({ stack: "staging", deployed: "1.5.0", sets: ["upgrade.gatewayCanaryPercent=10"] });
      const mark = (name: string) => result.changes?.find((c) => c.name === name)?.change;
      assert.equal(mark("gateway-canary"), "new");
      assert.equal(mark("pre-upgrade-platform-db-1-5-0-to-1-5-1"), "new");
      assert.equal(mark("api"), "changed", "the API moves to 1.5.1");
      assert.equal(mark("gateway"), "unchanged", "the stable gateways keep 1.5.0 during the canary");
      assert.equal(mark("platform-db-cluster"), "unchanged", "1.5.0 and 1.5.1 pin the same PostgreSQL");
      const closing = await plan({
        stack: "staging",
        deployed: path.join(PROJECT, "test", "fixtures", "deployed-canary-1.5.1.json"),
      });
      assert.equal(
        closing.changes?.find((c) => c.name === "gateway-canary")?.change,
        "removed",
        "closing the window removes the canary",
      );
      assert.equal(
        closing.changes?.find((c) => c.name === "gateway")?.change,
        "changed",
        "the stable gateways roll to 1.5.1",
      );
    });

    it("shows the versions per workload, the canary split, the live color, and short digests in text only", async () => {
      const text = (
        await inProcess("--stack", "staging", "--deployed", "1.5.0", "--set", "upgrade.gatewayCanaryPercent=10")
      ).stdout;
      assert.match(text, /^ {2}api +1\.5\.0 -> 1\.5\.1$/m);
      assert.match(text, /^ {2}gateway +1\.5\.0 \(unchanged\) +90 % of gateway traffic$/m);
      assert.match(text, /^ {2}gateway-canary +new at 1\.5\.1 +10 % of gateway traffic$/m);
      assert.match(text, /^ {2}console-blue +1\.5\.0 -> 1\.5\.1 +live$/m);
      assert.match(text, /^ {5}\+ apps\/v1:Deployment {2}gateway-canary$/m);
      assert.match(text, /^ {5}~ apps\/v1:Deployment {2}api$/m);
      assert.match(text, /set sha256:[a-f0-9]{12}…$/m);
      assert.doesNotMatch(text, /sha256:[a-f0-9]{13}/, "no whole digest in the text");
      assert.match(
        text,
        /\d+ resources \(\d+ new, \d+ changed, \d+ unchanged, 0 removed\); \d+ more registrations are the stack, its provider and reference, and the components/,
      );
      const json = JSON.parse((await inProcess("--stack", "staging", "--json")).stdout);
      assert.match(json.release.setDigest, /^sha256:[a-f0-9]{64}$/, "the JSON keeps digests whole");
    });
  });
});
