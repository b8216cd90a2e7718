/**
 * TEST DOUBLE of the platform's HTTP surface and of Keycloak's OIDC endpoints, for the smoke test: no
 * gateway, API, console or identity provider process runs in the e2e tier, so this answers on loopback
 * what lib/smoke/run.ts calls, as the real ones would:
 *
 * - health (`/readyz`, `/api/health`) answers 200; the guardrail blocks the configured prompt with 409
 *   (or `blockedStatus`), and every chat request counts as one ingested event;
 * - `/realms/platform` answers OIDC discovery and a token endpoint that issues a token for the client's
 *   own credentials or a user's password; console pages and `/api/me` answer 200 only with that token;
 * - the admin API (admin token or an issued token) answers the workers' status, the event count, and
 *   export jobs that complete on their first read;
 * - `/preview/<color>` is each console color's own address, answering the settings its build holds.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const REALM_PATH = "/realms/platform";
export const SMOKE_CLIENT = { id: "lockstep-smoke", secret: "e2e-client-secret" };
export const ADMIN_TOKEN = "e2e-admin-token";

/** The final smoke stage's checks, in the order they run, when every address is configured: all answered here. */
export const FINAL_CHECKS = [
  "api ready",
  "gateway ready",
  "console ready",
  "console sign-in",
  "guardrail blocks the test prompt",
  "console page /dashboard",
  "workers status",
  "export job completes",
  "event ingestion flowing",
];

type Color = "blue" | "green";

export interface PlatformEndpoints {
  url: string;
  /** Requests served, as `<method> <path> <status>`. */
  served: string[];
  /** Changes what the guardrail answers from now on (a broken release answers 200). */
  setBlockedStatus(status: number): void;
  /** What one worker reports from now on (`running` at the start). */
  setWorkerStatus(name: string, status: string): void;
  /** The settings a color's build answers; by default the stack's smoke addresses (this double's url). */
  setConsoleSettings(color: Color, settings: Record<string, string>): void;
  /** From now on no request is ingested (the event count stands still). */
  stopIngestion(): void;
  stop(): Promise<void>;
}

/** The user's messages of a chat request, as the guardrail reads them. */
function promptOf(body: string): string {
  try {
    const messages = (JSON.parse(body) as { messages?: { content?: unknown }[] }).messages ?? [];
    return messages.map((m) => String(m.content ?? "")).join("\n");
  } catch {
    return body;
  }
}

export async function startPlatformEndpoints(blockedPrompt: string, blockedStatus = 409): Promise<PlatformEndpoints> {
  const served: string[] = [];
  let guardrail = blockedStatus;
  let events = 0;
  let ingesting = true;
  let nextExport = 1;
  const exports = new Set<string>();
  const issued = new Set<string>();
  const workers: Record<string, string> = { export: "running", lifecycle: "running", config: "running" };
  const settings: Partial<Record<Color, Record<string, string>>> = {};
  let url = "";

  const bearer = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const signedIn = (req: http.IncomingMessage) => issued.has(bearer(req) ?? "");
  const admin = (req: http.IncomingMessage) => bearer(req) === ADMIN_TOKEN || signedIn(req);

  function token(body: string): [number, unknown] {
    const form = new URLSearchParams(body);
    const client = form.get("client_id") === SMOKE_CLIENT.id && form.get("client_secret") === SMOKE_CLIENT.secret;
    const grant = form.get("grant_type");
    const user = grant === "password" ? form.get("username") === "smoke" && form.get("password") === "smoke-pw" : true;
    if (!client || !user || !["password", "client_credentials"].includes(grant ?? "")) {
      return [401, { error: "invalid_client" }];
    }
    const accessToken = `e2e-token-${issued.size + 1}`;
    issued.add(accessToken);
    return [200, { access_token: accessToken, token_type: "Bearer", expires_in: 300 }];
  }

  function answer(req: http.IncomingMessage, body: string): [number, unknown] {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0];
    const preview = /^\/preview\/(blue|green)(\/.*)$/.exec(path);
    const page = preview ? preview[2] : path;
    if (method === "GET" && (page === "/readyz" || page === "/api/health")) return [200, { status: "ok" }];
    if (method === "GET" && preview && page === "/api/config") {
      return [200, settings[preview[1] as Color] ?? { apiUrl: url, gatewayUrl: url }];
    }
    if (method === "POST" && path === "/v1/chat/completions") {
      if (ingesting) events++;
      return promptOf(body).includes(blockedPrompt)
        ? [guardrail, { error: "blocked by policy" }]
        : [200, { choices: [] }];
    }
    if (method === "GET" && path === `${REALM_PATH}/.well-known/openid-configuration`) {
      return [
        200,
        { issuer: `${url}${REALM_PATH}`, token_endpoint: `${url}${REALM_PATH}/protocol/openid-connect/token` },
      ];
    }
    if (method === "POST" && path === `${REALM_PATH}/protocol/openid-connect/token`) return token(body);
    if (path.startsWith("/v1/admin/")) {
      if (!admin(req)) return [401, { error: "unauthorized" }];
      if (method === "GET" && path === "/v1/admin/workers/status") {
        return [200, { workers: Object.entries(workers).map(([name, status]) => ({ name, status })) }];
      }
      if (method === "GET" && path === "/v1/admin/events/count") return [200, { count: events }];
      if (method === "POST" && path === "/v1/admin/exports") {
        const id = `export-${nextExport++}`;
        exports.add(id);
        return [202, { id, status: "queued" }];
      }
      const job = /^\/v1\/admin\/exports\/([^/]+)$/.exec(path)?.[1];
      if (method === "GET" && job) return exports.has(job) ? [200, { id: job, status: "completed" }] : [404, {}];
    }
    if (method === "GET" && (page === "/api/me" || page === "/dashboard")) {
      return signedIn(req) ? [200, { user: "smoke" }] : [401, { error: "sign in" }];
    }
    return [404, {}];
  }

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      const [status, json] = answer(req, body);
      served.push(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    served,
    setBlockedStatus: (status) => {
      guardrail = status;
    },
    setWorkerStatus: (name, status) => {
      workers[name] = status;
    },
    setConsoleSettings: (color, s) => {
      settings[color] = s;
    },
    stopIngestion: () => {
      ingesting = false;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
