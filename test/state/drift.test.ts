import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cell, driftBetween, pathKeys, PlannedStep, valueAt } from "../../lib/state/drift";

const URN = "urn:pulumi:staging::lockstep::lockstep:platform:Platform$kubernetes:apps/v1:Deployment::";
const deployment = (name: string, op: string, paths: string[], live = {}, declared = {}): PlannedStep => ({
  urn: `${URN}${name}`,
  type: "kubernetes:apps/v1:Deployment",
  op,
  paths,
  old: live,
  declared,
});

describe("drift: what only the refreshed preview changes", () => {
  it("a field only the refreshed preview changes is drift, with the cluster's and the stack's value", () => {
    const live = { spec: { replicas: 5 } };
    const declared = { spec: { replicas: 2 } };
    const report = driftBetween([], [deployment("api", "update", ["spec.replicas"], live, declared)]);
    assert.equal(report.drifted.length, 1);
    assert.equal(report.drifted[0].name, "api");
    assert.equal(report.drifted[0].kind, "Deployment");
    assert.deepEqual(report.drifted[0].fields, [{ path: "spec.replicas", live: 5, declared: 2 }]);
    assert.deepEqual(report.pending, []);
  });

  it("what the stack file changes is pending, not drift, in either preview", () => {
    const change = deployment("gateway", "update", ["spec.template.spec.containers[0].image"]);
    const report = driftBetween([change], [change]);
    assert.deepEqual(report.drifted, []);
    assert.deepEqual(
      report.pending.map((r) => [r.name, r.fields.map((f) => f.path)]),
      [["gateway", ["spec.template.spec.containers[0].image"]]],
    );
  });

  it("on a resource the stack file also changes, only the extra fields are drift", () => {
    const pending = deployment("api", "update", ["spec.template.spec.containers[0].image"]);
    const refreshed = deployment("api", "update", ["spec.template.spec.containers[0].image", "spec.replicas"]);
    const report = driftBetween([pending], [refreshed]);
    assert.deepEqual(
      report.drifted.map((r) => r.fields.map((f) => f.path)),
      [["spec.replicas"]],
    );
  });

  it("a resource deleted from the cluster is drift: the refreshed preview creates it", () => {
    const report = driftBetween([], [{ ...deployment("console-blue", "create", []), old: undefined }]);
    assert.deepEqual(
      report.drifted.map((r) => [r.name, r.op]),
      [["console-blue", "create"]],
    );
  });

  it("a resource the refreshed preview would replace where the stack file only updates it drifted, in no new field", () => {
    const pending = deployment("api", "update", ["spec.selector"]);
    const report = driftBetween([pending], [{ ...pending, op: "replace" }]);
    assert.deepEqual(
      report.drifted.map((r) => [r.name, r.op, r.fields]),
      [["api", "replace", []]],
    );
  });

  it("the refreshed preview updating what the stack file replaces is the same change, not drift", () => {
    const pending = deployment("api", "replace", ["spec.selector"]);
    assert.deepEqual(driftBetween([pending], [{ ...pending, op: "update" }]).drifted, []);
  });

  it("steps that change nothing (same, read, refresh) are neither drift nor pending", () => {
    const steps = ["same", "read", "refresh", "discard"].map((op) => deployment(`r-${op}`, op, ["spec"]));
    assert.deepEqual(driftBetween(steps, steps), { drifted: [], pending: [] });
  });
});

describe("property paths as the engine writes them", () => {
  it("reads dotted keys, indexes and quoted keys", () => {
    assert.deepEqual(pathKeys('metadata.labels["app.kubernetes.io/name"]'), [
      "metadata",
      "labels",
      "app.kubernetes.io/name",
    ]);
    assert.deepEqual(pathKeys("spec.template.spec.containers[0].image"), [
      "spec",
      "template",
      "spec",
      "containers",
      0,
      "image",
    ]);
  });

  it("reads indexes of more than one digit and escaped quotes; a path it cannot read is one key", () => {
    assert.deepEqual(pathKeys("spec.containers[12].env"), ["spec", "containers", 12, "env"]);
    assert.deepEqual(pathKeys('data["say \\"hi\\""]'), ["data", 'say "hi"']);
    assert.deepEqual(pathKeys("spec]replicas"), ["spec]replicas"]);
    assert.deepEqual(pathKeys('spec["open'), ['spec["open']);
    assert.deepEqual(pathKeys(""), []);
  });

  it("finds the value, or undefined where the object has none", () => {
    const object = { spec: { containers: [{ image: "api@sha256:1" }] }, metadata: { labels: { "a.b": "x" } } };
    assert.equal(valueAt(object, "spec.containers[0].image"), "api@sha256:1");
    assert.equal(valueAt(object, 'metadata.labels["a.b"]'), "x");
    assert.equal(valueAt(object, "spec.containers[1].image"), undefined);
    assert.equal(valueAt(undefined, "spec"), undefined);
    assert.equal(valueAt({ spec: null }, "spec.replicas"), undefined);
    assert.equal(valueAt(object, "spec.containers[0].image.length"), undefined, "a string is not an object");
  });

  it("a cell is JSON cut to its width, and an unset field says so", () => {
    assert.equal(cell(undefined), "(not set)");
    assert.equal(cell(3), "3");
    assert.equal(cell("x".repeat(80), 10), `${"x".repeat(9)}…`);
    assert.equal(cell("x".repeat(10), 10), "x".repeat(10), "a value of exactly the width is whole");
  });
});
