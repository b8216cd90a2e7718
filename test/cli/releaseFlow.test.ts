/**
 * The release flow CLI: catalog add, promote and preflight, on temp copies of the project, with fakes
 * of the Automation API and kubectl. Every refusal path leaves the files untouched.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import type { CommandOutput } from "../../cli/env";
import { getRelease, loadCatalog, parseReleaseFile, setDigest } from "../../lib/release/catalog";
import { editStackConfig } from "../../lib/config/stackFile";
import { lineDiff } from "../../lib/core/textDiff";
import { plan } from "../../plan/plan";
import { env, Fakes, lockstep, snapshot, tempProject } from "../cliKit";
import { PROJECT } from "../helpers";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const IMAGES = ["api", "gateway", "console", "workers"].flatMap((c, i) => [
  "--image",
  `${c}=registry.example/aigw/${c}@${digest("abcd"[i])}`,
]);

function setRelease(dir: string, stack: string, updates: Record<string, unknown>) {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, editStackConfig(file, fs.readFileSync(file, "utf8"), updates));
}

const stagingOutputs = (version: string, setDigestValue: string, status = "passed") => ({
  release: { version, setDigest: setDigestValue },
  workloads: {
    api: version,
    gateway: version,
    "console-blue": version,
    "console-green": version,
    "worker-export": version,
    "worker-lifecycle": version,
    "worker-config": version,
  },
  verification: {
    status,
    version,
    setDigest: setDigestValue,
    verifiedAt: status === "passed" ? "2026-11-21T10:00:00Z" : null,
  },
});

describe("lockstep (dispatcher)", () => {
  it("has --help for itself and every command, and refuses unknown commands", async () => {
    const e = env(tempProject());
    assert.match((await lockstep(e, "--help")).stdout, /plan .*\n.*catalog add .*\n.*promote .*\n.*preflight/s);
    for (const cmd of [["plan"], ["catalog", "add"], ["promote"], ["preflight"]]) {
      const r = await lockstep(e, ...cmd, "--help");
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: lockstep /);
    }
    const r = await lockstep(e, "deploy");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lockstep: unknown command "deploy"\n\nUsage: lockstep <command>.*\n {2}plan /s);
    assert.match((await lockstep(e, "promte")).stderr, /unknown command "promte" \(did you mean promote\?\)/);
    const frob = await lockstep(e, "promote", "--frobnicate");
    assert.equal(frob.code, 2);
    assert.match(frob.stderr, /^lockstep promote: unknown flag --frobnicate; see `lockstep promote --help`/);
    assert.match(
      (await lockstep(e, "promote", "--dryrun")).stderr,
      /unknown flag --dryrun \(did you mean --dry-run\?\)/,
    );
  });

  it("lists a group's commands for `catalog --help`, and refuses `catalog` alone with exit 2", async () => {
    const e = env(tempProject());
    const help = await lockstep(e, "catalog", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: lockstep catalog <command>.*\n {2}catalog add {3}turn a build/s);
    const bare = await lockstep(e, "catalog");
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^lockstep catalog: needs a command/);
    assert.match((await lockstep(e, "catalog", "remove")).stderr, /^lockstep catalog: unknown command "remove"/);
  });

  it("refuses a single-valued flag given twice instead of keeping the last", async () => {
    const r = await lockstep(env(tempProject()), "preflight", "--stack", "staging", "--stack", "prod");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lockstep preflight: --stack is given more than once; give it once/);
  });
});

describe("lockstep catalog add", () => {
  it("writes releases/<version>.yaml from a build and prints its set digest", async () => {
    const dir = tempProject();
    const bao = `quay.io/openbao/openbao:2.5.0@${digest("f")}`;
    const moved = await lockstep(
      env(dir),
      "catalog",
      "add",
      "--version",
      "1.6.0",
      ...IMAGES,
      "--chart",
      "openbao=0.20.0@v2.5.0",
    );
    assert.equal(moved.code, 2, "a moved chart without its images is refused");
    assert.match(
      moved.stderr,
      /--chart openbao=0\.20\.0 moves the chart, so its images must be pinned again: pass --chart-image openbao\.server=<repo>@sha256:<digest>/,
    );
    const r = await lockstep(
      env(dir),
      "catalog",
      "add",
      "--version",
      "1.6.0",
      ...IMAGES,
      "--summary",
      "Faster exports",
      "--breaking",
      "drops /v0",
      "--kubernetes",
      "1.31-1.34",
      "--chart",
      "openbao=0.20.0@v2.5.0",
      "--chart-image",
      `openbao.server=${bao}`,
      "--migrations",
      "expand-only",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const file = path.join(dir, "releases", "1.6.0.yaml");
    const release = parseReleaseFile(file, fs.readFileSync(file, "utf8"));
    assert.equal(out.setDigest, setDigest(release));
    assert.equal(out.base, "1.5.1");
    assert.equal(release.components.gateway.image, `registry.example/aigw/gateway@${digest("b")}`);
    assert.equal(release.components.api.version, "1.6.0");
    assert.deepEqual(release.kubernetes, { min: "1.31", max: "1.34" });
    assert.deepEqual(
      [release.charts.openbao.version, release.charts.openbao.appVersion, release.charts.openbao.repo],
      ["0.20.0", "v2.5.0", "https://openbao.github.io/openbao-helm"],
    );
    assert.deepEqual(release.charts.openbao.images, { server: bao }, "the moved chart runs its new image");
    assert.equal(release.charts.cnpgOperator.version, "0.29.0", "carried from 1.5.1");
    assert.deepEqual(
      release.charts.cnpgOperator.images,
      loadCatalog(path.join(PROJECT, "releases")).releases.get("1.5.1")?.charts.cnpgOperator.images,
      "an unmoved chart keeps its images",
    );
    assert.equal(release.notes.migrations, "expand-only");
    assert.deepEqual(release.notes.upgradeFrom, [">=1.5.0 <1.6.0"]);
    assert.deepEqual(loadCatalog(path.join(dir, "releases")).versions.at(-2), "1.6.0");
  });

  it("moves PostgreSQL with the set when given, and carries it otherwise", async () => {
    const dir = tempProject();
    const image = `ghcr.io/cloudnative-pg/postgresql:17.2@${digest("e")}`;
    const r = await lockstep(
      env(dir),
      "catalog",
      "add",
      "--version",
      "1.6.0",
      ...IMAGES,
      "--postgres-major",
      "17",
      "--postgres-image",
      image,
    );
    assert.equal(r.code, 0, r.stderr);
    const release = parseReleaseFile("x/1.6.0.yaml", fs.readFileSync(path.join(dir, "releases", "1.6.0.yaml"), "utf8"));
    assert.deepEqual(release.postgres, { major: 17, image });
    const carried = await lockstep(env(dir), "catalog", "add", "--version", "1.6.1", ...IMAGES);
    assert.equal(carried.code, 0, carried.stderr);
    assert.deepEqual(
      parseReleaseFile("x/1.6.1.yaml", fs.readFileSync(path.join(dir, "releases", "1.6.1.yaml"), "utf8")).postgres,
      { major: 17, image },
    );
    assert.match(
      (await lockstep(env(dir), "catalog", "add", "--version", "1.6.2", ...IMAGES, "--postgres-major", "seventeen"))
        .stderr,
      /--postgres-major "seventeen": expected a whole number like 17/,
    );
  });

  it("takes a build pipeline file, with flags winning over it", async () => {
    const dir = tempProject();
    const build = path.join(dir, "build.json");
    fs.writeFileSync(
      build,
      JSON.stringify({
        components: {
          api: { image: `r/api@${digest("1")}` },
          gateway: { image: `r/gw@${digest("2")}` },
          console: { image: `r/c@${digest("3")}` },
          workers: { image: `r/w@${digest("4")}` },
        },
        notes: { summary: "from the pipeline", requiredConfig: ["smoke"] },
      }),
    );
    const r = await lockstep(
      env(dir),
      "catalog",
      "add",
      "--version",
      "1.5.2",
      "--from-file",
      build,
      "--image",
      `api=r/api@${digest("9")}`,
    );
    assert.equal(r.code, 0, r.stderr);
    const release = parseReleaseFile("x/1.5.2.yaml", fs.readFileSync(path.join(dir, "releases", "1.5.2.yaml"), "utf8"));
    assert.equal(release.components.api.image, `r/api@${digest("9")}`);
    assert.equal(release.components.workers.image, `r/w@${digest("4")}`);
    assert.equal(release.notes.summary, "from the pipeline");
    assert.deepEqual(release.notes.requiredConfig, ["smoke"]);
    assert.deepEqual(release.notes.upgradeFrom, [">=1.4.0 <1.6.0"]);
    assert.match(r.stdout, /^added releases\/1\.5\.2\.yaml .*\nset digest sha256:[a-f0-9]{64}\n$/);
  });

  const refusals: [string, string[], RegExp][] = [
    [
      "a tag without a digest",
      ["--version", "1.6.0", ...IMAGES.slice(0, 6), "--image", "workers=registry.example/aigw/workers:1.6.0"],
      /releases\/1\.6\.0\.yaml: field components\.workers\.image = "registry\.example\/aigw\/workers:1\.6\.0": must be an image pinned by digest/,
    ],
    [
      "an existing version",
      ["--version", "1.5.1", ...IMAGES],
      /--version 1\.5\.1: already in the catalog \(releases\/1\.5\.1\.yaml\); the catalog is append-only/,
    ],
    [
      "a version not above the latest of its line",
      ["--version", "1.4.1", ...IMAGES],
      /--version 1\.4\.1: must be greater than 1\.4\.2, the latest release of the 1\.4 line/,
    ],
    [
      "a prerelease",
      ["--version", "1.5.1-rc.1", ...IMAGES],
      /--version "1\.5\.1-rc\.1": must be an exact version x\.y\.z/,
    ],
    ["a version not above the latest of its line", ["--version", "1.5.0", ...IMAGES], /already in the catalog/],
    ["a version below the latest of its line", ["--version", "1.4.1", ...IMAGES], /must be greater than 1\.4\.2/],
    [
      "a missing component image",
      ["--version", "1.6.0", ...IMAGES.slice(0, 6)],
      /components\.workers\.image is missing: a release pins every first-party image by digest/,
    ],
    [
      "an unknown component",
      ["--version", "1.6.0", ...IMAGES, "--image", `db=r/db@${digest("e")}`],
      /--image db=\.\.\.: unknown component; the components are api, gateway, console, workers/,
    ],
    [
      "a major without upgrade sources",
      ["--version", "3.0.0", ...IMAGES],
      /--version 3\.0\.0 is a major release, so it must say which versions may upgrade to it/,
    ],
    [
      "a bad Kubernetes range",
      ["--version", "1.6.0", ...IMAGES, "--kubernetes", "latest"],
      /--kubernetes "latest": expected <min>-<max> minors/,
    ],
    [
      "an unknown chart",
      ["--version", "1.6.0", ...IMAGES, "--chart", "redis=1.0.0"],
      /--chart redis=\.\.\.: unknown chart/,
    ],
    [
      "a missing build file",
      ["--version", "1.6.0", "--from-file", "/nonexistent/build.json"],
      /--from-file \/nonexistent\/build\.json: no such file/,
    ],
    ["no version", [...IMAGES], /--version is required/],
    ["a bad version", ["--version", "one", ...IMAGES], /--version "one": must be an exact version x\.y\.z like/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} and writes nothing`, async () => {
      const dir = tempProject();
      const before = snapshot(dir);
      const r = await lockstep(env(dir), "catalog", "add", ...args);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.deepEqual(snapshot(dir), before);
    });
  }

  it("shows the file with --dry-run and writes nothing", async () => {
    const dir = tempProject();
    const before = snapshot(dir);
    const r = await lockstep(env(dir), "catalog", "add", "--version", "1.6.0", ...IMAGES, "--dry-run");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^dry run: would write releases\/1\.6\.0\.yaml/);
    assert.match(r.stdout, /version: 1\.6\.0/);
    assert.deepEqual(snapshot(dir), before);
  });
});

describe("lockstep promote", () => {
  const staged = (dir: string) => setDigest(loadCatalog(path.join(dir, "releases")).releases.get("1.5.1") as never);

  it("promotes staging's verified set to prod: release, promotion record, the new console on the idle color, comments kept", async () => {
    const dir = tempProject();
    // prod as it would be after its last upgrade: live blue at 1.5.0, the idle green still at 1.4.2.
    setRelease(dir, "prod", {
      release: "1.5.0",
      console: { blue: "1.5.0", green: "1.4.2", live: "blue" },
      promotion: undefined,
    });
    const r = await lockstep(
      env(dir, { outputs: { staging: stagingOutputs("1.5.1", staged(dir)) } }),
      "promote",
      "--from",
      "staging",
      "--to",
      "prod",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.source, "stack staging outputs");
    assert.deepEqual(out.promotion, {
      version: "1.5.1",
      setDigest: staged(dir),
      verifiedIn: "staging",
      verifiedAt: "2026-11-21T10:00:00Z",
    });
    const text = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
    assert.match(text, /^# Production: runs only sets verified in staging/, "comments survive");
    // Quoted: the Pulumi CLI's YAML reads a plain timestamp as a time and hands the program its Go rendering.
    assert.match(text, /verifiedAt: "2026-11-21T10:00:00Z"/);
    const config = (parseYaml(text) as { config: Record<string, unknown> }).config;
    assert.equal(config["lockstep:release"], "1.5.1");
    assert.deepEqual(
      config["lockstep:upgrade"],
      { mode: "coordinated" },
      "1.5.1's migrations are contract: a coordinated window, and no upgrade.from to go stale (the window opens from what prod runs)",
    );
    assert.deepEqual(
      config["lockstep:console"],
      { blue: "1.5.0", green: "1.5.1", live: "blue" },
      "the new console goes on the idle color; live stays",
    );
    assert.deepEqual(
      Object.keys(config).slice(0, 3),
      ["lockstep:release", "lockstep:environment", "lockstep:namespace"],
      "key order kept",
    );

    // prod, still running 1.5.0, now plans clean: prod-promoted-only sees the promotion, and the window
    // that opens from the deployed 1.5.0 takes the backups first.
    const planned = await plan({
      stack: "prod",
      projectDir: dir,
      catalogDir: path.join(dir, "releases"),
      deployed: "1.5.0",
    });
    assert.deepEqual(planned.violations, []);
    assert.ok(planned.resources.some((x) => x.name === "pre-upgrade-platform-db-1-5-0-to-1-5-1"));
  });

  it("reads the verification of the stack --from names, and records that stack as where it was verified", async () => {
    const dir = tempProject();
    fs.copyFileSync(path.join(dir, "Pulumi.staging.yaml"), path.join(dir, "Pulumi.qa.yaml"));
    setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
    // Only qa has outputs: reading any other stack fails in the fake.
    const r = await lockstep(
      env(dir, { outputs: { qa: stagingOutputs("1.5.1", staged(dir)) } }),
      "promote",
      "--from",
      "qa",
      "--to",
      "prod",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.source, "stack qa outputs");
    assert.equal(out.promotion.verifiedIn, "qa");
  });

  it("refuses a record file written by another stack's smoke test", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
    const record = path.join(dir, "verified-qa.json");
    fs.writeFileSync(
      record,
      JSON.stringify({
        stack: "qa",
        version: "1.5.1",
        setDigest: staged(dir),
        smoke: "passed",
        verifiedAt: "2026-11-21T09:00:00Z",
        checks: [],
      }),
    );
    const before = snapshot(dir);
    const r = await lockstep(
      env(dir, { outputs: null }),
      "promote",
      "--from",
      "staging",
      "--to",
      "prod",
      "--record",
      record,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /the verification record is for stack qa, not staging/);
    assert.deepEqual(snapshot(dir), before, "nothing written");
  });

  it("refuses a record verified later than now, writing nothing", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
    const record = path.join(dir, "verified-staging.json");
    const body = { stack: "staging", version: "1.5.1", setDigest: staged(dir), smoke: "passed", checks: [] };
    fs.writeFileSync(record, JSON.stringify({ ...body, verifiedAt: "2099-01-01T00:00:00Z" }));
    const before = snapshot(dir);
    const r = await lockstep(
      env(dir, { outputs: null }),
      "promote",
      "--from",
      "staging",
      "--to",
      "prod",
      "--record",
      record,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /verified at 2099-01-01T00:00:00Z, which is later than now \(2026-11-21T12:00:00\.000Z\); a record from the future is not a verification/,
    );
    assert.deepEqual(snapshot(dir), before, "nothing written");
    // Its boundary: a record verified at exactly now promotes.
    fs.writeFileSync(record, JSON.stringify({ ...body, verifiedAt: "2026-11-21T12:00:00Z" }));
    const now = await lockstep(
      env(dir, { outputs: null }),
      "promote",
      "--from",
      "staging",
      "--to",
      "prod",
      "--record",
      record,
      "--dry-run",
    );
    assert.equal(now.code, 0, now.stdout + now.stderr);
  });

  it("reads a verification record with --record, or the staging recordFile when no CLI is installed", async () => {
    for (const useFlag of [true, false]) {
      const dir = tempProject();
      setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
      const record = path.join(dir, ".lockstep", "verified-staging.json");
      fs.mkdirSync(path.dirname(record), { recursive: true });
      fs.writeFileSync(
        record,
        JSON.stringify({
          stack: "staging",
          version: "1.5.1",
          setDigest: staged(dir),
          smoke: "passed",
          verifiedAt: "2026-11-21T09:00:00Z",
          checks: [],
        }),
      );
      const r = await lockstep(env(dir, { outputs: null }), "promote", ...(useFlag ? ["--record", record] : []));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /promoted staging -> prod: release 1\.5\.1 .*verified 2026-11-21T09:00:00Z/);
    }
  });

  const refusals: [string, (dir: string) => Fakes, RegExp][] = [
    [
      "staging is not verified (smoke failed)",
      (dir) => ({ outputs: { staging: stagingOutputs("1.5.1", staged(dir), "failed") } }),
      /staging is not verified: its smoke test failed/,
    ],
    [
      "staging skipped its smoke test",
      (dir) => ({ outputs: { staging: stagingOutputs("1.5.1", staged(dir), "skipped") } }),
      /smoke test was skipped/,
    ],
    [
      "the catalog's digest changed since verification",
      () => ({ outputs: { staging: stagingOutputs("1.5.1", digest("0")) } }),
      /the set changed after verification, so it must be verified again/,
    ],
    [
      "a version that is not in the catalog",
      () => ({ outputs: { staging: stagingOutputs("1.9.0", digest("0")) } }),
      /verified 1\.9\.0, which is not in the release catalog/,
    ],
  ];
  for (const [what, fakes, message] of refusals) {
    it(`refuses when ${what}, writing nothing`, async () => {
      const dir = tempProject();
      setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
      const before = snapshot(dir);
      const r = await lockstep(env(dir, fakes(dir)), "promote");
      assert.equal(r.code, 1);
      assert.match(r.stdout, message);
      assert.deepEqual(snapshot(dir), before);
    });
  }

  it("refuses a step that is not a valid upgrade path for prod, naming the path", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", { release: "1.3.4", console: { blue: "1.3.4", green: "1.3.4", live: "blue" } });
    const before = snapshot(dir);
    const r = await lockstep(
      env(dir, { outputs: { staging: stagingOutputs("1.5.1", staged(dir)) } }),
      "promote",
      "--json",
    );
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, false);
    assert.match(
      out.reasons.join(),
      /prod runs 1\.3\.4, and 1\.3\.4 -> 1\.5\.1 skips 1 minor version\(s\).*take 1\.3\.4 -> 1\.4\.2 -> 1\.5\.1 instead/,
    );
    assert.deepEqual(snapshot(dir), before);
  });

  it("shows the diff with --dry-run and writes nothing", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } });
    const before = snapshot(dir);
    const r = await lockstep(
      env(dir, { outputs: { staging: stagingOutputs("1.5.1", staged(dir)) } }),
      "promote",
      "--dry-run",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dry run: would promote staging -> prod: release 1\.5\.1/);
    assert.match(r.stdout, /^- {3}lockstep:release: 1\.5\.0$/m);
    assert.match(r.stdout, /^\+ {3}lockstep:release: 1\.5\.1$/m);
    assert.deepEqual(snapshot(dir), before);
  });

  it("says how to get a verification when there is no CLI, no --record and no record file", async () => {
    const dir = tempProject();
    const r = await lockstep(env(dir, { outputs: null }), "promote");
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /no verification of staging to promote: no Pulumi CLI is installed .* smoke\.recordFile "\.lockstep\/verified-staging\.json" does not exist .* pass --record <file>/,
    );
  });

  it("refuses a malformed record, the same stack twice, and unknown stacks", async () => {
    const dir = tempProject();
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(
      bad,
      JSON.stringify({ stack: "staging", version: "1.5.1", setDigest: "nope", smoke: "passed", verifiedAt: null }),
    );
    assert.match(
      (await lockstep(env(dir), "promote", "--record", bad)).stderr,
      /bad\.json: field setDigest: must be a set digest/,
    );
    assert.match(
      (await lockstep(env(dir), "promote", "--from", "prod", "--to", "prod")).stderr,
      /--from and --to are both prod/,
    );
    assert.match((await lockstep(env(dir), "promote", "--to", "qa")).stderr, /no Pulumi\.qa\.yaml/);
  });
});

describe("lockstep preflight", () => {
  const backups = (hoursAgo: number): CommandOutput => ({
    status: 0,
    stderr: "",
    stdout: JSON.stringify({
      items: [
        {
          spec: { cluster: { name: "platform-db" } },
          status: {
            phase: "completed",
            stoppedAt: new Date(Date.parse("2026-11-21T12:00:00Z") - hoursAgo * 3_600_000).toISOString(),
          },
        },
      ],
    }),
  });

  it("passes a compliant stack, marking what cannot be checked offline with –", async () => {
    const r = await lockstep(env(tempProject()), "preflight", "--stack", "staging", "--json");
    assert.equal(r.code, 0, r.stdout);
    const rows = JSON.parse(r.stdout).rows as { check: string; status: string; reason: string }[];
    const byCheck = Object.fromEntries(rows.map((x) => [x.check, x]));
    assert.equal(byCheck["last completed backup"].status, "–");
    assert.match(
      byCheck["last completed backup"].reason,
      /no reachable cluster \(kubectl: The connection to the server localhost:8080 was refused\)/,
    );
    assert.equal(byCheck["policy verdicts (offline plan)"].status, "✓");
    assert.equal(rows.filter((x) => x.status === "✗").length, 0);
  });

  it("reads the age of the last completed backup when a cluster answers", async () => {
    const fresh = await lockstep(env(tempProject(), { kubectl: backups(3) }), "preflight", "--stack", "staging");
    assert.match(fresh.stdout, /✓ {2}last completed backup +platform-db completed a backup 3\.0 h ago/);
    const stale = await lockstep(env(tempProject(), { kubectl: backups(40) }), "preflight", "--stack", "staging");
    assert.equal(stale.code, 1);
    assert.match(
      stale.stdout,
      /✗ {2}last completed backup +platform-db's newest completed backup is 40\.0 h old \(limit 24 h\)/,
    );
  });

  it("fails a skipped minor, naming the path and its mixed-version windows", async () => {
    const dir = tempProject();
    setRelease(dir, "staging", {
      release: "1.3.4",
      console: { blue: "1.3.4", green: "1.3.4", live: "blue" },
      kubernetesVersion: "1.31",
    });
    const r = await lockstep(env(dir), "preflight", "--stack", "staging", "--to", "1.5.1", "--deployed", "1.3.4");
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /✗ {2}upgrade path +1\.3\.4 -> 1\.5\.1 skips 1 minor version\(s\).*take 1\.3\.4 -> 1\.4\.2 -> 1\.5\.1 instead; windows on that path: 1\.3\.4 -> 1\.4\.2: API 1\.4\.2 beside gateways >=1\.3\.0 <1\.5\.0/,
    );
    // One fault, one ✗: the policy row names the row that owns upgrade-path instead of repeating it.
    assert.match(r.stdout, /policy verdicts \(offline plan\) +.*upgrade-path is the "upgrade path" row/);
    assert.doesNotMatch(r.stdout, /policy verdicts \(offline plan\) +.*upgrade-path: upgrade 1\.3\.4/);
  });

  it("fails required config the target release adds, and an unverified prod", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", { smoke: undefined });
    const r = await lockstep(env(dir), "preflight", "--stack", "prod", "--to", "2.0.0", "--json");
    assert.equal(r.code, 1);
    const rows = JSON.parse(r.stdout).rows as { check: string; status: string; reason: string }[];
    const row = (c: string) => rows.find((x) => x.check === c);
    assert.equal(row("release notes: required config")?.status, "✗");
    assert.match(
      row("release notes: required config")?.reason ?? "",
      /2\.0\.0 requires lockstep:smoke, missing from Pulumi\.prod\.yaml/,
    );
    assert.equal(row("release notes: breaking changes")?.status, "–");
    assert.match(
      row("staging verified")?.reason ?? "",
      /prod release 2\.0\.0 must be the promoted version, but the promotion record is for 1\.5\.1/,
    );
    assert.equal(row("policy verdicts (offline plan)")?.status, "✗");
    assert.match(
      row("policy verdicts (offline plan)")?.reason ?? "",
      /config is not valid at 2\.0\.0: lockstep:smoke = \(unset\): is required by release 2\.0\.0/,
    );
  });

  it("fails a cluster outside the target's Kubernetes range", async () => {
    const dir = tempProject();
    setRelease(dir, "staging", { kubernetesVersion: "1.29" });
    const r = await lockstep(env(dir), "preflight", "--stack", "staging");
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /✗ {2}Kubernetes version +Kubernetes 1\.29 must be inside release 1\.5\.1's supported range 1\.30 - 1\.33/,
    );
  });

  it("refuses bad input with exit 2", async () => {
    const e = env(tempProject());
    assert.match((await lockstep(e, "preflight")).stderr, /--stack is required/);
    assert.match(
      (await lockstep(e, "preflight", "--stack", "staging", "--to", "9.9.9")).stderr,
      /--to 9\.9\.9: not in the release catalog/,
    );
    assert.match(
      (await lockstep(e, "preflight", "--stack", "staging", "--max-backup-age", "soon")).stderr,
      /--max-backup-age "soon": expected a positive number of hours/,
    );
  });
});

describe("stack file edits", () => {
  it("keep comments and the order of keys they do not own", () => {
    const text = "# header\nconfig:\n  # the release\n  lockstep:release: 1.5.0\n  other:key: keep\n";
    const edited = editStackConfig("f.yaml", text, { release: "1.5.1", upgrade: { from: "1.5.0" } });
    assert.equal(
      edited,
      "# header\nconfig:\n  # the release\n  lockstep:release: 1.5.1\n  other:key: keep\n  lockstep:upgrade:\n    from: 1.5.0\n",
    );
    assert.equal(
      editStackConfig("f.yaml", edited, { upgrade: undefined }),
      "# header\nconfig:\n  # the release\n  lockstep:release: 1.5.1\n  other:key: keep\n",
    );
    assert.throws(() => editStackConfig("f.yaml", "foo: [", {}), /f\.yaml: not valid YAML/);
    assert.throws(() => editStackConfig("f.yaml", "config: 3\n", {}), /field config must be a map/);
    assert.equal(lineDiff("a\nb\nc", "a\nx\nc"), "- b\n+ x");
  });
});

describe("the major-version procedure: 1.5.1 -> 2.0.0 as one coordinated window, staging then prod", () => {
  it("plans clean at every step the README lists, including the promotion", async () => {
    const dir = tempProject();
    const at = (stack: string, deployed: string) =>
      plan({ stack, deployed, projectDir: dir, catalogDir: path.join(dir, "releases") });
    const clean = async (stack: string, deployed: string, step: string) => {
      const result = await at(stack, deployed);
      assert.deepEqual(
        result.violations.map((v) => `${v.policy}: ${v.message}`),
        [],
        step,
      );
      return result;
    };
    // 1. Both stacks run 1.5.1.
    await clean("staging", "1.5.1", "1. staging at 1.5.1");
    await clean("prod", "1.5.1", "1. prod at 1.5.1");
    // 2. Staging: the release, the coordinated mode and both console colors move together.
    setRelease(dir, "staging", {
      release: "2.0.0",
      upgrade: { mode: "coordinated" },
      console: { blue: "2.0.0", green: "2.0.0", live: "blue" },
    });
    const window = await clean("staging", "1.5.1", "2. staging's coordinated window");
    assert.deepEqual(window.upgrade && { from: window.upgrade.from, mode: window.upgrade.mode }, {
      from: "1.5.1",
      mode: "coordinated",
    });
    assert.ok(
      window.resources.some((r) => r.name === "pre-upgrade-platform-db-1-5-1-to-2-0-0"),
      "the backups come first",
    );
    // 3. After staging's up (and its smoke test), the window is closed.
    assert.equal((await clean("staging", "2.0.0", "3. staging at 2.0.0")).upgrade, null);
    // 4. Promote: prod gets the same coordinated window, both console colors on 2.0.0.
    const digest = setDigest(getRelease(loadCatalog(path.join(dir, "releases")), "2.0.0"));
    const promoted = await lockstep(
      env(dir, { outputs: { staging: stagingOutputs("2.0.0", digest) } }),
      "promote",
      "--from",
      "staging",
      "--to",
      "prod",
      "--json",
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    const prod = (
      parseYaml(fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> }
    ).config;
    assert.deepEqual(prod["lockstep:upgrade"], { mode: "coordinated" });
    assert.deepEqual(prod["lockstep:console"], { blue: "2.0.0", green: "2.0.0", live: "blue" });
    await clean("prod", "1.5.1", "4. prod's coordinated window after promote");
    // 5. After prod's up.
    await clean("prod", "2.0.0", "5. prod at 2.0.0");
  });
});
