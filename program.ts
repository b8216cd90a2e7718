/**
 * The lockstep program as a function, so `index.ts`, the offline plan and the tests all run the same code.
 * Config is parsed and validated before the first resource is declared: bad input registers nothing.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { Catalog, DEFAULT_CATALOG_DIR, loadCatalog } from "./lib/release/catalog";
import { ClusterTarget, kubeconfigPath } from "./lib/config/cluster";
import { kubectlServerVersion, ServerVersionRead, serverVersionRefusal } from "./lib/config/serverVersion";
import { CONFIG_KEYS, CONFIG_PREFIX, lockstepKeys } from "./lib/config/config";
import { DeployedState, deployedFromOutputs } from "./lib/state/deployed";
import { prepareInputs, ProgramInputs } from "./lib/config/inputs";
import { PROJECT_ROOT } from "./lib/core/paths";
import { LockstepInputError } from "./lib/core/errors";
import { productionStacks } from "./lib/config/packConfig";
import { PromotionSource, sourceVerification } from "./lib/state/promotion";
import { setDigest } from "./lib/release/catalog";
import { gateRefusals, promotionSourceStack, refusalText } from "./lib/state/gates";
import { recordOf } from "./lib/state/record";
import { Platform, PlatformOutputs } from "./components/platform";

export interface ProgramOptions {
  /** @default the project's `releases/` directory */
  catalogDir?: string;
  /** Inputs already loaded and validated (the offline plan validates before the stack exists). @default loaded from config */
  inputs?: ProgramInputs;
  /** How the cluster's Kubernetes version is read. @default `kubectl version` against the stack's cluster */
  serverVersion?: (cluster: ClusterTarget | undefined) => ServerVersionRead;
}

// The SDK knows which config keys are secret; its typings keep the lookup internal.
const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret(key: string): boolean };

/**
 * What this stack last deployed, from its own last outputs (a StackReference to itself works on every
 * backend, in `preview` and in `up`; a stack that never deployed has none: a first install).
 */
async function deployedOfThisStack(): Promise<DeployedState | null> {
  const name = qualified(pulumi.getStack());
  const keys = ["release", "workloads", "consoleLive", "databases", "restorePoint", "restoreDrill"] as const;
  return deployedFromOutputs(await outputsOf("lockstep-deployed", name, keys), `stack ${name}`);
}

const qualified = (stack: string) => `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;

async function outputsOf(resource: string, name: string, keys: readonly string[]): Promise<Record<string, unknown>> {
  const ref = new pulumi.StackReference(resource, { name });
  const details = await Promise.all(keys.map((key) => ref.getOutputDetails(key)));
  return Object.fromEntries(keys.map((key, i) => [key, details[i].value ?? details[i].secretValue]));
}

/**
 * The verifying stack's outputs, read live the same way: a production stack that moves runs only what
 * they show verified. A stack that does not exist in this backend fails the read, and with it the
 * preview: nothing verified the set.
 */
async function promotionSourceOf(stack: string): Promise<PromotionSource> {
  const name = qualified(stack);
  void pulumi.log.info(`prod-promoted-only: reading the outputs of ${name}, the stack lockstep:promotion names`);
  const outputs = await outputsOf("lockstep-promotion-source", name, ["release", "verification"]);
  return { stack, origin: `stack ${name}, read live`, verification: sourceVerification(outputs) };
}

/**
 * Where the cluster answers, its API server's version must be the one the stack types: the policy pack
 * judges the release's supported range on the typed value. A cluster that does not answer is warned
 * about; the provider then fails on it by itself.
 */
function checkServerVersion(config: ProgramInputs["config"], read = defaultServerVersion): void {
  const found = read(config.cluster);
  if ("problem" in found) {
    const typed = config.kubernetesVersion ?? "(unset)";
    void pulumi.log.warn(
      `the cluster's Kubernetes version could not be read (${found.problem}); lockstep:kubernetesVersion ${typed} is not checked against it`,
    );
    return;
  }
  const refusal = serverVersionRefusal(config.kubernetesVersion, found.version);
  if (refusal) throw new LockstepInputError(refusal);
}

const defaultServerVersion = (cluster: ClusterTarget | undefined) => kubectlServerVersion(cluster, PROJECT_ROOT);

/** Config checked against the catalog, before anything is read from the engine. */
interface CheckedConfig {
  catalog: Catalog;
  values: Record<string, unknown>;
  secretKeys: string[];
  config: ProgramInputs["config"];
}

