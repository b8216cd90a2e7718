/**
 * Small pure pieces the program and the CLI share: Helm-style value layering (lib/core/merge.ts), the cluster
 * target's schema (lib/config/cluster.ts), the verification a stack's outputs hold (lib/state/verification.ts) and the
 * project root (lib/core/paths.ts).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clusterSchema, kubectlTarget } from "../../lib/config/cluster";
import { deepMerge } from "../../lib/core/merge";
import { findProjectRoot } from "../../lib/core/paths";
import { verificationInOutputs } from "../../lib/state/verification";
import { PROJECT } from "../helpers";

describe("deepMerge", () => {
  it("merges objects key by key, replaces arrays and scalars, later layers winning, and skips missing layers", () => {
    assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: "x" }, undefined, { a: { c: [3], e: true }, d: "y" }), {
      a: { b: 1, c: [3], e: true },
      d: "y",
    });
  });

  it("lets null replace an object, and an object replace null, as Helm does", () => {
    assert.deepEqual(deepMerge({ a: { b: 1 } }, { a: null }), { a: null });
    assert.deepEqual(deepMerge({ a: null }, { a: { b: 1 } }), { a: { b: 1 } });
  });

  it("copies what it takes, so the result never shares a layer's objects", () => {
    const layer = { a: { list: [{ x: 1 }] } };
    const merged = deepMerge(layer) as { a: { list: { x: number }[] } };
    merged.a.list[0].x = 2;
    assert.equal(layer.a.list[0].x, 1);
  });
});

describe("clusterSchema", () => {
  it("says a missing kubeconfig is required, and a wrong one must be a path", () => {
    assert.equal(
      clusterSchema.safeParse({}).error?.issues[0].message,
      "is required: the path of the install's kubeconfig file",
    );
    assert.equal(
      clusterSchema.safeParse({ kubeconfig: 5 }).error?.issues[0].message,
      "must be the path of a kubeconfig file",
    );
    assert.equal(
      clusterSchema.safeParse({ kubeconfig: "" }).error?.issues[0].message,
      "must be the path of a kubeconfig file",
    );
  });

  it("gives kubectl the kubeconfig resolved from the project, and the context only when there is one", () => {
    assert.deepEqual(kubectlTarget({ kubeconfig: "clusters/eu.yaml" }, "/p"), ["--kubeconfig", "/p/clusters/eu.yaml"]);
    assert.deepEqual(kubectlTarget({ kubeconfig: "/k.yaml", context: "eu" }, "/p"), [
      "--kubeconfig",
      "/k.yaml",
      "--context",
      "eu",
    ]);
    assert.deepEqual(kubectlTarget(undefined, "/p"), []);
  });
});

describe("verificationInOutputs", () => {
  it("reads the release and the smoke result, or skipped with no time when the outputs hold none", () => {
    assert.deepEqual(
      verificationInOutputs("staging", {
        release: { version: "1.5.1", setDigest: "sha256:x" },
        verification: { status: "passed", verifiedAt: "2026-11-22T10:00:00Z" },
      }),
      {
        stack: "staging",
        version: "1.5.1",
        setDigest: "sha256:x",
        smoke: "passed",
        verifiedAt: "2026-11-22T10:00:00Z",
      },
    );
    assert.deepEqual(verificationInOutputs("staging", {}), {
      stack: "staging",
      version: undefined,
      setDigest: undefined,
      smoke: "skipped",
      verifiedAt: null,
    });
  });
});

describe("findProjectRoot", () => {
  it("finds the nearest folder with a Pulumi.yaml, from itself or from any folder below it", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-root-"));
    const deep = path.join(root, "bin", "lib", "core");
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: lockstep\n");
    assert.equal(findProjectRoot(deep), root);
    assert.equal(findProjectRoot(root), root);
    assert.equal(findProjectRoot(path.join(PROJECT, "lib", "core")), PROJECT);
  });
  it("refuses a place with no Pulumi.yaml above it, naming where it looked from", () => {
    assert.throws(() => findProjectRoot("/proc/self"), {
      message: "no Pulumi.yaml above /proc/self: run lockstep from its project checkout",
    });
  });
});
