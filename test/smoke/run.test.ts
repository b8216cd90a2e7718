/**
 * lib/smoke/run.ts against a scripted platform: each request is answered by a table the test writes, so
 * retries, deadlines, missing answers and the exact requests sent are asserted one at a time. The
 * loopback double in smoke.test.ts covers the same checks over real HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { smokePlan, smokeSchema, SmokePlan, SmokeStage } from "../../lib/smoke/plan";
import { CheckResult, runSmoke, SmokeIo } from "../../lib/smoke/run";

const API = "http://platform.test";
const ISSUER = "http://id.test/realms/platform";
const PROMPT = 'say "forbidden"';
const DIGEST = `sha256:${"a".repeat(64)}`;

interface Sent {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
/** An answer, or an error the request fails with (a refused connection, a timeout). */
type Reply = { status: number; body?: unknown } | Error;

/** A platform where everything answers as it should; a test overrides the requests it is about. */
const HEALTHY: Record<string, Reply | Reply[]> = {
  "GET /readyz": { status: 200 },
  "GET /api/health": { status: 200 },
  "POST /v1/chat/completions": { status: 409 },
  [`GET /realms/platform/.well-known/openid-configuration`]: {
    status: 200,
    body: { token_endpoint: `${ISSUER}/protocol/openid-connect/token` },
  },
  "POST /realms/platform/protocol/openid-connect/token": { status: 200, body: { access_token: "issued-token" } },
  "GET /api/me": { status: 200 },
  "GET /dashboard": { status: 200 },
  "GET /api/config": { status: 200, body: { apiUrl: API, gatewayUrl: API } },
  "GET /v1/admin/workers/status": {
    status: 200,
    body: { workers: ["export", "lifecycle", "config"].map((name) => ({ name, status: "running" })) },
  },
  "POST /v1/admin/exports": { status: 202, body: { id: 7 } },
  "GET /v1/admin/exports/7": { status: 200, body: { status: "completed" } },
  "GET /v1/admin/events/count": [
    { status: 200, body: { count: 1 } },
    { status: 200, body: { count: 2 } },
  ],
};

