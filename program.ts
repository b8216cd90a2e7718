/**
 * The lockstep program as a function, so `index.ts`, the offline plan and the tests all run the same code.
 * Config is parsed and validated before the first resource is declared: bad input registers nothing.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Catalog, DEFAULT_CATALOG_DIR, loadCatalog } from "./lib/catalog";
import { lockstepKeys, parseStackConfig, StackConfig } from "./lib/config";
import { Platform, PlatformOutputs } from "./components/platform";

export interface ProgramOptions {
  /** @default the project's `releases/` directory */
  catalogDir?: string;
  /** Inputs already loaded and validated (the offline plan validates before the stack exists). @default loaded from config */
  inputs?: { catalog: Catalog; config: StackConfig };
}

/** Reads and validates everything the program needs; throws `LockstepInputError` on bad input. */
export function loadInputs(options: ProgramOptions = {}): { catalog: Catalog; config: StackConfig } {
  const catalog = loadCatalog(options.catalogDir ?? DEFAULT_CATALOG_DIR);
  const config = parseStackConfig(lockstepKeys(pulumi.runtime.allConfig()), catalog);
  return { catalog, config };
}

export function definePlatform(options: ProgramOptions = {}): PlatformOutputs {
  const { catalog, config } = options.inputs ?? loadInputs(options);
  const stack = pulumi.getStack();
  // One explicit provider for the whole platform; children inherit it through their parents.
  const provider = new k8s.Provider("k8s", { enableServerSideApply: true });
  const platform = new Platform("platform", { stack, config, catalog }, { providers: { kubernetes: provider } });
  return platform.outputs;
}
