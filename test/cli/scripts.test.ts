/** The scripts the Command resources run, exercised for real: a fake kubectl and an object-store double. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { gzipSync } from "node:zlib";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT } from "../helpers";
import { ObjectStoreDouble, startObjectStore } from "../e2e/doubles/objectStore";

function run(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [path.join(PROJECT, "scripts", script)], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("scripts/openbao-snapshot.sh", () => {
  /** A kubectl stand-in: `exec -i ... sh -c` records the token from stdin; `exec ... cat` prints the snapshot. */
  function fakeKubectl(snapshot: Buffer): { bin: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-kubectl-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(path.join(dir, "snapshot.bin"), snapshot);
    fs.writeFileSync(
      path.join(dir, "kubectl"),
      `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
if [[ "$*" == *"sh -c"* ]]; then echo "stdin-token=$(cat)" >> ${JSON.stringify(log)}; exit 0; fi
if [[ "$*" == *" cat "* ]]; then cat ${JSON.stringify(path.join(dir, "snapshot.bin"))}; exit 0; fi
if [[ "$*" == *"get secret backup-s3-credentials"* ]]; then
  case "$*" in
    *ACCESS_KEY_ID*) printf '%s' "$(printf AKIAE2E | base64)" ;;
    *ACCESS_SECRET_KEY*) printf '%s' "$(printf s3-secret-key | base64)" ;;
  esac
  exit 0
fi
if [[ "$*" == *"get secret"* ]]; then echo 'Error from server (NotFound): secrets not found' >&2; exit 1; fi
exit 0
`,
      { mode: 0o755 },
    );
    return { bin: dir, log };
  }
  let store: ObjectStoreDouble;
  before(async () => {
    store = await startObjectStore();
  });
  after(() => store.stop());
  const baseEnv = (bin: string, file: string) => ({
    PATH: `${bin}:${process.env.PATH}`,
    NAMESPACE: "aigw",
    OPENBAO_POD: "openbao-0",
    SNAPSHOT_FILE: file,
    BAO_TOKEN: "s.secret",
    DESTINATION_PATH: "s3://aigw-backups/staging/",
    ENDPOINT_URL: store.url,
    CREDENTIALS_SECRET: "backup-s3-credentials",
    ENCRYPTION: "AES256",
  });

  it("uploads the verified snapshot beside the database backups, encrypted, and checks what was stored", async () => {
    const snapshot = gzipSync(Buffer.from("raft snapshot to keep"));
    const { bin } = fakeKubectl(snapshot);
    const file = path.join(bin, "openbao-1-4-2-to-1-5-0.snap");
    const r = await run("openbao-snapshot.sh", baseEnv(bin, file));
    assert.equal(r.code, 0, r.stderr);
    const stored = store.objects.get("/aigw-backups/staging/openbao/openbao-1-4-2-to-1-5-0.snap");
    assert.ok(stored, `stored: ${[...store.objects.keys()].join(", ")}`);
    assert.deepEqual([stored.body.equals(snapshot), stored.encryption, stored.signedBy], [true, "AES256", "AKIAE2E"]);
    assert.match(
      r.stderr,
      /stored s3:\/\/aigw-backups\/staging\/openbao\/openbao-1-4-2-to-1-5-0\.snap \(\d+ bytes, AES256\)/,
    );
  });

  it("fails the upgrade when the object store refuses the upload, the destination is not s3:// or the keys are missing", async () => {
    const { bin } = fakeKubectl(gzipSync(Buffer.from("raft snapshot")));
    const file = path.join(bin, "openbao.snap");
    const refused = await run("openbao-snapshot.sh", { ...baseEnv(bin, file), ENCRYPTION: "none" });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /the object store answered 400 to the upload of s3:\/\/aigw-backups\/staging\/openbao\/openbao\.snap/,
    );
    const gcs = await run("openbao-snapshot.sh", { ...baseEnv(bin, file), DESTINATION_PATH: "gs://aigw-backups/" });
    assert.equal(gcs.code, 1);
    assert.match(gcs.stderr, /gs:\/\/aigw-backups\/ is not an s3:\/\/ URL/);
    const keyless = await run("openbao-snapshot.sh", { ...baseEnv(bin, file), CREDENTIALS_SECRET: "missing" });
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /Secret aigw\/missing must hold ACCESS_KEY_ID and ACCESS_SECRET_KEY/);
  });

  it("saves, copies and verifies the snapshot, passing the token on stdin only", async () => {
    const { bin, log } = fakeKubectl(gzipSync(Buffer.from("raft snapshot")));
    const file = path.join(bin, "out", "openbao-1-4-2-to-1-5-0.snap");
    const r = await run("openbao-snapshot.sh", baseEnv(bin, file));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[a-f0-9]{64}$/);
    const calls = fs.readFileSync(log, "utf8");
    assert.match(calls, /-n aigw exec -i openbao-0 -- sh -c BAO_TOKEN="\$\(cat\)" bao operator raft snapshot save/);
    assert.match(calls, /stdin-token=s\.secret/);
    assert.ok(
      !calls
        .split("\n")
        .filter((l) => !l.startsWith("stdin-token="))
        .some((l) => l.includes("s.secret")),
      "token never on a command line",
    );
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
    fs.writeFileSync(
      path.join(dir, "kubectl"),
      `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
case "$*" in
  *"--watch"*)
    # A watch reports every phase of the list, then stays open, as the API server's does.
    cat ${JSON.stringify(path.join(dir, "phases"))}
    exec sleep 30 ;;
  *"{.status.phase}"*)
    # Each call reports the next phase of the list; the last one repeats.
    n=$(( $(cat ${JSON.stringify(path.join(dir, "count"))} 2>/dev/null || echo 0) + 1 )); echo "$n" > ${JSON.stringify(path.join(dir, "count"))}
    awk -v n="$n" '{ last = $0 } NR == n { print; found = 1; exit } END { if (!found) print last }' ${JSON.stringify(path.join(dir, "phases"))} ;;
  *"{.status.backupId}"*) printf '%s' ${JSON.stringify(extra.backupId ?? "20261122T120000")} ;;
  *"{.status.error}"*) printf '%s' ${JSON.stringify(extra.error ?? "")} ;;
esac
`,
      { mode: 0o755 },
    );
    return { bin: dir, log };
  }
  const envFor = (bin: string) => ({
    PATH: `${bin}:${process.env.PATH}`,
    NAMESPACE: "aigw",
    BACKUP: "pre-upgrade-platform-db-1-5-0-to-1-5-1",
    INTERVAL_SECONDS: "0",
    TIMEOUT_SECONDS: "5",
  });

  it("waits through running and prints the backupId once the Backup completes", async () => {
    const { bin, log } = fakeKubectl(["", "running", "completed"]);
    const r = await run("await-backup.sh", envFor(bin));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "20261122T120000");
    assert.match(
      fs.readFileSync(log, "utf8"),
      /-n aigw get backups\.postgresql\.cnpg\.io pre-upgrade-platform-db-1-5-0-to-1-5-1/,
    );
  });

  it("asks the install's context when KUBE_CONTEXT names one (lockstep:cluster), and no --context otherwise", async () => {
    const named = fakeKubectl(["completed"]);
    assert.equal((await run("await-backup.sh", { ...envFor(named.bin), KUBE_CONTEXT: "acme-eu" })).code, 0);
    const calls = fs.readFileSync(named.log, "utf8").trim().split("\n");
    assert.ok(
      calls.length >= 2 &&
        calls.every((c) => c.startsWith("--context=acme-eu -n aigw get backups.postgresql.cnpg.io ")),
      calls.join("\n"),
    );
    const plain = fakeKubectl(["completed"]);
    assert.equal((await run("await-backup.sh", envFor(plain.bin))).code, 0);
    assert.equal(fs.readFileSync(plain.log, "utf8").includes("--context"), false);
  });

  it("fails at once when the Backup fails, with CloudNativePG's error, without waiting out the timeout", async () => {
    const { bin } = fakeKubectl(["running", "failed"], { error: "can't upload to s3://aigw-backups" });
    const started = Date.now();
    const r = await run("await-backup.sh", { ...envFor(bin), TIMEOUT_SECONDS: "3600" });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /pre-upgrade-platform-db-1-5-0-to-1-5-1 FAILED: can't upload to s3:\/\/aigw-backups; the upgrade stops here/,
    );
    assert.ok(Date.now() - started < 30_000, "it did not wait for the hour-long timeout");
  });

  it("watches the Backup instead of polling it, and opens the watch again when the API server closes it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "await-backup-"));
    const log = path.join(dir, "calls.log");
    const count = path.join(dir, "count");
    // Each watch reports one phase and closes: running, then completed.
    fs.writeFileSync(
      path.join(dir, "kubectl"),
      `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
case "$*" in
  *"--watch"*)
    n=$(( $(cat ${JSON.stringify(count)} 2>/dev/null || echo 0) + 1 )); echo "$n" > ${JSON.stringify(count)}
    if (( n == 1 )); then echo running; else echo completed; fi ;;
  *"{.status.backupId}"*) printf 20261122T130000 ;;
esac
`,
      { mode: 0o755 },
    );
    const r = await run("await-backup.sh", envFor(dir));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "20261122T130000");
    const calls = fs.readFileSync(log, "utf8").trim().split("\n");
    assert.equal(calls.filter((c) => c.includes("--watch")).length, 2, calls.join("\n"));
    assert.equal(calls.filter((c) => !c.includes("--watch") && c.includes("{.status.phase}")).length, 0, "no poll");
  });

  describe("METHOD=volumeSnapshot", () => {
    /**
     * A completed snapshot Backup listing `snapshots`; each VolumeSnapshot reports readyToUse false for
     * its first `notReadyFor` reads, then true, or `error` when one is given.
     */
    function snapshotKubectl(snapshots: string[], options: { notReadyFor?: number; error?: string } = {}) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "await-snapshots-"));
      const log = path.join(dir, "calls.log");
      const count = path.join(dir, "count");
      fs.writeFileSync(path.join(dir, "snapshots"), snapshots.map((n) => `${n}\n`).join(""));
      fs.writeFileSync(
        path.join(dir, "kubectl"),
        `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
case "$*" in
  *"--watch"*) echo completed ;;
  *"backupSnapshotStatus"*) cat ${JSON.stringify(path.join(dir, "snapshots"))} ;;
  *"{.status.stoppedAt}"*) printf 2026-12-04T10:00:05Z ;;
  *"{.status.readyToUse}"*)
    n=$(( $(cat ${JSON.stringify(count)} 2>/dev/null || echo 0) + 1 )); echo "$n" > ${JSON.stringify(count)}
    if (( n > ${options.notReadyFor ?? 0} )); then printf true; else printf false; fi ;;
  *"{.status.error.message}"*) printf '%s' ${JSON.stringify(options.error ?? "")} ;;
esac
`,
        { mode: 0o755 },
      );
      return { bin: dir, calls: () => fs.readFileSync(log, "utf8") };
    }
    const snapshotEnv = (bin: string) => ({ ...envFor(bin), METHOD: "volumeSnapshot" });

    it("waits until every VolumeSnapshot the Backup lists is ready to use, then prints them and the stop time", async () => {
      const k = snapshotKubectl(["pre-upgrade-platform-db-1-5-0-to-1-5-1"], { notReadyFor: 2 });
      const r = await run("await-backup.sh", snapshotEnv(k.bin));
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        stoppedAt: "2026-12-04T10:00:05Z",
        snapshots: ["pre-upgrade-platform-db-1-5-0-to-1-5-1"],
      });
      const reads = k
        .calls()
        .split("\n")
        .filter((c) => c.includes("{.status.readyToUse}"));
      assert.equal(reads.length, 3, "it read the snapshot until it was ready");
      assert.match(
        reads[0],
        /-n aigw get volumesnapshots\.snapshot\.storage\.k8s\.io pre-upgrade-platform-db-1-5-0-to-1-5-1/,
      );
      assert.match(r.stderr, /VolumeSnapshot pre-upgrade-platform-db-1-5-0-to-1-5-1 is ready to use/);
    });

    it("fails at once on a snapshot error, naming the snapshot and the driver's message", async () => {
      const k = snapshotKubectl(["snap-a"], { notReadyFor: 1000, error: "csi: quota exceeded" });
      const r = await run("await-backup.sh", { ...snapshotEnv(k.bin), TIMEOUT_SECONDS: "3600" });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /VolumeSnapshot snap-a of pre-upgrade-platform-db-1-5-0-to-1-5-1 FAILED: csi: quota exceeded; the upgrade stops here/,
      );
    });

    it("fails when the Backup lists no snapshot, or one is never ready", async () => {
      const none = await run("await-backup.sh", snapshotEnv(snapshotKubectl([]).bin));
      assert.equal(none.code, 1);
      assert.match(none.stderr, /completed but lists no VolumeSnapshot/);
      const slow = snapshotKubectl(["snap-a"], { notReadyFor: 1000 });
      const late = await run("await-backup.sh", {
        ...snapshotEnv(slow.bin),
        TIMEOUT_SECONDS: "1",
        INTERVAL_SECONDS: "1",
      });
      assert.equal(late.code, 1);
      assert.match(late.stderr, /VolumeSnapshot snap-a of \S+ was not ready to use in 1 s/);
    });
  });

  it("fails after the timeout when the Backup never finishes", async () => {
    const { bin } = fakeKubectl(["running"]);
    const r = await run("await-backup.sh", { ...envFor(bin), TIMEOUT_SECONDS: "1", INTERVAL_SECONDS: "1" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not complete in 1 s \(phase: running\)/);
  });
});

