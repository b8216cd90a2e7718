/** cli/lockstep.ts's dispatcher in process: help, groups, unknown words, and how a refusal is printed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HELP } from "../../cli/lockstep";
import { env, lockstep } from "../cliKit";
import { PROJECT } from "../helpers";

const e = env(PROJECT);

describe("the lockstep dispatcher", () => {
  it("help on stdout with exit 0 when asked for, on stderr with exit 2 when nothing is given", async () => {
    for (const asked of ["--help", "-h", "help"]) {
      assert.deepEqual(await lockstep(e, asked), { code: 0, stdout: `${HELP}\n`, stderr: "" }, asked);
    }
    assert.deepEqual(await lockstep(e), { code: 2, stdout: "", stderr: `${HELP}\n` });
  });

  it("lists every command with its summary in one column, three spaces after the longest name", () => {
    const rows = HELP.split("\n").filter((l) => /^ {2}\S/.test(l));
    assert.ok(
      rows.some((l) => l.startsWith("  fleet needs-upgrade   ")),
      rows.join("\n"),
    );
    const column = rows.map((l) => /^ {2}\S.*? {3,}(?=\S)/.exec(l)?.[0].length);
    assert.equal(new Set(column).size, 1, `summaries start in one column:\n${rows.join("\n")}`);
    const longest = Math.max(...rows.map((l) => (/^ {2}(\S+(?: \S+)*?) {3}/.exec(l)?.[1] ?? "").length));
    assert.equal(column[0], 2 + longest + 3);
  });

  it("a group word lists its commands: alone it needs one (exit 2), with --help it is the answer (exit 0)", async () => {
    const alone = await lockstep(e, "catalog");
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /^lockstep catalog: needs a command\n\nUsage: lockstep catalog <command> \[options\]\n/);
    const help = await lockstep(e, "catalog", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: lockstep catalog <command> \[options\]\n\nCommands:\n {2}catalog add/);
    const unknown = await lockstep(e, "catalog", "remove");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^lockstep catalog: unknown command "remove"\n/);
  });

  it("an unknown command is named with the closest one", async () => {
    const r = await lockstep(e, "promte");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lockstep: unknown command "promte" \(did you mean promote\?\)\n\nUsage: lockstep/);
  });

  it("a command's --help anywhere after it is its help", async () => {
    const r = await lockstep(e, "plan", "--stack", "staging", "--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: lockstep plan/);
  });

  it("bad input: exit 2, the command and the reason on stderr, and with --json the same reason as JSON on stdout", async () => {
    const plain = await lockstep(e, "plan", "--stak", "staging");
    assert.deepEqual([plain.code, plain.stdout], [2, ""]);
    const reason = "unknown flag --stak (did you mean --stack?); see `lockstep plan --help`";
    assert.equal(plain.stderr, `lockstep plan: ${reason}\n`);
    const json = await lockstep(e, "plan", "--stak", "staging", "--json");
    assert.equal(json.code, 2);
    assert.equal(json.stderr, `lockstep plan: ${reason}\n`);
    assert.deepEqual(JSON.parse(json.stdout), { ok: false, error: reason });
  });

  it("no control character of the input reaches the terminal raw", async () => {
    const r = await lockstep(e, "plan", "--stack\u202e", "x");
    assert.equal(r.code, 2);
    assert.ok(!r.stderr.includes("\u202e") && r.stderr.includes("\\u{202e}"), r.stderr);
  });
});
