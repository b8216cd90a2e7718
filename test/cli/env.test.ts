/** The commands' real environment (cli/env.ts): which Pulumi and kubectl it finds, and what it hands back. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { defaultEnv } from "../../cli/env";

/** Runs `fn` with PATH holding only the given scripts (they use shell builtins alone). */
function withPath<T>(scripts: Record<string, string>, fn: () => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-env-"));
  for (const [name, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  const saved = process.env.PATH;
  process.env.PATH = dir;
  try {
    return fn();
  } finally {
    process.env.PATH = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("defaultEnv", () => {
  it("reads the stack outputs and the fleet through Pulumi only when a pulumi that answers is on PATH", () => {
    withPath({}, () => {
      const env = defaultEnv("/srv/platform");
      assert.equal(env.stackOutputs, null);
      assert.equal(env.fleet, null);
      assert.equal(env.projectDir, "/srv/platform");
      assert.equal(env.catalogDir, path.join("/srv/platform", "releases"));
    });
    withPath({ pulumi: 'test "$1" = version && echo v3.276.0' }, () => {
      const env = defaultEnv("/srv/platform");
      assert.equal(typeof env.stackOutputs, "function");
      assert.notEqual(env.fleet, null);
    });
    withPath({ pulumi: "echo broken >&2; exit 1" }, () => {
      assert.equal(defaultEnv("/srv/platform").stackOutputs, null, "a pulumi that fails is none");
    });
  });

  it("runs kubectl with the arguments given, and says why when there is none", () => {
    withPath({ kubectl: 'echo "args: $*"; echo "no such context" >&2; exit 3', pulumi: "exit 1" }, () => {
      assert.deepEqual(defaultEnv().kubectl(["get", "ns", "--context", "eu"]), {
        status: 3,
        stdout: "args: get ns --context eu\n",
        stderr: "no such context\n",
      });
    });
    withPath({ pulumi: "exit 1" }, () => {
      const r = defaultEnv().kubectl(["version"]);
      assert.equal(r.status, null);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /ENOENT/);
    });
  });

  it("tells the time, writes progress as lines on stderr, and sleeps as long as asked", async () => {
    const env = withPath({ pulumi: "exit 1" }, () => defaultEnv());
    const before = Date.now();
    assert.ok(Math.abs(env.now().getTime() - before) < 1000);
    assert.ok(Math.abs(env.smokeIo.now() - before) < 1000);
    assert.equal(env.smokeIo.env, process.env);
    assert.equal(env.smokeIo.fetch, fetch);
    // By hand, not node:test's mock: the mutation suite runs these files under mocha.
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (chunk: string) => written.push(chunk) > 0;
    try {
      env.progress("fleet: ring 1 of 2");
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, ["fleet: ring 1 of 2\n"]);
    const start = Date.now();
    await env.smokeIo.sleep(60);
    assert.ok(Date.now() - start >= 55, "slept");
  });
});
