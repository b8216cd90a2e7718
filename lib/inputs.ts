/**
 * Everything the program needs, read and checked at the edge before any resource is declared: the
 * catalog, the parsed stack config and where each pinned chart comes from. The program and the offline
 * plan both come through here, so they accept and refuse exactly the same input.
 */
import { Catalog, getRelease } from "./catalog";
import { chartLocations, ChartLocations } from "./charts";
import { ParseOptions, parseStackConfig, StackConfig } from "./config";

export interface ProgramInputs {
  catalog: Catalog;
  config: StackConfig;
  /** Where each chart of the target release is installed from. */
  charts: ChartLocations;
}

export interface PrepareOptions extends ParseOptions {
  /** Directory a relative `lockstep:chartSource` is resolved against: the project directory. */
  projectDir: string;
}

/** Parses decoded `lockstep:*` values; throws `LockstepInputError` naming every bad key, value and what is allowed. */
export function prepareInputs(values: Record<string, unknown>, catalog: Catalog, options: PrepareOptions): ProgramInputs {
  const config = parseStackConfig(values, catalog, options);
  const charts = chartLocations(getRelease(catalog, config.release), config.chartSource, options.projectDir);
  return { catalog, config, charts };
}
