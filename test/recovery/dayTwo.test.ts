/**
 * The day-two commands: `lockstep rollback` and `lockstep restore` write the stack change only when its
 * plan passes and show that plan; preflight shows the last drill's age; promote can require a recent one.
 * On temp project copies, with fakes of the Automation API (which check the stack they are asked for).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { getRelease, loadCatalog, setDigest } from "../../lib/release/catalog";
import { editStackConfig } from "../../lib/config/stackFile";
import { plan } from "../../plan/plan";
import { env, lockstep, snapshot, tempProject } from "../cliKit";
import { golden } from "../goldenKit";
import { PROJECT } from "../helpers";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const catalog = loadCatalog(path.join(PROJECT, "releases"));
const AFTER_WINDOW = JSON.parse(
  fs.readFileSync(path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json"), "utf8"),
) as Loose;
/** Staging after the window, its smoke test passed on 1.5.1: what promote reads. */
const VERIFIED_STAGING = {
  ...AFTER_WINDOW,
  verification: {
    status: "passed",
    version: "1.5.1",
    setDigest: setDigest(getRelease(catalog, "1.5.1")),
    verifiedAt: "2026-11-21T10:00:00Z",
  },
  release: { version: "1.5.1", setDigest: setDigest(getRelease(catalog, "1.5.1")) },
};
const stackValues = (dir: string, stack: string) =>
  (parseYaml(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config: Loose }).config;

