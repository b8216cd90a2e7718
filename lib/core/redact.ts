/**
 * What must never reach a terminal or a log: a value whose key or field is named like a credential, a
 * value that looks like one whatever its name, and the value of a name/value pair whose name is a
 * credential's. Decided here, once, for every message any command prints; lib/security builds its
 * plaintext-secret checks on the same patterns.
 */

/** Env-var, key or field names that hold credentials. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/**
 * Names that match SECRET_NAME but name where a credential is kept, not the credential: a Kubernetes
 * Secret's name (`credentialsSecret`, `existingSecret`), a reference, a file, or the env var a token is
 * read from (`tokenEnv`).
 */
const NAMES_A_PLACE = /(credentialsSecret|existingSecret|secretName|Ref|Name|File|Path|Env)$/;

/** Values that are credentials whatever their name. */
export const SECRET_VALUE: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /:\/\/[^:/\s]+:[^@/\s]+@/, // credentials inside a URL
  /\bsk-[A-Za-z0-9]{20,}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/, // a JWT
];

/**
 * A word of mixed-case letters and digits, 16 characters or more, with nothing a name, a path, a version
 * or a digest would hold (no dots, colons, @ or spaces): a token. Only for what is printed: lockstep does
 * not refuse such a value in config, since a chart may well take one that is not a secret.
 */
const TOKEN_LIKE = /^(?=[^]*[A-Z])(?=[^]*[a-z])(?=[^]*\d)[A-Za-z0-9_\-+/=]{16,}$/;

/** What stands where a secret was. */
export const REDACTED = "[secret]";

/** Whether a key or field of this name holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NAMES_A_PLACE.test(name);
}

/** Whether a string looks like a credential, whatever its name. */
export function isSecretValue(value: string): boolean {
  return SECRET_VALUE.some((re) => re.test(value));
}

/** Whether a string must not be printed: it looks like a credential, or like a token. */
function isUnprintable(value: string): boolean {
  return isSecretValue(value) || TOKEN_LIKE.test(value);
}

/**
 * The value with every secret in it replaced by REDACTED: the whole value when the last step of `path`
 * is a secret's name, any string that looks like a credential, and the `value` of a `{name, value}` pair
 * whose name is a secret's (an env var list).
 */
export function redact(value: unknown, path: readonly (string | number)[] = []): unknown {
  const last = path[path.length - 1];
  if (typeof last === "string" && isSecretName(last) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === "string") return isUnprintable(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v, i) => redact(v, [...path, i]));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const pairName = typeof record.name === "string" && isSecretName(record.name);
    return Object.fromEntries(
      Object.entries(record).map(([k, v]) => [k, pairName && k === "value" ? REDACTED : redact(v, [...path, k])]),
    );
  }
  return value;
}
