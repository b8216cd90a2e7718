/**
 * Runs one smoke plan against the platform's endpoints. Every check has a name, and comes out ok, failed
 * or skipped (with what it needs); a failed check never stops the others. HTTP and time are injected, so
 * the tests run it against a loopback double without waiting.
 */
import { eventCount, exportState, settingsVerdict, Verdict, workersVerdict } from "./judge";
import { SMOKE_WORKERS, SmokePlan } from "./plan";

export interface SmokeIo {
  fetch: typeof fetch;
  env: Record<string, string | undefined>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface CheckResult {
  name: string;
  outcome: "ok" | "fail" | "skip";
  detail: string;
}

/** One check as both smoke entries print it, outcomes aligned: `smoke: ok    api ready: 200`. */
export function checkLine(r: CheckResult): string {
  const word = { ok: "ok   ", fail: "FAIL ", skip: "skip " }[r.outcome];
  return `smoke: ${word} ${r.name}: ${r.detail}`;
}

interface Answer {
  status: number;
  body: unknown;
  error?: string;
}

const ATTEMPTS = 5;
const POLL_MS = 1000;
const REQUEST_TIMEOUT_MS = 15_000;

const join = (base: string, path: string) => `${base.replace(/\/+$/, "")}${path}`;
const bearer = (token: string | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};

class Runner {
  readonly results: CheckResult[] = [];

  constructor(
    private readonly plan: SmokePlan,
    private readonly io: SmokeIo,
    private readonly report: (r: CheckResult) => void,
  ) {}

  private record(name: string, outcome: CheckResult["outcome"], detail: string): boolean {
    const result = { name, outcome, detail };
    this.results.push(result);
    this.report(result);
    return outcome === "ok";
  }

  skip(name: string, needs: string): void {
    this.record(name, "skip", `needs lockstep:smoke.${needs}`);
  }

  verdict(name: string, v: Verdict): boolean {
    return this.record(name, v.ok ? "ok" : "fail", v.detail);
  }

  /** One request; the body is read as JSON when it is JSON. Never throws: a failure is status 0. */
  async request(method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) {
    try {
      const res = await this.io.fetch(url, {
        method,
        headers: init.headers,
        body: init.body,
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the checks that read a body say so
      }
      return { status: res.status, body } satisfies Answer;
    } catch (err) {
      return { status: 0, body: undefined, error: (err as Error).message } satisfies Answer;
    }
  }

  /** The request until it answers `want`, up to five times, the plan's delay apart. */
  async until(
    want: number,
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) {
    let answer: Answer = { status: 0, body: undefined };
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      answer = await this.request(method, url, init);
      if (answer.status === want || attempt === ATTEMPTS) break;
      await this.io.sleep(this.plan.retryDelaySeconds * 1000);
    }
    return answer;
  }

  async expect(name: string, want: number, method: string, url: string, headers: Record<string, string> = {}) {
    const answer = await this.until(want, method, url, { headers });
    return this.verdict(name, statusVerdict(`${method} ${url}`, answer, want));
  }