describe("lockstep rollback", () => {
  it("refuses a restore point that returns to a release the catalog lacks, naming the point, not config keys", async () => {
    const dir = tempProject();
    const before = snapshot(dir);
    const point = { ...(AFTER_WINDOW.restorePoint as Loose), from: "1.4.9" };
    const r = await lockstep(
      env(dir, { outputs: { staging: { ...AFTER_WINDOW, restorePoint: point } } }),
      "rollback",
      "--stack",
      "staging",
    );
    assert.equal(r.code, 2, r.stdout);
    assert.equal(
      r.stderr.trim(),
      "lockstep rollback: stack staging's restore point (in the outputs of stack staging) returns to 1.4.9, which is not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0); a rollback can only return to a release the catalog still holds",
    );
    assert.deepEqual(snapshot(dir), before);
  });

  it("writes release, rollback and a restore from the window's backups, then the plan of the changed stack passes", async () => {
    const dir = tempProject();
    const r = await lockstep(
      env(dir, { outputs: { staging: AFTER_WINDOW }, now: "2026-11-22T09:00:00Z" }),
      "rollback",
      "--stack",
      "staging",
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      /^rollback staging: 1\.5\.1 -> 1\.5\.0 \(restore: the databases come back from the backups of window 1\.5\.0 -> 1\.5\.1\), because 1\.5\.1's migrations are contract/,
    );
    assert.match(r.stdout, /wrote Pulumi\.staging\.yaml/);
    const config = stackValues(dir, "staging");
    assert.equal(config["lockstep:release"], "1.5.0");
    assert.deepEqual(config["lockstep:rollback"], { from: "1.5.1", mode: "restore" });
    assert.deepEqual(config["lockstep:restore"], {
      name: "rb-1-5-1-1122",
      databases: ["platform", "identity"],
      backupIDs: { platform: "20261120T101500", identity: "20261120T101502" },
      source: { platform: "platform-db", identity: "keycloak-db" },
      targetImmediate: true,
    });
    assert.equal(config["lockstep:console"].live, "green", "the color still on 1.5.0 goes live again");
    // The written stack plans clean, from what runs.
    const replan = await plan({
      stack: "staging",
      deployed: path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json"),
      projectDir: dir,
      catalogDir: path.join(dir, "releases"),
    });
    assert.deepEqual(replan.violations, []);
    assert.equal(replan.rollback?.mode, "restore");
    assert.match(
      replan.rollback?.reason ?? "",
      /rows written after that are not in the restored databases/,
      "the plan says what the restore loses",
    );
  });

  it("from volume-snapshot backups: the restore goes to the moment the last snapshot stopped, from the object store's WAL", async () => {
    const dir = tempProject();
    const snapshotPoint = structuredClone(AFTER_WINDOW.restorePoint as Loose);
    const stopped = { platform: "2026-11-20T10:15:04Z", identity: "2026-11-20T10:15:09Z" };
    for (const key of ["platform", "identity"] as const) {
      const taken = snapshotPoint.backups[key];
      snapshotPoint.backups[key] = {
        ...taken,
        backupId: `pre-upgrade-${taken.cluster}-1-5-0-to-1-5-1`,
        method: "volumeSnapshot",
        snapshots: [`pre-upgrade-${taken.cluster}-1-5-0-to-1-5-1`],
        stoppedAt: stopped[key],
      };
    }
    const outputs = { staging: { ...AFTER_WINDOW, restorePoint: snapshotPoint } };
    const r = await lockstep(env(dir, { outputs, now: "2026-11-22T09:00:00Z" }), "rollback", "--stack", "staging");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(stackValues(dir, "staging")["lockstep:restore"], {
      name: "rb-1-5-1-1122",
      databases: ["platform", "identity"],
      source: { platform: "platform-db", identity: "keycloak-db" },
      targetTime: "2026-11-20T10:15:09Z",
    });
    const deployedFile = path.join(dir, "deployed.json");
    fs.writeFileSync(deployedFile, JSON.stringify(outputs.staging));
    const replan = await plan({
      stack: "staging",
      deployed: deployedFile,
      projectDir: dir,
      catalogDir: path.join(dir, "releases"),
    });
    assert.deepEqual(replan.violations, [], "restore-integrity and rollback-with-data pass a restore to the time");
    assert.match(replan.rollback?.reason ?? "", /rows written after that are not in the restored databases/);

    const noTime = structuredClone(snapshotPoint);
    delete noTime.backups.identity.stoppedAt;
    const refused = await lockstep(
      env(tempProject(), { outputs: { staging: { ...AFTER_WINDOW, restorePoint: noTime } } }),
      "rollback",
      "--stack",
      "staging",
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /restore point has volume-snapshot backups without a stop time/);
  });

  it("on prod, carries the promotion of the set that ran before the window, by its digest", async () => {
    const dir = tempProject();
    const outputs = structuredClone(AFTER_WINDOW);
    const r = await lockstep(env(dir, { outputs: { prod: outputs } }), "rollback", "--stack", "prod", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const promotion = stackValues(dir, "prod")["lockstep:promotion"];
    assert.equal(promotion.version, "1.5.0");
    assert.equal(promotion.setDigest, setDigest(getRelease(catalog, "1.5.0")));
    assert.equal(promotion.verifiedIn, "prod");
    assert.equal(JSON.parse(r.stdout).plan.violations.length, 0);
  });

  it("offers expand-only where the release left behind says so, and writes no restore", async () => {
    const dir = tempProject();
    const outputs: Loose = {
      ...structuredClone(AFTER_WINDOW),
      release: { version: "1.4.2" },
      workloads: Object.fromEntries(Object.keys(AFTER_WINDOW.workloads).map((w) => [w, "1.4.2"])),
    };
    outputs.restorePoint = { ...outputs.restorePoint, from: "1.3.4", to: "1.4.2" };
    setRelease(dir, "staging", { release: "1.4.2", console: { blue: "1.4.2", green: "1.4.2", live: "blue" } });
    const r = await lockstep(env(dir, { outputs: { staging: outputs } }), "rollback", "--stack", "staging");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      /1\.4\.2 -> 1\.3\.4 \(expand-only: on the current schema, data kept\), because 1\.4\.2's migrations are expand-only/,
    );
    assert.match(r.stdout, /rollback 1\.4\.2 -> 1\.3\.4 \(expand-only\), on the current schema: no restore, because/);
    const config = stackValues(dir, "staging");
    assert.deepEqual(config["lockstep:rollback"], { from: "1.4.2", mode: "expand-only" });
    assert.equal(config["lockstep:restore"], undefined);
  });

  it("refuses, writing nothing, what cannot be rolled back", async () => {
    const cases: [string, Loose | null, string[], RegExp][] = [
      [
        "no restore point",
        { ...AFTER_WINDOW, restorePoint: null },
        [],
        /stack staging has no restore point in the outputs of stack staging/,
      ],
      [
        "a window that is not the last one",
        { ...AFTER_WINDOW, release: { version: "1.5.0" } },
        [],
        /runs 1\.5\.0, but its last window went 1\.5\.0 -> 1\.5\.1/,
      ],
      [
        "expand-only from contract migrations",
        AFTER_WINDOW,
        ["--mode", "expand-only"],
        /lockstep:rollback\.mode = "expand-only": release 1\.5\.1's migrations are contract/,
      ],
      [
        "an unknown mode",
        AFTER_WINDOW,
        ["--mode", "sideways"],
        /--mode "sideways": must be one of restore, expand-only/,
      ],
      ["nothing deployed", null, [], /lockstep rollback needs what the stack runs/],
    ];
    for (const [what, outputs, flags, message] of cases) {
      const dir = tempProject();
      const before = snapshot(dir);
      const fakes = outputs === null ? { outputs: null } : { outputs: { staging: outputs } };
      const r = await lockstep(env(dir, fakes), "rollback", "--stack", "staging", ...flags);
      assert.equal(r.code, 2, `${what}: ${r.stdout}`);
      assert.match(r.stderr, message, what);
      assert.deepEqual(snapshot(dir), before, `${what}: nothing written`);
    }
  });
});

