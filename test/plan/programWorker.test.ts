/**
 * The worker thread `npm test` runs plans in (test/planPreload.ts): a run there is the run this thread
 * makes, and the program's error comes back with its class, its message and what registered before it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LockstepInputError } from "../../lib/core/errors";
import { runStack } from "../../plan/plan";
import { memoizeProgramRuns, ProgramRunner, runProgramHere, runProgramsWith } from "../../plan/runtime";
import { programWorker } from "../programWorkerClient";

describe("the program worker thread", () => {
  let wasMemo = false;
  let wasRunner: ProgramRunner | undefined;
  const worker = programWorker();
  before(() => {
    wasMemo = memoizeProgramRuns(false);
    wasRunner = runProgramsWith(undefined);
  });
  after(() => {
    memoizeProgramRuns(wasMemo);
    runProgramsWith(wasRunner);
  });

  /** The same stack run in this thread and then in the worker. */
  async function bothWays(options: Parameters<typeof runStack>[0]) {
    runProgramsWith(undefined);
    const here = (await runStack(options)).run;
    let calls = 0;
    runProgramsWith((...args) => {
      calls++;
      return worker(...args);
    });
    try {
      const there = (await runStack(options)).run;
      assert.equal(calls, 1, "runProgram hands a run with validated inputs to the runner set");
      return { here, there };
    } finally {
      runProgramsWith(undefined);
    }
  }

  it("answers with the run this thread makes: every resource, its props and edges, and the outputs", async () => {
    const { here, there } = await bothWays({
      stack: "prod",
      deployed: "1.5.0",
      sets: ["upgrade.gatewayCanaryPercent=12"],
    });
    assert.notEqual(there, here);
    assert.deepEqual(there, here);
    assert.ok(there.resources.length > 50, `a whole platform: ${there.resources.length} resources`);
    assert.equal(there.outputs.release.version, "1.5.1");
    assert.equal(there.outputs.upgradeWindow?.gatewayCanaryPercent, 12);
  });

  it("rejects with the program's error: its class, message and the registrations before it", async () => {
    // A release the catalog lacks gets past nothing but a hand-made input: the program itself refuses it.
    const broken = structuredClone((await runStack({ stack: "staging" })).inputs);
    broken.config.release = "9.9.9";
    const here = await runProgramHere("staging", broken, {}, []).catch((e: Error) => e);
    const there = await worker("staging", broken, {}, []).catch((e: Error) => e);
    assert.ok(here instanceof LockstepInputError, String(here));
    assert.ok(there instanceof LockstepInputError, `the class crosses: ${String(there)}`);
    assert.equal(there.message, "release 9.9.9 is not in the catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)");
    assert.equal(there.message, here.message);
    const registered = (e: Error) => (e as Error & { registrations: { type: string; name: string }[] }).registrations;
    assert.deepEqual(registered(there), registered(here));
    assert.deepEqual(registered(there)[0], { type: "pulumi:pulumi:Stack", name: "lockstep-staging" });
  });

  it("refuses inputs that cannot cross to the worker, naming the stack, and keeps serving", async () => {
    const { inputs } = await runStack({ stack: "staging" });
    const uncloneable = { ...inputs, config: { ...inputs.config, hook: () => undefined } } as unknown as typeof inputs;
    await assert.rejects(
      worker("staging", uncloneable, {}, []),
      /^Error: the program worker thread cannot take the inputs of stack staging: .*could not be cloned/,
    );
    assert.equal((await worker("staging", inputs, {}, [])).outputs.release.version, "1.5.1");
  });
});