/**
 * A kubectl stand-in scripted per call: each answer maps a pattern of the arguments to what it prints and
 * its exit code (first match wins; anything else prints nothing and succeeds). Every call is logged.
 */
function scriptedKubectl(answers: [RegExp, string, number?][], options: { stdinLog?: boolean } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
  const log = path.join(dir, "calls.log");
  const cases = answers
    .map(([pattern, out, code], i) => {
      fs.writeFileSync(path.join(dir, `answer-${i}`), out);
      fs.writeFileSync(path.join(dir, `pattern-${i}`), pattern.source);
      return `if [[ "$*" =~ $(cat ${JSON.stringify(path.join(dir, `pattern-${i}`))}) ]]; then cat ${JSON.stringify(path.join(dir, `answer-${i}`))}; exit ${code ?? 0}; fi`;
    })
    .join("\n");
  fs.writeFileSync(
    path.join(dir, "kubectl"),
    `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
${options.stdinLog ? `if [[ "$*" == *" -i "* || "$*" == *"-f -"* ]]; then echo "stdin=$(head -c 200 | tr -d '\\0' | base64 -w0)" >> ${JSON.stringify(log)}; fi` : ""}
${cases}
exit 0
`,
    { mode: 0o755 },
  );
  return { bin: dir, calls: () => fs.readFileSync(log, "utf8") };
}

