/**
 * lib/config: a stack's own settings. The `lockstep:*` schema and its formats, the stack file read
 * and written as the Pulumi CLI does, the cluster an install runs on, and the inputs the program is
 * given once everything is checked. Input is parsed here, at the edge; everything past it is typed.
 *
 * Stack config: every `lockstep:*` key, parsed with zod before any resource is declared.
 * This checks shape (types, ranges, known keys, versions that exist in the catalog). How versions and
 * stacks relate to each other (paths, compatibility, promotion) is the policy pack's job, not this file's.
 *
 * Values arrive in the forms `pulumi config set` writes, by either route (the CLI handing config to the
 * program, or the offline plan reading the stack file): quoted booleans and numbers are accepted as
 * booleans and numbers, `--path` objects as objects, and encrypted values as secrets.
 */
import { z } from "zod";
import { Catalog, CHARTS, getRelease } from "../release/catalog";
import { LockstepInputError, showValue } from "../core/errors";
import { closest } from "../core/hints";
import { valueAt } from "../core/objects";
import { cronProblem, isHostname } from "./formats";
import { imageOverrides } from "../release/images";
import { canarySchema } from "../rollout/analysis";
import { smokeSchema } from "../smoke/plan";
import { absoluteUrl, boolish, dnsLabel, exactVersion, setDigestString, wholeNumber } from "../release/schemas";
import { clusterSchema } from "./cluster";
import { restoreDrillSchema, restoreSchema, rollbackSchema } from "../recovery/recoveryConfig";
import { restoreProblems } from "../recovery/restore";
import { plaintextSecrets, SECRET_PLACEHOLDER } from "../security/secrets";

/** The Pulumi config namespace of every key: the project name. */
export const CONFIG_PREFIX = "lockstep";

/** How an upgrade window moves the set: wave by wave with every intermediate state compatible, or all together. */
export const UPGRADE_MODES = ["rolling", "coordinated"] as const;
export type UpgradeMode = (typeof UPGRADE_MODES)[number];

const upgradeSchema = z.strictObject({
  /**
   * What runs before the window. Optional: the program reads it from the stack's last deployment. When
   * set, it must agree with that record (a check the operator can write down).
   */
  from: exactVersion.optional(),
  /** Percent of gateway traffic the canary (running `release`) gets; unset means no canary. */
  gatewayCanaryPercent: wholeNumber(0, 100).optional(),
  /**
   * `rolling`: every state between waves must be compatible. `coordinated`: an announced maintenance window
   * in which the whole set moves together (a major version); only the final state is checked. @default rolling
   */
  mode: z.enum(UPGRADE_MODES, { message: `must be one of ${UPGRADE_MODES.join(", ")}` }).default("rolling"),
});

const consoleSchema = z.strictObject({
  blue: exactVersion,
  green: exactVersion,
  live: z.enum(["blue", "green"], { message: 'must be "blue" or "green"' }),
});

/** How the pre-upgrade database backups are taken: by the Barman Cloud plugin, or as CSI volume snapshots. */
export const BACKUP_METHODS = ["objectStore", "volumeSnapshot"] as const;

/** What the Barman Cloud plugin's ObjectStore accepts for `configuration.{data,wal}.encryption`. */
export const BACKUP_ENCRYPTIONS = ["AES256", "aws:kms"] as const;

