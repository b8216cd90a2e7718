/**
 * TEST DOUBLE of the gateways' /metrics: no gateway process runs in the e2e tier, so this serves what a
 * real Prometheus scrapes from them, in the names the canary analysis queries: the request counter
 * `gateway_requests_total{namespace,track,code}` and the latency histogram
 * `gateway_request_duration_seconds`. Traffic splits between the tracks by the route's canary weight
 * (read at each scrape); what the canary answers is the test's to decide.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface CanaryBehaviour {
  /** Share of the canary's responses that are 5xx. @default 0 */
  errorRate?: number;
  /** Serve no canary series at all (a canary nobody scrapes yet). @default false */
  silent?: boolean;
}

export interface GatewayMetrics {
  /** `host:port` for a scrape target. */
  target: string;
  /** How the canary behaves from now on. */
  behave(behaviour: CanaryBehaviour): void;
  stop(): Promise<void>;
}

const BUCKETS = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"];

/**
 * Serves counters that grow with wall time at `requestsPerSecond`, the canary's share being
 * `canaryWeight()` percent. Every request lands in the 0.1 s bucket, on both tracks.
 */
export async function startGatewayMetrics(
  namespace: string,
  canaryWeight: () => number,
  requestsPerSecond = 200,
): Promise<GatewayMetrics> {
  let behaviour: CanaryBehaviour = {};
  const totals = { stable: { ok: 0, error: 0 }, canary: { ok: 0, error: 0 } };
  let last = Date.now();
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    const now = Date.now();
    const seconds = (now - last) / 1000;
    last = now;
    const weight = canaryWeight();
    const canary = (requestsPerSecond * seconds * weight) / 100;
    const errors = canary * (behaviour.errorRate ?? 0);
    totals.canary.ok += canary - errors;
    totals.canary.error += errors;
    totals.stable.ok += requestsPerSecond * seconds - canary;
    const lines = ["# TYPE gateway_requests_total counter", "# TYPE gateway_request_duration_seconds histogram"];
    for (const track of ["stable", "canary"] as const) {
      if (track === "canary" && behaviour.silent) continue;
      const on = (extra: string) => `{namespace="${namespace}",track="${track}"${extra}}`;
      const { ok, error } = totals[track];
      lines.push(
        `gateway_requests_total${on(',code="200"')} ${ok}`,
        `gateway_requests_total${on(',code="503"')} ${error}`,
      );
      for (const le of BUCKETS)
        lines.push(`gateway_request_duration_seconds_bucket${on(`,le="${le}"`)} ${le === "0.05" ? 0 : ok + error}`);
      lines.push(`gateway_request_duration_seconds_count${on("")} ${ok + error}`);
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    behave: (next) => {
      behaviour = next;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
