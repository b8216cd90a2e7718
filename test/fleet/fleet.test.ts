/** The fleet: status, needs-upgrade, a ring-by-ring upgrade with failures, and the operator export. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadCatalog } from "../../lib/release/catalog";
import { editStackConfig, readStackValues } from "../../lib/config/stackFile";
import { env, lockstep, tempProject } from "../cliKit";
import { loadCrdValidators } from "../crdKit";
import { FakeFleet, outputsAt } from "../fleetKit";
import { PROJECT } from "../helpers";

const catalog = loadCatalog(path.join(PROJECT, "releases"));

/** 12 installs in 3 rings at mixed versions, plus staging (verified at 1.5.1) and prod, untagged. */
function fleetOf12(dir: string): FakeFleet {
  const fleet = new FakeFleet(dir, catalog);
  fleet.add({ stack: "staging", version: "1.5.1" }).add({ stack: "prod", version: "1.5.0" });
  fleet.add({ stack: "canary-a", ring: "canary", version: "1.5.1", region: "eu", customer: "acme" });
  fleet.add({ stack: "canary-b", ring: "canary", version: "1.5.0", region: "us", customer: "globex" });
  for (const [i, version] of ["1.5.0", "1.5.0", "1.4.2", "1.5.0"].entries())
    fleet.add({ stack: `early-${i + 1}`, ring: "early", version, region: "eu" });
  for (const [i, version] of ["1.5.0", "1.5.0", "1.5.0", "1.3.4", "1.5.0"].entries())
    fleet.add({ stack: `broad-${i + 1}`, ring: "broad", version, region: "us" });
  fleet.add({ stack: "broad-old-k8s", ring: "broad", version: "1.5.0", kubernetesVersion: "1.27" });
  return fleet;
}

describe("lockstep fleet status", () => {
  it("gives each install's release, window and verification, and the distribution of 12 stacks in 3 rings", async () => {
    const dir = tempProject();
    const fleet = fleetOf12(dir);
    // One install mid-canary: its gateway canary runs 1.5.1 beside 1.5.0.
    const mid = fleet.stacks.get("early-4");
    if (mid) (mid.outputs.workloads as Record<string, string>)["gateway-canary"] = "1.5.1";
    const r = await lockstep(env(dir, { fleet }), "fleet", "status", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      installs: { stack: string; ring: string; release: string; windowOpen: boolean }[];
      distribution: { version: string; count: number }[];
      untagged: string[];
    };
    assert.equal(out.installs.length, 12);
    assert.deepEqual(
      out.installs.slice(0, 3).map((i) => i.ring),
      ["canary", "canary", "early"],
      "ring order, canary first",
    );
    assert.deepEqual(
      out.distribution.map((d) => [d.version, d.count]),
      [
        ["1.5.1", 1],
        ["1.5.0", 9],
        ["1.4.2", 1],
        ["1.3.4", 1],
      ],
    );
    assert.deepEqual(out.untagged, ["prod", "staging"]);
    assert.deepEqual(
      out.installs.filter((i) => i.windowOpen).map((i) => i.stack),
      ["early-4"],
    );
    const text = await lockstep(env(dir, { fleet }), "fleet", "status");
    assert.match(text.stdout, /^ {2}1\.5\.0 +█{30} 9$/m, "the bar chart scales to the largest share");
    assert.match(text.stdout, /early-4 +early +eu +- +1\.5\.0; gateway-canary 1\.5\.1/);
  });

  it("without a Pulumi CLI, says the fleet lives in the backend (exit 2)", async () => {
    const r = await lockstep(env(tempProject()), "fleet", "status");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /reads the fleet from the Pulumi backend, and no Pulumi CLI is installed/);
  });

  it("refuses a ring tag the fleet does not order, naming the stack and the rings", async () => {
    const dir = tempProject();
    const fleet = fleetOf12(dir).add({ stack: "odd", ring: "beta", version: "1.5.0" });
    const r = await lockstep(env(dir, { fleet }), "fleet", "status");
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /stack odd: tag lockstep:ring = "beta" is not a ring of this fleet \(canary, early, broad\)/,
    );
  });
});

