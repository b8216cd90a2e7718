/**
 * Runs the pack's policies in-process against the resources the mocked program registered, with the
 * parents and dependencies the engine would pass, and with the same per-stack policy config file the
 * real CLI takes (`--policy-pack-config policy/config/<stack>.json`).
 */
import * as fs from "node:fs";
import { policyConfigPath } from "../lib/config/packConfig";
import type {
  EnforcementLevel,
  Policy,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

import Ajv from "ajv";
import { LockstepInputError, showValue } from "../lib/core/errors";
import { closest } from "../lib/core/hints";
import { ALL_POLICIES } from "../policy/policies";
import type { RecordedResource } from "./runtime";
import { PROJECT_DIR } from "../lib/config/stackFile";

/**
 * The analyzer's own unknown-value machinery from @pulumi/policy (its typings mark it internal): the proxy
 * it wraps props in, the error a read of an unknown value throws, and the sentinels for unknown values.
 */
export const analyzerProxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
  unknownStringValue: unknown;
  unknownObjectValue: unknown;
};
const { unknownCheckingProxy, UnknownValueError } = analyzerProxy;

export interface Violation {
  policy: string;
  level: "mandatory" | "advisory";
  message: string;
  /** Logical name of the resource, or null for a stack-wide finding. */
  resource: string | null;
}

type PolicyConfigEntry = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
type PackConfig = Record<string, PolicyConfigEntry>;

/**
 * The gates that protect production: only promoted sets, backups before a window and continuously, and a
 * bounded canary. A production stack's pack config may make them advisory, but never switch them off.
 */
export const PRODUCTION_GATES = [
  "prod-promoted-only",
  "pre-upgrade-backup",
  "database-backup",
  "backup-snapshot-class",
  "canary-bounds",
  "canary-analysis",
];

/** A policy's level under a pack config: its own entry, else `all`, else the policy's default. */
export function enforcementOf(config: PackConfig, policy: string): EnforcementLevel {
  const entry = config[policy];
  const own = typeof entry === "string" ? entry : entry?.enforcementLevel;
  const all = config.all as EnforcementLevel | undefined;
  return own ?? all ?? ALL_POLICIES.find((p) => p.name === policy)?.enforcementLevel ?? "advisory";
}

/** The policies a pack config does not enforce (level `disabled`), by name. */
export function notEnforced(config: PackConfig): string[] {
  return ALL_POLICIES.map((p) => p.name).filter((name) => enforcementOf(config, name) === "disabled");
}

/** Refuses a production stack's pack config that disables a production gate, naming the file and the key. */
export function checkProductionGates(config: PackConfig, stack: string, projectDir = PROJECT_DIR): void {
  const off = PRODUCTION_GATES.filter((gate) => enforcementOf(config, gate) === "disabled");
  if (off.length === 0) return;
  const file = policyConfigPath(stack, projectDir);
  const keys = off.map((gate) => (config[gate] !== undefined ? gate : "all"));
  const key = [...new Set(keys)].join(", ");
  throw new LockstepInputError(
    `${file}: ${key} disables ${off.join(", ")}, the gates that protect a production stack; ${stack} is environment prod, where they may be mandatory or advisory, never disabled`,
  );
}

/**
 * Reads `policy/config/<stack>.json` and checks it against the pack: every key is `all` or a policy's
 * name, every level is one the engine knows, and every policy's settings match its configSchema. All
 * problems are reported at once; none of the file is used when any is wrong.
 */
