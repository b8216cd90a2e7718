/** Input errors and how values show in them (lib/core/errors.ts), and reading and freezing untyped values (lib/core/objects.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deepestIssue, LockstepInputError, SchemaIssue, showValue } from "../../lib/core/errors";
import { deepFreeze, valueAt } from "../../lib/core/objects";

describe("LockstepInputError", () => {
  it("is an Error named LockstepInputError that exits 2", () => {
    const err = new LockstepInputError("lockstep:release = 9.9.9: not in the catalog");
    assert.ok(err instanceof Error);
    assert.deepEqual(
      [err.name, err.message, err.exitCode],
      ["LockstepInputError", "lockstep:release = 9.9.9: not in the catalog", 2],
    );
    assert.match(String(err), /^LockstepInputError: lockstep:release/);
  });
});

describe("showValue", () => {
  it("shows strings quoted, other values as JSON, what JSON cannot show as text, and nothing as (unset)", () => {
    assert.equal(showValue("1.5"), '"1.5"');
    assert.equal(showValue(1.5), "1.5");
    assert.equal(showValue({ a: [1, null] }), '{"a":[1,null]}');
    assert.equal(showValue(undefined), "(unset)");
    assert.equal(showValue(Symbol("x")), "Symbol(x)");
    assert.match(
      showValue(() => 1),
      /^\(\)\s*=>\s*1$/,
    );
  });

  it("cuts text over 120 characters to 117 and an ellipsis", () => {
    assert.equal(showValue("a".repeat(118)), `"${"a".repeat(118)}"`, "120 characters with the quotes: whole");
    assert.equal(showValue("a".repeat(119)), `"${"a".repeat(116)}...`, "121: cut");
  });
});

describe("valueAt", () => {
  it("reads a nested field by path, through arrays, and gives undefined when a step is missing or not an object", () => {
    const root = { a: { b: [10, { c: "x" }] }, s: "text", z: 0 };
    assert.equal(valueAt(root, ["a", "b", 1, "c"]), "x");
    assert.equal(valueAt(root, ["a", "b", "length"]), 2);
    assert.equal(valueAt(root, []), root);
    assert.equal(valueAt(root, ["a", "nope", "c"]), undefined);
    assert.equal(valueAt(root, ["s", "length"]), undefined, "a string is not stepped into");
    assert.equal(valueAt(root, ["z", "toFixed"]), undefined, "nor a number");
    assert.equal(valueAt(null, ["a"]), undefined);
  });
});

describe("deepFreeze", () => {
  it("freezes the value and everything reachable from it, and leaves scalars and functions alone", () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] } });
    assert.ok(
      Object.isFrozen(value) && Object.isFrozen(value.a) && Object.isFrozen(value.a.b) && Object.isFrozen(value.a.b[1]),
    );
    assert.throws(() => {
      (value.a.b[1] as { c: number }).c = 3;
    }, TypeError);
    assert.equal(deepFreeze("text"), "text");
    assert.equal(deepFreeze(null), null);
    const withFunction = deepFreeze({ render: () => "x" });
    assert.equal(Object.isFrozen(withFunction.render), false);
  });
});

describe("deepestIssue", () => {
  const issue = (path: string[], message: string): SchemaIssue => ({ code: "invalid_type", path, message });
  const union = (path: string[], ...branches: SchemaIssue[][]): SchemaIssue => ({
    code: "invalid_union",
    path,
    message: "Invalid input",
    errors: branches,
  });

  it("an issue that is not a union is its own path and message", () => {
    assert.deepEqual(deepestIssue(issue(["backup", "schedule"], "Expected string")), {
      path: ["backup", "schedule"],
      message: "Expected string",
    });
  });

  it("a union names the branch issue that got deepest, under the union's own path, whichever branch it is", () => {
    const deepFirst = union(
      ["cluster"],
      [issue(["kubeconfig", "path"], "Expected string")],
      [issue(["context"], "Required")],
    );
    assert.deepEqual(deepestIssue(deepFirst), { path: ["cluster", "kubeconfig", "path"], message: "Expected string" });
    const deepLast = union(["cluster"], [issue(["context"], "Required")], [issue(["a", "b"], "Too deep")]);
    assert.deepEqual(deepestIssue(deepLast).path, ["cluster", "a", "b"]);
  });

  it("of branch issues equally deep, the first; of none deeper than the union, the union itself", () => {
    const tie = union([], [issue(["x"], "first")], [issue(["y"], "second")]);
    assert.deepEqual(deepestIssue(tie), { path: ["x"], message: "first" });
    const flat = union(["route"], [issue([], "Expected object")]);
    assert.deepEqual(deepestIssue(flat), { path: ["route"], message: "Invalid input" });
  });
});
