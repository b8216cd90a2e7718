#!/usr/bin/env node
/**
 * `lockstep <command>`: the offline plan and the release flow around the Pulumi program, behind one
 * entry point and one error path. Exit codes: 0 ok, 1 refused (a policy violation, a failed check, a
 * refused promotion), 2 bad input or usage (one message on stderr, nothing written), 70 internal error.
 */
import "./compileCache"; // first: reuses compiled code of everything imported after it
import "../plan/lazyRequire"; // next: defers SDK modules the CLI never uses, before @pulumi/pulumi loads
import { LockstepInputError } from "../lib/core/errors";
import { closest } from "../lib/core/hints";
import { canary, CANARY_HELP } from "./commands/canary";
import { catalogAdd, CATALOG_ADD_HELP } from "./commands/catalogAdd";
import { drift, DRIFT_HELP } from "./commands/drift";
import { fleetNeedsUpgrade, FLEET_NEEDS_UPGRADE_HELP, fleetStatus, FLEET_STATUS_HELP } from "./commands/fleet";
import { fleetExport, FLEET_EXPORT_HELP } from "./commands/fleetExport";
import { fleetUpgrade, FLEET_UPGRADE_HELP } from "./commands/fleetUpgrade";
import { planCommand, PLAN_HELP } from "./commands/plan";
import { preflight, PREFLIGHT_HELP } from "./commands/preflight";
import { promote, PROMOTE_HELP } from "./commands/promote";
import { restore, RESTORE_HELP } from "./commands/restore";
import { rollback, ROLLBACK_HELP } from "./commands/rollback";
import { smokeCommand, SMOKE_HELP } from "./commands/smoke";
import { CliEnv, CommandResult, defaultEnv } from "./env";

interface Command {
  /** Words that name the command: ["plan"], ["catalog", "add"]. */
  path: string[];
  summary: string;
  help: string;
  run: (argv: string[], env: CliEnv) => Promise<CommandResult>;
}

const COMMANDS: Command[] = [
  {
    path: ["plan"],
    summary: "the offline plan of a stack: the program under mocks, then the policy pack",
    help: PLAN_HELP,
    run: planCommand,
  },
  {
    path: ["catalog", "add"],
    summary: "turn a build (images by digest, chart pins, notes) into releases/<version>.yaml",
    help: CATALOG_ADD_HELP,
    run: catalogAdd,
  },
  {
    path: ["promote"],
    summary: "copy exactly the set staging verified into another stack (default prod)",
    help: PROMOTE_HELP,
    run: promote,
  },
  { path: ["preflight"], summary: "print the pre-upgrade checklist for a stack", help: PREFLIGHT_HELP, run: preflight },
  {
    path: ["canary"],
    summary: "move the gateway canary step by step, each step a pulumi up judged by Prometheus; abort to 0 on failure",
    help: CANARY_HELP,
    run: canary,
  },
  {
    path: ["drift"],
    summary: "what differs between the cluster and the stack, by resource and field; --reset puts it back",
    help: DRIFT_HELP,
    run: drift,
  },
  {
    path: ["smoke"],
    summary: "run a stack's smoke checks now, as its pulumi up runs them (changes nothing, writes no record)",
    help: SMOKE_HELP,
    run: smokeCommand,
  },
  {
    path: ["rollback"],
    summary:
      "return a stack to the release before its last window, with its data (writes the stack file, shows the plan)",
    help: ROLLBACK_HELP,
    run: rollback,
  },
  {
    path: ["restore"],
    summary: "recover the databases from the object store into new clusters (writes the stack file, shows the plan)",
    help: RESTORE_HELP,
    run: restore,
  },
  {
    path: ["fleet", "status"],
    summary: "what every install of the fleet runs, and the version distribution",
    help: FLEET_STATUS_HELP,
    run: fleetStatus,
  },
  {
    path: ["fleet", "needs-upgrade"],
    summary: "which installs are behind a version, their paths, and which cannot take it",
    help: FLEET_NEEDS_UPGRADE_HELP,
    run: fleetNeedsUpgrade,
  },
  {
    path: ["fleet", "upgrade"],
    summary: "upgrade the fleet ring by ring: preflight, preview, up, smoke per install",
    help: FLEET_UPGRADE_HELP,
    run: fleetUpgrade,
  },
  {
    path: ["fleet", "export"],
    summary: "render the fleet as Pulumi Kubernetes Operator Stacks (rings as prerequisites)",
    help: FLEET_EXPORT_HELP,
    run: fleetExport,
  },
];