export function readPolicyConfig(stack: string, projectDir = PROJECT_DIR): PackConfig {
  const file = policyConfigPath(stack, projectDir);
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new LockstepInputError(`${file}: must be a JSON object of policy names to levels or settings`);
  const problems = policyConfigProblems(parsed as Record<string, unknown>);
  if (problems.length)
    throw new LockstepInputError(
      `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`}`,
    );
  return parsed as PackConfig;
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
const schemaValidator = new Ajv({ allErrors: true, strict: false });

/** What is wrong with a pack config, one message per problem, each naming the key, the value and what is allowed. */
export function policyConfigProblems(config: Record<string, unknown>): string[] {
  const byName = new Map(ALL_POLICIES.map((p) => [p.name, p]));
  const problems: string[] = [];
  const levelProblem = (key: string, level: unknown) =>
    typeof level === "string" && (LEVELS as readonly string[]).includes(level)
      ? []
      : [`${key} = ${showValue(level)}: the enforcement level must be one of ${LEVELS.join(", ")}`];
  for (const [key, entry] of Object.entries(config)) {
    if (key === "all") {
      problems.push(...levelProblem("all", entry));
      continue;
    }
    const policy = byName.get(key);
    if (!policy) {
      const hint = closest(key, [...byName.keys(), "all"]);
      problems.push(
        `${key}: unknown policy${hint ? ` (did you mean ${hint}?)` : ""}; the policies are ${[...byName.keys()].join(", ")}`,
      );
      continue;
    }
    if (typeof entry === "string") {
      problems.push(...levelProblem(key, entry));
      continue;
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(
        `${key} = ${showValue(entry)}: must be an enforcement level or an object with enforcementLevel and the policy's settings`,
      );
      continue;
    }
    const { enforcementLevel, ...settings } = entry as Record<string, unknown>;
    if (enforcementLevel !== undefined) problems.push(...levelProblem(`${key}.enforcementLevel`, enforcementLevel));
    const properties = policy.configSchema?.properties ?? {};
    for (const [setting, value] of Object.entries(settings)) {
      const schema = properties[setting];
      if (!schema) {
        const hint = closest(setting, Object.keys(properties));
        problems.push(
          `${key}.${setting} = ${showValue(value)}: unknown setting${hint ? ` (did you mean ${hint}?)` : ""}; ${key} takes ${Object.keys(properties).length ? Object.keys(properties).join(", ") : "no settings"}`,
        );
        continue;
      }
      const validate = schemaValidator.compile(schema as object);
      if (!validate(value)) {
        const error = validate.errors?.[0];
        problems.push(
          `${key}.${setting} = ${showValue(value)}: ${error?.instancePath ? `${error.instancePath} ` : ""}${error?.message ?? "does not match the policy's configSchema"} (${describeSchema(schema as Record<string, unknown>)})`,
        );
      }
    }
  }
  return problems;
}

function describeSchema(schema: Record<string, unknown>): string {
  const parts = [String(schema.type ?? "value")];
  if (schema.minimum !== undefined) parts.push(`>= ${String(schema.minimum)}`);
  if (schema.maximum !== undefined) parts.push(`<= ${String(schema.maximum)}`);
  return parts.join(" ");
}

/** Enforcement and config of one policy: schema defaults, then `all`, then the policy's own entry. */
export function resolvePolicy(
  policy: Policy,
  packConfig: PackConfig,
): { level: EnforcementLevel; config: Record<string, unknown> } {
  let level: EnforcementLevel = policy.enforcementLevel ?? "advisory";
  const config: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (schema && typeof schema === "object" && "default" in schema) config[key] = schema.default;
  }
  const all = packConfig.all;
  if (typeof all === "string") level = all;
  const own = packConfig[policy.name];
  if (typeof own === "string") level = own;
  else if (own && typeof own === "object") {
    const { enforcementLevel, ...rest } = own;
    if (enforcementLevel) level = enforcementLevel;
    Object.assign(config, rest);
  }
  if (!LEVELS.includes(level))
    throw new LockstepInputError(
      `policy config: ${policy.name} enforcementLevel ${JSON.stringify(level)} must be one of ${LEVELS.join(", ")}`,
    );
  return { level, config };
}

class NotApplicable extends Error {}