describe("lockstep fleet needs-upgrade", () => {
  it("lists who is behind with the path, and who cannot take it and why", async () => {
    const dir = tempProject();
    const r = await lockstep(env(dir, { fleet: fleetOf12(dir) }), "fleet", "needs-upgrade", "--to", "1.5.1", "--json");
    assert.equal(r.code, 1, "blocked installs make it exit 1");
    const needs = new Map(
      (JSON.parse(r.stdout).needs as { stack: string; status: string; path?: string[]; reasons?: string[] }[]).map(
        (n) => [n.stack, n],
      ),
    );
    assert.equal(needs.get("canary-a")?.status, "current");
    assert.deepEqual(needs.get("canary-b")?.path, ["1.5.0", "1.5.1"]);
    assert.deepEqual(needs.get("early-3")?.path, ["1.4.2", "1.5.1"], "1.5.1 accepts 1.4.x directly");
    assert.deepEqual(
      needs.get("broad-4")?.path,
      ["1.3.4", "1.4.2", "1.5.1"],
      "the policy pack's path through the newest patch",
    );
    assert.equal(needs.get("broad-4")?.status, "behind");
    assert.equal(needs.get("broad-old-k8s")?.status, "blocked");
    assert.match(
      needs.get("broad-old-k8s")?.reasons?.[0] ?? "",
      /Kubernetes 1\.27 must be inside release 1\.5\.1's supported range/,
    );
    assert.equal([...needs.values()].filter((n) => n.status === "behind").length, 10);
  });

  it("names a major to cross as a coordinated window, not a fleet step", async () => {
    const dir = tempProject();
    const fleet = new FakeFleet(dir, catalog)
      .add({ stack: "staging", version: "1.5.1" })
      .add({ stack: "a", ring: "canary", version: "1.5.1" });
    const r = await lockstep(env(dir, { fleet }), "fleet", "needs-upgrade", "--to", "2.0.0");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /1\.5\.1 -> 2\.0\.0 crosses a major: a coordinated window/);
  });
});

