// Preloaded by `npm test` (scripts/test.mjs) into each shard, for two things the suites' plans can share:
// - the memo: the suites plan the same stacks with the same config many times, and a program run is a
//   function of its inputs (see memoizeProgramRuns);
// - a worker thread for the runs: node:test's async hook tracks every promise of its thread, which made a
//   run about 2.7 times as costly as outside a test process; the worker is out of the hook's reach.
// Not preloaded under mutation testing, where one process runs the tests against many mutants in turn
// (a mutant is switched on in the test thread only).
import { memoizeProgramRuns, runProgramsWith } from "../plan/runtime";
import { programWorker } from "./programWorkerClient";

memoizeProgramRuns(true);
runProgramsWith(programWorker());