describe("scripts/writers-down.sh", () => {
  const env = (bin: string, extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    NAMESPACE: "aigw",
    DEPLOYMENTS: "api worker-export",
    INTERVAL_SECONDS: "0",
    TIMEOUT_SECONDS: "5",
    ...extra,
  });

  it("scales every existing writer to 0, waits until it has no pods, and names what it stopped", async () => {
    const k = scriptedKubectl([
      [/get deployment worker-export$/, "NotFound", 1],
      [/status\.replicas/, ""],
    ]);
    const r = await run("writers-down.sh", env(k.bin));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "api");
    assert.match(k.calls(), /-n aigw scale deployment api --replicas=0/);
    assert.doesNotMatch(k.calls(), /scale deployment worker-export/);
    assert.match(r.stderr, /aigw\/worker-export does not exist; nothing to stop/);
  });

  it("fails, and the restore does not start, while a writer still has pods after the timeout", async () => {
    const k = scriptedKubectl([[/status\.replicas/, "2"]]);
    const r = await run("writers-down.sh", env(k.bin, { DEPLOYMENTS: "api", TIMEOUT_SECONDS: "0" }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /api still has 2 pod\(s\) after 0 s; the restore does not start while a writer runs/);
  });
});

describe("scripts/openbao-restore.sh", () => {
  const env = (bin: string, file: string, extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    NAMESPACE: "aigw",
    OPENBAO_POD: "openbao-0",
    SNAPSHOT_FILE: file,
    BAO_TOKEN: "s.secret",
    ...extra,
  });
  const snapshot = () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "snap-")), "openbao.snap");
    fs.writeFileSync(file, gzipSync(Buffer.from("raft snapshot")));
    return file;
  };

  it("streams the snapshot to the pod and restores it, the token on stdin, -force only when asked", async () => {
    for (const force of ["false", "true"]) {
      const k = scriptedKubectl([], { stdinLog: true });
      const r = await run("openbao-restore.sh", env(k.bin, snapshot(), { FORCE: force }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^[a-f0-9]{64}$/);
      const calls = k.calls();
      assert.match(calls, /-n aigw exec -i openbao-0 -- sh -c cat > \/tmp\/lockstep-restore\.snap/);
      assert.match(
        calls,
        new RegExp(
          `bao operator raft snapshot restore ${force === "true" ? "-force " : " "}/tmp/lockstep-restore\\.snap`,
        ),
      );
      assert.ok(calls.includes(`stdin=${Buffer.from("s.secret").toString("base64")}`), "the token went on stdin");
      assert.ok(
        !calls
          .split("\n")
          .filter((l) => !l.startsWith("stdin="))
          .some((l) => l.includes("s.secret")),
        "token never on a command line",
      );
    }
  });

  it("refuses a missing, empty or corrupt snapshot before touching the pod", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    fs.writeFileSync(path.join(dir, "empty"), "");
    fs.writeFileSync(path.join(dir, "corrupt"), "not gzip");
    for (const [file, why] of [
      [path.join(dir, "absent"), /missing or empty/],
      [path.join(dir, "empty"), /missing or empty/],
      [path.join(dir, "corrupt"), /not an intact gzip archive/],
    ] as const) {
      const k = scriptedKubectl([]);
      const r = await run("openbao-restore.sh", env(k.bin, file));
      assert.equal(r.code, 1);
      assert.match(r.stderr, why);
      assert.equal(fs.existsSync(path.join(k.bin, "calls.log")), false, "kubectl was never called");
    }
  });
});

