/**
 * `npm run test:mutation` (scripts/mutation.mjs): its refusals and its report, without running Stryker; the
 * node:test-under-mocha shim; and what `npm test` (scripts/test.mjs) refuses before running anything.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT } from "./helpers";

function mutation(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(PROJECT, "scripts", "mutation.mjs"), ...args], {
    cwd: PROJECT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run test:mutation", () => {
  it("refuses an unknown folder, naming it and the allowed ones, before running anything", () => {
    const r = mutation(["libs"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'test:mutation: unknown folder "libs"; allowed: lib, policy, components, cli');
    assert.equal(r.stdout, "");
    assert.equal(
      mutation(["--since", "main"]).stderr.trim(),
      "test:mutation: unknown option --since; allowed: --changed <git ref>, --report, and folder names",
    );
  });

  it("fails naming ../shared when the suites' CRDs and charts are absent", () => {
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-noshared-")), "shared");
    const r = mutation(["lib"], { LOCKSTEP_SHARED: missing });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`\\.\\./shared is absent: ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} does not exist`),
    );
    assert.doesNotMatch(r.stdout, /== mutating/);
  });

  it("--changed needs a ref, and with nothing changed in scope mutates nothing", () => {
    const bare = mutation(["--changed"]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--changed needs a git ref to compare with/);
    const none = mutation(["--changed", "HEAD"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /no file under lib, policy, components, cli changed since HEAD; nothing to mutate/);
  });

  it("mutates against every in-process suite: a test file is in test/mutation/mocharc.json or named here as one that spawns processes", () => {
    // These test a process or thread boundary (the built CLI, the policy pack's gRPC server, ts-node, the shell
    // scripts, the program worker thread, the program's build): the other side runs unmutated code, so under Stryker they would cost
    // seconds a mutant, and the worker's comparison would "kill" every mutant of the program for no assertion.
    const spawning = [
      "test/policy/analyzer.test.ts",
      "test/mutationScript.test.ts",
      "test/cli/plan.test.ts",
      "test/plan/programWorker.test.ts",
      "test/plan/pulumiRuntime.test.ts",
      "test/cli/scripts.test.ts",
      "test/plan/programEntry.test.ts",
    ];
    const spec = (
      JSON.parse(fs.readFileSync(path.join(PROJECT, "test", "mutation", "mocharc.json"), "utf8")) as { spec: string[] }
    ).spec;
    const files = fs
      .readdirSync(path.join(PROJECT, "test"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".test.ts") && !f.startsWith("e2e"))
      .map((f) => `test/${f}`);
    assert.deepEqual(
      files.filter((f) => !spec.includes(f) && !spawning.includes(f)),
      [],
      "a new suite must be mutated against (or named above with the reason)",
    );
    assert.deepEqual(
      spec.filter((f) => !files.includes(f)),
      [],
      "the spec names only suites that exist",
    );
  });

  it("--report prints a row per folder with how many of its files have results", () => {
    const r = mutation(["--report"]);
    assert.equal(r.code, 0, r.stderr);
    for (const [folder, files] of [
      [
        "lib",
        fs
          .readdirSync(path.join(PROJECT, "lib"), { recursive: true, encoding: "utf8" })
          .filter((f) => f.endsWith(".ts")).length,
      ],
      ["policy", fs.readdirSync(path.join(PROJECT, "policy", "policies")).filter((f) => f.endsWith(".ts")).length],
    ] as const) {
      assert.match(r.stdout, new RegExp(`^${folder} .* of ${files}\\s*$`, "m"), `${folder} row`);
    }
  });
});

describe("node:test under mocha (test/mutation/nodeTestAsMocha.cjs)", () => {
  const shim = path.join(PROJECT, "test", "mutation", "nodeTestAsMocha.cjs");
  const run = (body: string) =>
    spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(shim)}); globalThis.it = (n) => console.log("mocha it: " + n); ${body}`],
      { encoding: "utf8" },
    );

  it("forwards describe/it to mocha's globals", () => {
    const r = run(`require("node:test").it("a test", () => {});`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "mocha it: a test");
  });

  it("refuses what mocha would read differently: a callback taking the test context, or options", () => {
    const context = run(`require("node:test").it("a test", (t) => {});`);
    assert.notEqual(context.status, 0);
    assert.match(
      context.stderr,
      /node:test's it with a callback taking arguments \(test context or done\) has no mocha equivalent here/,
    );
    const options = run(`require("node:test").it("a test", { timeout: 5 }, () => {});`);
    assert.match(options.stderr, /node:test's it with options \{"timeout":5\} has no mocha equivalent here/);
  });

  it("refuses a hook at a file's top level, which mocha would run before every file's tests", () => {
    const r = run(`globalThis.before = () => {}; require("node:test").before(() => {});`);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /node:test's before at a file's top level would run for every test file under mocha; put it inside a describe/,
    );
  });

  // A fake mocha and Stryker's instrumenter state: the hook covers mutant 7 in the dry run.
  const FAKE_RUN = `
    const hooks = { before: [], beforeEach: [] }; const tests = [];
    globalThis.describe = (t, fn) => fn.call({});
    globalThis.before = (fn) => hooks.before.push(fn);
    globalThis.beforeEach = (fn) => hooks.beforeEach.push(fn);
    const ns = (globalThis.__stryker__ = { mutantCoverage: { static: {}, perTest: {} } });
    const cover = (id) => { const c = ns.currentTestId ? (ns.mutantCoverage.perTest[ns.currentTestId] ??= {}) : ns.mutantCoverage.static; c[id] = (c[id] ?? 0) + 1; };
    const t = require("node:test");
    globalThis.it = (title) => tests.push(title);
    t.describe("s", () => { t.before(() => cover("7")); t.it("t1", () => {}); t.it("t2", () => {}); });
    (async () => {
      ns.currentTestId = "last test of the previous suite";
      for (const h of hooks.before) await h();
      for (const title of tests) { ns.currentTestId = "s " + title; for (const h of hooks.beforeEach) h(); }
      console.log(JSON.stringify(ns.mutantCoverage));
    })();`;

  it("credits a before-all hook's dry-run coverage to every test under its describe, not to the previous test or to static", () => {
    const r = run(FAKE_RUN);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop() ?? ""), {
      static: {},
      perTest: { "s t1": { 7: 1 }, "s t2": { 7: 1 } },
    });
  });

  it("leaves coverage alone while a mutant is active (a mutant run, not the dry run)", () => {
    const r = run(
      FAKE_RUN.replace(
        "const ns = (globalThis.__stryker__ = {",
        'const ns = (globalThis.__stryker__ = { activeMutant: "7",',
      ),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop() ?? ""), {
      static: {},
      perTest: { "last test of the previous suite": { 7: 1 } },
    });
  });

  it("finds no hook at a test file's top level: one process runs many files (mocha here, npm test's shards), where it would run for all", () => {
    const topLevel = fs
      .readdirSync(path.join(PROJECT, "test"))
      .filter((f) => f.endsWith(".test.ts"))
      .filter((f) =>
        /^(before|after|beforeEach|afterEach)\(/m.test(fs.readFileSync(path.join(PROJECT, "test", f), "utf8")),
      );
    assert.deepEqual(topLevel, []);
  });
});

describe("npm test (scripts/test.mjs)", () => {
  const npmTest = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(PROJECT, "scripts", "test.mjs"), ...args], {
      cwd: PROJECT,
      encoding: "utf8",
    });
  it("refuses an option or a file that does not exist, naming it, before the type check or any test", () => {
    const option = npmTest("--only", "x");
    assert.equal(option.status, 2);
    assert.equal(option.stderr.trim(), "npm test: unknown option --only; pass test files (test/x.test.ts) or nothing");
    const missing = npmTest("test/nope.test.ts");
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr.trim(),
      "npm test: no test file test/nope.test.ts (paths are from the project root); pass test files (test/x.test.ts) or nothing",
    );
    assert.equal(missing.stdout, "");
  });
});
