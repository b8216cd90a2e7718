/**
 * TEST DOUBLE of `pulumi-resource-command` (the Go module proxy refuses the real provider). It serves
 * `@pulumi/command` 4.5.0's `command:local:Command` to the real CLI over the real provider protocol,
 * behaving like the real provider where lockstep relies on it:
 *
 * - `create` runs on create; on an input change `update` runs (or `create` again when there is none);
 *   a change to `triggers` replaces; `delete` runs on delete;
 * - each runs through `/bin/sh -c` (or `interpreter`) in `dir` (default: the program directory), with the
 *   provider's environment plus `environment`, and `stdin`;
 * - `stdout` and `stderr` become outputs (one trailing newline trimmed); a non-zero exit fails the step,
 *   with the exit code and the end of stderr in the error.
 */
import * as provider from "@pulumi/pulumi/provider";
import { hasUnknown, outputs, parseUrn, plain, run, same } from "./kube";

const VERSION = "4.5.0";
const COMMAND_TYPE = "command:local:Command";

interface CommandInputs {
  create?: string;
  update?: string;
  delete?: string;
  environment?: Record<string, string>;
  dir?: string;
  interpreter?: string[];
  stdin?: string;
  triggers?: unknown[];
}

async function execute(
  script: string,
  inputs: CommandInputs,
  previous?: { stdout?: string; stderr?: string },
): Promise<{ stdout: string; stderr: string }> {
  const [shell, ...shellArgs] = inputs.interpreter?.length ? inputs.interpreter : ["/bin/sh", "-c"];
  const env = {
    ...process.env,
    ...(inputs.environment ?? {}),
    ...(previous ? { PULUMI_COMMAND_STDOUT: previous.stdout ?? "", PULUMI_COMMAND_STDERR: previous.stderr ?? "" } : {}),
  };
  const r = await run(shell, [...shellArgs, script], { env, cwd: inputs.dir, input: inputs.stdin });
  const trim = (s: string) => s.replace(/\r?\n$/, "");
  if (r.code !== 0) {
    throw new Error(
      `command exited with ${r.code}: ${script}\nstderr: ${trim(r.stderr).split("\n").slice(-10).join("\n")}\nstdout: ${trim(r.stdout).split("\n").slice(-5).join("\n")}`,
    );
  }
  return { stdout: trim(r.stdout), stderr: trim(r.stderr) };
}

function checkType(urn: string): void {
  const { type } = parseUrn(urn);
  if (type !== COMMAND_TYPE)
    throw new Error(`the command provider test double serves ${COMMAND_TYPE} only, not ${type}`);
}

const commandDouble: provider.Provider = {
  version: VERSION,

  async check(urn, _olds, news) {
    checkType(urn);
    return { inputs: news };
  },

  async diff(_id, _urn, olds, news) {
    if (hasUnknown(news)) return { changes: true };
    const before = (olds as { __inputs?: CommandInputs }).__inputs ?? {};
    const after = news as CommandInputs;
    const changes = !same(plain(before), plain(after));
    const replaces = !same(plain(before.triggers ?? []), plain(after.triggers ?? [])) ? ["triggers"] : [];
    return { changes, replaces };
  },

  async create(urn, inputs) {
    checkType(urn);
    const args = plain(inputs) as CommandInputs;
    const out = args.create ? await execute(args.create, args) : { stdout: "", stderr: "" };
    return {
      id: `${parseUrn(urn).name}-${Date.now().toString(36)}`,
      outs: outputs({ ...inputs, ...out, __inputs: inputs }),
    };
  },

  async update(_id, _urn, olds, news) {
    const args = plain(news) as CommandInputs;
    const previous = olds as { stdout?: string; stderr?: string };
    const script = args.update ?? args.create;
    const out = script
      ? await execute(script, args, previous)
      : { stdout: previous.stdout ?? "", stderr: previous.stderr ?? "" };
    return { outs: outputs({ ...news, ...out, __inputs: news }) };
  },

  async delete(_id, _urn, props) {
    const state = props as { __inputs?: CommandInputs; stdout?: string; stderr?: string };
    const args = plain(state.__inputs ?? {}) as CommandInputs;
    if (args.delete) await execute(args.delete, args, state);
  },
};

provider.main(commandDouble, process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`command provider double: ${(err as Error).message}\n`);
  process.exit(1);
});
