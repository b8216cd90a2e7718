/**
 * The policy pack (policy/index.ts) loads through the project's ts-node with its tsconfig (the SDK's
 * runner falls back to a vendored ts-node 7 when none is installed, which predates TypeScript 5); the
 * program itself runs compiled (test/plan/programEntry.test.ts). Loading and type-checking the pack
 * through that loader is what the real-engine tier does on every `pulumi preview --policy-pack policy`
 * (test/e2e); here, only which ts-node the runner would find.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { PROJECT } from "../helpers";

describe("the Pulumi runtime's TypeScript loader", () => {
  it("resolves ts-node from the project, not the SDK's vendored 7.0.1", () => {
    const r = spawnSync(process.execPath, ["-e", "process.stdout.write(require('ts-node').VERSION)"], {
      cwd: PROJECT,
      encoding: "utf8",
    });
    assert.equal(r.stdout, "10.9.2");
  });
});
