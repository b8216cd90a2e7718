/**
 * What the commands print for a person, line for line (test/goldenKit.ts): the plan's sections (waves,
 * workloads, databases, drills, removed resources, violations), the fleet's tables, summaries and
 * progress, and catalog add's report. The other suites read these outputs' JSON; this one holds the text
 * an operator reads to decide.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadCatalog } from "../../lib/release/catalog";
import type { CommandOutput } from "../../cli/env";
import { env, lockstep, tempProject } from "../cliKit";
import { FakeFleet } from "../fleetKit";
import { golden } from "../goldenKit";
import { PROJECT, ROLLING_WINDOW_ARGS } from "../helpers";

const catalog = loadCatalog(path.join(PROJECT, "releases"));

describe("what the commands print, line for line", () => {
  describe("lockstep plan", () => {
    const plan = async (name: string, code: number, ...args: string[]) => {
      const r = await lockstep(env(PROJECT), "plan", ...args);
      assert.equal(r.code, code, r.stderr);
      golden(name, r.stdout);
    };

    it("a first install: every resource new, the waves in order, no window", () =>
      plan("plan-staging-first-install", 0, "--stack", "staging"));
    it("an upgrade window with a canary: the set's differences, the split, each resource against the deployed versions", () =>
      plan(
        "plan-staging-window",
        0,
        "--stack",
        "staging",
        ...ROLLING_WINDOW_ARGS,
        "--set",
        "upgrade.gatewayCanaryPercent=10",
      ));
    it("a coordinated window for a release whose migrations are contract: the writers stop before the new API", () =>
      plan(
        "plan-staging-coordinated",
        0,
        "--stack",
        "staging",
        "--deployed",
        "1.5.0",
        "--set",
        "upgrade.mode=coordinated",
        "--set",
        "console.live=green",
      ));
    it("a point-in-time restore of one database: where it comes back from, the original kept, the writers stopped first", () =>
      plan(
        "plan-staging-restore",
        0,
        "--stack",
        "staging",
        "--deployed",
        "1.5.1",
        "--set",
        'restore={"name":"r1","databases":["platform"],"targetTime":"2026-11-20T10:00:00Z"}',
      ));
    it("a drill", () =>
      plan("plan-staging-drill", 0, "--stack", "staging", "--deployed", "1.5.1", "--set", 'restoreDrill={"id":"d1"}'));
    it("a rollback with the data", () =>
      plan(
        "plan-staging-rollback",
        0,
        "--stack",
        "staging",
        "--deployed",
        path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json"),
        "--set",
        "release=1.5.0",
        "--set",
        "console.blue=1.5.0",
        "--set",
        'rollback={"from":"1.5.1","mode":"restore"}',
        "--set",
        'restore={"name":"rollback-1-5-1","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"},"targetImmediate":true}',
      ));
    it("the end of a canary: the stable gateways move, the canary's resources removed", () =>
      plan(
        "plan-staging-canary-done",
        0,
        "--stack",
        "staging",
        "--deployed",
        path.join(PROJECT, "test", "fixtures", "deployed-canary-1.5.1.json"),
      ));
    it("a refused plan: each violation with its level, policy and resource", () =>
      plan(
        "plan-prod-refused",
        1,
        "--stack",
        "prod",
        "--set",
        "release=2.0.0",
        "--set",
        "console.blue=2.0.0",
        "--set",
        "console.green=2.0.0",
      ));
    it("an advisory violation is printed with its level and does not fail the plan", async () => {
      const dir = tempProject();
      fs.writeFileSync(
        path.join(dir, "policy", "config", "prod.json"),
        JSON.stringify({ all: "mandatory", "prod-promoted-only": "advisory" }),
      );
      const r = await lockstep(
        env(dir),
        "plan",
        "--stack",
        "prod",
        "--set",
        "release=2.0.0",
        "--set",
        "console.blue=2.0.0",
        "--set",
        "console.green=2.0.0",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trimEnd().split("\n").slice(-2), [
        "policies: 1 violation(s)",
        "  [advisory] prod-promoted-only (lockstep-release): prod release 2.0.0 must be the promoted version, but the promotion record is for 1.5.1",
      ]);
    });
  });

  describe("lockstep fleet", () => {
    /** Six installs in three rings, and staging: current, mid-canary, behind, never deployed, out of Kubernetes range. */
    const fleetOf6 = (dir: string) => {
      const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
      fleet.add({ stack: "c1", ring: "canary", version: "1.5.1", region: "eu", customer: "acme" });
      fleet.add({ stack: "e1", ring: "early", version: "1.5.0", region: "eu" });
      fleet.add({ stack: "e2", ring: "early", version: "1.5.0" });
      fleet.add({ stack: "b1", ring: "broad", version: "1.4.2" });
      fleet.add({ stack: "b2", ring: "broad", version: null });
      fleet.add({ stack: "b3", ring: "broad", version: "1.3.4", kubernetesVersion: "1.27" });
      const mid = fleet.stacks.get("e2");
      if (mid) (mid.outputs.workloads as Record<string, string>)["gateway-canary"] = "1.5.1";
      return fleet;
    };
    /** The command's stdout, then the progress lines it reported on the way (one install at a time, so in order). */
    const run = async (
      name: string,
      code: number,
      { fleet, dir, kubectl }: { fleet: FakeFleet; dir: string; kubectl?: CommandOutput },
      ...args: string[]
    ) => {
      const progress: string[] = [];
      const r = await lockstep(env(dir, { fleet, kubectl, progress, now: "2026-11-22T12:00:00Z" }), "fleet", ...args);
      assert.equal(r.code, code, r.stderr);
      golden(name, progress.length ? `${r.stdout}\n--- progress\n${progress.join("\n")}` : r.stdout, dir);
    };

    it("status: each install's versions, window, last update and verification, and the distribution", async () => {
      const dir = tempProject();
      await run("fleet-status", 0, { fleet: fleetOf6(dir), dir }, "status");
    });
    it("needs-upgrade: behind with the path, blocked with why, current", async () => {
      const dir = tempProject();
      await run("fleet-needs-upgrade", 1, { fleet: fleetOf6(dir), dir }, "needs-upgrade", "--to", "1.5.1");
    });
    it("upgrade --dry-run: what would run ring by ring, and what is skipped and why", async () => {
      const dir = tempProject();
      await run(
        "fleet-upgrade-dry-run",
        0,
        { fleet: fleetOf6(dir), dir },
        "upgrade",
        "--to",
        "1.5.1",
        "--dry-run",
        "--skip-blocked",
        "--concurrency",
        "2",
        "--max-failures",
        "3",
      );
    });
    it("upgrade: the results table with the failed step, its detail and log, and the ring that did not start", async () => {
      const dir = tempProject();
      const fleet = fleetOf6(dir);
      fleet.add({ stack: "e3", ring: "early", version: "1.5.0" });
      fleet.failUp.set("e3", "update failed: Deployment api was not ready after 600 s");
      await run("fleet-upgrade", 3, { fleet, dir }, "upgrade", "--to", "1.5.1", "--skip-blocked");
    });
    it("upgrade: a preflight with a failed check stops the install before its preview, naming the check", async () => {
      const dir = tempProject();
      const fleet = new FakeFleet(dir, catalog)
        .add({ stack: "staging", version: "1.5.1" })
        .add({ stack: "c1", ring: "canary", version: "1.5.0" })
        .add({ stack: "e1", ring: "early", version: "1.5.0" });
      const notFound = {
        status: 1,
        stdout: "",
        stderr: 'Error from server (NotFound): clusters.postgresql.cnpg.io "platform-db" not found',
      };
      await run(
        "fleet-upgrade-preflight-failed",
        3,
        { fleet, dir, kubectl: notFound },
        "upgrade",
        "--to",
        "1.5.1",
        "--concurrency",
        "1",
        "--max-failures",
        "1",
      );
      assert.deepEqual(fleet.calls, ["listStacks"], "no preview or up after a failed preflight");
    });

    it("upgrade: an up whose smoke test failed is a failed install, saying what the outputs hold", async () => {
      const dir = tempProject();
      const fleet = new FakeFleet(dir, catalog)
        .add({ stack: "staging", version: "1.5.1" })
        .add({ stack: "c1", ring: "canary", version: "1.5.0" })
        .add({ stack: "c2", ring: "canary", version: "1.5.0" });
      fleet.failSmoke.add("c1");
      await run("fleet-upgrade-smoke-failed", 3, { fleet, dir }, "upgrade", "--to", "1.5.1", "--max-failures", "2");
    });

    it("upgrade refused: every blocked install with its reason, nothing touched", async () => {
      const dir = tempProject();
      await run("fleet-upgrade-refused", 1, { fleet: fleetOf6(dir), dir }, "upgrade", "--to", "1.5.1");
      const json = await lockstep(env(dir, { fleet: fleetOf6(dir) }), "fleet", "upgrade", "--to", "1.5.1", "--json");
      const out = JSON.parse(json.stdout) as { ok: boolean; to: string; refused: string[]; results: unknown[] };
      assert.deepEqual([out.ok, out.to, out.refused.length, out.results], [false, "1.5.1", 3, []]);
    });
    it("export --out: the summary of what was written", async () => {
      const dir = tempProject();
      const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
      for (const [stack, ring] of [
        ["c1", "canary"],
        ["e1", "early"],
        ["b1", "broad"],
      ])
        fleet.add({ stack, ring, version: "1.5.0" });
      await run(
        "fleet-export-out",
        0,
        { fleet, dir },
        "export",
        "--operator",
        "--to",
        "1.5.1",
        "--repo",
        "https://git.example/p.git",
        "--commit",
        "0123456789abcdef0123456789abcdef01234567",
        "--out",
        path.join(dir, "stacks.yaml"),
      );
      assert.match(
        fs.readFileSync(path.join(dir, "stacks.yaml"), "utf8"),
        /^apiVersion: pulumi\.com\/v1\nkind: Stack\n/,
      );
    });
  });

  describe("lockstep catalog add", () => {
    const IMAGES = ["api", "gateway", "console", "workers"].flatMap((c) => [
      "--image",
      `${c}=registry.example/aigw/${c}@sha256:${"a".repeat(64)}`,
    ]);
    it("--dry-run: the file it would write, carried from the newest release, and the set digest", async () => {
      const dir = tempProject();
      const r = await lockstep(
        env(dir),
        "catalog",
        "add",
        "--version",
        "1.6.0",
        ...IMAGES,
        "--postgres-image",
        `ghcr.io/cloudnative-pg/postgresql@sha256:${"d".repeat(64)}`,
        "--dry-run",
      );
      assert.equal(r.code, 0, r.stderr);
      golden("catalog-add-dry-run", r.stdout, dir);
      assert.equal(fs.existsSync(path.join(dir, "releases", "1.6.0.yaml")), false, "a dry run writes nothing");
    });
    it("a release written: the file, what was carried, and the set digest", async () => {
      const dir = tempProject();
      const r = await lockstep(env(dir), "catalog", "add", "--version", "1.6.0", ...IMAGES);
      assert.equal(r.code, 0, r.stderr);
      golden("catalog-add", r.stdout, dir);
      assert.ok(fs.existsSync(path.join(dir, "releases", "1.6.0.yaml")));
    });
  });
});
