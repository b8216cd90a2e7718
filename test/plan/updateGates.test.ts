/**
 * The gates hold without a policy pack: the program itself refuses a `pulumi up` that breaks one, before
 * it declares anything, from the functions the pack runs. A fleet on the Pulumi Kubernetes Operator
 * runs `pulumi up` with no pack (its Stack object has no field for one), and so does an `up` typed
 * without `--policy-pack`. The engine's answer to the stack's reference to itself is a stand-in here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { applySets, readStackFile, toPulumiConfig } from "../../lib/config/stackFile";
import { planMocks, recordProgram } from "../../plan/runtime";
import { definePlatform } from "../../program";
import type { ServerVersionRead } from "../../lib/config/serverVersion";
import { CLUSTER_1_31, CLUSTER_1_32, clusterAt, PROJECT } from "../helpers";

/** What a stack that ran 1.5.0 everywhere, blue live, left as its outputs. */
const RAN_150 = {
  release: { version: "1.5.0" },
  workloads: Object.fromEntries<string>(
    ["api", "gateway", "console-blue", "console-green", "worker-export", "worker-lifecycle", "worker-config"].map(
      (w) => [w, "1.5.0"],
    ),
  ),
  consoleLive: "blue",
};

function deployedWith(outputs: Record<string, unknown>): pulumi.runtime.Mocks {
  return {
    ...planMocks,
    newResource(args) {
      if (args.type !== "pulumi:pulumi:StackReference") return planMocks.newResource(args);
      return { id: args.inputs.name as string, state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
    },
  };
}

/** Runs the program on the staging stack file with `sets`, as `pulumi up` (or preview) would. */
async function run(sets: string[], preview: boolean, outputs: Record<string, unknown> = RAN_150) {
  const file = readStackFile("staging", PROJECT);
  const config = toPulumiConfig(applySets(file.values, sets));
  return recordProgram(
    "staging",
    config,
    file.secretKeys,
    () => definePlatform({ serverVersion: CLUSTER_1_31 }),
    deployedWith(outputs),
    preview,
  );
}

async function refusalOf(sets: string[]): Promise<string> {
  const failure = await run(sets, false).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(failure instanceof Error, "pulumi up must refuse");
  return failure.message;
}

describe("the program refuses an up that breaks a gate, with no policy pack", () => {
  it("a contract release in a rolling window: refused, naming the gate and the way through", async () => {
    const message = await refusalOf(["console.blue=1.5.0", "console.green=1.5.1"]);
    assert.match(message, /^this update is refused before it changes anything/);
    assert.match(message, /upgrade-path: upgrade 1\.5\.0 -> 1\.5\.1 must run as a coordinated window/);
    assert.match(message, /the migrations of 1\.5\.1 are contract/);
    assert.doesNotMatch(message, /blue-green-integrity/, "the console moves by the idle color here");
  });

  it("the live color rolled in place: refused, naming the color and both versions", async () => {
    // No window opens (every workload but the console runs 1.5.0 already): only the live color moves.
    const message = await refusalOf(["release=1.5.0", "console.blue=1.5.1", "console.green=1.5.0"]);
    assert.match(
      message,
      /blue-green-integrity: console-blue is the live color and must not roll in place from 1\.5\.0 to 1\.5\.1: put 1\.5\.1 on the idle color \(lockstep:console\.green: 1\.5\.1\)/,
    );
  });

  it("the old live color moving in the up that flips: refused", async () => {
    // 1.5.1 runs everywhere but on blue, which is live at 1.5.0; green is idle at 1.5.1, verified.
    const workloads: Record<string, string> = Object.fromEntries(
      Object.keys(RAN_150.workloads).map((w) => [w, w === "console-blue" ? "1.5.0" : "1.5.1"]),
    );
    const outputs = { ...RAN_150, release: { version: "1.5.1" }, workloads };
    const failure = await run(["console.blue=1.5.1", "console.green=1.5.1", "console.live=green"], false, outputs).then(
      () => "",
      (err: Error) => err.message,
    );
    assert.match(
      failure,
      /console-blue served traffic before this deployment and must keep 1\.5\.0 while live flips to green/,
    );
  });

  it("the same changes done safely go through: coordinated, the idle color moved, then the flip", async () => {
    const { result } = await run(["upgrade.mode=coordinated", "console.blue=1.5.0", "console.green=1.5.1"], false);
    assert.equal(result.release.version, "1.5.1");
    assert.deepEqual(
      result.waves.map((w) => w.id).slice(3, 5),
      ["writers-down", "api"],
      "the writers stop after the database wave, right before the new API migrates",
    );
  });

  it("a preview is not refused (the pack reports the rule with its level): the plan declares the window", async () => {
    const { result, resources } = await run(["console.blue=1.5.0", "console.green=1.5.1"], true);
    assert.equal(result.upgradeWindow?.mode, "rolling");
    assert.ok(resources.some((r) => r.name === "api"));
  });

  it("a production stack with no promotion record: refused at up, with the promotion to run", async () => {
    const file = readStackFile("prod", PROJECT);
    const values = applySets(file.values, ["promotion=null"]);
    const failure = await recordProgram(
      "prod",
      toPulumiConfig(values),
      file.secretKeys,
      () => definePlatform({ serverVersion: CLUSTER_1_32 }),
      deployedWith({}),
      false,
    ).then(
      () => "",
      (err: Error) => err.message,
    );
    assert.match(failure, /prod-promoted-only: prod must run a promoted set: lockstep:promotion is missing/);
  });

  describe("a moving production stack reads the verifying stack's outputs, as preview and up do", () => {
    const prod = readStackFile("prod", PROJECT);
    const promotion = prod.values.promotion as { setDigest: string; verifiedAt: string };
    /** What staging left when it verified 1.5.1: the promotion in Pulumi.prod.yaml was written from it. */
    const STAGING = {
      release: { version: "1.5.1", setDigest: promotion.setDigest },
      verification: { status: "passed", verifiedAt: promotion.verifiedAt },
    };
    /** Answers each stack reference by the stack it names; records which were read. */
    function stacks(byStack: Record<string, Record<string, unknown>>, read: string[]): pulumi.runtime.Mocks {
      return {
        ...planMocks,
        newResource(args) {
          if (args.type !== "pulumi:pulumi:StackReference") return planMocks.newResource(args);
          const name = args.inputs.name as string;
          read.push(name.split("/").pop() as string);
          const outputs = byStack[name.split("/").pop() as string] ?? {};
          return { id: name, state: { name, outputs, secretOutputNames: [] } };
        },
      };
    }
    async function upProd(byStack: Record<string, Record<string, unknown>>, sets: string[] = []) {
      const read: string[] = [];
      const config = toPulumiConfig(applySets(prod.values, sets));
      const outcome = await recordProgram(
        "prod",
        config,
        prod.secretKeys,
        () => definePlatform({ serverVersion: CLUSTER_1_32 }),
        stacks(byStack, read),
        false,
      )
        .then(() => "")
        .catch((err: Error) => err.message);
      return { outcome, read };
    }

    it("a first install backed by staging's outputs goes through, and staging's were read", async () => {
      const { outcome, read } = await upProd({ staging: STAGING });
      assert.equal(outcome, "");
      assert.deepEqual(read, ["prod", "staging"]);
    });

    it("a hand-typed record (a time staging's outputs do not give) is refused", async () => {
      const { outcome } = await upProd({ staging: STAGING }, ["promotion.verifiedAt=2020-01-01T00:00:00Z"]);
      assert.match(
        outcome,
        /prod-promoted-only: the promotion must be backed by staging's outputs \(stack \S+\/staging, read live\)/,
      );
      assert.match(
        outcome,
        /says staging verified it at 2020-01-01T00:00:00Z, but staging's outputs say 2026-11-20T14:05:00Z/,
      );
    });

    it("staging that runs another version, or whose smoke test failed, does not back it", async () => {
      const moved = await upProd({ staging: { ...STAGING, release: { version: "1.5.0", setDigest: "sha256:x" } } });
      assert.match(moved.outcome, /staging runs 1\.5\.0, not the promoted 1\.5\.1/);
      const failed = await upProd({
        staging: { ...STAGING, verification: { ...STAGING.verification, status: "failed" } },
      });
      assert.match(failed.outcome, /staging's last smoke test failed/);
      const never = await upProd({});
      assert.match(
        never.outcome,
        /staging's outputs \(stack \S+\/staging, read live\) show no deployment, so nothing verified 1\.5\.1/,
      );
    });

    it("a production stack that already runs its release does not read staging (staging may have moved on)", async () => {
      const workloads = Object.fromEntries(
        Object.keys(RAN_150.workloads).map((w) => [w, w === "console-green" ? "1.5.0" : "1.5.1"]),
      );
      const deployed = {
        release: { version: "1.5.1", setDigest: promotion.setDigest },
        workloads,
        consoleLive: "blue",
      };
      const { outcome, read } = await upProd({ prod: deployed, staging: { release: { version: "1.6.0" } } });
      assert.equal(outcome, "");
      assert.deepEqual(read, ["prod"]);
    });
  });

  describe("the cluster's own Kubernetes version, read where it answers", () => {
    const file = readStackFile("staging", PROJECT);
    const at = (serverVersion: () => ServerVersionRead, preview: boolean) =>
      recordProgram(
        "staging",
        toPulumiConfig(applySets(file.values, ["release=1.5.0", "console.blue=1.5.0"])),
        file.secretKeys,
        () => definePlatform({ serverVersion }),
        deployedWith(RAN_150),
        preview,
      ).then(
        () => "",
        (err: Error) => err.message,
      );

    it("a typed version the API server contradicts is refused, at preview too, with what to type", async () => {
      const refusal = await at(clusterAt("1.30.14"), true);
      assert.equal(
        refusal,
        'lockstep:kubernetesVersion = "1.31" must be the cluster\'s version, and its API server reports v1.30.14 (kubectl version); set it to "1.30"',
      );
    });
    it("the version it names goes through; a cluster that does not answer is only warned about", async () => {
      assert.equal(await at(clusterAt("1.31.2"), false), "");
      assert.equal(await at(() => ({ problem: "kubectl version: connection refused" }), true), "");
    });
  });
});