function setRelease(dir: string, stack: string, updates: Record<string, unknown>) {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, editStackConfig(file, fs.readFileSync(file, "utf8"), updates));
}

describe("lockstep restore", () => {
  it("writes a point-in-time restore of one database, recovering from what runs now", async () => {
    const dir = tempProject();
    const outputs = {
      ...structuredClone(AFTER_WINDOW),
      databases: {
        platform: { cluster: "platform-db-r1", serverName: "platform-db-r1", keptOrigin: true },
        identity: AFTER_WINDOW.databases.identity,
      },
    };
    setRelease(dir, "staging", { restore: { name: "r1", databases: ["platform"] } });
    const r = await lockstep(
      env(dir, { outputs: { staging: outputs } }),
      "restore",
      "--stack",
      "staging",
      "--name",
      "r2",
      "--databases",
      "platform",
      "--target-time",
      "2026-11-20T10:00:00Z",
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(stackValues(dir, "staging")["lockstep:restore"], {
      name: "r2",
      databases: ["platform"],
      targetTime: "2026-11-20T10:00:00Z",
      source: { platform: "platform-db-r1" },
    });
    assert.match(
      r.stdout,
      /platform-db-r2 \(new, recovered in this deployment\): platform-db-r1 as it was at 2026-11-20T10:00:00Z/,
    );
    assert.match(r.stdout, /writers-down-r2/);
  });

  it("restores into a stack that runs nothing, without declaring an empty origin", async () => {
    const dir = tempProject();
    const r = await lockstep(env(dir, { outputs: null }), "restore", "--stack", "staging", "--name", "dr1", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    const clusters = out.plan.resources
      .filter((x: Loose) => x.type === "kubernetes:postgresql.cnpg.io/v1:Cluster")
      .map((x: Loose) => x.name);
    assert.deepEqual(clusters.sort(), ["keycloak-db-dr1-cluster", "platform-db-dr1-cluster"]);
    assert.equal(
      out.plan.waves.some((w: Loose) => w.id === "writers-down"),
      false,
      "nothing runs, nothing to stop",
    );
  });

  it("writes nothing when the changed stack's plan breaks a mandatory policy, and writes past an advisory one", async () => {
    const dir = tempProject();
    // Prod's file names a set staging never verified: prod-promoted-only refuses every plan of it.
    setRelease(dir, "prod", { release: "2.0.0", console: { blue: "2.0.0", green: "2.0.0", live: "blue" } });
    const before = snapshot(dir);
    const restore = (...flags: string[]) =>
      lockstep(env(dir, { outputs: null }), "restore", "--stack", "prod", "--name", "dr1", ...flags);
    const refused = await restore("--json");
    assert.equal(refused.code, 1, refused.stderr);
    const out = JSON.parse(refused.stdout);
    assert.deepEqual([out.ok, out.written, out.file], [false, false, "Pulumi.prod.yaml"]);
    assert.ok(out.plan.violations.some((v: Loose) => v.policy === "prod-promoted-only" && v.level === "mandatory"));
    const human = await restore();
    assert.match(
      human.stdout,
      /^refused: the plan of the changed stack violates \d+ mandatory policy\(ies\), so Pulumi\.prod\.yaml was not written$/m,
    );
    assert.deepEqual(snapshot(dir), before, "nothing written");

    fs.writeFileSync(
      path.join(dir, "policy", "config", "prod.json"),
      JSON.stringify({ all: "mandatory", "prod-promoted-only": "advisory" }),
    );
    const advised = await restore("--json");
    assert.equal(advised.code, 0, advised.stderr + advised.stdout);
    const written = JSON.parse(advised.stdout);
    assert.deepEqual([written.ok, written.written], [true, true]);
    assert.ok(written.plan.violations.some((v: Loose) => v.policy === "prod-promoted-only" && v.level === "advisory"));
    assert.equal(stackValues(dir, "prod")["lockstep:restore"].name, "dr1");
  });

  it("a dry run plans the change and writes nothing, saying so", async () => {
    const dir = tempProject();
    const before = snapshot(dir);
    const dryRun = (...flags: string[]) =>
      lockstep(env(dir, { outputs: null }), "restore", "--stack", "staging", "--name", "dr1", "--dry-run", ...flags);
    const r = await dryRun();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dry run: Pulumi\.staging\.yaml was not written$/m);
    const json = JSON.parse((await dryRun("--json")).stdout);
    assert.deepEqual([json.ok, json.written], [true, false]);
    assert.deepEqual(snapshot(dir), before);
  });

  it("refuses, writing nothing, bad input naming the flag or the key", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--name", "r1", "--target-time", "2026-11-20 10:00"],
        /lockstep:restore\.targetTime = "2026-11-20 10:00": must be an RFC 3339 timestamp/,
      ],
      [["--name", "r1", "--backup-id", "platfrom=123"], /--backup-id "platfrom=123": expected <database>=<backupId>/],
      [
        ["--name", "r1", "--target-time", "2099-01-01T00:00:00Z"],
        /^lockstep restore: --target-time 2099-01-01T00:00:00Z: later than now \(2026-11-21T12:00:00\.000Z\); a point-in-time recovery targets a time that has passed/,
      ],
      [["--name", "R1"], /lockstep:restore\.name = "R1": must be a short DNS label/],
      [
        ["--name", "r1", "--databases", "platform,billing"],
        /--databases "platform,billing": expected a comma-separated list of platform, identity/,
      ],
      [[], /--name is required/],
    ];
    for (const [flags, message] of cases) {
      const dir = tempProject();
      const before = snapshot(dir);
      const r = await lockstep(
        env(dir, { outputs: { staging: AFTER_WINDOW } }),
        "restore",
        "--stack",
        "staging",
        ...flags,
      );
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, message);
      assert.deepEqual(snapshot(dir), before);
    }
  });
});

