/** The Prometheus HTTP API as the canary analysis reads it: one instant query, as a reading. */
import { readingOf, Reading } from "../lib/rollout/analysis";
import { prometheusProxyPath } from "../lib/rollout/metricsSource";
import type { CliEnv } from "./env";

/** A failed query as a reading: its first line, so a sample's row stays one line. */
const errorReading = (err: unknown): Reading => ({ error: (err as Error).message.split("\n")[0] });

/**
 * Runs `promql` at `baseUrl`'s `/api/v1/query`. A Prometheus that cannot be reached, answers with an
 * error or with more than one series is a reading of its own (`error`): the sample fails, it is not
 * taken as no data.
 */
export async function queryPrometheus(baseUrl: string, promql: string, timeoutMs = 10_000): Promise<Reading> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("query", promql);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body: unknown = await response.json().catch(() => ({ status: `HTTP ${response.status}` }));
    return readingOf(body, promql);
  } catch (err) {
    return errorReading(err);
  }
}

/**
 * Runs `promql` against the release set's own Prometheus in `namespace`, through the API server's service
 * proxy (`kubectl get --raw`, with the stack's kubeconfig flags). kubectl's failure is the reading's error.
 */
export function queryClusterPrometheus(
  kubectl: CliEnv["kubectl"],
  target: readonly string[],
  namespace: string,
  promql: string,
): Reading {
  const proxy = prometheusProxyPath(namespace);
  const out = kubectl([
    ...target,
    "get",
    "--raw",
    `${proxy}api/v1/query?query=${encodeURIComponent(promql)}`,
    "--request-timeout=10s",
  ]);
  if (out.status !== 0) {
    const why = (out.stderr.trim() || out.stdout.trim() || `exit ${String(out.status)}`).split("\n").at(-1);
    return { error: `kubectl get --raw ${proxy}…: ${why}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(out.stdout);
  } catch {
    return { error: `the Prometheus behind ${proxy} answered with something other than JSON` };
  }
  // A refused query or more than one series fails the sample, as over HTTP: the step aborts, not the run.
  try {
    return readingOf(body, promql);
  } catch (err) {
    return errorReading(err);
  }
}
