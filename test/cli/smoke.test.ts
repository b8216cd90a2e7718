/** `lockstep smoke`: the stack's smoke checks by hand, over real HTTP against the platform-endpoints double. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { env, lockstep, snapshot, tempProject } from "../cliKit";
import {
  ADMIN_TOKEN,
  FINAL_CHECKS,
  PlatformEndpoints,
  REALM_PATH,
  SMOKE_CLIENT,
  startPlatformEndpoints,
} from "../e2e/doubles/platformEndpoints";

const PROMPT = "test blocked content";
const SECRETS = { LOCKSTEP_SMOKE_CLIENT_SECRET: SMOKE_CLIENT.secret, LOCKSTEP_ADMIN_TOKEN: ADMIN_TOKEN };

describe("lockstep smoke", () => {
  let double: PlatformEndpoints;
  let dir: string;
  before(async () => {
    double = await startPlatformEndpoints(PROMPT);
    dir = tempProject();
    const file = path.join(dir, "Pulumi.staging.yaml");
    const stack = parse(fs.readFileSync(file, "utf8"));
    stack.config["lockstep:smoke"] = {
      ...stack.config["lockstep:smoke"],
      gatewayUrl: double.url,
      apiUrl: double.url,
      consoleUrl: double.url,
      consolePreviewUrl: `${double.url}/preview/{color}`,
      signIn: { issuerUrl: `${double.url}${REALM_PATH}`, clientId: SMOKE_CLIENT.id },
    };
    fs.writeFileSync(file, stringify(stack));
  });
  after(() => double.stop());
  beforeEach(() => {
    double.served.length = 0;
    double.setBlockedStatus(409);
  });

  it("runs every final check of the stack's lockstep:smoke, line by line, and changes nothing", async () => {
    const progress: string[] = [];
    const before = snapshot(dir);
    const r = await lockstep(env(dir, { progress, smokeEnv: SECRETS }), "smoke", "--stack", "staging");
    assert.equal(r.code, 0, r.stdout + r.stderr + progress.join("\n"));
    assert.match(progress[0], /^smoke staging: final checks for 1\.5\.1 sha256:[a-f0-9]{64} \(the stack file's\)$/);
    const ok = progress.map((l) => /^smoke: ok +(.+?): /.exec(l)?.[1]).filter(Boolean);
    assert.deepEqual(ok, FINAL_CHECKS);
    assert.equal(r.stdout.trim(), `smoke staging: passed (${FINAL_CHECKS.length} checks, 0 skipped)`);
    assert.deepEqual(snapshot(dir), before, "no verification record, no stack file change");
  });

  it("names the release and set digest the stack's outputs say run", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const progress: string[] = [];
    const outputs = { staging: { release: { version: "1.5.0", setDigest: digest } } };
    const r = await lockstep(
      env(dir, { progress, outputs, smokeEnv: SECRETS }),
      "smoke",
      "--stack",
      "staging",
      "--json",
    );
    assert.equal(r.code, 0);
    assert.equal(progress[0], `smoke staging: final checks for 1.5.0 ${digest}`);
    const json = JSON.parse(r.stdout);
    assert.deepEqual([json.ok, json.release, json.setDigest, json.results.length], [true, "1.5.0", digest, 9]);
  });

  it("exits 1 when a check fails, repeating the failed line at the end", async () => {
    double.setBlockedStatus(200);
    const r = await lockstep(env(dir, { smokeEnv: SECRETS }), "smoke", "--stack", "staging");
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^smoke: FAIL  guardrail blocks the test prompt: POST .*: got 200, want 409$/m);
    assert.match(r.stdout, /^smoke staging: 1 of 9 checks failed: guardrail blocks the test prompt$/m);
  });

  it("checks one stage: the gateways, or a console color at its own address", async () => {
    const progress: string[] = [];
    const gateways = await lockstep(env(dir, { progress }), "smoke", "--stack", "staging", "--stage", "gateways");
    assert.equal(gateways.code, 0);
    assert.equal(progress.filter((l) => l.startsWith("smoke: ok")).length, 2);
    const argv = "smoke --stack staging --stage console-flip --color green".split(" ");
    const flip = await lockstep(env(dir, { smokeEnv: SECRETS }), ...argv);

    assert.equal(flip.code, 0, flip.stdout);
    assert.ok(double.served.includes("GET /preview/green/api/config 200"));
  });

  it("refuses bad input with exit 2, naming the flag or key and what is allowed, before any request", async () => {
    const run = (...argv: string[]) => lockstep(env(dir), "smoke", ...argv);
    const cases: [string[], RegExp][] = [
      [[], /--stack is required/],
      [["--stack", "staging", "--stage", "later"], /--stage "later": must be one of gateways, console-flip, final/],
      [["--stack", "staging", "--color", "green"], /--color "green": must be blue or green, with --stage console-flip/],
      [["--stack", "staging", "--stage", "console-flip", "--color", "red"], /--color "red": must be blue or green/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.stderr, message);
    }
    const bare = tempProject();
    const file = path.join(bare, "Pulumi.staging.yaml");
    const stack = parse(fs.readFileSync(file, "utf8"));
    delete stack.config["lockstep:smoke"];
    fs.writeFileSync(file, stringify(stack));
    const unset = await lockstep(env(bare), "smoke", "--stack", "staging");
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /Pulumi\.staging\.yaml: lockstep:smoke is not set/);
    assert.deepEqual(double.served, []);
  });
});
