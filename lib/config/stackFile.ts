/**
 * `Pulumi.<stack>.yaml`, read and written. Reading gives the values the way the Pulumi CLI hands config
 * to the program (every top-level value a string, objects as JSON; encrypted values as secrets), so the
 * offline plan and the CLI commands parse exactly what `pulumi up` parses. Writing edits the file in place
 * through the YAML document model, so comments, blank lines and keys lockstep does not own survive.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, parse as parseYaml, parseDocument, Scalar, visit } from "yaml";
import { CONFIG_PREFIX, kindOf } from "./config";
import { LockstepInputError, showValue } from "../core/errors";
import { valueAt } from "../core/objects";
import { PROJECT_ROOT } from "../core/paths";
import { isEncryptedValue, SECRET_PLACEHOLDER } from "../security/secrets";

export const PROJECT_DIR = PROJECT_ROOT;

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

export function stackFilePath(stack: string, projectDir = PROJECT_DIR): string {
  if (!STACK_NAME.test(stack))
    throw new LockstepInputError(
      `--stack ${JSON.stringify(stack)}: a stack name has letters, digits, '-', '_' and '.' only`,
    );
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** Lists the stacks that have a `Pulumi.<stack>.yaml`, for error messages. */
export function knownStacks(projectDir = PROJECT_DIR): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export interface StackFile {
  /** Absolute path of the file. */
  file: string;
  /** `lockstep:*` values keyed without the prefix; encrypted values are replaced by the secret placeholder. */
  values: Record<string, unknown>;
  /** Keys that hold an encrypted value anywhere inside them (the CLI marks the whole key secret). */
  secretKeys: string[];
  /** The file's text as read: what an edit starts from, so the change written is the change planned. */
  text: string;
}

/** Replaces every `{secure: ...}` with the placeholder; returns whether it found one. */
function replaceEncrypted(value: unknown): { value: unknown; secret: boolean } {
  if (isEncryptedValue(value)) return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(replaceEncrypted);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, replaceEncrypted(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, r]) => [k, r.value])),
      secret: entries.some(([, r]) => r.secret),
    };
  }
  return { value, secret: false };
}

/** Reads a stack file; refuses a missing, empty or malformed file with a message naming it. */
export function readStackFile(stack: string, projectDir = PROJECT_DIR): StackFile {
  const file = stackFilePath(stack, projectDir);
  const name = path.basename(file);
  if (!fs.existsSync(file)) {
    throw new LockstepInputError(
      `--stack ${stack}: no ${name} in ${projectDir}; known stacks: ${knownStacks(projectDir).join(", ") || "none"}`,
    );
  }
  if (!fs.statSync(file).isFile()) throw new LockstepInputError(`${file}: not a file`);
  const text = fs.readFileSync(file, "utf8");
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined)
    throw new LockstepInputError(
      `${file}: the file is empty; a stack file holds a config: map of ${CONFIG_PREFIX}: keys`,
    );
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new LockstepInputError(`${file}: must be a YAML map with a config: key, not ${showValue(doc)}`);
  const config = (doc as { config?: unknown }).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new LockstepInputError(`${file}: field config must be a map of keys to values`);
  // The CLI would hand the program Go's rendering of a timestamp, not the text: refuse before it does.
  const as11 = (readsAs11(text) as { config?: unknown } | undefined)?.config;
  const stamp = timestampsIn(as11).find((t) => t.path[0]?.startsWith(`${CONFIG_PREFIX}:`));
  if (stamp) {
    const written = String(valueAt(config, stamp.path));
    const goForm = `${stamp.value
      .toISOString()
      .replace("T", " ")
      .replace(/(\.000)?Z$/, "")} +0000 UTC`;
    throw new LockstepInputError(
      `${file}: ${stamp.path.join(".")} = ${written}: written as a plain YAML timestamp, which the Pulumi CLI reads as ${JSON.stringify(goForm)}; quote it, like "${written}"`,
    );
  }
  // Built on a null prototype: no key of a file can reach Object.prototype, whatever its name.
  const values = Object.create(null) as Record<string, unknown>;
  const secretKeys: string[] = [];
  for (const [fullKey, raw] of Object.entries(config)) {
    if (!fullKey.startsWith(`${CONFIG_PREFIX}:`)) continue;
    const key = fullKey.slice(CONFIG_PREFIX.length + 1);
    const forbidden = forbiddenPath(raw, [key]);
    if (forbidden) {
      throw new LockstepInputError(
        `${file}: ${CONFIG_PREFIX}:${forbidden.join(".")}: ${JSON.stringify(forbidden[forbidden.length - 1])} is not a config key or field (it would set an object's prototype); remove it`,
      );
    }
    // YAML reads an unquoted 1.30 as the number 1.3, and so does the Pulumi CLI: a version would change.
    if (typeof raw === "number" && kindOf(key) === "string") {
      // Quote what was written (1.30), not the number YAML made of it (1.3).
      const written = scalarSource(text, fullKey) ?? String(raw);
      throw new LockstepInputError(
        `${file}: ${fullKey} = ${written}: written as a YAML number, which Pulumi reads as ${JSON.stringify(String(raw))}; quote it, like ${fullKey}: "${written}"`,
      );
    }
    const { value, secret } = replaceEncrypted(raw);
    values[key] = value;
    if (secret) secretKeys.push(key);
  }
  return { file, values, secretKeys, text };
}