/** A scripted platform: a list of replies is served in turn, its last one from then on. */
function platform(overrides: Record<string, Reply | Reply[]> = {}, env: Record<string, string> = {}) {
  const table = { ...HEALTHY, ...overrides };
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  const fetchScripted = async (url: string | URL | Request, init: RequestInit = {}) => {
    const request: Sent = {
      method: init.method ?? "GET",
      url: String(url),
      path: new URL(String(url)).pathname,
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body as string | undefined,
    };
    const key = `${request.method} ${request.path}`;
    const replies = [table[key] ?? { status: 404 }].flat();
    const reply = replies[Math.min(sent.filter((s) => `${s.method} ${s.path}` === key).length, replies.length - 1)];
    sent.push(request);
    if (reply instanceof Error) throw reply;
    return new Response(JSON.stringify(reply.body ?? {}), { status: reply.status });
  };
  const io: SmokeIo = {
    fetch: fetchScripted,
    env,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
  const to = (method: string, path: string) => sent.filter((s) => s.method === method && s.path === path);
  return { io, sent, sleeps, to };
}

const config = (overrides: Record<string, unknown> = {}) =>
  smokeSchema.parse({
    gatewayUrl: API,
    apiUrl: API,
    consoleUrl: API,
    blockedPrompt: PROMPT,
    consolePreviewUrl: `${API}/{color}`,
    signIn: { issuerUrl: ISSUER, clientId: "smoke" },
    waitSeconds: 3,
    ...overrides,
  });
const planOf = (stage: SmokeStage, overrides: Record<string, unknown> = {}): SmokePlan => ({
  ...smokePlan(stage, { stack: "staging", release: "1.5.1", setDigest: DIGEST, smoke: config(overrides) }, "green"),
  retryDelaySeconds: 2,
});
const ENV = { LOCKSTEP_SMOKE_CLIENT_SECRET: "client-secret", LOCKSTEP_SMOKE_TOKEN: "gateway-key" };

const check = (results: CheckResult[], name: string) => {
  const found = results.find((r) => r.name === name);
  assert.ok(found, `no check named ${name} in ${results.map((r) => r.name).join(", ")}`);
  return found;
};

describe("the smoke run, request by request (lib/smoke/run.ts)", () => {
  it("a request check stops at the first answer it wants, the plan's delay apart", async () => {
    const p = platform({ "GET /readyz": [{ status: 503 }, { status: 503 }, { status: 200 }] });
    const results = await runSmoke(planOf("gateways"), p.io);
    assert.deepEqual(check(results, "gateway ready"), {
      name: "gateway ready",
      outcome: "ok",
      detail: `GET ${API}/readyz: 200`,
    });
    assert.equal(p.to("GET", "/readyz").length, 3);
    assert.deepEqual(p.sleeps, [2000, 2000]);
  });

  it("a request check gives up after five attempts, four delays, with what it got and wanted", async () => {
    const p = platform({ "GET /readyz": { status: 503 } });
    const results = await runSmoke(planOf("gateways"), p.io);
    assert.deepEqual(check(results, "gateway ready"), {
      name: "gateway ready",
      outcome: "fail",
      detail: `GET ${API}/readyz: got 503, want 200`,
    });
    assert.equal(p.to("GET", "/readyz").length, 5);
    assert.deepEqual(p.sleeps, [2000, 2000, 2000, 2000]);
  });

  it("a request that fails is no answer, with the reason, and the other checks still run", async () => {
    const p = platform({ "GET /readyz": new Error("connect ECONNREFUSED 127.0.0.1:41002") });
    const results = await runSmoke(planOf("gateways"), p.io);
    assert.equal(
      check(results, "gateway ready").detail,
      `GET ${API}/readyz: got no answer (connect ECONNREFUSED 127.0.0.1:41002), want 200`,
    );
    assert.equal(check(results, "guardrail blocks the test prompt").outcome, "ok");
  });

  it("trailing slashes on a base address are dropped before the path", async () => {
    const p = platform();
    await runSmoke(planOf("gateways", { gatewayUrl: `${API}//` }), p.io);
    assert.deepEqual(
      p.sent.map((s) => s.url),
      [`${API}/readyz`, `${API}/v1/chat/completions`],
    );
  });

  it("the guardrail's request: the stack's prompt as a chat completion, with the gateway token when set", async () => {
    const p = platform({}, ENV);
    await runSmoke(planOf("gateways"), p.io);
    const [chat] = p.to("POST", "/v1/chat/completions");
    assert.deepEqual(JSON.parse(chat.body ?? ""), {
      model: "smoke-test",
      messages: [{ role: "user", content: PROMPT }],
    });
    assert.deepEqual(chat.headers, { "content-type": "application/json", authorization: "Bearer gateway-key" });
    const unsigned = platform();
    await runSmoke(planOf("gateways"), unsigned.io);
    assert.deepEqual(unsigned.to("POST", "/v1/chat/completions")[0].headers, { "content-type": "application/json" });
  });

  describe("sign-in", () => {
    const token = (p: ReturnType<typeof platform>) => {
      const [post] = p.to("POST", "/realms/platform/protocol/openid-connect/token");
      assert.ok(post, "the token endpoint was asked");
      return { headers: post.headers, form: Object.fromEntries(new URLSearchParams(post.body ?? "")) };
    };

    it("with the client's own credentials: a form post of the client credentials grant, scope openid", async () => {
      const p = platform({}, ENV);
      const results = await runSmoke(planOf("final"), p.io);
      assert.equal(check(results, "console sign-in").outcome, "ok");
      assert.deepEqual(token(p), {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        form: { grant_type: "client_credentials", client_id: "smoke", client_secret: "client-secret", scope: "openid" },
      });
      assert.equal(p.to("GET", "/dashboard")[0].headers.authorization, "Bearer issued-token");
    });

    it("as a user: a password grant with the user's name and password", async () => {
      const signIn = { issuerUrl: ISSUER, clientId: "smoke", usernameEnv: "SMOKE_USER", passwordEnv: "SMOKE_PASS" };
      const p = platform({}, { ...ENV, SMOKE_USER: "ops", SMOKE_PASS: "hunter2" });
      await runSmoke(planOf("final", { signIn }), p.io);
      assert.deepEqual(token(p).form, {
        grant_type: "password",
        client_id: "smoke",
        client_secret: "client-secret",
        scope: "openid",
        username: "ops",
        password: "hunter2",
      });
    });

    it("names every variable that is empty, and asks the token endpoint nothing", async () => {
      const signIn = { issuerUrl: ISSUER, clientId: "smoke", usernameEnv: "SMOKE_USER", passwordEnv: "SMOKE_PASS" };
      const none = platform({}, ENV);
      const results = await runSmoke(planOf("final", { signIn }), none.io);
      assert.deepEqual(check(results, "console sign-in"), {
        name: "console sign-in",
        outcome: "fail",
        detail: "SMOKE_USER, SMOKE_PASS empty in the environment",
      });
      assert.equal(none.to("POST", "/realms/platform/protocol/openid-connect/token").length, 0);
      const noPassword = platform({}, { ...ENV, SMOKE_USER: "ops" });
      const again = await runSmoke(planOf("final", { signIn }), noPassword.io);
      assert.equal(check(again, "console sign-in").detail, "SMOKE_PASS empty in the environment");
    });

    it("a discovery document without a token endpoint fails, with its status or no answer", async () => {
      const discovery = "GET /realms/platform/.well-known/openid-configuration";
      const url = `${ISSUER}/.well-known/openid-configuration`;
      const results = await runSmoke(planOf("final"), platform({ [discovery]: { status: 404 } }, ENV).io);
      assert.deepEqual(check(results, "console sign-in"), {
        name: "console sign-in",
        outcome: "fail",
        detail: `GET ${url}: 404, no token_endpoint`,
      });
      const refused = await runSmoke(planOf("final"), platform({ [discovery]: new Error("refused") }, ENV).io);
      assert.equal(check(refused, "console sign-in").detail, `GET ${url}: no answer, no token_endpoint`);
    });

    it("a token endpoint that issues no token fails, with its status or no answer", async () => {
      const endpoint = `${ISSUER}/protocol/openid-connect/token`;
      const tokenPost = "POST /realms/platform/protocol/openid-connect/token";
      const empty = await runSmoke(planOf("final"), platform({ [tokenPost]: { status: 200, body: {} } }, ENV).io);
      assert.equal(check(empty, "console sign-in").detail, `POST ${endpoint}: 200, no access_token`);
      const refused = await runSmoke(planOf("final"), platform({ [tokenPost]: new Error("refused") }, ENV).io);
      assert.equal(check(refused, "console sign-in").detail, `POST ${endpoint}: no answer, no access_token`);
    });

    it("a token the console does not accept fails the sign-in, and the pages are asked for without it", async () => {
      const p = platform({ "GET /api/me": { status: 401 } }, ENV);
      const results = await runSmoke(planOf("final"), p.io);
      assert.equal(check(results, "console sign-in").detail, `GET ${API}/api/me: got 401, want 200`);
      assert.equal(p.to("GET", "/api/me")[0].headers.authorization, "Bearer issued-token");
      assert.equal(p.to("GET", "/dashboard")[0].headers.authorization, undefined);
    });
  });

  describe("the admin API", () => {
    it("starts an export for this stack and release, signed in, as JSON", async () => {
      const p = platform({}, { ...ENV, LOCKSTEP_ADMIN_TOKEN: "admin-token" });
      const results = await runSmoke(planOf("final"), p.io);
      const [post] = p.to("POST", "/v1/admin/exports");
      assert.deepEqual(JSON.parse(post.body ?? ""), { kind: "smoke-test", stack: "staging", release: "1.5.1" });
      assert.deepEqual(post.headers, { authorization: "Bearer admin-token", "content-type": "application/json" });
      assert.deepEqual(check(results, "export job completes"), {
        name: "export job completes",
        outcome: "ok",
        detail: "job 7 completed",
      });
    });

    it("an export that does not start fails with the status it got, or no answer", async () => {
      const exportsUrl = `${API}/v1/admin/exports`;
      for (const [reply, said] of [
        [{ status: 500, body: { id: 7 } }, "500"],
        [{ status: 202, body: {} }, "202"],
        [{ status: 202, body: { id: true } }, "202"],
        [new Error("refused"), "no answer"],
      ] as const) {
        const p = platform({ "POST /v1/admin/exports": reply }, ENV);
        const results = await runSmoke(planOf("final"), p.io);
        assert.deepEqual(
          check(results, "export job completes"),
          { name: "export job completes", outcome: "fail", detail: `POST ${exportsUrl}: ${said}, no job id` },
          JSON.stringify(reply),
        );
        assert.equal(p.to("GET", "/v1/admin/exports/7").length, 0);
      }
    });

    it("a job id given as a string is asked for by name", async () => {
      const p = platform({
        "POST /v1/admin/exports": { status: 201, body: { id: "job a" } },
        "GET /v1/admin/exports/job%20a": { status: 200, body: { status: "succeeded" } },
      });
      const results = await runSmoke(planOf("final"), p.io);
      assert.equal(check(results, "export job completes").detail, "job job a completed");
    });

    it("a job that fails is reported failed at once", async () => {
      const p = platform({ "GET /v1/admin/exports/7": [{ status: 200 }, { status: 200, body: { status: "failed" } }] });
      const results = await runSmoke(planOf("final"), p.io);
      assert.deepEqual(check(results, "export job completes"), {
        name: "export job completes",
        outcome: "fail",
        detail: "job 7 failed",
      });
      assert.equal(p.to("GET", "/v1/admin/exports/7").length, 2);
    });

    it("a job still pending is polled a second apart until the wait is over, then fails", async () => {
      const p = platform({ "GET /v1/admin/exports/7": { status: 200, body: { status: "running" } } });
      const results = await runSmoke(planOf("final"), p.io);
      assert.equal(check(results, "export job completes").detail, "job 7 still pending after 3 s");
      // At 0, 1, 2 and 3 s: the deadline (3 s) ends the polling, it does not allow one more.
      assert.equal(p.to("GET", "/v1/admin/exports/7").length, 4);
    });

    it("no event count before the smoke requests fails ingestion at once, naming the address", async () => {
      const p = platform({ "GET /v1/admin/events/count": { status: 200, body: { total: 3 } } });
      const results = await runSmoke(planOf("final"), p.io);
      assert.deepEqual(check(results, "event ingestion flowing"), {
        name: "event ingestion flowing",
        outcome: "fail",
        detail: `GET ${API}/v1/admin/events/count answered no {"count"}`,
      });
      assert.equal(p.to("GET", "/v1/admin/events/count").length, 1);
    });

    it("a count that never grows fails after the wait, with both counts", async () => {
      const p = platform({ "GET /v1/admin/events/count": { status: 200, body: { count: 5 } } });
      const results = await runSmoke(planOf("final"), p.io);
      assert.equal(
        check(results, "event ingestion flowing").detail,
        "events 5 before the smoke requests, 5 after (within 3 s)",
      );
    });
  });

  describe("before the console flip", () => {
    it("a settings address that does not answer 200 fails with the status, not a settings verdict", async () => {
      const p = platform({ "GET /green/api/config": { status: 500 } });
      const results = await runSmoke(planOf("console-flip"), p.io);
      assert.deepEqual(check(results, "console-green settings"), {
        name: "console-green settings",
        outcome: "fail",
        detail: `GET ${API}/green/api/config: got 500, want 200`,
      });
    });

    it("without signIn, the color's sign-in and pages are skipped, naming what they need", async () => {
      const p = platform({
        "GET /green/api/health": { status: 200 },
        "GET /green/api/config": { status: 200, body: { apiUrl: API, gatewayUrl: API } },
      });
      const results = await runSmoke(planOf("console-flip", { signIn: undefined }), p.io);
      assert.deepEqual(
        results.map((r) => [r.name, r.outcome, r.detail]),
        [
          ["console-green ready", "ok", `GET ${API}/green/api/health: 200`],
          ["console-green settings", "ok", `apiUrl ${API}, gatewayUrl ${API}`],
          ["console-green sign-in", "skip", "needs lockstep:smoke.signIn"],
          ["console-green pages", "skip", "needs lockstep:smoke.signIn"],
        ],
      );
    });

    it("a flip plan without the color going live is refused before any request", async () => {
      const p = platform();
      const { flip: _flip, ...plan } = planOf("console-flip");
      await assert.rejects(runSmoke(plan, p.io), {
        message: "a console-flip smoke plan needs flip: the color going live and its address",
      });
      assert.equal(p.sent.length, 0);
    });
  });
});
