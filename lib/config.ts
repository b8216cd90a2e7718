/**
 * Stack config: every `lockstep:*` key, parsed with zod before any resource is declared.
 * This checks shape (types, ranges, known keys, versions that exist in the catalog). How versions and
 * stacks relate to each other (paths, compatibility, promotion) is the policy pack's job, not this file's.
 */
import * as semver from "semver";
import { z } from "zod";
import { Catalog, CHARTS, getRelease } from "./catalog";
import { LockstepInputError, showValue } from "./errors";
import { valueAt } from "./objects";

export const NAMESPACE = "lockstep";

const version = z.string().refine((v) => semver.valid(v) !== null, { message: "must be an exact semantic version like 1.5.0" });
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)" });
const url = z.string().url({ message: "must be an absolute URL" });

const upgradeSchema = z.strictObject({
  /** The version running before this window opened. */
  from: version,
  /** Percent of gateway traffic the canary (running `release`) gets; unset means no canary. */
  gatewayCanaryPercent: z.number().int({ message: "must be a whole number from 0 to 100" }).min(0, { message: "must be a whole number from 0 to 100" }).max(100, { message: "must be a whole number from 0 to 100" }).optional(),
});

const consoleSchema = z.strictObject({
  blue: version,
  green: version,
  live: z.enum(["blue", "green"], { message: "must be \"blue\" or \"green\"" }),
});

const backupSchema = z.strictObject({
  /** Object-store prefix the Barman Cloud plugin writes base backups and WAL to. */
  destinationPath: z.string().regex(/^(s3|gs|https?):\/\/\S+$/, { message: "must be an object-store URL like s3://bucket/prefix/" }),
  /** S3-compatible endpoint; omit for AWS S3. */
  endpointURL: url.optional(),
  /** Secret in the platform namespace with ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
  credentialsSecret: dnsLabel,
  /** CloudNativePG retention policy, like 30d, 4w or 3m. */
  retentionPolicy: z.string().regex(/^[1-9][0-9]*[dwm]$/, { message: "must be a CloudNativePG retention like 30d, 4w or 3m" }).default("30d"),
  /** Six-field cron (seconds first), as CloudNativePG's ScheduledBackup expects. */
  schedule: z.string().regex(/^(\S+\s+){5}\S+$/, { message: "must be a six-field cron expression (seconds first), like \"0 0 2 * * *\"" }).default("0 0 2 * * *"),
  /** Where the pre-upgrade OpenBao raft snapshot is written on the machine running `pulumi up`. */
  snapshotDir: z.string().min(1).default("./backups"),
});

const smokeSchema = z.strictObject({
  gatewayUrl: url,
  /** A prompt the platform's guardrail policy must block. */
  blockedPrompt: z.string().min(1, { message: "must be a non-empty prompt" }),
  expectedStatus: z.number().int().min(100).max(599).default(409),
  apiUrl: url.optional(),
  consoleUrl: url.optional(),
  /** Name of the environment variable holding the smoke-test bearer token. */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "must be an environment variable name like LOCKSTEP_SMOKE_TOKEN" }).default("LOCKSTEP_SMOKE_TOKEN"),
  /** Where a passed smoke test writes its verification record (read by `lockstep promote --record`). */
  recordFile: z.string().min(1).optional(),
});

const promotionSchema = z.strictObject({
  version,
  setDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, { message: "must be a set digest like sha256:<64 hex>" }),
  /** The stack whose smoke verification passed for this set. */
  verifiedIn: dnsLabel,
  verifiedAt: z.string().datetime({ message: "must be an ISO-8601 timestamp" }),
});

const routeSchema = z.strictObject({
  /** The Gateway API Gateway the gateway HTTPRoute attaches to. */
  gatewayName: dnsLabel.default("platform-gateway"),
  /** Namespace of that Gateway; defaults to the platform namespace. */
  gatewayNamespace: dnsLabel.optional(),
  hostnames: z.array(z.string().min(1)).default([]),
});

const chartValuesSchema = z.partialRecord(z.enum(CHARTS), z.record(z.string(), z.unknown()));

/** The schema of each key, with how its raw Pulumi config string is decoded. */
const KEYS = {
  release: { kind: "string", schema: version },
  environment: { kind: "string", schema: z.enum(["staging", "prod"], { message: "must be \"staging\" or \"prod\"" }) },
  namespace: { kind: "string", schema: dnsLabel.default("lockstep") },
  ha: { kind: "boolean", schema: z.boolean({ message: "must be true or false" }).default(false) },
  upgrade: { kind: "object", schema: upgradeSchema.optional() },
  console: { kind: "object", schema: consoleSchema.optional() },
  backup: { kind: "object", schema: backupSchema },
  awaitRollouts: { kind: "boolean", schema: z.boolean({ message: "must be true or false" }).default(true) },
  smoke: { kind: "object", schema: smokeSchema.optional() },
  kubernetesVersion: { kind: "string", schema: z.string().regex(/^v?1\.\d+(\.\d+)?$/, { message: "must be a Kubernetes version like 1.31 or 1.31.4" }).optional() },
  promotion: { kind: "object", schema: promotionSchema.optional() },
  chartValues: { kind: "object", schema: chartValuesSchema.default({}) },
  route: { kind: "object", schema: routeSchema.default({ gatewayName: "platform-gateway", hostnames: [] }) },
} as const;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];
export type ValueKind = (typeof KEYS)[ConfigKey]["kind"];

