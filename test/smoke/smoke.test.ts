/** `node bin/cli/smoke.js` in process: real HTTP against the platform-endpoints double, the clock faked. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { smoke } from "../../cli/smoke";
import { smokePlan, smokeSchema, SmokeConfig, SmokePlan } from "../../lib/smoke/plan";
import type { SmokeIo } from "../../lib/smoke/run";
import {
  ADMIN_TOKEN,
  FINAL_CHECKS,
  PlatformEndpoints,
  REALM_PATH,
  SMOKE_CLIENT,
  startPlatformEndpoints,
} from "../e2e/doubles/platformEndpoints";

const PROMPT = 'say "forbidden"';
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("the smoke test (lib/smoke, cli/smoke.ts)", () => {
  let double: PlatformEndpoints;
  before(async () => {
    double = await startPlatformEndpoints(PROMPT);
  });
  after(() => double.stop());
  beforeEach(() => {
    double.served.length = 0;
    double.setBlockedStatus(409);
    for (const w of ["export", "lifecycle", "config"]) double.setWorkerStatus(w, "running");
  });

  const config = (overrides: Record<string, unknown> = {}): SmokeConfig =>
    smokeSchema.parse({
      gatewayUrl: double.url,
      apiUrl: double.url,
      consoleUrl: double.url,
      blockedPrompt: PROMPT,
      consolePreviewUrl: `${double.url}/preview/{color}`,
      signIn: { issuerUrl: `${double.url}${REALM_PATH}`, clientId: SMOKE_CLIENT.id },
      waitSeconds: 3,
      ...overrides,
    });
  const planOf = (stage: SmokePlan["stage"], overrides: Record<string, unknown> = {}, color?: "blue" | "green") => ({
    ...smokePlan(stage, { stack: "staging", release: "1.5.1", setDigest: DIGEST, smoke: config(overrides) }, color),
    retryDelaySeconds: 0,
  });
  const ENV = {
    LOCKSTEP_SMOKE_CLIENT_SECRET: SMOKE_CLIENT.secret,
    LOCKSTEP_SMOKE_TOKEN: "gateway-key",
    LOCKSTEP_ADMIN_TOKEN: ADMIN_TOKEN,
  };

  async function run(plan: unknown, env: Record<string, string> = ENV) {
    let clock = 0;
    const io: SmokeIo = {
      fetch,
      env,
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    };
    const out: string[] = [];
    const err: string[] = [];
    const text = typeof plan === "string" ? plan : JSON.stringify(plan);
    const code = await smoke(
      text,
      io,
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      () => new Date("2026-12-04T10:00:00.123Z"),
    );
    return { code, out, err, all: [...out, ...err].join("\n") };
  }
  const named = (lines: string[], word: string) =>
    lines.map((l) => new RegExp(`^smoke: ${word} +(.+?): `).exec(l)?.[1]).filter((n): n is string => Boolean(n));

  it("final: every check named and passed, in order, and the record lists them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
    const recordFile = path.join(dir, "nested", "twice", "verified.json");
    const r = await run(planOf("final", { recordFile }));
    assert.equal(r.code, 0, r.all);
    assert.ok(r.out.includes(`smoke: wrote verification record ${recordFile}`), r.all);
    const checks = FINAL_CHECKS;
    assert.deepEqual(named(r.out, "ok"), checks);
    assert.deepEqual(r.out.slice(-2), ["verified-at: 2026-12-04T10:00:00Z", "verification: passed"]);
    const record = JSON.parse(fs.readFileSync(recordFile, "utf8"));
    assert.deepEqual(
      [record.stack, record.version, record.setDigest, record.smoke],
      ["staging", "1.5.1", DIGEST, "passed"],
    );
    assert.deepEqual(record.checks, checks);
    assert.ok(double.served.includes(`POST ${REALM_PATH}/protocol/openid-connect/token 200`), double.served.join("\n"));
    assert.ok(double.served.includes("GET /dashboard 200"), "the page was requested signed in");
    assert.ok(double.served.some((s) => /^GET \/v1\/admin\/exports\/export-\d+ 200$/.test(s)));
    assert.match(
      r.out.find((l) => l.includes("event ingestion")) ?? "",
      /events \d+ before the smoke requests, \d+ after$/,
    );
  });

  it("never prints the client secret, the admin token or an issued token", async () => {
    const r = await run(planOf("final"));
    for (const secret of [SMOKE_CLIENT.secret, ADMIN_TOKEN, "e2e-token-", "gateway-key"]) {
      assert.ok(!r.all.includes(secret), `${secret} printed`);
    }
  });

  it("fails, and writes no record, when the guardrail lets the prompt through", async () => {
    double.setBlockedStatus(200);
    const recordFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smoke-")), "verified.json");
    const r = await run(planOf("final", { recordFile }));
    assert.equal(r.code, 1);
    assert.deepEqual(named(r.err, "FAIL"), ["guardrail blocks the test prompt"]);
    assert.match(r.err[0], /POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: got 200, want 409$/);
    assert.match(
      r.err.at(-1) ?? "",
      /^verification: failed \(1 of 9 final checks for 1\.5\.1 sha256:a+: guardrail blocks the test prompt\)$/,
    );
    assert.equal(fs.existsSync(recordFile), false);
    assert.ok(!r.out.includes("verification: passed"));
  });

  it("a wrong client secret fails the sign-in and, signed out, the pages", async () => {
    const r = await run(planOf("final"), { ...ENV, LOCKSTEP_SMOKE_CLIENT_SECRET: "wrong" });
    assert.equal(r.code, 1);
    assert.deepEqual(named(r.err, "FAIL"), ["console sign-in", "console page /dashboard"]);
    assert.match(r.err[0], /POST .*\/protocol\/openid-connect\/token: 401, no access_token$/);
    assert.match(r.err[1], /GET .*\/dashboard: got 401, want 200$/);
    assert.match(
      r.err.at(-1) ?? "",
      /final checks for 1\.5\.1 sha256:a+: console sign-in, console page \/dashboard\)$/,
    );
  });

  it("an empty client secret fails the sign-in naming the variable, and sends nothing to the token endpoint", async () => {
    const r = await run(planOf("final"), { LOCKSTEP_ADMIN_TOKEN: ADMIN_TOKEN });
    assert.match(r.err[0], /^smoke: FAIL  console sign-in: LOCKSTEP_SMOKE_CLIENT_SECRET empty in the environment$/);
    assert.ok(!double.served.some((s) => s.includes("openid-connect/token")));
  });

  it("signs in as a user with a password grant when usernameEnv and passwordEnv are set", async () => {
    const signIn = {
      issuerUrl: `${double.url}${REALM_PATH}`,
      clientId: SMOKE_CLIENT.id,
      usernameEnv: "SMOKE_USER",
      passwordEnv: "SMOKE_PASSWORD",
    };
    const ok = await run(planOf("final", { signIn }), { ...ENV, SMOKE_USER: "smoke", SMOKE_PASSWORD: "smoke-pw" });
    assert.equal(ok.code, 0, ok.all);
    const wrong = await run(planOf("final", { signIn }), { ...ENV, SMOKE_USER: "smoke", SMOKE_PASSWORD: "nope" });
    assert.deepEqual(named(wrong.err, "FAIL"), ["console sign-in", "console page /dashboard"]);
  });

  it("the admin API takes the sign-in token when no admin token is set", async () => {
    const r = await run(planOf("final"), { LOCKSTEP_SMOKE_CLIENT_SECRET: SMOKE_CLIENT.secret });
    assert.equal(r.code, 0, r.all);
    const none = await run(planOf("final", { signIn: undefined }), {});
    assert.match(none.err.find((l) => l.includes("workers status")) ?? "", /got 401, want 200$/);
  });

  it("a stopped worker fails the workers status, naming its state", async () => {
    double.setWorkerStatus("config", "stopped");
    const r = await run(planOf("final"));
    assert.deepEqual(named(r.err, "FAIL"), ["workers status"]);
    assert.match(r.err[0], /export running, lifecycle running, config stopped \(each must be/);
  });

  it("ingestion that stands still fails after the wait, with the counts", async () => {
    const quiet = await startPlatformEndpoints(PROMPT);
    quiet.stopIngestion();
    try {
      const plan = {
        ...planOf("final"),
        smoke: config({
          gatewayUrl: quiet.url,
          apiUrl: quiet.url,
          consoleUrl: quiet.url,
          signIn: { issuerUrl: `${quiet.url}${REALM_PATH}`, clientId: SMOKE_CLIENT.id },
        }),
      };
      const r = await run(plan);
      assert.deepEqual(named(r.err, "FAIL"), ["event ingestion flowing"]);
      assert.match(r.err[0], /events 0 before the smoke requests, 0 after \(within 3 s\)$/);
      const polls = quiet.served.filter((s) => s === "GET /v1/admin/events/count 200").length;
      assert.ok(polls >= 4 && polls <= 6, `polled a second apart for 3 s: ${polls} reads`);
    } finally {
      await quiet.stop();
    }
  });

  it("without the API, console or sign-in settings, says which checks it skipped and what each needs", async () => {
    const recordFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smoke-")), "verified.json");
    const smokeOnly = {
      ...planOf("final"),
      smoke: smokeSchema.parse({ gatewayUrl: double.url, blockedPrompt: PROMPT, recordFile }),
    };
    const r = await run(smokeOnly);
    assert.equal(r.code, 0, r.all);
    assert.deepEqual(named(r.out, "ok"), ["gateway ready", "guardrail blocks the test prompt"]);
    assert.deepEqual(
      JSON.parse(fs.readFileSync(recordFile, "utf8")).checks,
      ["gateway ready", "guardrail blocks the test prompt"],
      "the record lists the checks that ran and passed, not the skipped ones",
    );
    assert.deepEqual(
      r.out.filter((l) => l.startsWith("smoke: skip")),
      [
        "smoke: skip  api ready: needs lockstep:smoke.apiUrl",
        "smoke: skip  console ready: needs lockstep:smoke.consoleUrl",
        "smoke: skip  console sign-in: needs lockstep:smoke.consoleUrl",
        "smoke: skip  console pages: needs lockstep:smoke.consoleUrl",
        "smoke: skip  workers status: needs lockstep:smoke.apiUrl",
        "smoke: skip  export job completes: needs lockstep:smoke.apiUrl",
        "smoke: skip  event ingestion flowing: needs lockstep:smoke.apiUrl",
      ],
    );
  });

  it("without signIn, the sign-in and the pages are skipped (a page behind a sign-in proves nothing unsigned)", async () => {
    const r = await run(planOf("final", { signIn: undefined }));
    assert.equal(r.code, 0, r.all);
    assert.deepEqual(
      r.out.filter((l) => l.startsWith("smoke: skip")),
      [
        "smoke: skip  console sign-in: needs lockstep:smoke.signIn",
        "smoke: skip  console pages: needs lockstep:smoke.signIn",
      ],
    );
    assert.ok(!double.served.some((l) => l.startsWith("GET /dashboard")), "no page asked for unsigned");
    const flip = await run(planOf("console-flip", { signIn: undefined }, "blue"));
    assert.deepEqual(named(flip.out, "skip"), ["console-blue sign-in", "console-blue pages"]);
  });

  it("after the gateway wave: the gateway answers and enforces policy, nothing else, no record", async () => {
    const r = await run(planOf("gateways", { recordFile: path.join(os.tmpdir(), "never-written.json") }));
    assert.equal(r.code, 0, r.all);
    assert.deepEqual(named(r.out, "ok"), ["gateway ready", "guardrail blocks the test prompt"]);
    assert.match(r.out.at(-1) ?? "", /^smoke: gateways passed \(2 gateways checks for 1\.5\.1 /);
    assert.ok(!r.out.some((l) => l.startsWith("verification:")));
    double.setBlockedStatus(200);
    assert.equal(
      (await run(planOf("gateways"))).code,
      1,
      "a gateway that lets the prompt through stops the window here",
    );
  });

  it("before the flip: the color going live, at its own address, built with the stack's settings", async () => {
    double.setConsoleSettings("green", { apiUrl: double.url, gatewayUrl: `${double.url}/` });
    const ok = await run(planOf("console-flip", {}, "green"));
    assert.equal(ok.code, 0, ok.all);
    assert.deepEqual(named(ok.out, "ok"), [
      "console-green ready",
      "console-green settings",
      "console-green sign-in",
      "console-green page /dashboard",
    ]);
    assert.ok(double.served.includes("GET /preview/green/api/config 200"));
    assert.ok(double.served.includes("GET /preview/green/dashboard 200"));

    double.setConsoleSettings("green", { apiUrl: double.url, gatewayUrl: "https://gateway.other-env.example" });
    const wrong = await run(planOf("console-flip", {}, "green"));
    assert.equal(wrong.code, 1);
    assert.deepEqual(named(wrong.err, "FAIL"), ["console-green settings"]);
    assert.match(
      wrong.err[0],
      /gatewayUrl is "https:\/\/gateway\.other-env\.example", the stack says http:\/\/127\.0\.0\.1:\d+$/,
    );
  });

  it("refuses a bad plan with exit 2, naming the field, the value and what is allowed", async () => {
    const bad = await run({ ...planOf("final"), stage: "later" });
    assert.equal(bad.code, 2);
    assert.match(bad.err[0], /^smoke: LOCKSTEP_SMOKE_PLAN: stage .*"gateways".*; got "later"$/);
    const badUrl = await run({ ...planOf("final"), smoke: { ...planOf("final").smoke, gatewayUrl: "gateway" } });
    assert.match(
      badUrl.err[0],
      /^smoke: LOCKSTEP_SMOKE_PLAN: smoke\.gatewayUrl must be an absolute URL; got "gateway"$/,
    );
    const noFlip = await run({ ...planOf("final"), stage: "console-flip" });
    assert.match(noFlip.err[0], /^smoke: LOCKSTEP_SMOKE_PLAN: flip must be set for the console-flip stage/);
    assert.match((await run("")).err[0], /LOCKSTEP_SMOKE_PLAN is empty/);
    assert.match((await run("{")).err[0], /LOCKSTEP_SMOKE_PLAN is not JSON/);
    assert.deepEqual(double.served, [], "a refused plan calls nothing");
  });
});

describe("lockstep:smoke settings", () => {
  const base = { gatewayUrl: "https://g.example", blockedPrompt: "blocked" };
  const problem = (extra: Record<string, unknown>) => {
    const r = smokeSchema.safeParse({ ...base, ...extra });
    return r.success ? "" : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };

  it("defaults: the admin API paths, the dashboard page, the settings path, the environment names", () => {
    const s = smokeSchema.parse(base);
    assert.deepEqual(s.adminApi, {
      workersStatusPath: "/v1/admin/workers/status",
      eventCountPath: "/v1/admin/events/count",
      exportsPath: "/v1/admin/exports",
    });
    assert.deepEqual(
      [s.consolePages, s.consoleSettingsPath, s.adminTokenEnv, s.waitSeconds],
      [["/dashboard"], "/api/config", "LOCKSTEP_ADMIN_TOKEN", 60],
    );
    const signIn = smokeSchema.parse({
      ...base,
      signIn: { issuerUrl: "https://id.example/realms/p", clientId: "c" },
    }).signIn;
    assert.deepEqual([signIn?.clientSecretEnv, signIn?.checkPath], ["LOCKSTEP_SMOKE_CLIENT_SECRET", "/api/me"]);
  });

  it("refuses a preview address without {color}, a page that is not a path, half a password grant", () => {
    assert.match(
      problem({ consolePreviewUrl: "https://console-green.example" }),
      /^consolePreviewUrl: must be an absolute URL with \{color\}/,
    );
    assert.equal(problem({ consolePreviewUrl: "https://console-{color}.example" }), "");
    assert.match(problem({ consolePages: ["dashboard"] }), /^consolePages\.0: must be a path starting with \//);
    assert.match(
      problem({ signIn: { issuerUrl: "https://id.example/realms/p", clientId: "c", usernameEnv: "U" } }),
      /^signIn\.passwordEnv: usernameEnv and passwordEnv go together/,
    );
    assert.match(problem({ adminTokenEnv: "admin-token" }), /^adminTokenEnv: must be an environment variable name/);
    assert.match(problem({ waitSeconds: 0 }), /^waitSeconds: must be a whole number from 1 to 600/);
  });

  it("a flip plan needs the color and the preview address", () => {
    const args = { stack: "s", release: "1.5.1", setDigest: DIGEST, smoke: smokeSchema.parse(base) };
    assert.throws(
      () => smokePlan("console-flip", args, "green"),
      /needs the color going live and lockstep:smoke\.consolePreviewUrl/,
    );
  });
});
