/**
 * The program-run memo `npm test` turns on (test/planPreload.ts): a repeated plan is answered with the
 * same run, a different config is not, and a shared run a caller changed is refused, not handed on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runStack } from "../../plan/plan";
import { memoizeProgramRuns } from "../../plan/runtime";

describe("memoizeProgramRuns", () => {
  let was = false;
  before(() => {
    was = memoizeProgramRuns(true);
  });
  after(() => {
    memoizeProgramRuns(was);
  });

  // A canary no other suite asks for, so this suite's entries are its own.
  const options = { stack: "staging", deployed: "1.5.0", sets: ["upgrade.gatewayCanaryPercent=17"] };

  it("answers the same stack, config and deployed state with the same run, and another config with its own", async () => {
    const first = (await runStack(options)).run;
    assert.equal((await runStack(options)).run, first);
    const other = (await runStack({ ...options, sets: ["upgrade.gatewayCanaryPercent=18"] })).run;
    assert.notEqual(other, first);
    const weights = (run: typeof first) =>
      run.resources
        .filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
        .flatMap((r) =>
          (r.props as { spec: { rules: { backendRefs: { weight: number }[] }[] } }).spec.rules.flatMap((rule) =>
            rule.backendRefs.map((b) => b.weight),
          ),
        );
    assert.ok(weights(first).includes(17), `the 17 % canary's weights: ${weights(first).join(", ")}`);
    assert.ok(weights(other).includes(18), `the 18 % canary's weights: ${weights(other).join(", ")}`);
  });

  it("refuses a shared run a caller changed, naming the stack, and runs the program afresh next time", async () => {
    const shared = (await runStack(options)).run;
    shared.resources[0].props.tampered = true;
    await assert.rejects(runStack(options), {
      message:
        "a caller changed a shared program run of stack staging (memoizeProgramRuns): copy it with structuredClone before changing it",
    });
    const fresh = (await runStack(options)).run;
    assert.notEqual(fresh, shared);
    assert.equal(fresh.resources[0].props.tampered, undefined);
  });

  it("is off once turned off: a run is new even where a memoized one exists", async () => {
    const memoized = (await runStack(options)).run;
    memoizeProgramRuns(false);
    try {
      assert.notEqual((await runStack(options)).run, memoized);
    } finally {
      memoizeProgramRuns(true);
    }
  });
});
