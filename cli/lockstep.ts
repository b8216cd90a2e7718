#!/usr/bin/env node
/**
 * `lockstep <command>`: the release flow around the Pulumi program.
 * Exit codes: 0 ok, 1 refused (promotion refused, a preflight check failed), 2 bad input or usage.
 */
import "../plan/lazyRequire"; // first: defers SDK modules the CLI never uses, before @pulumi/pulumi loads
import { LockstepInputError } from "../lib/errors";
import { catalogAdd, CATALOG_ADD_HELP } from "./commands/catalogAdd";
import { preflight, PREFLIGHT_HELP } from "./commands/preflight";
import { promote, PROMOTE_HELP } from "./commands/promote";
import { CliEnv, CommandResult, defaultEnv } from "./env";

const HELP = `Usage: lockstep <command> [options]   (npm run lockstep -- <command> ...)

Commands:
  catalog add   turn a build (images by digest, chart pins, notes) into releases/<version>.yaml
  promote       copy exactly the set staging verified into another stack (default prod)
  preflight     print the pre-upgrade checklist for a stack

Every command takes --help and --json. Exit codes: 0 ok, 1 refused or a check failed, 2 bad input.
The offline plan is \`npm run plan -- --stack <name>\`.`;

type Command = { help: string; run: (argv: string[], env: CliEnv) => Promise<CommandResult> };
const COMMANDS: Record<string, Command> = {
  "catalog add": { help: CATALOG_ADD_HELP, run: catalogAdd },
  promote: { help: PROMOTE_HELP, run: promote },
  preflight: { help: PREFLIGHT_HELP, run: preflight },
};

export interface Io { out(text: string): void; err(text: string): void }

export async function main(argv: string[], env: CliEnv = defaultEnv(), io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  const name = argv[0] === "catalog" ? `catalog ${argv[1] ?? ""}`.trim() : argv[0];
  const rest = argv.slice(name?.split(" ").length ?? 0);
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? io.out : io.err)(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`lockstep: unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(", ")}\n\n${HELP}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`${command.help}\n`);
    return 0;
  }
  const json = rest.includes("--json");
  try {
    const result = await command.run(rest, env);
    io.out(json ? `${JSON.stringify(result.json)}\n` : `${result.human}\n`);
    return result.exitCode;
  } catch (err) {
    const known = err instanceof LockstepInputError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (!known) throw err;
    io.err(`lockstep ${name}: ${(err as Error).message}\n`);
    if (json) io.out(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`lockstep: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  });
}