const backupSchema = z.strictObject({
  /** Object-store prefix the Barman Cloud plugin writes base backups and WAL to, and the OpenBao snapshot goes under (`openbao/`). */
  destinationPath: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/, {
    message:
      "must be an S3 URL like s3://bucket/prefix/ (an S3-compatible store: endpointURL names one that is not AWS); the OpenBao snapshot is uploaded beside the database backups with the S3 API",
  }),
  /** S3-compatible endpoint; omit for AWS S3. */
  endpointURL: absoluteUrl.optional(),
  /** Secret in the platform namespace with ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
  credentialsSecret: dnsLabel,
  /** CloudNativePG retention policy, like 30d, 4w or 3m. */
  retentionPolicy: z
    .string()
    .regex(/^[1-9][0-9]*[dwm]$/, { message: "must be a CloudNativePG retention like 30d, 4w or 3m" })
    .default("30d"),
  /** Six-field cron (seconds first), as CloudNativePG's ScheduledBackup expects. */
  schedule: z
    .string()
    .superRefine((s, ctx) => {
      const problem = cronProblem(s);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("0 0 2 * * *"),
  /**
   * Server-side encryption the Barman Cloud plugin asks the object store for, on base backups and WAL
   * alike, whatever the bucket's own policy: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS).
   */
  encryption: z
    .enum(BACKUP_ENCRYPTIONS, { message: `must be ${BACKUP_ENCRYPTIONS.map((e) => `"${e}"`).join(" or ")}` })
    .default("AES256"),
  /** Where the pre-upgrade OpenBao raft snapshot is written on the machine running `pulumi up`, before its upload. */
  snapshotDir: z.string().min(1).default("./backups"),
  /**
   * How the pre-upgrade database backups are taken: `objectStore` (a base backup by the Barman Cloud
   * plugin) or `volumeSnapshot` (CSI snapshots of the database volumes, through `volumeSnapshot.className`).
   * WAL archiving and the scheduled backups stay on the object store either way.
   */
  method: z
    .enum(BACKUP_METHODS, { message: `must be ${BACKUP_METHODS.map((m) => `"${m}"`).join(" or ")}` })
    .default("objectStore"),
  /** With `method: volumeSnapshot`: the VolumeSnapshotClass that snapshots the database volumes (the `backup-snapshot-class` policy requires one). */
  volumeSnapshot: z
    .strictObject({
      className: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, {
          message: "must be a VolumeSnapshotClass name (lowercase letters, digits, '-' and '.')",
        })
        .optional(),
      /** Online (hot) snapshots; offline ones fence the instance while it is snapshotted. */
      online: z.boolean().default(true),
    })
    .default({ online: true }),
});

const promotionSchema = z.strictObject({
  version: exactVersion,
  setDigest: setDigestString,
  /** The stack whose smoke verification passed for this set. */
  verifiedIn: dnsLabel,
  verifiedAt: z.string().datetime({ message: "must be an ISO-8601 timestamp" }),
});

const routeSchema = z.strictObject({
  /** The Gateway API Gateway the gateway HTTPRoute attaches to. */
  gatewayName: dnsLabel.default("platform-gateway"),
  /** Namespace of that Gateway; defaults to the platform namespace. */
  gatewayNamespace: dnsLabel.optional(),
  hostnames: z
    .array(
      z.string().refine(isHostname, {
        message: "must be a lowercase DNS hostname like gateway.example.com (optionally *.example.com)",
      }),
    )
    .default([]),
});

const chartValuesSchema = z.partialRecord(z.enum(CHARTS), z.record(z.string(), z.unknown()));

/**
 * Where every chart comes from, replacing the catalog's upstream repositories: a directory holding
 * `<chart>-<version>/` folders (air-gapped installs, the e2e tier), or an OCI registry path. The versions
 * stay the catalog's.
 */
const chartSourceSchema = z
  .string()
  .min(1, { message: "must be a directory or an oci:// registry path" })
  .refine((s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^oci:\/\/[^\s/]+(\/[^\s]*)?$/.test(s), {
    message:
      "must be a directory path or an oci://<registry>/<path> URL (http and https chart repositories come from the catalog)",
  });

/** The schema of each key, with how its raw Pulumi config string is decoded. */
const KEYS = {
  release: { kind: "string", schema: exactVersion },
  environment: { kind: "string", schema: z.enum(["staging", "prod"], { message: 'must be "staging" or "prod"' }) },
  namespace: { kind: "string", schema: dnsLabel.default("lockstep") },
  ha: { kind: "boolean", schema: boolish().default(false) },
  upgrade: { kind: "object", schema: upgradeSchema.optional() },
  console: { kind: "object", schema: consoleSchema.optional() },
  backup: { kind: "object", schema: backupSchema },
  awaitRollouts: { kind: "boolean", schema: boolish().default(true) },
  smoke: { kind: "object", schema: smokeSchema.optional() },
  kubernetesVersion: {
    kind: "string",
    schema: z
      .string()
      .regex(/^v?1\.\d+(\.\d+)?$/, { message: "must be a Kubernetes version like 1.31 or 1.31.4" })
      .optional(),
  },
  promotion: { kind: "object", schema: promotionSchema.optional() },
  chartValues: { kind: "object", schema: chartValuesSchema.default({}) },
  chartSource: { kind: "string", schema: chartSourceSchema.optional() },
  route: { kind: "object", schema: routeSchema.default({ gatewayName: "platform-gateway", hostnames: [] }) },
  restore: { kind: "object", schema: restoreSchema.optional() },
  rollback: { kind: "object", schema: rollbackSchema.optional() },
  restoreDrill: { kind: "object", schema: restoreDrillSchema.optional() },
  cluster: { kind: "object", schema: clusterSchema.optional() },
  canary: { kind: "object", schema: canarySchema.optional() },
} as const;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];
export type ValueKind = (typeof KEYS)[ConfigKey]["kind"];

