// Lets the node:test suites run under mocha, for StrykerJS's mocha runner: it keeps one process and
// switches mutants in place, where the TAP runner starts a process per test file per mutant (7 hours
// for lib/ alone on two cores). The suites use only describe/it/before/after/beforeEach/afterEach with
// zero-argument callbacks, which mean the same in both runners; anything else is refused loudly.
//
// Two differences between the runners matter to Stryker, and are handled here:
// - Mocha loads every file into one root suite, so a hook at a file's top level would run before the
//   tests of every file, for every mutant. Hooks must sit inside a describe; a top-level one is refused.
// - Stryker attributes coverage to the test whose beforeEach ran last, so what a before-all hook executes
//   would be counted as static (first suite) or as the previous suite's last test. A before-all hook's
//   coverage from the dry run is credited to every test under its describe instead: those are the tests
//   that see what it computed, and so the ones to run against a mutant in that code.
"use strict";
const Module = require("node:module");

let depth = 0;
let beforeAllHooks = 0;

function mocha(name) {
  const hook = globalThis[name];
  if (typeof hook !== "function") throw new Error(`node:test's ${name} was called outside a mocha run`);
  return hook;
}

function checkArgs(name, args) {
  for (const arg of args) {
    if (typeof arg === "function" && arg.length > 0)
      throw new Error(
        `node:test's ${name} with a callback taking arguments (test context or done) has no mocha equivalent here`,
      );
    if (arg !== null && typeof arg === "object")
      throw new Error(`node:test's ${name} with options ${JSON.stringify(arg)} has no mocha equivalent here`);
  }
}

function hook(name) {
  return (...args) => {
    checkArgs(name, args);
    if (depth === 0)
      throw new Error(
        `node:test's ${name} at a file's top level would run for every test file under mocha; put it inside a describe`,
      );
    return name === "before" ? beforeAll(args[0]) : mocha(name)(...args);
  };
}

/** The Stryker instrumenter's shared state, when the dry run collects per-test coverage (no mutant active). */
function collectingCoverage() {
  const ns = globalThis.__stryker__;
  return ns && ns.activeMutant === undefined && ns.mutantCoverage ? ns : undefined;
}

function beforeAll(fn) {
  const key = `nodeTestAsMocha: before-all hook ${++beforeAllHooks}`;
  let hits;
  mocha("before")(async function () {
    const ns = collectingCoverage();
    if (!ns) return fn();
    const previous = ns.currentTestId;
    ns.currentTestId = key;
    try {
      return await fn();
    } finally {
      hits = ns.mutantCoverage.perTest[key];
      delete ns.mutantCoverage.perTest[key];
      ns.currentTestId = previous;
    }
  });
  mocha("beforeEach")(function () {
    const ns = collectingCoverage();
    if (!ns || !hits || !ns.currentTestId) return;
    const into = (ns.mutantCoverage.perTest[ns.currentTestId] ??= {});
    for (const [id, n] of Object.entries(hits)) into[id] = (into[id] ?? 0) + n;
  });
}

function describe(...args) {
  checkArgs("describe", args);
  const [title, fn] = args;
  return mocha("describe")(title, function () {
    depth++;
    try {
      return fn.call(this);
    } finally {
      depth--;
    }
  });
}

function it(...args) {
  checkArgs("it", args);
  return mocha("it")(...args);
}

const nodeTest = {
  describe,
  it,
  test: it,
  before: hook("before"),
  after: hook("after"),
  beforeEach: hook("beforeEach"),
  afterEach: hook("afterEach"),
  get mock() {
    throw new Error("node:test's mock has no mocha equivalent here; stand the function in by hand and restore it");
  },
};

const load = Module._load;
Module._load = function loadNodeTestAsMocha(request, ...rest) {
  return request === "node:test" || request === "test" ? nodeTest : load.call(this, request, ...rest);
};
