/** cli/args.ts directly: what every command's flags accept and how each refusal reads. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCommandArgs } from "../../cli/args";
import { LockstepInputError } from "../../lib/core/errors";

const OPTIONS = {
  stack: { type: "string" },
  "max-backup-age": { type: "string" },
  set: { type: "string", multiple: true },
  "dry-run": { type: "boolean", default: false },
} as const;
const parse = (...argv: string[]) => parseCommandArgs("preflight", argv, OPTIONS);
const refusal = (argv: string[], message: string) =>
  assert.throws(
    () => parse(...argv),
    (err: unknown) => err instanceof LockstepInputError && err.message === message,
    argv.join(" "),
  );

describe("flags (cli/args.ts)", () => {
  it("reads values, repeatable flags, booleans and the common --json and --help", () => {
    const values = parse("--stack", "prod", "--set", "a=1", "--set", "b=2", "--dry-run", "--json");
    assert.deepEqual({ ...values }, { stack: "prod", set: ["a=1", "b=2"], "dry-run": true, json: true, help: false });
    assert.equal(parse("-h").help, true);
  });

  it("takes a negative number as the value of a flag that has one, for the flag's own check to judge", () => {
    assert.equal(parse("--max-backup-age", "-1")["max-backup-age"], "-1");
    assert.equal(parse("--max-backup-age=-2h")["max-backup-age"], "-2h");
  });

  it("a negative number after a flag without a value is an unknown flag, not that flag's value", () => {
    refusal(["--dry-run", "-1"], "unknown flag -1; see `lockstep preflight --help`");
  });

  it("an unknown flag, long or short, with the closest known one when there is one", () => {
    refusal(["--stak", "prod"], "unknown flag --stak (did you mean --stack?); see `lockstep preflight --help`");
    refusal(
      ["--max-backup-agee", "1h"],
      "unknown flag --max-backup-agee (did you mean --max-backup-age?); see `lockstep preflight --help`",
    );
    refusal(["-x"], "unknown flag -x; see `lockstep preflight --help`");
  });

  it("a flag whose value is missing because the next word is a flag says how to write it", () => {
    refusal(
      ["--stack", "--dry-run"],
      "--stack needs a value, and the word after it is a flag; write --stack=<value>; see `lockstep preflight --help`",
    );
  });

  it("a word that is not a flag is refused in one line", () => {
    assert.throws(
      () => parse("staging"),
      (err: unknown) =>
        err instanceof LockstepInputError &&
        /^Unexpected argument 'staging'.*; see `lockstep preflight --help`$/.test(err.message) &&
        !err.message.includes("\n"),
    );
  });

  it("a flag that takes one value, given twice, is refused; a repeatable one is not", () => {
    refusal(["--stack", "a", "--stack", "b"], "--stack is given more than once; give it once");
    refusal(["--json", "--json"], "--json is given more than once; give it once");
    assert.deepEqual(parse("--set", "a=1", "--set", "a=2").set, ["a=1", "a=2"]);
  });
});
