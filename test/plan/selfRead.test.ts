/**
 * The program reads what its stack last deployed from its own last outputs (a StackReference to itself)
 * before it declares anything. Here the engine's answer is a stand-in that holds one output as a secret,
 * as the engine does for an output that ever held one, and carries the restore point a rollback needs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { applySets, readStackFile, toPulumiConfig } from "../../lib/config/stackFile";
import { planMocks, recordProgram } from "../../plan/runtime";
import { loadInputs } from "../../program";
import { CLUSTER_1_31, PROJECT } from "../helpers";

const AFTER_WINDOW = JSON.parse(
  fs.readFileSync(path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json"), "utf8"),
) as Record<string, unknown>;

/** The engine, answering the stack's reference to itself with `outputs`, `secret` among them held secret. */
function selfReference(outputs: Record<string, unknown>, secret: string[]): pulumi.runtime.Mocks {
  return {
    ...planMocks,
    newResource(args) {
      if (args.type !== "pulumi:pulumi:StackReference") return planMocks.newResource(args);
      return { id: args.inputs.name as string, state: { name: args.inputs.name, outputs, secretOutputNames: secret } };
    },
  };
}

async function inputsWith(outputs: Record<string, unknown>, secret: string[]) {
  const file = readStackFile("staging", PROJECT);
  const config = toPulumiConfig(applySets(file.values, []));
  const { result } = await recordProgram(
    "staging",
    config,
    file.secretKeys,
    () => loadInputs({ serverVersion: CLUSTER_1_31 }),
    selfReference(outputs, secret),
  );
  return result;
}

describe("the program's read of its own last outputs", () => {
  it("takes an output the engine holds as a secret, and the restore point with it", async () => {
    const inputs = await inputsWith(AFTER_WINDOW, ["restorePoint"]);
    assert.equal(inputs.deployed?.release, "1.5.1");
    assert.deepEqual(inputs.deployed?.restorePoint, AFTER_WINDOW.restorePoint, "a secret output is read, not dropped");
  });

  it("reads every output it keeps across deployments: release, workloads, databases, restore point", async () => {
    const inputs = await inputsWith(AFTER_WINDOW, []);
    assert.deepEqual(inputs.deployed?.workloads, AFTER_WINDOW.workloads);
    assert.deepEqual(inputs.deployed?.restorePoint, AFTER_WINDOW.restorePoint, "a rollback finds the window's backups");
    assert.equal(inputs.deployed?.databases?.platform?.cluster, "platform-db");
  });

  it("reads a first install where the stack has no outputs", async () => {
    assert.equal((await inputsWith({}, [])).deployed, null);
  });
});
