/**
 * lib/security: what keeps the platform contained. What counts as a secret, the restricted Pod Security
 * profile for first-party pods and the charts, and the namespace's deny-by-default network with each
 * real flow allowed by name.
 *
 * What counts as a secret, decided once: the env-var names that must come from a Secret, the values that
 * look like plaintext credentials, and how an encrypted stack value (`secure: v1:...`) is represented
 * where it cannot be decrypted.
 */

/** Env-var or field names that hold credentials; such a value must come from a secretKeyRef or a secret. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/** Values that are credentials whatever their name. */
export const SECRET_VALUE: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /:\/\/[^:/\s]+:[^@/\s]+@/, // credentials inside a URL
  /\bsk-[A-Za-z0-9]{20,}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/, // a JWT
];

/** Whether a name/value pair looks like a credential written in plaintext. */
export function looksLikePlaintextSecret(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || SECRET_VALUE.some((re) => re.test(value));
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
  if (typeof value === "string") {
    const field = path[path.length - 1] ?? "";
    const named =
      byName &&
      SECRET_FIELD.test(field) &&
      !NOT_A_SECRET_FIELD.test(field) &&
      value.length > 0 &&
      value !== SECRET_PLACEHOLDER;
    return named || SECRET_VALUE.some((re) => re.test(value)) ? [path] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintextSecrets(v, byName, [...path, String(i)]));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => plaintextSecrets(v, byName, [...path, k]));
  return [];
}
