/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program (every value a string,
 * objects as JSON) and applies `--set` overrides. No Pulumi here: the plan and the CLI both use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { kindOf, NAMESPACE } from "../lib/config";
import { LockstepInputError } from "../lib/errors";
import { PROJECT_ROOT } from "../lib/paths";

export const PROJECT_DIR = PROJECT_ROOT;

export function stackFilePath(stack: string, projectDir = PROJECT_DIR): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** Lists the stacks that have a `Pulumi.<stack>.yaml`, for error messages. */
export function knownStacks(projectDir = PROJECT_DIR): string[] {
  return fs.readdirSync(projectDir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
}

/** The decoded `lockstep:*` values of a stack file, keyed without the prefix. */
export function readStackValues(stack: string, projectDir = PROJECT_DIR): Record<string, unknown> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new LockstepInputError(`--stack ${JSON.stringify(stack)}: a stack name has letters, digits, '-', '_' and '.' only`);
  const file = stackFilePath(stack, projectDir);
  if (!fs.existsSync(file)) {
    throw new LockstepInputError(`--stack ${stack}: no ${path.basename(file)} in ${projectDir}; known stacks: ${knownStacks(projectDir).join(", ") || "none"}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new LockstepInputError(`${file}: field config must be a map of keys to values`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    out[key.slice(NAMESPACE.length + 1)] = value;
  }
  return out;
}

/**
 * Parses one `--set` value: JSON where it parses (numbers, booleans, objects, null), a string otherwise.
 * A number whose JSON form would change the text (`1.30` -> 1.3) stays a string, and so does any value
 * for a key that is a string, so versions are never mangled.
 */
export function parseSetValue(keyPath: string[], raw: string): unknown {
  if (keyPath.length === 1 && kindOf(keyPath[0]) === "string") return raw;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "number" && String(value) !== raw) return raw;
    return value;
  } catch {
    return raw;
  }
}

/** Applies `key=value` overrides; dotted keys reach into objects, and `null` removes a key. */
export function applySets(values: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(values);
  for (const assignment of sets) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new LockstepInputError(`--set ${JSON.stringify(assignment)}: expected key=value, like upgrade.from=1.4.2`);
    const rawKey = assignment.slice(0, eq);
    const keyPath = (rawKey.startsWith(`${NAMESPACE}:`) ? rawKey.slice(NAMESPACE.length + 1) : rawKey).split(".");
    if (keyPath.some((k) => k === "")) throw new LockstepInputError(`--set ${JSON.stringify(assignment)}: empty segment in key ${JSON.stringify(rawKey)}`);
    const value = parseSetValue(keyPath, assignment.slice(eq + 1));
    let cursor: Record<string, unknown> = out;
    for (const segment of keyPath.slice(0, -1)) {
      const next = cursor[segment];
      if (next === undefined || next === null) cursor[segment] = {};
      else if (typeof next !== "object" || Array.isArray(next)) {
        throw new LockstepInputError(`--set ${rawKey}: ${segment} is ${JSON.stringify(next)}, not an object, so it has no field ${keyPath[keyPath.length - 1]}`);
      }
      cursor = cursor[segment] as Record<string, unknown>;
    }
    const last = keyPath[keyPath.length - 1];
    if (value === null) delete cursor[last];
    else cursor[last] = value;
  }
  return out;
}

/** Encodes decoded values as the CLI would pass them to the program: `lockstep:key` -> string. */
export function toPulumiConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${NAMESPACE}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}
