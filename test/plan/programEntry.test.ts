/**
 * The entry the Pulumi CLI runs (package.json "main", `typescript: false` in Pulumi.yaml) is the program
 * compiled to bin/, rebuilt when any source is newer, so `pulumi up` starts fast and never runs stale
 * code. Tested on a copy of the sources, since a rebuild of this checkout's bin/ would race the suites
 * that run the built CLI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { PROJECT } from "../helpers";

const SOURCES = [
  ...["Pulumi.yaml", "package.json", "index.ts", "program.ts"],
  ...["components", "lib", "plan", "cli", "policy/policies", "scripts", "releases"],
];

/** Requires the entry in `dir` as the CLI's Node.js host would, and says what it exported. */
function requireEntry(dir: string): { code: number | null; exported: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `const m = require(${JSON.stringify(path.join(dir, "scripts", "program.cjs"))}); process.stdout.write(typeof m)`,
    ],
    { cwd: dir, encoding: "utf8" },
  );
  return { code: r.status, exported: r.stdout, stderr: r.stderr };
}

describe("the program entry the Pulumi CLI runs", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-entry-"));
    for (const source of SOURCES) fs.cpSync(path.join(PROJECT, source), path.join(dir, source), { recursive: true });
    fs.symlinkSync(path.join(PROJECT, "node_modules"), path.join(dir, "node_modules"));
  });

  it("is what Pulumi.yaml and package.json name, with the CLI's TypeScript loader off", () => {
    const project = parse(fs.readFileSync(path.join(PROJECT, "Pulumi.yaml"), "utf8")) as {
      runtime: { options: { typescript: boolean } };
    };
    assert.equal(project.runtime.options.typescript, false);
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { main: string };
    assert.equal(pkg.main, "scripts/program.cjs");
  });

  it("builds bin/ where there is none, and exports the program's function", () => {
    const r = requireEntry(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.exported, "function");
    assert.ok(fs.existsSync(path.join(dir, "bin", "index.js")));
  });

  it("rebuilds when a source is newer than the build, so an edit is never run stale", () => {
    const file = path.join(dir, "program.ts");
    fs.appendFileSync(file, '\nexport const editedAfterTheBuild = "yes";\n');
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(file, later, later);
    const r = requireEntry(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(dir, "bin", "program.js"), "utf8"), /editedAfterTheBuild/);
  });

  it("builds nothing when bin/ is current", () => {
    const earlier = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, "program.ts"), earlier, earlier); // the edit above was dated ahead
    requireEntry(dir);
    const stamp = path.join(dir, "bin", ".build-stamp");
    const builtAt = fs.statSync(stamp).mtimeMs;
    const r = requireEntry(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(stamp).mtimeMs, builtAt, "no rebuild of a current bin/");
  });

  it("leaves stack traces to V8's own formatting, not a source-mapping hook", () => {
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `Error.prepareStackTrace = () => "mapped"; require(${JSON.stringify(path.join(dir, "scripts", "program.cjs"))}); process.stdout.write(String(Error.prepareStackTrace))`,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "undefined");
  });
});
