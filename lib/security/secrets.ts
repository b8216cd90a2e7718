/**
 * lib/security: what keeps the platform contained. What counts as a secret, the restricted Pod Security
 * profile for first-party pods and the charts, and the namespace's deny-by-default network with each
 * real flow allowed by name.
 *
 * What counts as a secret, decided once: the env-var names that must come from a Secret, the values that
 * look like plaintext credentials, and how an encrypted stack value (`secure: v1:...`) is represented
 * where it cannot be decrypted.
 */

import { isSecretValue, SECRET_NAME } from "../core/redact";

export { SECRET_NAME, SECRET_VALUE } from "../core/redact";

/** Whether a name/value pair looks like a credential written in plaintext. */
export function looksLikePlaintextSecret(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || isSecretValue(value);
}

/**
 * What an encrypted stack value stands for where it cannot be decrypted (the offline plan): the value
 * is known to exist and to be secret, and is never printed.
 */
export const SECRET_PLACEHOLDER = "[secret]";

/** `{secure: "v1:..."}`: how a stack file stores a value set with `pulumi config set --secret`. */
export function isEncryptedValue(value: unknown): value is { secure: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { secure?: unknown }).secure === "string"
  );
}

/** Free-form keys (chart values) whose value is a credential: a password, a token, a key. Names of secrets are not. */
const SECRET_FIELD =
  /(password|passwd|token|apikey|api_key|privatekey|private_key|secretkey|secret_key|clientsecret|client_secret)$/i;
const NOT_A_SECRET_FIELD = /(existing|name|ref|file|path|env|key_?ref)/i;

/**
 * Paths of string values inside `value` that look like plaintext credentials: any value that looks like
 * one, and, in free-form values (`byName`), any value under a field named like one.
 */
export function plaintextSecrets(value: unknown, byName: boolean, path: string[] = []): string[][] {
  const field = path[path.length - 1] ?? "";
  const namedSecret = byName && SECRET_FIELD.test(field) && !NOT_A_SECRET_FIELD.test(field);
  // A number is a credential too when its field says so (an admin password of digits).
  if (typeof value === "number") return namedSecret ? [path] : [];
  if (typeof value === "string") {
    const named = namedSecret && value.length > 0 && value !== SECRET_PLACEHOLDER;
    return named || isSecretValue(value) ? [path] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintextSecrets(v, byName, [...path, String(i)]));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    // An env-var list: `{name: KC_DB_PASSWORD, value: ...}` holds the credential in `value`.
    const pair =
      byName &&
      typeof record.name === "string" &&
      SECRET_NAME.test(record.name) &&
      (typeof record.value === "string" || typeof record.value === "number") &&
      record.value !== "" &&
      record.value !== SECRET_PLACEHOLDER;
    const rest = Object.entries(record).flatMap(([k, v]) =>
      pair && k === "value" ? [] : plaintextSecrets(v, byName, [...path, k]),
    );
    return pair ? [[...path, "value"], ...rest] : rest;
  }
  return [];
}
