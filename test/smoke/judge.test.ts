import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventCount, exportState, settingsVerdict, workersVerdict } from "../../lib/smoke/judge";
import { SMOKE_WORKERS } from "../../lib/smoke/plan";

describe("the smoke test's judgments", () => {
  const healthy = { workers: SMOKE_WORKERS.map((name) => ({ name, status: "running" })) };

  it("workers: every one reported and healthy, as a list or keyed by name", () => {
    assert.deepEqual(workersVerdict(healthy, SMOKE_WORKERS), {
      ok: true,
      detail: "export running, lifecycle running, config running",
    });
    const keyed = {
      workers: { export: { status: "idle" }, lifecycle: { status: "OK" }, config: { status: "healthy" } },
    };
    assert.equal(workersVerdict(keyed, SMOKE_WORKERS).ok, true);
  });

  it("workers: one stopped, missing or unreadable fails, naming each worker's state", () => {
    const stopped = { workers: [...healthy.workers.slice(0, 2), { name: "config", status: "stopped" }] };
    assert.deepEqual(workersVerdict(stopped, SMOKE_WORKERS), {
      ok: false,
      detail: "export running, lifecycle running, config stopped (each must be running, idle, ok or healthy)",
    });
    assert.match(workersVerdict({ workers: healthy.workers.slice(1) }, SMOKE_WORKERS).detail, /^export missing/);
    assert.equal(workersVerdict("<html>", SMOKE_WORKERS).ok, false);
    assert.equal(workersVerdict(null, SMOKE_WORKERS).ok, false);
  });

  it("workers: a body without workers, a null entry or one without a status reads as missing or unknown", () => {
    const missing = "export missing, lifecycle missing, config missing (each must be running, idle, ok or healthy)";
    assert.deepEqual(workersVerdict({}, SMOKE_WORKERS), { ok: false, detail: missing });
    assert.deepEqual(workersVerdict({ workers: "running" }, SMOKE_WORKERS), { ok: false, detail: missing });
    const listed = { workers: [null, { name: "export" }, ...healthy.workers.slice(1)] };
    assert.match(workersVerdict(listed, SMOKE_WORKERS).detail, /^export unknown, lifecycle running/);
    const keyed = { workers: { export: null, lifecycle: { status: "RUNNING" }, config: {} } };
    assert.deepEqual(workersVerdict(keyed, SMOKE_WORKERS), {
      ok: false,
      detail: "export unknown, lifecycle RUNNING, config unknown (each must be running, idle, ok or healthy)",
    });
  });

  it("settings: each field the stack names must match, a trailing slash aside", () => {
    const expected = { apiUrl: "https://api.example.com", gatewayUrl: "https://gateway.example.com" };
    assert.deepEqual(
      settingsVerdict({ apiUrl: "https://api.example.com/", gatewayUrl: "https://gateway.example.com" }, expected),
      {
        ok: true,
        detail: "apiUrl https://api.example.com, gatewayUrl https://gateway.example.com",
      },
    );
    assert.deepEqual(
      settingsVerdict(
        { apiUrl: "https://api.staging.example.com", gatewayUrl: "https://gateway.example.com" },
        expected,
      ),
      {
        ok: false,
        detail: 'apiUrl is "https://api.staging.example.com", the stack says https://api.example.com',
      },
    );
    assert.equal(settingsVerdict({ apiUrl: "https://api.example.com//" }, { apiUrl: expected.apiUrl }).ok, true);
    assert.deepEqual(settingsVerdict({ apiUrl: "https://a" }, { apiUrl: "https://a", gatewayUrl: undefined }), {
      ok: true,
      detail: "apiUrl https://a",
    });
    assert.match(settingsVerdict({}, expected).detail, /apiUrl is missing.*; gatewayUrl is missing/);
    assert.equal(
      settingsVerdict({}, { apiUrl: undefined, gatewayUrl: "https://g" }).detail,
      "gatewayUrl is missing, the stack says https://g",
    );
  });

  it("an event count only from a finite number", () => {
    assert.equal(eventCount({ count: 0 }), 0);
    assert.equal(eventCount({ count: 12 }), 12);
    assert.equal(eventCount({ count: "12" }), undefined);
    assert.equal(eventCount({ count: Number.NaN }), undefined);
    assert.equal(eventCount(undefined), undefined);
  });

  it("an export job is done, failed or still pending", () => {
    assert.equal(exportState({ status: "completed" }), "done");
    assert.equal(exportState({ status: "Succeeded" }), "done");
    assert.equal(exportState({ status: "failed" }), "failed");
    assert.equal(exportState({ status: "error" }), "failed");
    assert.equal(exportState({ status: "running" }), "pending");
    assert.equal(exportState("not json"), "pending");
    assert.equal(exportState({}), "pending");
    assert.equal(exportState(null), "pending");
  });
});