describe("restore drills in preflight and promote", () => {
  const drill = {
    id: "2026-11-01",
    database: "platform",
    cluster: "platform-db-drill",
    source: "platform-db",
    passed: true,
    startedAt: "2026-11-01T10:00:00Z",
    finishedAt: "2026-11-01T10:04:00Z",
    seconds: 240,
  };

  it("preflight shows the last passing drill's age, and fails it only against --max-drill-age", async () => {
    const dir = tempProject();
    const outputs = { staging: { ...AFTER_WINDOW, restoreDrill: drill } };
    const shown = await lockstep(
      env(dir, { outputs, now: "2026-11-21T10:04:00Z" }),
      "preflight",
      "--stack",
      "staging",
      "--json",
    );
    const row = (out: string) => JSON.parse(out).rows.find((x: Loose) => x.check === "restore drill");
    assert.deepEqual(row(shown.stdout), {
      check: "restore drill",
      status: "✓",
      reason: "restore drill 2026-11-01 passed 20.0 days ago (platform-db-drill recovered platform-db in 240 s)",
    });
    const judged = await lockstep(
      env(dir, { outputs, now: "2026-11-21T10:04:00Z" }),
      "preflight",
      "--stack",
      "staging",
      "--max-drill-age",
      "14",
      "--json",
    );
    assert.equal(row(judged.stdout).status, "✗");
    assert.match(row(judged.stdout).reason, /older than the 14 days required/);
    const none = await lockstep(
      env(dir, { outputs: { staging: AFTER_WINDOW } }),
      "preflight",
      "--stack",
      "staging",
      "--json",
    );
    assert.equal(row(none.stdout).status, "–");
  });

  it("promote --require-drill-days refuses, writing nothing, when prod's last drill is too old or missing", async () => {
    for (const [prodDrill, ok] of [
      [drill, false],
      [undefined, false],
      [{ ...drill, finishedAt: "2026-11-20T10:00:00Z" }, true],
    ] as const) {
      const dir = tempProject();
      setRelease(dir, "prod", {
        release: "1.5.0",
        console: { blue: "1.5.0", green: "1.5.0", live: "blue" },
        promotion: {
          version: "1.5.0",
          setDigest: setDigest(getRelease(catalog, "1.5.0")),
          verifiedIn: "staging",
          verifiedAt: "2026-11-01T00:00:00Z",
        },
      });
      const before = snapshot(dir);
      const prod = {
        ...AFTER_WINDOW,
        release: { version: "1.5.0" },
        ...(prodDrill ? { restoreDrill: prodDrill } : {}),
      };
      const r = await lockstep(
        env(dir, { outputs: { staging: VERIFIED_STAGING, prod } }),
        "promote",
        "--require-drill-days",
        "7",
      );
      if (ok) {
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(stackValues(dir, "prod")["lockstep:release"], "1.5.1");
      } else {
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(
          r.stdout,
          prodDrill
            ? /--require-drill-days 7: prod's restore drill 2026-11-01 passed 20\.\d days ago .*older than the 7 days required/
            : /--require-drill-days 7: prod's no passing restore drill is recorded/,
        );
        assert.deepEqual(snapshot(dir), before);
      }
    }
  });

  it("promote removes a finished rollback, and keeps the restore that says where the data lives", async () => {
    const dir = tempProject();
    setRelease(dir, "prod", {
      release: "1.5.0",
      console: { blue: "1.5.0", green: "1.5.0", live: "blue" },
      rollback: { from: "1.5.1", mode: "restore" },
      restore: { name: "rb-1-5-1-1122", backupIDs: { platform: "a", identity: "b" }, targetImmediate: true },
      promotion: {
        version: "1.5.0",
        setDigest: setDigest(getRelease(catalog, "1.5.0")),
        verifiedIn: "prod",
        verifiedAt: "2026-11-22T09:00:00Z",
      },
    });
    const r = await lockstep(env(dir, { outputs: { staging: VERIFIED_STAGING } }), "promote");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const config = stackValues(dir, "prod");
    assert.equal(config["lockstep:rollback"], undefined);
    assert.equal(config["lockstep:restore"].name, "rb-1-5-1-1122");
  });
});

