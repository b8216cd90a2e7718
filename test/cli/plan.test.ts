/**
 * `npm run plan`: the built binary (bin/, rebuilt first when a source is newer) as users run it, where the
 * process is what is tested: the same JSON as the in-process entry, exit codes, stdout and stderr apart,
 * a reader that closes the pipe early. What the plan says is in test/cli/planCommand.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { plan } from "../../plan/plan";
import { PROJECT, ROLLING_WINDOW_SETS } from "../helpers";

/** Runs the built CLI exactly as `npm run plan` does, after rebuilding bin/ if any source is newer. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(PROJECT, "bin", "cli", "lockstep.js"), "plan", ...args], {
    cwd: PROJECT,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run plan", () => {
  before(() => {
    const build = spawnSync(process.execPath, [path.join(PROJECT, "scripts", "build.mjs"), "--quiet", "--if-stale"], {
      cwd: PROJECT,
      encoding: "utf8",
    });
    assert.equal(build.status, 0, build.stderr);
  });

  describe("the built CLI", () => {
    it("gives the same plan as the in-process run (the CLI's startup shortcuts change nothing)", async () => {
      const sets = [...ROLLING_WINDOW_SETS, "upgrade.gatewayCanaryPercent=20"];
      const r = cli("--stack", "staging", "--json", "--deployed", "1.3.4", ...sets.flatMap((s) => ["--set", s]));
      assert.equal(r.code, 0, r.stderr);
      const { config: _c, ...inProcess } = await plan({ stack: "staging", sets, deployed: "1.3.4" });
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(inProcess)));
    });

    it("exits 2 on invalid config with the message on stderr and nothing on stdout", () => {
      const binary = cli("--stack", "staging", "--set", "environment=dev");
      assert.equal(binary.code, 2, binary.stderr);
      assert.equal(binary.stdout, "");
      assert.match(binary.stderr, /^lockstep plan: .*lockstep:environment = "dev": must be "staging" or "prod"/);
    });
  });

  describe("the plan on a pipe", () => {
    const piped = (args: string) =>
      spawnSync(
        "bash",
        [
          "-c",
          `"${process.execPath}" "${path.join(PROJECT, "bin", "cli", "lockstep.js")}" plan ${args} | head -c 20 >/dev/null; exit \${PIPESTATUS[0]}`,
        ],
        { cwd: PROJECT, encoding: "utf8" },
      );
    it("ends quietly when the reader closes early, with the plan's own exit code", () => {
      const ok = piped("--stack staging --json");
      assert.equal(ok.status, 0);
      assert.doesNotMatch(ok.stderr, /EPIPE|Error/);
      const refused = piped("--stack staging --deployed 1.3.4 --json");
      assert.equal(refused.status, 1, "a policy violation still exits 1");
      assert.doesNotMatch(refused.stderr, /EPIPE|Error/);
    });
  });
});
