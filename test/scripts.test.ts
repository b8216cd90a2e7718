/** The scripts the Command resources run, exercised for real: a loopback HTTP server and a fake kubectl. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT } from "./helpers";

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [path.join(PROJECT, "scripts", script)], { env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("scripts/smoke.sh", () => {
  let server: http.Server;
  let base = "";
  let blockedStatus = 409;
  const seen: { url: string; auth?: string; body: string }[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => { body += d; });
      req.on("end", () => {
        seen.push({ url: req.url ?? "", auth: req.headers.authorization, body });
        if (req.url === "/v1/chat/completions") res.writeHead(blockedStatus).end();
        else if (req.url === "/readyz" || req.url === "/api/health") res.writeHead(200).end("ok");
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const env = (record: string) => ({
    STACK: "staging", RELEASE: "1.5.1", SET_DIGEST: `sha256:${"a".repeat(64)}`, GATEWAY_URL: base, API_URL: base, CONSOLE_URL: base,
    BLOCKED_PROMPT: 'say "forbidden"', EXPECTED_STATUS: "409", TOKEN_ENV: "SMOKE_TOKEN", SMOKE_TOKEN: "t0ken", RECORD_FILE: record, SMOKE_RETRY_DELAY: "0",
  });

  it("passes when health answers 200 and the blocked prompt answers 409, and writes the record", async () => {
    blockedStatus = 409;
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smoke-")), "nested", "verified.json");
    const r = await run("smoke.sh", env(record));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^verification: passed$/m);
    const written = JSON.parse(fs.readFileSync(record, "utf8"));
    assert.equal(written.version, "1.5.1");
    assert.equal(written.smoke, "passed");
    assert.equal(written.checks.length, 4);
    const blocked = seen.find((s) => s.url === "/v1/chat/completions");
    assert.equal(blocked?.auth, "Bearer t0ken");
    assert.equal(JSON.parse(blocked?.body ?? "{}").messages[0].content, 'say "forbidden"');
  });

  it("fails, and writes no record, when the guardrail lets the prompt through", async () => {
    blockedStatus = 200;
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smoke-")), "verified.json");
    const r = await run("smoke.sh", env(record));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAIL  guardrail blocks the test prompt: got 200, want 409/);
    assert.equal(fs.existsSync(record), false);
  });
});

describe("scripts/openbao-snapshot.sh", () => {
  /** A kubectl stand-in: `exec -i ... sh -c` records the token from stdin; `exec ... cat` prints the snapshot. */
  function fakeKubectl(snapshot: Buffer): { bin: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-kubectl-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(path.join(dir, "snapshot.bin"), snapshot);
    fs.writeFileSync(path.join(dir, "kubectl"), `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
if [[ "$*" == *"sh -c"* ]]; then echo "stdin-token=$(cat)" >> ${JSON.stringify(log)}; exit 0; fi
if [[ "$*" == *" cat "* ]]; then cat ${JSON.stringify(path.join(dir, "snapshot.bin"))}; exit 0; fi
exit 0
`, { mode: 0o755 });
    return { bin: dir, log };
  }
  const baseEnv = (bin: string, file: string) => ({ PATH: `${bin}:${process.env.PATH}`, NAMESPACE: "aigw", OPENBAO_POD: "openbao-0", SNAPSHOT_FILE: file, BAO_TOKEN: "s.secret" });

  it("saves, copies and verifies the snapshot, passing the token on stdin only", async () => {
    const { bin, log } = fakeKubectl(gzipSync(Buffer.from("raft snapshot")));
    const file = path.join(bin, "out", "openbao-1-4-2-to-1-5-0.snap");
    const r = await run("openbao-snapshot.sh", baseEnv(bin, file));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[a-f0-9]{64}$/);
    const calls = fs.readFileSync(log, "utf8");
    assert.match(calls, /-n aigw exec -i openbao-0 -- sh -c BAO_TOKEN="\$\(cat\)" bao operator raft snapshot save/);
    assert.match(calls, /stdin-token=s\.secret/);
    assert.ok(!calls.split("\n").filter((l) => !l.startsWith("stdin-token=")).some((l) => l.includes("s.secret")), "token never on a command line");
  });

  it("refuses an empty or corrupt snapshot and leaves no file behind", async () => {
    for (const bad of [Buffer.alloc(0), Buffer.from("not gzip")]) {
      const { bin } = fakeKubectl(bad);
      const file = path.join(bin, "openbao.snap");
      const r = await run("openbao-snapshot.sh", baseEnv(bin, file));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /refusing to continue the upgrade/);
      assert.equal(fs.existsSync(file), false);
    }
  });
});

describe("scripts/await-backup.sh", () => {
  /** A kubectl that reports the Backup's phase from a file the test writes, and records its calls. */
  function fakeKubectl(phases: string[], extra: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "await-backup-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(path.join(dir, "phases"), phases.join("\n") + "\n");
    fs.writeFileSync(path.join(dir, "kubectl"), `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
case "$*" in
  *"{.status.phase}"*)
    # Each call reports the next phase of the list; the last one repeats.
    n=$(( $(cat ${JSON.stringify(path.join(dir, "count"))} 2>/dev/null || echo 0) + 1 )); echo "$n" > ${JSON.stringify(path.join(dir, "count"))}
    awk -v n="$n" '{ last = $0 } NR == n { print; found = 1; exit } END { if (!found) print last }' ${JSON.stringify(path.join(dir, "phases"))} ;;
  *"{.status.backupId}"*) printf '%s' ${JSON.stringify(extra.backupId ?? "20261122T120000")} ;;
  *"{.status.error}"*) printf '%s' ${JSON.stringify(extra.error ?? "")} ;;
esac
`, { mode: 0o755 });
    return { bin: dir, log };
  }
  const envFor = (bin: string) => ({ PATH: `${bin}:${process.env.PATH}`, NAMESPACE: "aigw", BACKUP: "pre-upgrade-platform-db-1-5-0-to-1-5-1", INTERVAL_SECONDS: "0", TIMEOUT_SECONDS: "5" });

  it("waits through running and prints the backupId once the Backup completes", async () => {
    const { bin, log } = fakeKubectl(["", "running", "completed"]);
    const r = await run("await-backup.sh", envFor(bin));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "20261122T120000");
    assert.match(fs.readFileSync(log, "utf8"), /-n aigw get backups\.postgresql\.cnpg\.io pre-upgrade-platform-db-1-5-0-to-1-5-1/);
  });

  it("fails at once when the Backup fails, with CloudNativePG's error, without waiting out the timeout", async () => {
    const { bin } = fakeKubectl(["running", "failed"], { error: "can't upload to s3://aigw-backups" });
    const started = Date.now();
    const r = await run("await-backup.sh", { ...envFor(bin), TIMEOUT_SECONDS: "3600" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pre-upgrade-platform-db-1-5-0-to-1-5-1 FAILED: can't upload to s3:\/\/aigw-backups; the upgrade stops here/);
    assert.ok(Date.now() - started < 30_000, "it did not wait for the hour-long timeout");
  });

  it("fails after the timeout when the Backup never finishes", async () => {
    const { bin } = fakeKubectl(["running"]);
    const r = await run("await-backup.sh", { ...envFor(bin), TIMEOUT_SECONDS: "1", INTERVAL_SECONDS: "1" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not complete in 1 s \(phase: running\)/);
  });
});
