/** What the smoke test makes of the platform's answers. Pure: bodies in, verdicts out. */

export interface Verdict {
  ok: boolean;
  detail: string;
}

const HEALTHY_WORKER = new Set(["running", "idle", "ok", "healthy"]);

function workerStatuses(body: unknown): Map<string, string> {
  const statuses = new Map<string, string>();
  const workers = (body as { workers?: unknown } | null)?.workers;
  if (Array.isArray(workers)) {
    for (const w of workers as { name?: unknown; status?: unknown }[]) {
      if (typeof w?.name === "string") statuses.set(w.name, String(w.status ?? "unknown"));
    }
  } else if (workers && typeof workers === "object") {
    for (const [name, w] of Object.entries(workers as Record<string, { status?: unknown } | null>)) {
      statuses.set(name, String(w?.status ?? "unknown"));
    }
  }
  return statuses;
}

/**
 * Every named worker is reported and healthy (running, idle, ok, healthy). Reads `{"workers":[{name,
 * status}]}` or `{"workers":{<name>:{status}}}`.
 */
export function workersVerdict(body: unknown, names: readonly string[]): Verdict {
  const statuses = workerStatuses(body);
  const shown = names.map((n) => `${n} ${statuses.get(n) ?? "missing"}`).join(", ");
  const ok = names.every((n) => HEALTHY_WORKER.has(statuses.get(n)?.toLowerCase() ?? ""));
  return { ok, detail: ok ? shown : `${shown} (each must be running, idle, ok or healthy)` };
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

/** The settings a console build answers (`{"apiUrl","gatewayUrl"}`) are the stack's, field by field. */
export function settingsVerdict(body: unknown, expected: Record<string, string | undefined>): Verdict {
  const got = (body ?? {}) as Record<string, unknown>;
  const wrong: string[] = [];
  for (const [field, want] of Object.entries(expected)) {
    if (want === undefined) continue;
    const value = got[field];
    if (typeof value !== "string" || !sameUrl(value, want)) {
      wrong.push(`${field} is ${value === undefined ? "missing" : JSON.stringify(value)}, the stack says ${want}`);
    }
  }
  const checked = Object.entries(expected).filter(([, v]) => v !== undefined);
  return wrong.length
    ? { ok: false, detail: wrong.join("; ") }
    : { ok: true, detail: checked.map(([f, v]) => `${f} ${v}`).join(", ") };
}

/** An event count from `{"count": n}`; undefined when the body holds none. */
export function eventCount(body: unknown): number | undefined {
  const count = (body as { count?: unknown } | null)?.count;
  return typeof count === "number" && Number.isFinite(count) ? count : undefined;
}

export type ExportState = "done" | "failed" | "pending";

/** An export job's state from `{"status"}`: completed or succeeded is done, failed or error is failed. */
export function exportState(body: unknown): ExportState {
  const status = String((body as { status?: unknown } | null)?.status).toLowerCase();
  if (status === "completed" || status === "succeeded") return "done";
  if (status === "failed" || status === "error") return "failed";
  return "pending";
}