describe("scripts/restore-drill.sh", () => {
  const manifest = JSON.stringify({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    metadata: { name: "platform-db-drill", namespace: "aigw" },
  });
  const env = (bin: string, extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    NAMESPACE: "aigw",
    CLUSTER: "platform-db-drill",
    MANIFEST: manifest,
    DRILL_ID: "2026-11-22",
    DATABASE_KEY: "platform",
    DATABASE: "platform",
    SOURCE: "platform-db",
    SOURCE_CLUSTER: "platform-db",
    INTERVAL_SECONDS: "0",
    TIMEOUT_SECONDS: "5",
    ...extra,
  });

  it("applies the scratch cluster, waits for Ready, queries it, deletes it, and prints the result as JSON", async () => {
    const k = scriptedKubectl(
      [
        [/Ready/, "True"],
        [/exec platform-db-drill-1 .*psql/, " 12\n"],
        [/exec platform-db-1 .*psql/, "12\n"],
      ],
      { stdinLog: true },
    );
    const r = await run("restore-drill.sh", env(k.bin));
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
    assert.deepEqual(
      { ...result, startedAt: "-", finishedAt: "-", seconds: 0 },
      {
        id: "2026-11-22",
        database: "platform",
        cluster: "platform-db-drill",
        source: "platform-db",
        passed: true,
        tables: 12,
        startedAt: "-",
        finishedAt: "-",
        seconds: 0,
      },
    );
    assert.match(result.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const calls = k.calls();
    assert.ok(
      calls.includes(`stdin=${Buffer.from(manifest).toString("base64").slice(0, 20)}`),
      "the manifest went to kubectl apply on stdin",
    );
    assert.match(calls, /-n aigw exec platform-db-drill-1 -c postgres -- psql -d platform -tAc/);
    assert.match(
      calls,
      /-n aigw delete clusters\.postgresql\.cnpg\.io platform-db-drill --ignore-not-found --wait=false/,
    );
    assert.match(
      r.stderr,
      /passed: platform-db-drill Ready, database platform holds 12 table\(s\), as platform-db does/,
    );
    assert.match(calls, /-n aigw exec platform-db-1 -c postgres -- psql -d platform -tAc/, "the source is asked too");
  });

  it("fails a restore with 0 tables, and one that holds fewer tables than the source", async () => {
    const drill = (restored: string, source: string) =>
      scriptedKubectl([
        [/Ready/, "True"],
        [/exec platform-db-drill-1 .*psql/, restored],
        [/exec platform-db-1 .*psql/, source],
      ]);
    const empty = await run("restore-drill.sh", env(drill("0", "12").bin));
    assert.equal(empty.code, 1);
    assert.match(
      empty.stderr,
      /FAILED: platform-db-drill restored database platform with 0 tables \(the source platform-db holds 12\): an empty restore is no restore/,
    );
    assert.doesNotMatch(empty.stdout, /"passed":true/);
    const short = await run("restore-drill.sh", env(drill("9", "12").bin));
    assert.equal(short.code, 1);
    assert.match(
      short.stderr,
      /FAILED: platform-db-drill restored 9 table\(s\) of database platform, and the source platform-db holds 12/,
    );
    const silent = await run("restore-drill.sh", env(drill("12", "").bin));
    assert.equal(silent.code, 1);
    assert.match(silent.stderr, /the source cluster platform-db did not answer/);
  });

  it("fails when the cluster never becomes Ready, and still deletes it", async () => {
    const k = scriptedKubectl([[/\{\.status\.phase\}/, "Setting up primary"]]);
    const r = await run("restore-drill.sh", env(k.bin, { TIMEOUT_SECONDS: "0" }));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /FAILED: platform-db-drill was not Ready after 0 s \(phase: Setting up primary\); the backups of platform-db did not restore/,
    );
    assert.match(k.calls(), /delete clusters\.postgresql\.cnpg\.io platform-db-drill/);
  });

  it("fails when the restored database does not answer", async () => {
    const k = scriptedKubectl([
      [/Ready/, "True"],
      [/psql/, "psql: error: connection refused"],
    ]);
    const r = await run("restore-drill.sh", env(k.bin));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Ready but database platform did not answer/);
  });
});
