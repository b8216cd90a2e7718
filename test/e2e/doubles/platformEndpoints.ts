/**
 * TEST DOUBLE of the platform's HTTP surface, for the smoke test: no gateway, API or console process runs
 * in the e2e tier, so this answers on loopback exactly what scripts/smoke.sh checks. Health endpoints
 * answer 200; the guardrail blocks the configured prompt with 409 (or `blockedStatus`).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface PlatformEndpoints {
  url: string;
  /** Requests served, as `<method> <path> <status>`. */
  served: string[];
  /** Changes what the guardrail answers from now on (a broken release answers 200). */
  setBlockedStatus(status: number): void;
  stop(): Promise<void>;
}

export async function startPlatformEndpoints(blockedPrompt: string, blockedStatus = 409): Promise<PlatformEndpoints> {
  const served: string[] = [];
  let guardrail = blockedStatus;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      let status = 404;
      if (req.method === "GET" && (req.url === "/readyz" || req.url === "/api/health")) status = 200;
      else if (req.method === "POST" && req.url === "/v1/chat/completions")
        status = body.includes(blockedPrompt) ? guardrail : 200;
      served.push(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    setBlockedStatus: (status) => {
      guardrail = status;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
