/**
 * No lost update: every stack-file writer locks, re-reads under the lock, and renames a temp file over
 * the old one. Two commands at once: one writes, the other refuses and writes nothing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { commitStackFile } from "../../lib/config/stackFileWrite";
import { env, lockstep, tempProject } from "../cliKit";

const scratch = (text: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-write-"));
  const file = path.join(dir, "Pulumi.qa.yaml");
  fs.writeFileSync(file, text);
  return { dir, file };
};

describe("commitStackFile", () => {
  it("writes through a temp file renamed into place, and leaves no lock or temp file", () => {
    const { dir, file } = scratch("config: {}\n");
    commitStackFile(file, "config: {}\n", "config:\n  lockstep:ha: true\n");
    assert.equal(fs.readFileSync(file, "utf8"), "config:\n  lockstep:ha: true\n");
    assert.deepEqual(fs.readdirSync(dir), ["Pulumi.qa.yaml"]);
  });

  it("refuses, writing nothing, when the file changed since the command read it", () => {
    const { file } = scratch("config: {written: by another}\n");
    assert.throws(
      () => commitStackFile(file, "config: {}\n", "config: {mine: 1}\n"),
      /Pulumi\.qa\.yaml: changed since this command read it \(another command wrote it meanwhile\); nothing was written/,
    );
    assert.equal(fs.readFileSync(file, "utf8"), "config: {written: by another}\n");
    assert.equal(fs.existsSync(`${file}.lock`), false, "the lock is released after a refusal too");
  });

  it("waits for a live writer's lock, then fails naming the lock", () => {
    const { file } = scratch("config: {}\n");
    fs.writeFileSync(`${file}.lock`, `${process.pid} 2026-11-21T12:00:00Z\n`);
    const started = Date.now();
    assert.throws(
      () => commitStackFile(file, "config: {}\n", "x\n", { waitMs: 300 }),
      new RegExp(
        `^LockstepInputError: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.lock: another lockstep command is writing Pulumi\\.qa\\.yaml \\(${process.pid} 2026-11-21T12:00:00Z\\); nothing was written`,
      ),
    );
    assert.ok(Date.now() - started >= 300, "it waited first");
    assert.equal(fs.readFileSync(file, "utf8"), "config: {}\n");
  });

  it("takes over a lock whose process is gone", () => {
    const { file } = scratch("config: {}\n");
    // Read whole: its first digit alone, 1, is a process that runs.
    fs.writeFileSync(`${file}.lock`, "1999999999 2026-11-21T12:00:00Z\n");
    commitStackFile(file, "config: {}\n", "config: {ok: 1}\n", { waitMs: 0 });
    assert.equal(fs.readFileSync(file, "utf8"), "config: {ok: 1}\n");
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });
});

describe("commitStackFile, locks it cannot use", () => {
  it("takes over a lock that names no process: 0 (which would signal its own group), negative, or not a number", () => {
    for (const holder of ["0", "-5", "abc"]) {
      const { file } = scratch("config: {}\n");
      fs.writeFileSync(`${file}.lock`, `${holder} 2026-11-21T12:00:00Z\n`);
      commitStackFile(file, "config: {}\n", "config: {ok: 1}\n", { waitMs: 0 });
      assert.equal(fs.readFileSync(file, "utf8"), "config: {ok: 1}\n", holder);
    }
  });

  it("fails at once, not waiting, when the lock cannot be created at all", () => {
    const missing = path.join(os.tmpdir(), "lockstep-no-such-dir", "Pulumi.qa.yaml");
    assert.throws(() => commitStackFile(missing, "a", "b", { waitMs: 60_000 }), /ENOENT/);
  });
});

describe("two writers at once", () => {
  it("promote and promote: one writes, the other refuses and writes nothing", async () => {
    const dir = tempProject();
    const record = path.join(dir, "record.json");
    fs.writeFileSync(
      record,
      JSON.stringify({
        stack: "staging",
        version: "1.5.1",
        setDigest: "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878",
        smoke: "passed",
        verifiedAt: "2026-11-21T10:00:00Z",
        checks: [],
      }),
    );
    const args = ["promote", "--from", "staging", "--to", "prod", "--record", record];
    const runs = await Promise.all([lockstep(env(dir), ...args), lockstep(env(dir), ...args)]);
    assert.deepEqual(runs.map((r) => r.code).sort(), [0, 2], runs.map((r) => r.stdout + r.stderr).join("\n---\n"));
    const refused = runs.find((r) => r.code === 2);
    assert.match(refused?.stderr ?? "", /Pulumi\.prod\.yaml: changed since this command read it/);
  });

  it("a restore whose plan spans a promote keeps the promote's change", async () => {
    const dir = tempProject();
    const file = path.join(dir, "Pulumi.staging.yaml");
    const restore = lockstep(env(dir), "restore", "--stack", "staging", "--name", "r7");
    // Between restore's read and its write (its plan is asynchronous), another writer changes the file.
    fs.appendFileSync(file, '  lockstep:kubernetesVersion: "1.31"\n');
    const changed = fs.readFileSync(file, "utf8");
    const r = await restore;
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /Pulumi\.staging\.yaml: changed since this command read it/);
    assert.equal(fs.readFileSync(file, "utf8"), changed, "the other writer's change stands");
  });
});
