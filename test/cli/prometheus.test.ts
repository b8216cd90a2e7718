/**
 * cli/prometheus.ts: the canary's readings, from a Prometheus on loopback (real HTTP) and through a kubectl
 * stand-in for the API server's service proxy (its arguments asserted, its answers scripted).
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { queryClusterPrometheus, queryPrometheus } from "../../cli/prometheus";
import type { CommandOutput } from "../../cli/env";

const ONE_SERIES = { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [0, "0.02"] }] } };
const TWO_SERIES = {
  status: "success",
  data: { resultType: "vector", result: [0, 1].map((i) => ({ metric: { pod: `p${i}` }, value: [0, "1"] })) },
};

describe("queryPrometheus: one instant query over HTTP", () => {
  let server: http.Server;
  let base: string;
  const asked: string[] = [];
  /** path -> [status, body as sent]; a path not listed never answers (a hung Prometheus). */
  const answers = new Map<string, [number, string]>();
  before(async () => {
    server = http.createServer((req, res) => {
      asked.push(req.url ?? "");
      const answer = answers.get(new URL(req.url ?? "", "http://x").pathname);
      if (!answer) return;
      res.writeHead(answer[0], { "content-type": "application/json" }).end(answer[1]);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("asks /api/v1/query under the base address, with or without its trailing slash, and reads the value", async () => {
    answers.set("/prom/api/v1/query", [200, JSON.stringify(ONE_SERIES)]);
    asked.length = 0;
    assert.deepEqual(await queryPrometheus(`${base}/prom`, "sum(up)"), { value: 0.02 });
    assert.deepEqual(await queryPrometheus(`${base}/prom/`, "sum(up)"), { value: 0.02 });
    assert.deepEqual(asked, ["/prom/api/v1/query?query=sum%28up%29", "/prom/api/v1/query?query=sum%28up%29"]);
  });

  it("an answer that is not JSON is an error reading with the HTTP status", async () => {
    answers.set("/api/v1/query", [502, "<html>bad gateway</html>"]);
    const reading = await queryPrometheus(base, "sum(up)");
    assert.deepEqual(reading, { error: "Prometheus refused sum(up): HTTP 502" });
  });

  it("more than one series is an error reading, not a crash", async () => {
    answers.set("/api/v1/query", [200, JSON.stringify(TWO_SERIES)]);
    const reading = await queryPrometheus(base, "up");
    assert.deepEqual(reading, { error: "up returned 2 series; a canary metric must return one (aggregate it)" });
  });

  it("a Prometheus that does not answer in time is an error reading", async () => {
    answers.delete("/slow/api/v1/query");
    const reading = await queryPrometheus(`${base}/slow`, "up", 100);
    assert.ok("error" in reading, JSON.stringify(reading));
    assert.match(reading.error, /timeout|aborted/i);
  });

  it("one that cannot be reached is an error reading of one line", async () => {
    const reading = await queryPrometheus("http://127.0.0.1:9/", "up");
    assert.ok("error" in reading && !reading.error.includes("\n"), JSON.stringify(reading));
  });
});

describe("queryClusterPrometheus: through the API server's service proxy", () => {
  const PROXY = "/api/v1/namespaces/platform/services/http:prometheus-server:80/proxy/";
  const kubectlAnswering = (answer: CommandOutput) => {
    const calls: string[][] = [];
    return { calls, kubectl: (args: string[]) => (calls.push(args), answer) };
  };

  it("asks kubectl get --raw with the stack's flags, the query encoded, and a timeout", () => {
    const k = kubectlAnswering({ status: 0, stdout: JSON.stringify(ONE_SERIES), stderr: "" });
    const reading = queryClusterPrometheus(k.kubectl, ["--context", "prod"], "platform", 'sum(rate(x{a="b"}[1m]))');
    assert.deepEqual(reading, { value: 0.02 });
    assert.deepEqual(k.calls, [
      [
        "--context",
        "prod",
        "get",
        "--raw",
        `${PROXY}api/v1/query?query=${encodeURIComponent('sum(rate(x{a="b"}[1m]))')}`,
        "--request-timeout=10s",
      ],
    ]);
  });

  it("kubectl's failure is the reading's error: its last line of stderr, else of stdout, else the exit code", () => {
    const read = (answer: CommandOutput) =>
      queryClusterPrometheus(kubectlAnswering(answer).kubectl, [], "platform", "up");
    assert.deepEqual(
      read({ status: 1, stdout: "", stderr: "I1203 retrying\nError from server (ServiceUnavailable)\n" }),
      {
        error: `kubectl get --raw ${PROXY}…: Error from server (ServiceUnavailable)`,
      },
    );
    assert.deepEqual(read({ status: 1, stdout: "said on stdout\n", stderr: "  " }), {
      error: `kubectl get --raw ${PROXY}…: said on stdout`,
    });
    assert.deepEqual(read({ status: 124, stdout: "", stderr: "" }), { error: `kubectl get --raw ${PROXY}…: exit 124` });
  });

  it("an answer that is not JSON, or not one series, is an error reading, not a crash", () => {
    const read = (stdout: string) =>
      queryClusterPrometheus(kubectlAnswering({ status: 0, stdout, stderr: "" }).kubectl, [], "platform", "up");
    assert.deepEqual(read("<html>"), {
      error: `the Prometheus behind ${PROXY} answered with something other than JSON`,
    });
    assert.deepEqual(read(JSON.stringify(TWO_SERIES)), {
      error: "up returned 2 series; a canary metric must return one (aggregate it)",
    });
    assert.deepEqual(read(JSON.stringify({ status: "error", error: "parse error at char 3" })), {
      error: "Prometheus refused up: parse error at char 3",
    });
  });
});