const name = (c: Command) => c.path.join(" ");

function overview(commands: Command[], heading: string): string {
  const width = Math.max(...commands.map((c) => name(c).length));
  return `${heading}

Commands:
${commands.map((c) => `  ${name(c).padEnd(width)}   ${c.summary}`).join("\n")}

Every command takes --help and --json. Exit codes: 0 ok, 1 refused or a check failed, 2 bad input.`;
}

export const HELP = overview(
  COMMANDS,
  "Usage: lockstep <command> [options]   (npm run lockstep -- <command> ..., npm run plan -- ...)",
);

/**
 * Text with the characters that would rewrite what a terminal shows (bidirectional overrides such as
 * U+202E, and control characters other than newline and tab) written as `\u{...}` instead.
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.charCodeAt(0).toString(16)}}`,
  );
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const isHelp = (arg: string | undefined) => arg === "--help" || arg === "-h" || arg === "help";

/** Finds the command named by the leading words of argv; a group word alone (`catalog`) lists its commands. */
function resolve(
  argv: string[],
): { command: Command; rest: string[] } | { group: Command[]; word: string } | { unknown: string } | undefined {
  const first = argv[0];
  if (first === undefined || isHelp(first)) return undefined;
  const group = COMMANDS.filter((c) => c.path[0] === first);
  if (group.length === 0) return { unknown: first };
  const command = group.find((c) => c.path.every((word, i) => argv[i] === word));
  return command ? { command, rest: argv.slice(command.path.length) } : { group, word: first };
}

export async function main(
  argv: string[],
  env: CliEnv = defaultEnv(),
  given: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): Promise<number> {
  // Whatever a command prints may quote input; no control character of it reaches the terminal raw.
  const io: Io = { out: (t) => given.out(printable(t)), err: (t) => given.err(printable(t)) };
  const found = resolve(argv);
  if (found === undefined) {
    (argv.length ? io.out : io.err)(`${HELP}\n`);
    return argv.length ? 0 : 2;
  }
  if ("unknown" in found) {
    const hint = closest(found.unknown, [...new Set(COMMANDS.map((c) => c.path[0]))]);
    io.err(
      `lockstep: unknown command ${JSON.stringify(found.unknown)}${hint ? ` (did you mean ${hint}?)` : ""}\n\n${HELP}\n`,
    );
    return 2;
  }
  if ("group" in found) {
    const groupHelp = overview(found.group, `Usage: lockstep ${found.word} <command> [options]`);
    const asked = argv[1];
    if (isHelp(asked)) {
      io.out(`${groupHelp}\n`);
      return 0;
    }
    io.err(
      `lockstep ${found.word}: ${asked === undefined ? "needs a command" : `unknown command ${JSON.stringify(asked)}`}\n\n${groupHelp}\n`,
    );
    return 2;
  }
  const { command, rest } = found;
  if (rest.some(isHelp)) {
    io.out(`${command.help}\n`);
    return 0;
  }
  const json = rest.includes("--json");
  try {
    const result = await command.run(rest, env);
    io.out(json ? `${JSON.stringify(result.json)}\n` : `${result.human}\n`);
    return result.exitCode;
  } catch (err) {
    if (!(err instanceof LockstepInputError)) throw err;
    io.err(`lockstep ${name(command)}: ${err.message}\n`);
    if (json) io.out(`${JSON.stringify({ ok: false, error: err.message })}\n`);
    return err.exitCode;
  }
}

if (require.main === module) {
  // A reader that closes early (`| head`) ends the run quietly, with the exit code already decided.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  const io: Io = {
    out: (text) => {
      process.stdout.write(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
  };
  main(process.argv.slice(2), defaultEnv(), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lockstep: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
