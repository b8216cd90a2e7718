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

/**
 * `--flag -1` as `--flag=-1` for a flag that takes a value: parseArgs calls a value that starts with a
 * dash ambiguous (in three lines); a negative number is a value, and the flag's own check judges it.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  const all = { ...COMMON_OPTIONS, ...options };
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, all),
      options: all,
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '(--?[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const hint = closest(unknown.replace(/^-+/, ""), Object.keys(all));
      throw new LockstepInputError(
        `unknown flag ${unknown}${hint ? ` (did you mean --${hint}?)` : ""}; see \`lockstep ${command} --help\``,
      );
    }
    const ambiguous = /Option '(--[^']+)' argument is ambiguous/.exec(message)?.[1];
    if (ambiguous)
      throw new LockstepInputError(
        `${ambiguous} needs a value, and the word after it is a flag; write ${ambiguous}=<value>; see \`lockstep ${command} --help\``,
      );
    // parseArgs explains some refusals over several lines; one line is what a person reads.
    throw new LockstepInputError(`${message.split("\n")[0]}; see \`lockstep ${command} --help\``);
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
