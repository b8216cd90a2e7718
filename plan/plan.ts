/**
 * The offline plan: the real program under mocks, then the policy pack, with no CLI, cluster or
 * credentials. Returns data; `cli/plan.ts` prints it.
 */
import {
  Catalog,
  canonicalJson,
  DEFAULT_CATALOG_DIR,
  diffSets,
  getRelease,
  loadCatalog,
  SetDifference,
} from "../lib/release/catalog";
import { lockstepKeys, StackConfig } from "../lib/config/config";
import { DeployedState, parseDeployedArgument } from "../lib/state/deployed";
import type { DatabaseKey } from "../lib/recovery/recoveryConfig";
import { drillClusterName } from "../lib/recovery/drill";
import { DATABASE_ORIGINS, DatabasePlan } from "../lib/recovery/restore";
import type { RollbackPlan } from "../lib/recovery/rollback";
import { prepareInputs, ProgramInputs } from "../lib/config/inputs";
import { applySets, PROJECT_DIR, readStackFile, StackFile, toPulumiConfig } from "../lib/config/stackFile";
import { WaveId } from "../lib/rollout/waves";
import { PostgresMajorPath, postgresMajorPath } from "../lib/release/postgresMajor";
import { productionStacks } from "../lib/config/packConfig";
import { promotionSourceStack } from "../lib/state/gates";
import { PromotionSource, sourceVerification } from "../lib/state/promotion";
import { waveResourceName } from "../components/wave";
import { usePolicyCatalog } from "../policy/policies/context";
import { checkProductionGates, notEnforced, readPolicyConfig, runPolicies, Violation } from "./policyRunner";
import { ProgramRun, RecordedResource, runProgram } from "./runtime";
import type { ChartValuesCheck } from "../lib/release/chartSchema";

/** A stack's outputs as a command got them, and where from, in the words the plan prints. */
export interface VerifierOutputs {
  origin: string;
  outputs: Record<string, unknown>;
}

export interface PlanOptions {
  stack: string;
  sets?: readonly string[];
  /** @default the project's `releases/` */
  catalogDir?: string;
  /** @default the project directory (where `Pulumi.<stack>.yaml` lives) */
  projectDir?: string;
  /**
   * What the stack runs now: a version, a record file (`--deployed`), or the state itself.
   * @default null: nothing deployed, a first install
   */
  deployed?: string | DeployedState | null;
  /** The catalog a command already loaded, so one run reads it once. @default loaded from `catalogDir` */
  catalog?: Catalog;
  /** The stack file a command already read. @default read from `projectDir` */
  stackFile?: StackFile;
  /**
   * The outputs of the stack a promotion names (`--staging-outputs`, or `--read-outputs`), and where they
   * came from: a moving production stack's promotion is checked against them. An offline plan reads no
   * stack, so without them the check is named as not done. @default none
   */
  verifierOutputs?: VerifierOutputs;
  /** Where `deployed` was read, when a command read it (the plan says so). @default none */
  deployedSource?: string;
}

export interface PlannedResource {
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  props: Record<string, unknown>;
}

export interface PlannedWave {
  id: WaveId;
  title: string;
  after: WaveId[];
  /** Custom resources declared inside the wave, in registration order. */
  resources: string[];
}

export interface PlanResult {
  stack: string;
  release: { version: string; setDigest: string };
  resources: PlannedResource[];
  waves: PlannedWave[];
  violations: Violation[];
  /** Policies the stack's pack config disables: what this plan did not check. */
  notEnforced: string[];
  /** Each chart's values against its `values.schema.json`: checked, or why not. */
  chartValues: ChartValuesCheck[];
  /** What the plan assumed runs now; null is a first install. */
  deployed: DeployedState | null;
  /** Where `deployed` was read from, when a command read it (`--read-outputs`); null otherwise. */
  deployedSource: string | null;
  /** The window opened from the deployed state, and what the set changes in it. */
  upgrade: {
    from: string;
    to: string;
    mode: string;
    differences: SetDifference[];
    /** The path across PostgreSQL majors the window takes; null when the major stays. */
    postgres: PostgresMajorPath | null;
  } | null;
  /**
   * Each resource marked against what the program declares for the deployed versions (with the same
   * stack config): new, changed, unchanged, or removed. Null on a first install (everything is new).
   */
  changes: ResourceChange[] | null;
  /** The rollback the window performs, and why that kind; null when it moves forward or none is open. */
  rollback: RollbackPlan | null;
  /** Where each database runs, and how a recovered one comes back. */
  databases: Record<DatabaseKey, DatabasePlan>;
  /** The restore drill this deployment runs; null when none is configured. */
  restoreDrill: { id: string; database: DatabaseKey; cluster: string; source: string } | null;
  /** The verifying stack's outputs the promotion was checked against; null when the stack needs none. */
  promotionSource: PromotionSource | null;
  config: StackConfig;
}

