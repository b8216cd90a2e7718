/**
 * A command reads its inputs once and hands them down: the stack file, the catalog and the deployed state
 * go from the command to the plan (which runs the program twice, for the target and for the deployed
 * baseline) and to the writer, which edits the very text it planned.
 */
import assert from "node:assert/strict";
// The module object itself (not a namespace copy), so the lib modules see the counting methods.
import fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { env, lockstep, tempProject } from "../cliKit";
import { PROJECT } from "../helpers";

const AFTER_WINDOW = JSON.parse(
  fs.readFileSync(path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json"), "utf8"),
) as Record<string, unknown>;

/** Runs a command, counting how often it listed the catalog and read the stack file. */
async function reads(dir: string, ...args: string[]) {
  const catalog = path.join(dir, "releases");
  const stackFile = path.join(dir, "Pulumi.staging.yaml");
  // Counted by hand, not with node:test's mock: the mutation runner runs these suites under mocha.
  const { readdirSync, readFileSync } = fs;
  const listed: unknown[] = [];
  const read: unknown[] = [];
  fs.readdirSync = ((...a: Parameters<typeof readdirSync>) => {
    listed.push(a[0]);
    return readdirSync(...a);
  }) as typeof readdirSync;
  fs.readFileSync = ((...a: Parameters<typeof readFileSync>) => {
    read.push(a[0]);
    return readFileSync(...a);
  }) as typeof readFileSync;
  try {
    const r = await lockstep(env(dir, { outputs: { staging: AFTER_WINDOW }, now: "2026-11-22T09:00:00Z" }), ...args);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return {
      catalogListings: listed.filter((p) => p === catalog).length,
      stackFileReads: read.filter((p) => p === stackFile).length,
    };
  } finally {
    fs.readdirSync = readdirSync;
    fs.readFileSync = readFileSync;
  }
}

describe("a command reads its inputs once", () => {
  it("rollback: one listing of the catalog and one read of the stack file, for the plan and the write", async () => {
    assert.deepEqual(await reads(tempProject(), "rollback", "--stack", "staging", "--dry-run"), {
      catalogListings: 1,
      stackFileReads: 1,
    });
  });

  it("restore and preflight alike", async () => {
    const restore = await reads(tempProject(), "restore", "--stack", "staging", "--name", "r9", "--dry-run");
    assert.deepEqual(restore, { catalogListings: 1, stackFileReads: 1 });
    const preflight = await reads(tempProject(), "preflight", "--stack", "staging", "--max-backup-age", "1000000");
    assert.deepEqual([preflight.catalogListings, preflight.stackFileReads], [1, 1]);
  });
});