  /** Polls `read` a second apart until it settles or the plan's wait is over. */
  async poll<T>(read: () => Promise<T>, settled: (t: T) => boolean): Promise<T> {
    const deadline = this.io.now() + this.plan.smoke.waitSeconds * 1000;
    let value = await read();
    while (!settled(value) && this.io.now() < deadline) {
      await this.io.sleep(POLL_MS);
      value = await read();
    }
    return value;
  }
}

function statusVerdict(what: string, answer: Answer, want: number): Verdict {
  const got = answer.status === 0 ? `no answer${answer.error ? ` (${answer.error})` : ""}` : String(answer.status);
  return {
    ok: answer.status === want,
    detail: answer.status === want ? `${what}: ${got}` : `${what}: got ${got}, want ${want}`,
  };
}

/** Signs in at the identity provider (OIDC discovery, then its token endpoint); the token, or undefined. */
async function signIn(run: Runner, name: string, consoleBase: string, plan: SmokePlan, io: SmokeIo) {
  const s = plan.smoke.signIn;
  if (!s) return undefined;
  const discoveryUrl = join(s.issuerUrl, "/.well-known/openid-configuration");
  const discovery = await run.until(200, "GET", discoveryUrl);
  const tokenEndpoint = (discovery.body as { token_endpoint?: unknown } | undefined)?.token_endpoint;
  if (typeof tokenEndpoint !== "string") {
    run.verdict(name, {
      ok: false,
      detail: `GET ${discoveryUrl}: ${discovery.status || "no answer"}, no token_endpoint`,
    });
    return undefined;
  }
  const secret = io.env[s.clientSecretEnv];
  const user = s.usernameEnv ? io.env[s.usernameEnv] : undefined;
  const password = s.passwordEnv ? io.env[s.passwordEnv] : undefined;
  const missing = [
    !secret && s.clientSecretEnv,
    s.usernameEnv && !user && s.usernameEnv,
    s.passwordEnv && !password && s.passwordEnv,
  ].filter(Boolean);
  if (missing.length) {
    run.verdict(name, { ok: false, detail: `${missing.join(", ")} empty in the environment` });
    return undefined;
  }
  const form = new URLSearchParams({
    grant_type: user ? "password" : "client_credentials",
    client_id: s.clientId,
    client_secret: secret as string,
    scope: "openid",
    ...(user && password ? { username: user, password } : {}),
  });
  const answer = await run.until(200, "POST", tokenEndpoint, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const token = (answer.body as { access_token?: unknown } | undefined)?.access_token;
  if (answer.status !== 200 || typeof token !== "string") {
    run.verdict(name, { ok: false, detail: `POST ${tokenEndpoint}: ${answer.status || "no answer"}, no access_token` });
    return undefined;
  }
  const checked = await run.expect(name, 200, "GET", join(consoleBase, s.checkPath), bearer(token));
  return checked ? token : undefined;
}

/** The console's pages, signed in: behind a sign-in, a page asked for without one proves nothing. */
async function consolePages(run: Runner, prefix: string, base: string, token: string | undefined, plan: SmokePlan) {
  if (!plan.smoke.signIn) {
    run.skip(`${prefix} pages`, "signIn");
    return;
  }
  for (const page of plan.smoke.consolePages) {
    await run.expect(`${prefix} page ${page}`, 200, "GET", join(base, page), bearer(token));
  }
}

/** The console color going live, at its own address: ready, built with the stack's settings, its pages. */
async function flipChecks(run: Runner, plan: SmokePlan, io: SmokeIo): Promise<void> {
  const flip = plan.flip;
  if (!flip) throw new Error("a console-flip smoke plan needs flip: the color going live and its address");
  const prefix = `console-${flip.color}`;
  const s = plan.smoke;
  await run.expect(`${prefix} ready`, 200, "GET", join(flip.url, "/api/health"));
  const settingsUrl = join(flip.url, s.consoleSettingsPath);
  const settings = await run.until(200, "GET", settingsUrl);
  run.verdict(
    `${prefix} settings`,
    settings.status === 200
      ? settingsVerdict(settings.body, { apiUrl: s.apiUrl, gatewayUrl: s.gatewayUrl })
      : statusVerdict(`GET ${settingsUrl}`, settings, 200),
  );
  const token = s.signIn ? await signIn(run, `${prefix} sign-in`, flip.url, plan, io) : undefined;
  if (!s.signIn) run.skip(`${prefix} sign-in`, "signIn");
  await consolePages(run, prefix, flip.url, token, plan);
}

async function adminChecks(
  run: Runner,
  api: string,
  token: string | undefined,
  plan: SmokePlan,
  baseline: number | undefined,
) {
  const paths = plan.smoke.adminApi;
  const auth = bearer(token);
  const workersUrl = join(api, paths.workersStatusPath);
  const workers = await run.until(200, "GET", workersUrl, { headers: auth });
  run.verdict(
    "workers status",
    workers.status === 200
      ? workersVerdict(workers.body, SMOKE_WORKERS)
      : statusVerdict(`GET ${workersUrl}`, workers, 200),
  );

  const exportsUrl = join(api, paths.exportsPath);
  const started = await run.request("POST", exportsUrl, {
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ kind: "smoke-test", stack: plan.stack, release: plan.release }),
  });
  const id = (started.body as { id?: unknown } | undefined)?.id;
  if (![200, 201, 202].includes(started.status) || (typeof id !== "string" && typeof id !== "number")) {
    run.verdict("export job completes", {
      ok: false,
      detail: `POST ${exportsUrl}: ${started.status || "no answer"}, no job id`,
    });
  } else {
    const jobUrl = join(exportsUrl, `/${encodeURIComponent(String(id))}`);
    const state = await run.poll(
      async () => exportState((await run.request("GET", jobUrl, { headers: auth })).body),
      (s) => s !== "pending",
    );
    run.verdict("export job completes", {
      ok: state === "done",
      detail:
        state === "done"
          ? `job ${id} completed`
          : `job ${id} ${state === "failed" ? "failed" : `still pending after ${plan.smoke.waitSeconds} s`}`,
    });
  }

