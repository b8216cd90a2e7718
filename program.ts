/**
 * The lockstep program as a function, so `index.ts`, the offline plan and the tests all run the same code.
 * Config is parsed and validated before the first resource is declared: bad input registers nothing.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "./lib/catalog";
import { CONFIG_KEYS, CONFIG_PREFIX, lockstepKeys } from "./lib/config";
import { prepareInputs, ProgramInputs } from "./lib/inputs";
import { PROJECT_ROOT } from "./lib/paths";
import { Platform, PlatformOutputs } from "./components/platform";

export interface ProgramOptions {
  /** @default the project's `releases/` directory */
  catalogDir?: string;
  /** Inputs already loaded and validated (the offline plan validates before the stack exists). @default loaded from config */
  inputs?: ProgramInputs;
}

// The SDK knows which config keys are secret; its typings keep the lookup internal.
const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret(key: string): boolean };

/** Reads and validates everything the program needs; throws `LockstepInputError` on bad input. */
export function loadInputs(options: ProgramOptions = {}): ProgramInputs {
  const catalog = loadCatalog(options.catalogDir ?? DEFAULT_CATALOG_DIR);
  const secretKeys = CONFIG_KEYS.filter((key) => isConfigSecret(`${CONFIG_PREFIX}:${key}`));
  return prepareInputs(lockstepKeys(pulumi.runtime.allConfig()), catalog, { secretKeys, projectDir: PROJECT_ROOT });
}

export function definePlatform(options: ProgramOptions = {}): PlatformOutputs {
  const inputs = options.inputs ?? loadInputs(options);
  const stack = pulumi.getStack();
  // One explicit provider for the whole platform; children inherit it through their parents.
  const provider = new k8s.Provider("k8s", { enableServerSideApply: true });
  const platform = new Platform("platform", { stack, ...inputs }, { providers: { kubernetes: provider } });
  return platform.outputs;
}