describe("what rollback, restore and promote print, line for line", () => {
  /** stdout, or stderr when it refused; then which files it changed (its output shows how). */
  async function printed(
    name: string,
    code: number,
    outputs: Record<string, Loose> | null,
    setup: (dir: string) => void,
    ...args: string[]
  ) {
    const dir = tempProject();
    setup(dir);
    const before = snapshot(dir);
    const r = await lockstep(env(dir, { outputs, now: "2026-11-22T09:00:00Z" }), ...args);
    assert.equal(r.code, code, r.stderr + r.stdout);
    const after = snapshot(dir);
    const written = Object.keys(after)
      .filter((f) => after[f] !== before[f])
      .map((f) => `--- changed ${f}`);
    golden(name, [r.code === 0 ? r.stdout : r.stderr, ...written].join("\n"), dir);
  }
  const none = () => undefined;
  const afterRestore = {
    ...AFTER_WINDOW,
    databases: {
      platform: { cluster: "platform-db-r1", serverName: "platform-db-r1", keptOrigin: true },
      identity: AFTER_WINDOW.databases.identity,
    },
  };

  it("rollback with the data, as a dry run: the restore it would write and the plan", () =>
    printed(
      "rollback-staging-dry-run",
      0,
      { staging: AFTER_WINDOW },
      none,
      "rollback",
      "--stack",
      "staging",
      "--dry-run",
    ));
  it("rollback with OpenBao too, after an earlier restore: the snapshot and the cluster that leaves the stack", () =>
    printed(
      "rollback-staging-openbao",
      0,
      { staging: afterRestore },
      none,
      "rollback",
      "--stack",
      "staging",
      "--with-openbao",
    ));
  it("rollback --with-openbao without a restore is refused", () =>
    printed(
      "rollback-openbao-expand-only",
      2,
      { staging: AFTER_WINDOW },
      none,
      "rollback",
      "--stack",
      "staging",
      "--with-openbao",
      "--mode",
      "expand-only",
    ));
  it("rollback of prod from a restore point that does not name the set it returns to is refused", () =>
    printed(
      "rollback-prod-no-set-digest",
      2,
      { prod: { ...AFTER_WINDOW, restorePoint: { ...AFTER_WINDOW.restorePoint, fromSetDigest: null } } },
      none,
      "rollback",
      "--stack",
      "prod",
    ));
  it("rollback with the data where the release offers expand-only: the reason is the flag", () =>
    printed(
      "rollback-forced-restore",
      0,
      {
        staging: {
          ...AFTER_WINDOW,
          release: { version: "1.4.2" },
          workloads: Object.fromEntries(Object.keys(AFTER_WINDOW.workloads).map((w) => [w, "1.4.2"])),
          restorePoint: { ...AFTER_WINDOW.restorePoint, from: "1.3.4", to: "1.4.2" },
        },
      },
      (dir) =>
        setRelease(dir, "staging", { release: "1.4.2", console: { blue: "1.4.2", green: "1.4.2", live: "blue" } }),
      "rollback",
      "--stack",
      "staging",
      "--mode",
      "restore",
      "--dry-run",
    ));
  it("restore after losing the originals, with OpenBao and a backup to start from", () =>
    printed(
      "restore-staging-origin-lost",
      0,
      { staging: afterRestore },
      none,
      "restore",
      "--stack",
      "staging",
      "--name",
      "dr2",
      "--databases",
      " platform, identity,",
      "--origin-lost",
      "--backup-id",
      "identity=20261120T101502",
      "--openbao-snapshot",
      "backups/openbao-1-5-0-to-1-5-1.snap",
      "--force-openbao",
    ));
  it("restore into a stack that runs nothing, as a dry run", () =>
    printed("restore-new-cluster", 0, null, none, "restore", "--stack", "staging", "--name", "dr1", "--dry-run"));
  it("promote staging -> prod: the window it opens on prod, and the record", () =>
    printed(
      "promote-prod",
      0,
      { staging: VERIFIED_STAGING },
      (dir) => setRelease(dir, "prod", { release: "1.5.0", console: { blue: "1.5.0", green: "1.5.0", live: "blue" } }),
      "promote",
    ));
  it("promote of the version prod already runs: the record refreshed", () =>
    printed("promote-prod-same", 0, { staging: VERIFIED_STAGING }, none, "promote", "--dry-run"));
});

