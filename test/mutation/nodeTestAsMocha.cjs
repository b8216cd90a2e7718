// Lets the node:test suites run under mocha, for StrykerJS's mocha runner: it keeps one process and
// switches mutants in place, where the TAP runner starts a process per test file per mutant (7 hours
// for lib/ alone on two cores). The suites use only describe/it/before/after/beforeEach/afterEach with
// zero-argument callbacks, which mean the same in both runners; anything else is refused loudly.
"use strict";
const Module = require("node:module");

const forward = (name) => (...args) => {
  const hook = globalThis[name];
  if (typeof hook !== "function") throw new Error(`node:test's ${name} was called outside a mocha run`);
  for (const arg of args) {
    if (typeof arg === "function" && arg.length > 0) throw new Error(`node:test's ${name} with a callback taking arguments (test context or done) has no mocha equivalent here`);
    if (arg !== null && typeof arg === "object") throw new Error(`node:test's ${name} with options ${JSON.stringify(arg)} has no mocha equivalent here`);
  }
  return hook(...args);
};
const nodeTest = Object.fromEntries(["describe", "it", "before", "after", "beforeEach", "afterEach"].map((n) => [n, forward(n)]));
nodeTest.test = nodeTest.it;

const load = Module._load;
Module._load = function loadNodeTestAsMocha(request, ...rest) {
  return request === "node:test" || request === "test" ? nodeTest : load.call(this, request, ...rest);
};