/** Keys whose values may be secrets: free-form values handed on to charts, never read by lockstep itself. */
export const SECRET_CAPABLE_KEYS: readonly ConfigKey[] = ["chartValues"];

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
  chartSource: Parsed<"chartSource">;
  route: Parsed<"route">;
  restore: Parsed<"restore">;
  rollback: Parsed<"rollback">;
  restoreDrill: Parsed<"restoreDrill">;
  /** The install's cluster; unset: kubectl's own KUBECONFIG and current context. */
  cluster: Parsed<"cluster">;
  /** How `lockstep canary` steps the gateway canary and judges each step; unset: DEFAULT_CANARY (lib/rollout/analysis.ts). */
  canary: Parsed<"canary">;
  /** Keys whose values are secrets (set with `pulumi config set --secret`). */
  secretKeys: ConfigKey[];
}

export function kindOf(key: string): ValueKind | undefined {
  return (KEYS as Record<string, { kind: ValueKind }>)[key]?.kind;
}

/** Whether a key is required by the schema itself (no default, not optional). */
export function isRequiredKey(key: ConfigKey): boolean {
  return !(KEYS[key].schema as z.ZodType).safeParse(undefined).success;
}

/** A key's default, or undefined when it has none. */
export function defaultOf(key: ConfigKey): unknown {
  const result = (KEYS[key].schema as z.ZodType).safeParse(undefined);
  return result.success ? result.data : undefined;
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
    if (!fullKey.startsWith(`${CONFIG_PREFIX}:`)) continue;
    const key = fullKey.slice(CONFIG_PREFIX.length + 1);
    out[key] = decodeConfigValue(key, raw);
  }
  return out;
}

interface Problem {
  path: (string | number)[];
  value: unknown;
  allowed: string;
  /** A key or field lockstep does not know: its value is never printed (it may be anything, a token too). */
  unknown?: boolean;
}

/** A value whose shape is wrong is checked before anything else; it is still never printed in the clear. */
const line = (p: Problem) =>
  `${CONFIG_PREFIX}:${p.path.join(".")} = ${p.unknown ? "(not shown)" : showValue(p.value, p.path)}: ${p.allowed}`;

/** One error for every problem found: a single line for one, a list for several. */
function refuse(problems: Problem[], source?: string): never {
  const where = source ? `${source}: ` : "";
  if (problems.length === 1) throw new LockstepInputError(`${where}${line(problems[0])}`);
  throw new LockstepInputError(
    `${where}${problems.length} invalid config values:\n${problems.map((p) => `  ${line(p)}`).join("\n")}`,
  );
}

export interface ParseOptions {
  /** Keys whose values are secrets. @default [] */
  secretKeys?: readonly string[];
  /** Where the values came from, for messages (`Pulumi.staging.yaml`). @default none */
  source?: string;
}

/**
 * Parses the decoded `lockstep:*` values. Throws one `LockstepInputError` that names every bad key, its
 * value and what is allowed; nothing downstream runs on bad input.
 */