  const countUrl = join(api, paths.eventCountPath);
  if (baseline === undefined) {
    run.verdict("event ingestion flowing", { ok: false, detail: `GET ${countUrl} answered no {"count"}` });
    return;
  }
  const count = await run.poll(
    async () => eventCount((await run.request("GET", countUrl, { headers: auth })).body),
    (n) => n !== undefined && n > baseline,
  );
  run.verdict("event ingestion flowing", {
    ok: count !== undefined && count > baseline,
    detail: `events ${baseline} before the smoke requests, ${count ?? "unreadable"} after${
      count !== undefined && count > baseline ? "" : ` (within ${plan.smoke.waitSeconds} s)`
    }`,
  });
}

/** Runs the plan's stage; every result is reported as it comes, and returned. */
export async function runSmoke(
  plan: SmokePlan,
  io: SmokeIo,
  report: (r: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const run = new Runner(plan, io, report);
  const s = plan.smoke;
  if (plan.stage === "console-flip") {
    await flipChecks(run, plan, io);
    return run.results;
  }
  const final = plan.stage === "final";
  const adminToken = (t?: string) => io.env[s.adminTokenEnv] || t;
  if (final) {
    if (s.apiUrl) await run.expect("api ready", 200, "GET", join(s.apiUrl, "/readyz"));
    else run.skip("api ready", "apiUrl");
  }
  await run.expect("gateway ready", 200, "GET", join(s.gatewayUrl, "/readyz"));
  if (final) {
    if (s.consoleUrl) await run.expect("console ready", 200, "GET", join(s.consoleUrl, "/api/health"));
    else run.skip("console ready", "consoleUrl");
  }
  // Signed in first: the admin API may take the sign-in token, and it reads the event count next.
  let token: string | undefined;
  if (final) {
    if (!s.consoleUrl) run.skip("console sign-in", "consoleUrl");
    else if (!s.signIn) run.skip("console sign-in", "signIn");
    else token = await signIn(run, "console sign-in", s.consoleUrl, plan, io);
  }
  // Read before the guardrail's request, which the platform ingests as an event.
  const baseline =
    final && s.apiUrl
      ? eventCount(
          (await run.request("GET", join(s.apiUrl, s.adminApi.eventCountPath), { headers: bearer(adminToken(token)) }))
            .body,
        )
      : undefined;
  const prompt = JSON.stringify({ model: "smoke-test", messages: [{ role: "user", content: s.blockedPrompt }] });
  const chat = join(s.gatewayUrl, "/v1/chat/completions");
  const blocked = await run.until(s.expectedStatus, "POST", chat, {
    headers: { "content-type": "application/json", ...bearer(io.env[s.tokenEnv]) },
    body: prompt,
  });
  run.verdict("guardrail blocks the test prompt", statusVerdict(`POST ${chat}`, blocked, s.expectedStatus));
  if (!final) return run.results;

  if (s.consoleUrl) await consolePages(run, "console", s.consoleUrl, token, plan);
  else run.skip("console pages", "consoleUrl");
  if (s.apiUrl) await adminChecks(run, s.apiUrl, adminToken(token), plan, baseline);
  else
    for (const name of ["workers status", "export job completes", "event ingestion flowing"]) run.skip(name, "apiUrl");
  return run.results;
}