describe("lockstep fleet upgrade", () => {
  it("upgrades ring by ring; 2 failures stay with their installs, the next ring does not start, and a re-run resumes", async () => {
    const dir = tempProject();
    const fleet = fleetOf12(dir);
    fleet.failUp.set("early-2", "update failed: Deployment api was not ready after 600 s");
    fleet.failPreview.set("early-3", "preview failed: [mandatory] mixed-version-compatibility");
    const progress: string[] = [];
    const e = env(dir, { fleet, progress, now: "2026-11-22T12:00:00Z" });
    const r = await lockstep(
      e,
      "fleet",
      "upgrade",
      "--to",
      "1.5.1",
      "--skip-blocked",
      "--concurrency",
      "2",
      "--max-failures",
      "5",
      "--json",
    );
    assert.equal(r.code, 3, `some failed: exit 3\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as {
      results: { stack: string; status: string; failedStep: string | null; detail: string; logFile: string | null }[];
      haltedRings: { ring: string }[];
      blocked: { stack: string }[];
    };
    const status = Object.fromEntries(out.results.map((x) => [x.stack, x.status]));
    assert.deepEqual(status, {
      "canary-a": "skipped-current",
      "canary-b": "passed",
      "early-1": "passed",
      "early-2": "failed",
      "early-3": "failed",
      "early-4": "passed",
      "broad-1": "not-started",
      "broad-2": "not-started",
      "broad-3": "not-started",
      "broad-5": "not-started",
    });
    assert.deepEqual(
      out.blocked.map((b) => b.stack).sort(),
      ["broad-4", "broad-old-k8s"],
      "two windows away, and Kubernetes out of range",
    );
    assert.deepEqual(
      out.haltedRings.map((h) => h.ring),
      ["broad"],
    );
    const failed = out.results.find((x) => x.stack === "early-2");
    assert.equal(failed?.failedStep, "up");
    assert.match(failed?.detail ?? "", /Deployment api was not ready/);
    assert.ok(
      failed?.logFile && fs.readFileSync(failed.logFile, "utf8").includes("Updating (early-2)"),
      "the log file holds the engine's output",
    );
    assert.equal(out.results.find((x) => x.stack === "early-3")?.failedStep, "preview");
    assert.ok(!fleet.calls.includes("up early-3"), "a failed preview is not followed by an up");
    assert.ok(!fleet.calls.some((c) => c.includes("broad-")), "no install of ring broad was touched");
    assert.equal(readStackValues("early-1", dir).release, "1.5.1");
    assert.equal(
      (readStackValues("early-1", dir).promotion as { setDigest: string }).setDigest,
      (outputsAt(catalog, "1.5.1", "x").release as { setDigest: string }).setDigest,
    );
    assert.deepEqual(
      readStackValues("early-1", dir).console,
      { blue: "1.5.0", green: "1.5.1", live: "green" },
      "the console flips to the new color",
    );
    assert.ok(
      progress.some((l) => /early\/early-2: up FAILED/.test(l)),
      "progress names the install and the step",
    );

    // Fixed, the second run skips what is done and finishes the rest.
    fleet.failUp.clear();
    fleet.failPreview.clear();
    fleet.calls.length = 0;
    const again = await lockstep(
      e,
      "fleet",
      "upgrade",
      "--to",
      "1.5.1",
      "--skip-blocked",
      "--concurrency",
      "3",
      "--json",
    );
    assert.equal(again.code, 0, again.stdout);
    const second = Object.fromEntries(
      (JSON.parse(again.stdout).results as { stack: string; status: string }[]).map((x) => [x.stack, x.status]),
    );
    assert.equal(second["canary-b"], "skipped-current");
    assert.equal(second["early-1"], "skipped-current");
    assert.equal(second["early-2"], "passed");
    assert.equal(second["broad-5"], "passed");
    assert.ok(!fleet.calls.includes("up canary-b"), "a done install is not run again");
  });

  it("refuses before starting, touching nothing, when the target is not what staging verified, or an install is blocked", async () => {
    const dir = tempProject();
    const fleet = fleetOf12(dir);
    const before = fs.readFileSync(path.join(dir, "Pulumi.early-1.yaml"), "utf8");
    const blocked = await lockstep(env(dir, { fleet }), "fleet", "upgrade", "--to", "1.5.1");
    assert.equal(blocked.code, 1);
    assert.match(blocked.stdout, /broad-old-k8s: Kubernetes 1\.27 must be inside/);
    assert.match(
      blocked.stdout,
      /broad-4: 1\.3\.4 -> 1\.5\.1 takes 2 windows \(1\.3\.4 -> 1\.4\.2 -> 1\.5\.1\): upgrade the fleet one release at a time, first --to 1\.4\.2/,
    );
    const unverified = await lockstep(env(dir, { fleet }), "fleet", "upgrade", "--to", "1.5.0", "--skip-blocked");
    assert.equal(unverified.code, 1);
    assert.match(unverified.stdout, /staging verified 1\.5\.1, not 1\.5\.0: verify 1\.5\.0 there first/);
    assert.deepEqual(fleet.calls, ["listStacks", "listStacks"], "no preview or up ran");
    assert.equal(fs.readFileSync(path.join(dir, "Pulumi.early-1.yaml"), "utf8"), before);
  });

  it("upgrades again an install at the target whose smoke test failed or verified another version; skips one verified at it", async () => {
    const dir = tempProject();
    const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
    for (const stack of ["failed", "stale", "unnamed", "done"]) fleet.add({ stack, ring: "canary", version: "1.5.1" });
    const verification = (stack: string) =>
      fleet.stacks.get(stack)?.outputs.verification as { status: string; version: string | undefined };
    verification("failed").status = "failed";
    verification("stale").version = "1.5.0";
    // Outputs from before the verification named its version: a pass at the stack's release counts.
    verification("unnamed").version = undefined;
    const r = await lockstep(env(dir, { fleet }), "fleet", "upgrade", "--to", "1.5.1", "--dry-run", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { targets: { stack: string }[]; current: { stack: string }[] };
    assert.deepEqual(
      out.targets.map((t) => t.stack),
      ["failed", "stale"],
    );
    assert.deepEqual(
      out.current.map((t) => t.stack),
      ["done", "unnamed"],
      "installs in name order within a ring",
    );
  });

  it("puts the new version on the idle color and flips the live Service to it, from either color", async () => {
    const dir = tempProject();
    const fleet = new FakeFleet(dir, catalog)
      .add({ stack: "staging", version: "1.5.1" })
      .add({ stack: "g1", ring: "canary", version: "1.5.0" });
    const file = path.join(dir, "Pulumi.g1.yaml");
    fs.writeFileSync(
      file,
      editStackConfig(file, fs.readFileSync(file, "utf8"), {
        console: { blue: "1.5.0", green: "1.5.0", live: "green" },
      }),
    );
    const r = await lockstep(env(dir, { fleet }), "fleet", "upgrade", "--to", "1.5.1");
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(readStackValues("g1", dir).console, { blue: "1.5.1", green: "1.5.0", live: "blue" });
  });

  it("refuses bad flags with exit 2, naming the flag and the value", async () => {
    const dir = tempProject();
    const r = await lockstep(
      env(dir, { fleet: fleetOf12(dir) }),
      "fleet",
      "upgrade",
      "--to",
      "1.5.1",
      "--concurrency",
      "0",
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--concurrency "0": expected a whole number of at least 1/);
  });
});

describe("lockstep fleet export --operator", () => {
  it("renders one Stack per install, rings as prerequisites, staging first, valid against the operator's CRDs", async () => {
    const dir = tempProject();
    const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
    for (const [stack, ring] of [
      ["c1", "canary"],
      ["e1", "early"],
      ["e2", "early"],
      ["b1", "broad"],
    ])
      fleet.add({ stack, ring, version: "1.5.0" });
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const r = await lockstep(
      env(dir, { fleet }),
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "https://git.example/platform/lockstep.git",
      "--commit",
      commit,
    );
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(
      objects.map((o) => o.spec.stack),
      ["staging", "c1", "e1", "e2", "b1"],
    );
    const prereqs = (name: string) =>
      (objects.find((o) => o.spec.stack === name)?.spec.prerequisites ?? []).map((p: { name: string }) => p.name);
    assert.deepEqual(prereqs("staging"), []);
    assert.deepEqual(prereqs("c1"), ["staging"], "the first ring waits for the verifying stack");
    assert.deepEqual(prereqs("e2"), ["c1"]);
    assert.deepEqual(prereqs("b1"), ["e1", "e2"], "a ring waits for every install of the ring before");
    const e1 = objects.find((o) => o.spec.stack === "e1");
    assert.equal(e1?.spec.commit, commit);
    assert.equal(e1?.spec.config["lockstep:release"], "1.5.1");
    assert.equal(e1?.spec.envRefs.PULUMI_ACCESS_TOKEN.secret.name, "lockstep-tokens");
    assert.equal(e1?.spec.workspaceTemplate.spec.resources.requests["ephemeral-storage"], "4Gi");
    const validators = loadCrdValidators(
      (file) => file.startsWith("pulumi.com_") || file.startsWith("auto.pulumi.com_"),
    );
    const stackCrd = validators.get("kubernetes:pulumi.com/v1:Stack");
    const workspaceCrd = validators.get("kubernetes:auto.pulumi.com/v1alpha1:Workspace");
    assert.ok(stackCrd && workspaceCrd, "the operator's CRDs are in ../shared/crds");
    for (const o of objects) {
      assert.ok(stackCrd(o), `Stack ${o.metadata.name}: ${JSON.stringify(stackCrd.errors)}`);
      const workspace = {
        apiVersion: "auto.pulumi.com/v1alpha1",
        kind: "Workspace",
        metadata: { name: o.metadata.name },
        spec: o.spec.workspaceTemplate.spec,
      };
      assert.ok(
        workspaceCrd(workspace),
        `Workspace template of ${o.metadata.name}: ${JSON.stringify(workspaceCrd.errors)}`,
      );
    }
    assert.deepEqual(
      Object.keys(e1?.spec.config).sort(),
      ["lockstep:console", "lockstep:promotion", "lockstep:release", "lockstep:upgrade"],
      "only what changes, nothing unset",
    );
    assert.deepEqual(
      e1?.spec.config["lockstep:upgrade"],
      { mode: "coordinated" },
      "1.5.1's migrations are contract: its writers stop before the new API, with or without a policy pack",
    );
    assert.deepEqual(
      objects[0].spec.config,
      { "lockstep:release": "1.5.1" },
      "the verifying stack runs the release itself",
    );
    const json = await lockstep(
      env(dir, { fleet }),
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "https://git.example/platform/lockstep.git",
      "--commit",
      commit,
      "--json",
    );
    const out = JSON.parse(json.stdout) as { to: string; objects: unknown[]; file?: string };
    assert.deepEqual([out.to, out.objects.length, out.file], ["1.5.1", 5, undefined]);
    assert.ok(
      !r.stdout.endsWith("\n\n") && r.stdout.startsWith("apiVersion:"),
      "the YAML printed as is, without trailing blank lines",
    );
    const unverified = await lockstep(
      env(dir, { fleet }),
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.0",
      "--repo",
      "x",
      "--commit",
      commit,
    );
    assert.equal(unverified.code, 2);
    assert.match(
      unverified.stderr,
      /--to 1\.5\.0: staging verified 1\.5\.1 \(smoke passed\); export only a set its verifying stack passed/,
    );
    const failedSmoke = fleet.stacks.get("staging")?.outputs.verification as { status: string };
    failedSmoke.status = "failed";
    const notPassed = await lockstep(
      env(dir, { fleet }),
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "x",
      "--commit",
      commit,
    );
    assert.equal(notPassed.code, 2);
    assert.match(notPassed.stderr, /--to 1\.5\.1: staging verified 1\.5\.1 \(smoke failed\)/);
    const bad = await lockstep(
      env(dir, { fleet }),
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "x",
      "--commit",
      "main",
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--commit "main": must be a full commit SHA/);
  });
});
