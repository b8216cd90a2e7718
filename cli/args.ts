/**
 * Flag parsing for every command, in one place: `node:util`'s parseArgs, strict, plus what it lacks. A
 * single-valued flag given twice is refused (instead of silently keeping the last), and an unknown flag
 * gets a "did you mean" hint. Every refusal is a `LockstepInputError` (exit 2).
 */
import { parseArgs, ParseArgsConfig } from "node:util";
import { LockstepInputError } from "../lib/core/errors";
import { closest } from "../lib/core/hints";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command accepts; the dispatcher acts on them. */
export const COMMON_OPTIONS = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  const all = { ...COMMON_OPTIONS, ...options };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: all, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '(--?[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const hint = closest(unknown.replace(/^-+/, ""), Object.keys(all));
      throw new LockstepInputError(
        `unknown flag ${unknown}${hint ? ` (did you mean --${hint}?)` : ""}; see \`lockstep ${command} --help\``,
      );
    }
    throw new LockstepInputError(`${message}; see \`lockstep ${command} --help\``);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const spec = all[token.name] as { multiple?: boolean } | undefined;
    if (seen.has(token.name) && !spec?.multiple) {
      throw new LockstepInputError(`--${token.name} is given more than once; give it once`);
    }
    seen.add(token.name);
  }
  return parsed.values;
}