type Parsed<K extends ConfigKey> = z.infer<(typeof KEYS)[K]["schema"]>;
export interface StackConfig {
  release: Parsed<"release">;
  environment: Parsed<"environment">;
  namespace: Parsed<"namespace">;
  ha: Parsed<"ha">;
  upgrade: Parsed<"upgrade">;
  console: NonNullable<Parsed<"console">>;
  backup: Parsed<"backup">;
  awaitRollouts: Parsed<"awaitRollouts">;
  smoke: Parsed<"smoke">;
  kubernetesVersion: Parsed<"kubernetesVersion">;
  promotion: Parsed<"promotion">;
  chartValues: Parsed<"chartValues">;
  route: Parsed<"route">;
}
export type UpgradeWindow = NonNullable<StackConfig["upgrade"]>;

export function kindOf(key: string): ValueKind | undefined {
  return (KEYS as Record<string, { kind: ValueKind }>)[key]?.kind;
}

/**
 * Decodes one raw Pulumi config string by the kind its key expects, so `1.30` stays the string
 * "1.30" for a version key while `{"from":"1.4.2"}` becomes an object.
 */
export function decodeConfigValue(key: string, raw: string): unknown {
  const kind = kindOf(key);
  if (kind === "string" || kind === undefined) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // zod then names the key and says what type it wants
  }
}

/** Takes Pulumi's `allConfig()` map and keeps this project's keys, decoded, without the prefix. */
export function lockstepKeys(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(all)) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    const key = fullKey.slice(NAMESPACE.length + 1);
    out[key] = decodeConfigValue(key, raw);
  }
  return out;
}

function fail(path: (string | number)[], value: unknown, allowed: string): never {
  throw new LockstepInputError(`${NAMESPACE}:${path.join(".")} = ${showValue(value)}: ${allowed}`);
}

/** Parses the decoded `lockstep:*` values. Throws one `LockstepInputError` naming key, value and what is allowed. */
export function parseStackConfig(values: Record<string, unknown>, catalog: Catalog): StackConfig {
  for (const key of Object.keys(values)) {
    if (!(key in KEYS)) fail([key], values[key], `unknown key; the keys are ${CONFIG_KEYS.join(", ")}`);
  }
  const parsed: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = values[key];
    if (value === undefined && !(KEYS[key].schema as z.ZodType).safeParse(undefined).success) {
      fail([key], value, `is required (${describeRequired(key)})`);
    }
    const result = (KEYS[key].schema as z.ZodType).safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const path = issue.path as (string | number)[];
      if (issue.code === "unrecognized_keys") {
        const field = [...path, issue.keys[0]];
        fail([key, ...field], valueAt(value, field), `unknown field; allowed fields are ${allowedFields(key, path).join(", ")}`);
      }
      fail([key, ...path], valueAt(value, path), issue.message);
    }
    parsed[key] = result.data;
  }
  const config = parsed as Omit<StackConfig, "console"> & { console?: StackConfig["console"] };
  const inCatalog = (path: (string | number)[], v: string) => {
    if (!catalog.releases.has(v)) fail(path, v, `not in the release catalog; available versions: ${catalog.versions.join(", ")}`);
  };
  inCatalog(["release"], config.release);
  if (config.upgrade) inCatalog(["upgrade", "from"], config.upgrade.from);
  const consoleConfig = config.console ?? { blue: config.release, green: config.release, live: "blue" as const };
  inCatalog(["console", "blue"], consoleConfig.blue);
  inCatalog(["console", "green"], consoleConfig.green);
  for (const required of getRelease(catalog, config.release).notes.requiredConfig) {
    if (values[required] === undefined) fail([required], undefined, `is required by release ${config.release} (see its release notes)`);
  }
  return { ...config, console: consoleConfig };
}

/** Field names allowed at `path` inside `key`'s value: an object's fields, or a record's enum keys. */
function allowedFields(key: ConfigKey, path: (string | number)[] = []): string[] {
  let schema = KEYS[key].schema as z.ZodType;
  for (const segment of [...path, undefined]) {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) schema = (schema as z.ZodOptional<z.ZodType>).unwrap();
    if (schema instanceof z.ZodRecord && segment === undefined) {
      const keys = schema.keyType as z.ZodType;
      return keys instanceof z.ZodEnum ? (keys.options as string[]) : [];
    }
    if (!(schema instanceof z.ZodObject)) return [];
    if (segment === undefined) return Object.keys(schema.shape);
    schema = (schema.shape as Record<string, z.ZodType>)[String(segment)];
  }
  return [];
}

function describeRequired(key: ConfigKey): string {
  const fields = allowedFields(key);
  return fields.length ? `an object with ${fields.join(", ")}` : `a ${KEYS[key].kind}`;
}

/** Whether an upgrade window is open: `upgrade.from` set and different from `release`. */
export function openWindow(config: Pick<StackConfig, "release" | "upgrade">): UpgradeWindow | undefined {
  return config.upgrade && config.upgrade.from !== config.release ? config.upgrade : undefined;
}