/** The decoded `lockstep:*` values of a stack file, keyed without the prefix. */
export function readStackValues(stack: string, projectDir = PROJECT_DIR): Record<string, unknown> {
  return readStackFile(stack, projectDir).values;
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

/** The text a top-level config scalar was written as, or undefined when it is not a plain scalar. */
function scalarSource(text: string, fullKey: string): string | undefined {
  const node = parseDocument(text).getIn(["config", fullKey], true);
  if (!(node instanceof Scalar) || !node.range) return undefined;
  return text.slice(node.range[0], node.range[1]).trim();
}

/** Object keys that would reach the prototype chain instead of a config field. */
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

/** The path of the first forbidden key or field at any depth of a value (the key itself first). */
function forbiddenPath(value: unknown, path: string[]): string[] | undefined {
  if (FORBIDDEN_SEGMENTS.has(path[path.length - 1] ?? "")) return path;
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const found = forbiddenPath(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Applies `key=value` overrides; dotted keys reach into objects, and `null` removes a key. */
export function applySets(values: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(values);
  for (const assignment of sets) {
    const eq = assignment.indexOf("=");
    if (eq <= 0)
      throw new LockstepInputError(`--set ${JSON.stringify(assignment)}: expected key=value, like upgrade.from=1.4.2`);
    const rawKey = assignment.slice(0, eq);
    const keyPath = (rawKey.startsWith(`${CONFIG_PREFIX}:`) ? rawKey.slice(CONFIG_PREFIX.length + 1) : rawKey).split(
      ".",
    );
    if (keyPath.some((k) => k === ""))
      throw new LockstepInputError(
        `--set ${JSON.stringify(assignment)}: empty segment in key ${JSON.stringify(rawKey)}`,
      );
    const forbidden = keyPath.find((k) => FORBIDDEN_SEGMENTS.has(k));
    if (forbidden)
      throw new LockstepInputError(
        `--set ${JSON.stringify(rawKey)}: ${JSON.stringify(forbidden)} is not a config field; keys are names like upgrade.from`,
      );
    const value = parseSetValue(keyPath, assignment.slice(eq + 1));
    let cursor: Record<string, unknown> = out;
    for (const segment of keyPath.slice(0, -1)) {
      const next = Object.hasOwn(cursor, segment) ? cursor[segment] : undefined;
      if (next === undefined || next === null) cursor[segment] = {};
      else if (typeof next !== "object" || Array.isArray(next)) {
        throw new LockstepInputError(
          `--set ${rawKey}: ${segment} is ${JSON.stringify(next)}, not an object, so it has no field ${keyPath[keyPath.length - 1]}`,
        );
      }
      cursor = cursor[segment] as Record<string, unknown>;
    }
    const last = keyPath[keyPath.length - 1];
    if (value === null) delete cursor[last];
    else cursor[last] = value;
  }
  return out;
}

/** Encodes values as the CLI passes them to the program: `lockstep:key` -> string (objects as JSON). */
export function toPulumiConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [`${CONFIG_PREFIX}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** Sets (or, with `undefined`, removes) `lockstep:<key>` values under `config:`; text in, text out. */
export function editStackConfig(file: string, text: string, updates: Record<string, unknown>): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new LockstepInputError(`${file}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  if (!isMap(doc.get("config"))) throw new LockstepInputError(`${file}: field config must be a map of keys to values`);
  for (const [key, value] of Object.entries(updates)) {
    const keyPath = ["config", `${CONFIG_PREFIX}:${key}`];
    if (value === undefined) doc.deleteIn(keyPath);
    else doc.setIn(keyPath, quoteAmbiguous(doc.createNode(value)));
  }
  return doc.toString();
}

/**
 * The Pulumi CLI reads stack files with Go's YAML, which takes a plain `2026-11-22T10:00:00Z` as a
 * timestamp (and hands the program "2026-11-22 10:00:00 +0000 UTC"), `1.30` as a number, `yes` as a
 * boolean. Every string this writes that a YAML 1.1 reader would take as anything else is quoted.
 */
function quoteAmbiguous<T>(node: T): T {
  visit(node as Parameters<typeof visit>[0], {
    Scalar(_, scalar) {
      if (typeof scalar.value === "string" && readsAs11(scalar.value) !== scalar.value)
        scalar.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return node;
}

function readsAs11(text: string): unknown {
  try {
    return parseYaml(text, { version: "1.1" });
  } catch {
    return undefined;
  }
}

/** Paths of plain scalars a YAML 1.1 reader (the Pulumi CLI) takes as timestamps, in a value read as YAML 1.1. */
function timestampsIn(value: unknown, at: string[] = []): { path: string[]; value: Date }[] {
  if (value instanceof Date) return [{ path: at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => timestampsIn(v, [...at, String(i)]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => timestampsIn(v, [...at, k]));
  return [];
}
