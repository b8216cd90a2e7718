/** The Prometheus HTTP API as the canary analysis reads it: one instant query, as a reading. */
import { readingOf, Reading } from "../lib/rollout/analysis";

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
    return { error: (err as Error).message.split("\n")[0] };
  }
}