describe("after a first restore, where a cluster's name, its serverName and its origin differ", () => {
  // The stack runs platform-db-r1, which archives under a serverName of its own (restore.archiveServerName).
  const onR1 = {
    ...AFTER_WINDOW,
    databases: {
      platform: { cluster: "platform-db-r1", serverName: "platform-db-r1-wal", keptOrigin: false },
      identity: { cluster: "keycloak-db", serverName: "keycloak-db", keptOrigin: false },
    },
    restorePoint: {
      ...(AFTER_WINDOW.restorePoint as Loose),
      backups: {
        platform: { cluster: "platform-db-r1", serverName: "platform-db-r1-wal", backupId: "20261120T101500" },
        identity: { cluster: "keycloak-db", serverName: "keycloak-db", backupId: "20261120T101502" },
      },
    },
  };
  const externalServerName = (plan: Loose, cluster: string) =>
    plan.resources.find((r: Loose) => r.name === `${cluster}-cluster`).props.spec.externalClusters[0].plugin.parameters;

  it("a second restore recovers from the serverName the running cluster archives under, in the origin's store", async () => {
    const dir = tempProject();
    const r = await lockstep(
      env(dir, { outputs: { staging: onR1 } }),
      "restore",
      "--stack",
      "staging",
      "--name",
      "r2",
      "--databases",
      "platform",
      "--dry-run",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as Loose;
    assert.deepEqual(out.restore.source, { platform: "platform-db-r1-wal" });
    assert.deepEqual(externalServerName(out.plan, "platform-db-r2"), {
      barmanObjectName: "platform-db-store",
      serverName: "platform-db-r1-wal",
    });
  });

  it("a rollback with the data recovers from the serverName the window's backup was taken under", async () => {
    const dir = tempProject();
    const r = await lockstep(
      env(dir, { outputs: { staging: onR1 }, now: "2026-11-22T09:00:00Z" }),
      "rollback",
      "--stack",
      "staging",
      "--dry-run",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as Loose;
    assert.match(out.diff as string, /^\+ +platform: platform-db-r1-wal$/m, "the backup's serverName, not its cluster");
    const recovered = out.plan.resources.find(
      (x: Loose) => x.type === "kubernetes:postgresql.cnpg.io/v1:Cluster" && /^platform-db-rb-/.test(x.name),
    );
    assert.equal(recovered.props.spec.externalClusters[0].plugin.parameters.serverName, "platform-db-r1-wal");
  });
});