export type ChangeKind = "new" | "changed" | "unchanged" | "removed";
export interface ResourceChange {
  type: string;
  name: string;
  change: ChangeKind;
}

/** A stack's program, run under the recording mocks: what it was given and what it registered. */
export interface StackRun {
  inputs: ProgramInputs;
  run: ProgramRun;
}

/**
 * Reads `Pulumi.<stack>.yaml`, applies `--set` overrides, validates (throws `LockstepInputError`,
 * registering nothing) and runs the program under the recording mocks.
 */
export async function runStack(options: PlanOptions): Promise<StackRun> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const catalog = options.catalog ?? loadCatalog(options.catalogDir ?? DEFAULT_CATALOG_DIR);
  const stackFile = options.stackFile ?? readStackFile(options.stack, projectDir);
  // Encoded and decoded exactly as the CLI hands config to the program, so both read the same values.
  const pulumiConfig = toPulumiConfig(applySets(stackFile.values, options.sets ?? []));
  const deployed =
    typeof options.deployed === "string"
      ? parseDeployedArgument(options.deployed, catalog)
      : (options.deployed ?? null);
  const values = lockstepKeys(pulumiConfig);
  const base = { secretKeys: stackFile.secretKeys, projectDir, deployed };
  const { config } = prepareInputs(values, catalog, { ...base, deferWindow: true });
  const source = promotionSourceStack(options.stack, config, deployed, productionStacks(options.stack, projectDir));
  const inputs = prepareInputs(values, catalog, {
    ...base,
    promotionSource: source ? offlineSource(source, options.verifierOutputs) : null,
  });
  return { inputs, run: await runProgram(options.stack, inputs, pulumiConfig, stackFile.secretKeys) };
}

/** The verifying stack's outputs as the offline plan has them: given, or not read at all. */
function offlineSource(stack: string, given: PlanOptions["verifierOutputs"]): PromotionSource {
  if (!given)
    return {
      stack,
      origin: `an offline plan reads no stack (pulumi preview and up read them live); pass --staging-outputs <file>, the JSON of \`pulumi stack output --json --stack ${stack}\``,
      verification: null,
    };
  return { stack, origin: given.origin, verification: sourceVerification(given.outputs) };
}

// The Pulumi runtime under mocks is process-global: two plans at once would register into each other.
let planQueue: Promise<unknown> = Promise.resolve();

/** Validates config, runs the program, then the policies. One plan at a time in a process (callers may overlap: fleet upgrade). */
export function plan(options: PlanOptions): Promise<PlanResult> {
  const next = planQueue.then(() => planOnce(options));
  planQueue = next.catch(() => undefined);
  return next;
}

async function planOnce(given: PlanOptions): Promise<PlanResult> {
  const projectDir = given.projectDir ?? PROJECT_DIR;
  // Read once: the plan runs the program twice (the target, and the deployed baseline) on the same files.
  const options: PlanOptions = {
    ...given,
    catalog: given.catalog ?? loadCatalog(given.catalogDir ?? DEFAULT_CATALOG_DIR),
    stackFile: given.stackFile ?? readStackFile(given.stack, projectDir),
  };
  const { inputs, run } = await runStack(options);
  const { catalog, config, window } = inputs;
  usePolicyCatalog(catalog);
  const packConfig = readPolicyConfig(options.stack, projectDir);
  if (config.environment === "prod") checkProductionGates(packConfig, options.stack, projectDir);
  const violations = await runPolicies(options.stack, run.resources, packConfig);
  const changes = inputs.deployed
    ? markChanges(await declarationAt(options, inputs.deployed, config.restoreDrill?.id), run.resources)
    : null;
  return {
    stack: options.stack,
    release: run.outputs.release,
    resources: run.resources.map(toPlanned(run.resources)),
    waves: wavesOf(run.outputs.waves, run.resources),
    violations,
    notEnforced: notEnforced(packConfig),
    chartValues: inputs.chartValuesChecks,
    deployed: inputs.deployed,
    deployedSource: options.deployedSource ?? null,
    upgrade: window
      ? {
          from: window.from,
          to: window.to,
          mode: window.mode,
          differences: diffSets(getRelease(catalog, window.from), getRelease(catalog, config.release)),
          postgres: postgresMajorPath(getRelease(catalog, window.from), getRelease(catalog, config.release)),
        }
      : null,
    changes,
    rollback: inputs.rollback ?? null,
    databases: inputs.databases,
    restoreDrill: config.restoreDrill
      ? {
          id: config.restoreDrill.id,
          database: config.restoreDrill.database,
          cluster: drillClusterName(inputs.databases[config.restoreDrill.database]),
          source: inputs.databases[config.restoreDrill.database].serverName,
        }
      : null,
    promotionSource: inputs.promotionSource,
    config,
  };
}