export function parseStackConfig(
  values: Record<string, unknown>,
  catalog: Catalog,
  options: ParseOptions = {},
): StackConfig {
  const problems: Problem[] = [];
  const secretKeys = CONFIG_KEYS.filter((k) => options.secretKeys?.includes(k));
  for (const key of Object.keys(values)) {
    if (!(key in KEYS)) {
      const hint = closest(key, CONFIG_KEYS);
      problems.push({
        path: [key],
        value: values[key],
        unknown: true,
        allowed: `unknown key${hint ? ` (did you mean ${hint}?)` : ""}; the keys are ${CONFIG_KEYS.join(", ")}`,
      });
    }
  }
  for (const key of options.secretKeys ?? []) {
    if (key in KEYS && !SECRET_CAPABLE_KEYS.includes(key as ConfigKey)) {
      problems.push({
        path: [key],
        value: SECRET_PLACEHOLDER,
        allowed: `is stored as a secret, but lockstep reads this value itself; only ${SECRET_CAPABLE_KEYS.join(", ")} may hold secrets (set it without --secret)`,
      });
    }
  }
  const parsed: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = values[key];
    if (value === undefined && isRequiredKey(key)) {
      problems.push({ path: [key], value, allowed: `is required (${describeRequired(key)})` });
      continue;
    }
    const result = (KEYS[key].schema as z.ZodType).safeParse(value);
    if (result.success) {
      parsed[key] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      const path = issue.path as (string | number)[];
      if (issue.code === "unrecognized_keys") {
        for (const unknownKey of issue.keys) {
          const field = [...path, unknownKey];
          const allowed = allowedFields(key, path);
          const hint = closest(unknownKey, allowed);
          problems.push({
            path: [key, ...field],
            value: valueAt(value, field),
            unknown: true,
            allowed: `unknown field${hint ? ` (did you mean ${hint}?)` : ""}; allowed fields are ${allowed.join(", ")}`,
          });
        }
      } else {
        problems.push({ path: [key, ...path], value: valueAt(value, path), allowed: issue.message });
      }
    }
  }
  const chartValues = (parsed.chartValues ?? {}) as Record<string, unknown>;
  for (const path of imageOverrides(chartValues)) {
    problems.push({
      path: ["chartValues", ...path],
      value: valueAt(chartValues, path),
      allowed:
        "images come from the release catalog, pinned by digest, and a stack cannot choose one; for a private registry, name a mirror in the catalog's catalog.yaml",
    });
  }
  for (const key of CONFIG_KEYS) {
    if (secretKeys.includes(key) || parsed[key] === undefined) continue;
    for (const path of plaintextSecrets(parsed[key], key === "chartValues")) {
      problems.push({
        path: [key, ...path],
        value: SECRET_PLACEHOLDER,
        allowed: `looks like a plaintext secret; store it encrypted: pulumi config set --secret --path ${CONFIG_PREFIX}:${[key, ...path].join(".")} <value>${key === "chartValues" ? "" : " (only chartValues may hold secrets)"}`,
      });
    }
  }
  if (problems.length > 0) refuse(problems, options.source);

  const config = parsed as Omit<StackConfig, "console" | "secretKeys"> & { console?: StackConfig["console"] };
  const inCatalog = (path: (string | number)[], v: string) => {
    if (!catalog.releases.has(v))
      problems.push({
        path,
        value: v,
        allowed: `not in the release catalog; available versions: ${catalog.versions.join(", ")}`,
      });
  };
  inCatalog(["release"], config.release);
  if (config.upgrade?.from) inCatalog(["upgrade", "from"], config.upgrade.from);
  const consoleConfig = config.console ?? { blue: config.release, green: config.release, live: "blue" as const };
  inCatalog(["console", "blue"], consoleConfig.blue);
  inCatalog(["console", "green"], consoleConfig.green);
  if (config.rollback) inCatalog(["rollback", "from"], config.rollback.from);
  problems.push(...restoreProblems(config.restore));
  if (config.rollback && config.upgrade?.gatewayCanaryPercent !== undefined) {
    problems.push({
      path: ["upgrade", "gatewayCanaryPercent"],
      value: config.upgrade.gatewayCanaryPercent,
      allowed:
        "a rollback runs no canary (lockstep:rollback is set): the previous set was already known good; remove it",
    });
  }
  if (problems.length > 0) refuse(problems, options.source);
  for (const required of getRelease(catalog, config.release).notes.requiredConfig) {
    if (values[required] === undefined)
      problems.push({
        path: [required],
        value: undefined,
        allowed: `is required by release ${config.release} (see its release notes)`,
      });
  }
  if (problems.length > 0) refuse(problems, options.source);
  return { ...config, console: consoleConfig, secretKeys };
}

/** Field names allowed at `path` inside `key`'s value: an object's fields, or a record's enum keys. */
function allowedFields(key: ConfigKey, path: (string | number)[] = []): string[] {
  let schema = KEYS[key].schema as z.ZodType;
  for (const segment of [...path, undefined]) {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault)
      schema = (schema as z.ZodOptional<z.ZodType>).unwrap();
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
