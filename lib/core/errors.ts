/**
 * lib/core: what every domain shares and none owns. The input error and its exit code, the label and
 * annotation names the program and the policy pack both read, the project root, a deep merge in Helm's
 * manner, a line diff and "did you mean" hints. Nothing here knows about releases or stacks.
 *
 * An error the user can fix by changing input (config, catalog, flags).
 * It carries the exit code the CLI uses so every entry point reports it the same way.
 */
import { REDACTED, redact } from "./redact";

export class LockstepInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "LockstepInputError";
  }
}

/**
 * Renders a value for an error message: short, JSON-ish, never `[object Object]`, and with every secret
 * in it redacted (`path` is where the value sits, so a value under a secret's name is redacted whole).
 */
export function showValue(value: unknown, path: readonly (string | number)[] = []): string {
  if (value === undefined) return "(unset)";
  const shown = redact(value, path);
  if (shown === REDACTED) return REDACTED;
  const text = typeof shown === "string" ? JSON.stringify(shown) : (JSON.stringify(shown) ?? String(shown));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A zod issue as far as a message needs it. */
export interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: SchemaIssue[][];
}

/**
 * The issue a message should name: for a union that no branch matched, the branch's issue that got
 * deepest into the value (the field that is wrong, not "the root"), its path made whole.
 */
export function deepestIssue(issue: SchemaIssue): { path: string[]; message: string } {
  const own = { path: issue.path.map(String), message: issue.message };
  if (issue.code !== "invalid_union" || !issue.errors?.length) return own;
  const inner = issue.errors.flat().map(deepestIssue);
  const deepest = inner.reduce((best, i) => (i.path.length > best.path.length ? i : best), {
    path: [],
    message: issue.message,
  });
  return deepest.path.length ? { path: [...own.path, ...deepest.path], message: deepest.message } : own;
}
