// Preloaded by `npm test` (scripts/test.mjs) into each shard: the suites plan the same stacks with the
// same config many times, and a program run is a function of its inputs (see memoizeProgramRuns).
// Not preloaded under mutation testing, where one process runs the tests against many mutants in turn.
import { memoizeProgramRuns } from "../plan/runtime";

memoizeProgramRuns(true);
