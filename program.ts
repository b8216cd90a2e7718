/**
 * The lockstep program as a function, so `index.ts`, the offline plan and the tests all run the same code.
 * Config is parsed and validated before the first resource is declared: bad input registers nothing.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "./lib/release/catalog";
import { kubeconfigPath } from "./lib/config/cluster";
import { CONFIG_KEYS, CONFIG_PREFIX, lockstepKeys } from "./lib/config/config";
import { DeployedState, deployedFromOutputs } from "./lib/state/deployed";
import { prepareInputs, ProgramInputs } from "./lib/config/inputs";
import { PROJECT_ROOT } from "./lib/core/paths";
import { LockstepInputError } from "./lib/core/errors";
import { setDigest } from "./lib/release/catalog";
import { DEFAULT_PRODUCTION_STACKS, gateRefusals, refusalText } from "./lib/state/gates";
import { recordOf } from "./lib/state/record";
import { Platform, PlatformOutputs } from "./components/platform";

export interface ProgramOptions {
  /** @default the project's `releases/` directory */
  catalogDir?: string;
  /** Inputs already loaded and validated (the offline plan validates before the stack exists). @default loaded from config */
  inputs?: ProgramInputs;
}

// The SDK knows which config keys are secret; its typings keep the lookup internal.
const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret(key: string): boolean };

/**
 * What this stack last deployed, from its own last outputs (a StackReference to itself works on every
 * backend, in `preview` and in `up`; a stack that never deployed has none: a first install).
 */
async function deployedOfThisStack(): Promise<DeployedState | null> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const self = new pulumi.StackReference("lockstep-deployed", { name });
  const keys = ["release", "workloads", "consoleLive", "databases", "restorePoint", "restoreDrill"] as const;
  const details = await Promise.all(keys.map((key) => self.getOutputDetails(key)));
  const outputs = Object.fromEntries(keys.map((key, i) => [key, details[i].value ?? details[i].secretValue]));
  return deployedFromOutputs(outputs, `stack ${name}`);
}

/** Reads and validates everything the program needs; throws `LockstepInputError` on bad input. */
export async function loadInputs(options: ProgramOptions = {}): Promise<ProgramInputs> {
  const catalog = loadCatalog(options.catalogDir ?? DEFAULT_CATALOG_DIR);
  const secretKeys = CONFIG_KEYS.filter((key) => isConfigSecret(`${CONFIG_PREFIX}:${key}`));
  const values = lockstepKeys(pulumi.runtime.allConfig());
  // Config is checked before anything is read from the engine, so bad input registers nothing.
  prepareInputs(values, catalog, { secretKeys, projectDir: PROJECT_ROOT, deployed: null, deferWindow: true });
  return prepareInputs(values, catalog, {
    secretKeys,
    projectDir: PROJECT_ROOT,
    deployed: await deployedOfThisStack(),
  });
}

const packConfigSchema = z.object({
  "prod-promoted-only": z.object({ productionStacks: z.array(z.string()).optional() }).optional(),
});

/** The stacks the policy pack treats as production: its config for this stack, else its default. */
export function productionStacks(stack: string, projectDir = PROJECT_ROOT): string[] {
  const file = path.join(projectDir, "policy", "config", `${stack}.json`);
  if (!fs.existsSync(file)) return DEFAULT_PRODUCTION_STACKS;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = packConfigSchema.safeParse(raw);
  // A malformed entry is the pack's to report; the gate then keys on its default.
  return parsed.success
    ? (parsed.data["prod-promoted-only"]?.productionStacks ?? DEFAULT_PRODUCTION_STACKS)
    : DEFAULT_PRODUCTION_STACKS;
}

/**
 * The gates that protect the data and production, from the functions the policy pack runs: an `up`
 * that breaks one is refused before anything is declared, with or without `--policy-pack` (a fleet on
 * the Pulumi Kubernetes Operator runs none). A preview warns; the pack reports it with its level.
 */
function enforceGates(inputs: ProgramInputs, stack: string): void {
  const record = recordOf({ stack, ...inputs, setDigest: setDigest(inputs.release) });
  const refusals = gateRefusals(record, inputs.catalog, productionStacks(stack));
  if (refusals.length === 0) return;
  if (!pulumi.runtime.isDryRun()) throw new LockstepInputError(refusalText(refusals));
  for (const r of refusals) void pulumi.log.warn(`${r.gate}: ${r.message} (\`pulumi up\` refuses this)`);
}

export async function definePlatform(options: ProgramOptions = {}): Promise<PlatformOutputs> {
  const inputs = options.inputs ?? (await loadInputs(options));
  const stack = pulumi.getStack();
  enforceGates(inputs, stack);
  // One explicit provider for the whole platform; children inherit it through their parents. It targets
  // the stack's own cluster when one is named, so a fleet run never follows the shell's kube context.
  const cluster = inputs.config.cluster;
  const provider = new k8s.Provider("k8s", {
    enableServerSideApply: true,
    // The release record is one ConfigMap rewritten by every up. By default the provider replaces a
    // ConfigMap whose data changes (delete, then create under the same name), so the record would be
    // missing from the cluster for part of each up; updated in place, it never is.
    enableConfigMapMutable: true,
    ...(cluster ? { kubeconfig: kubeconfigPath(cluster, PROJECT_ROOT), context: cluster.context } : {}),
  });
  const platform = new Platform("platform", { stack, ...inputs }, { providers: { kubernetes: provider } });
  return platform.outputs;
}