/** Parses and checks the stack's config; throws `LockstepInputError` on bad input, having registered nothing. */
function checkConfig(options: ProgramOptions): CheckedConfig {
  const catalog = loadCatalog(options.catalogDir ?? DEFAULT_CATALOG_DIR);
  const secretKeys = CONFIG_KEYS.filter((key) => isConfigSecret(`${CONFIG_PREFIX}:${key}`));
  const values = lockstepKeys(pulumi.runtime.allConfig());
  const { config } = prepareInputs(values, catalog, {
    secretKeys,
    projectDir: PROJECT_ROOT,
    deployed: null,
    deferWindow: true,
  });
  checkServerVersion(config, options.serverVersion);
  return { catalog, values, secretKeys, config };
}

/** The checked config with what the engine knows: this stack's last outputs and the promotion source's. */
async function readDeployed({ catalog, values, secretKeys, config }: CheckedConfig): Promise<ProgramInputs> {
  const stack = pulumi.getStack();
  const deployed = await deployedOfThisStack();
  const source = promotionSourceStack(stack, config, deployed, productionStacks(stack, PROJECT_ROOT));
  return prepareInputs(values, catalog, {
    secretKeys,
    projectDir: PROJECT_ROOT,
    deployed,
    promotionSource: source ? await promotionSourceOf(source) : null,
  });
}

/** Reads and validates everything the program needs; throws `LockstepInputError` on bad input. */
export async function loadInputs(options: ProgramOptions = {}): Promise<ProgramInputs> {
  return readDeployed(checkConfig(options));
}

/**
 * The gates that protect the data and production, from the functions the policy pack runs: an `up`
 * that breaks one is refused before any platform resource is declared (only the provider is), with or
 * without `--policy-pack` (a fleet on the Pulumi Kubernetes Operator runs none). A preview warns; the pack reports it with its level.
 */
function enforceGates(inputs: ProgramInputs, stack: string): void {
  const record = recordOf({ stack, ...inputs, setDigest: setDigest(inputs.release) });
  const refusals = gateRefusals(record, inputs.catalog, productionStacks(stack, PROJECT_ROOT));
  if (refusals.length === 0) return;
  if (!pulumi.runtime.isDryRun()) throw new LockstepInputError(refusalText(refusals));
  for (const r of refusals) void pulumi.log.warn(`${r.gate}: ${r.message} (\`pulumi up\` refuses this)`);
}

/**
 * One explicit provider for the whole platform; children inherit it through their parents. It targets
 * the stack's own cluster when one is named, so a fleet run never follows the shell's kube context.
 */
function clusterProvider(cluster: ClusterTarget | undefined): k8s.Provider {
  return new k8s.Provider("k8s", {
    enableServerSideApply: true,
    // The release record is one ConfigMap rewritten by every up. By default the provider replaces a
    // ConfigMap whose data changes (delete, then create under the same name), so the record would be
    // missing from the cluster for part of each up; updated in place, it never is.
    enableConfigMapMutable: true,
    // Written out so the provider's inputs never follow the shell: the SDK would take this from
    // PULUMI_K8S_ENABLE_PATCH_FORCE, which `lockstep drift` sets to take over fields a hand edit owns.
    // The provider reads that variable from its own environment, so drift still forces.
    enablePatchForce: false,
    ...(cluster ? { kubeconfig: kubeconfigPath(cluster, PROJECT_ROOT), context: cluster.context } : {}),
  });
}

/**
 * The inputs, and the provider declared before the stack's own outputs are read: the engine starts and
 * configures the Kubernetes provider (about a second) while the program reads them. Its inputs are the
 * checked config's alone, and bad config still throws before it is declared. What needs the deployed state
 * (the window, a rollback, the gates) is refused after it, still before any platform resource.
 */
async function inputsAndProvider(options: ProgramOptions): Promise<{ inputs: ProgramInputs; provider: k8s.Provider }> {
  if (options.inputs) return { inputs: options.inputs, provider: clusterProvider(options.inputs.config.cluster) };
  const checked = checkConfig(options);
  const provider = clusterProvider(checked.config.cluster);
  return { inputs: await readDeployed(checked), provider };
}

export async function definePlatform(options: ProgramOptions = {}): Promise<PlatformOutputs> {
  const { inputs, provider } = await inputsAndProvider(options);
  const stack = pulumi.getStack();
  enforceGates(inputs, stack);
  const platform = new Platform("platform", { stack, ...inputs }, { providers: { kubernetes: provider } });
  return platform.outputs;
}