/**
 * Builds the analyzer's view: PolicyResource objects linked to their parents and dependencies, with props
 * behind the same unknown-checking proxy the real analyzer uses, so a policy that reads a value unknown
 * at preview behaves here as it will under `pulumi preview`.
 */
export function toPolicyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const options = (r: RecordedResource) => ({
    protect: r.protect,
    ignoreChanges: [],
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parentUrn ?? undefined,
  });
  for (const r of recorded) {
    const resource: PolicyResource = {
      type: r.type,
      props: unknownCheckingProxy(r.props),
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type,
      asType: (cls) =>
        (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type ? (r.props as never) : undefined,
    };
    byUrn.set(r.urn, resource);
  }
  for (const r of recorded) {
    const resource = byUrn.get(r.urn) as PolicyResource;
    resource.parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    resource.dependencies = r.dependencyUrns.flatMap((u) => byUrn.get(u) ?? []);
    resource.propertyDependencies = Object.fromEntries(
      Object.entries(r.propertyDependencyUrns).map(([k, urns]) => [k, urns.flatMap((u) => byUrn.get(u) ?? [])]),
    );
  }
  return [...byUrn.values()];
}

export async function runPolicies(
  stack: string,
  recorded: readonly RecordedResource[],
  packConfig: PackConfig = readPolicyConfig(stack),
): Promise<Violation[]> {
  const resources = toPolicyResources(recorded);
  const violations: Violation[] = [];
  for (const policy of ALL_POLICIES) violations.push(...(await evaluatePolicy(policy, resources, packConfig)));
  return violations;
}

/** Runs one policy the way the analyzer would: stack policies once, resource policies per resource. */
export async function evaluatePolicy(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  resources: readonly PolicyResource[],
  packConfig: PackConfig = {},
): Promise<Violation[]> {
  const { level, config } = resolvePolicy(policy, packConfig);
  if (level === "disabled") return [];
  const violations: Violation[] = [];
  const reportLevel = level === "mandatory" || level === "remediate" ? "mandatory" : "advisory";
  const nameOf = (urn?: string) => (urn ? (resources.find((r) => r.urn === urn)?.name ?? urn) : null);
  const notApplicable = (): never => {
    throw new NotApplicable();
  };
  const getConfig = <T extends object>() => config as T;
  if ("validateStack" in policy) {
    const args: StackValidationArgs = { resources: [...resources], stackTags: new Map(), getConfig, notApplicable };
    await guard(
      () =>
        policy.validateStack(args, (message, urn) => {
          violations.push({ policy: policy.name, level: reportLevel, message, resource: nameOf(urn) });
        }),
      (unknown) =>
        violations.push({
          policy: policy.name,
          level: "advisory",
          message: `can't run policy '${policy.name}' during preview: ${unknown}`,
          resource: null,
        }),
    );
    return violations;
  }
  const validations = policy.validateResource;
  for (const validate of Array.isArray(validations) ? validations : validations ? [validations] : []) {
    for (const r of resources) {
      const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name,
        opts: r.opts,
        stackTags: new Map(),
        isType: r.isType,
        asType: r.asType as ResourceValidationArgs["asType"],
        getConfig,
        notApplicable,
      };
      await guard(
        () =>
          validate(args, (message, urn) => {
            violations.push({ policy: policy.name, level: reportLevel, message, resource: nameOf(urn ?? r.urn) });
          }),
        (unknown) =>
          violations.push({
            policy: policy.name,
            level: "advisory",
            message: `can't run policy '${policy.name}' during preview: ${unknown}`,
            resource: r.name,
          }),
      );
    }
  }
  return violations;
}

/** Runs a validation as the analyzer does: not-applicable is silent; an unknown value downgrades it to advisory. */
async function guard(fn: () => Promise<void> | void, onUnknown: (message: string) => void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof UnknownValueError) onUnknown(err.message);
    else if (!(err instanceof NotApplicable)) throw err;
  }
}