/**
 * What the program declares for the deployed versions, with the same stack config: the deployed release,
 * its console colors, and its canary if one ran. The baseline the plan marks its resources against.
 */
async function declarationAt(
  options: PlanOptions,
  deployed: DeployedState,
  drillId: string | undefined,
): Promise<RecordedResource[]> {
  const w = deployed.workloads;
  const sets = [
    ...(options.sets ?? []),
    `release=${deployed.release}`,
    ...(w["console-blue"] ? [`console.blue=${w["console-blue"]}`] : []),
    ...(w["console-green"] ? [`console.green=${w["console-green"]}`] : []),
    "upgrade.from=null",
    // A deployed canary is declared again; its share is not in the record, so the current one (or 1 %) stands in.
    w["gateway-canary"]
      ? `upgrade.gatewayCanaryPercent=${options.sets?.find((s) => s.startsWith("upgrade.gatewayCanaryPercent="))?.split("=")[1] ?? 1}`
      : "upgrade.gatewayCanaryPercent=null",
    "rollback=null",
    // A restore or drill the deployment has not run yet was not declared then.
    ...(restoreDeployed(deployed) ? [] : ["restore=null"]),
    ...(deployed.restoreDrill && deployed.restoreDrill.id === drillId ? [] : ["restoreDrill=null"]),
  ];
  return (await runStack({ ...options, sets, deployed })).run.resources;
}

/** Whether the deployment ran on a recovered cluster (its `databases` output names one). */
function restoreDeployed(deployed: DeployedState): boolean {
  return Object.entries(deployed.databases ?? {}).some(
    ([key, d]) => d && d.cluster !== DATABASE_ORIGINS[key as DatabaseKey].cluster,
  );
}

/** Marks every real resource of `after` against `before` by type and name. */
export function markChanges(before: readonly RecordedResource[], after: readonly RecordedResource[]): ResourceChange[] {
  const real = (r: RecordedResource) => r.custom && !r.type.startsWith("pulumi:");
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const old = new Map(before.filter(real).map((r) => [key(r), r]));
  const now = after.filter(real);
  const marks: ResourceChange[] = now.map((r) => {
    const previous = old.get(key(r));
    const change: ChangeKind = !previous
      ? "new"
      : canonicalJson(previous.props) === canonicalJson(r.props)
        ? "unchanged"
        : "changed";
    return { type: r.type, name: r.name, change };
  });
  const kept = new Set(now.map(key));
  for (const r of before.filter(real))
    if (!kept.has(key(r))) marks.push({ type: r.type, name: r.name, change: "removed" });
  return marks;
}

function toPlanned(all: readonly RecordedResource[]) {
  const nameOf = new Map(all.map((r) => [r.urn, r.name]));
  return (r: RecordedResource): PlannedResource => ({
    type: r.type,
    name: r.name,
    parent: r.parentUrn ? (nameOf.get(r.parentUrn) ?? r.parentUrn) : null,
    dependsOn: r.dependencyUrns.map((u) => nameOf.get(u) ?? u),
    props: r.props,
  });
}

function wavesOf(
  waves: { id: WaveId; title: string; after: WaveId[] }[],
  resources: readonly RecordedResource[],
): PlannedWave[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const waveOf = (r: RecordedResource): string | undefined => {
    for (
      let p = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
      p;
      p = p.parentUrn ? byUrn.get(p.parentUrn) : undefined
    ) {
      if (p.type === "lockstep:platform:Wave") return p.name;
    }
    return undefined;
  };
  return waves.map((w) => ({
    ...w,
    resources: resources.filter((r) => r.custom && waveOf(r) === waveResourceName(w.id)).map((r) => r.name),
  }));
}
