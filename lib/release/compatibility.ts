/**
 * Which versions run beside which API version: catalog data, as the seeds' matrix is. A release may
 * declare, in `notes.compatibility`, the semver range of each component its API works beside. Where it
 * says nothing, the documented default applies: the API's major, its minor or the one before, any patch
 * (Keeptrusts: API 1.5.x serves gateways and consoles 1.4.x - 1.5.x, both ways within 1.5.x).
 *
 * One function answers for the program's plan, the policy pack and preflight alike.
 */
import * as semver from "semver";
import type { Catalog, FirstPartyComponent } from "./catalog";

/** Components that run beside the API and must be inside its window. */
export type BesideApi = Exclude<FirstPartyComponent, "api">;
export const BESIDE_API: readonly BesideApi[] = ["gateway", "console", "workers"];

/** The default window of an API version: `>=M.(m-1).0 <M.(m+1).0` (`>=M.0.0 <M.1.0` for m = 0). */
export function defaultCompatibility(apiVersion: string): string {
  const api = semver.parse(apiVersion);
  if (!api) throw new Error(`not a semantic version: ${JSON.stringify(apiVersion)}`);
  return `>=${api.major}.${Math.max(api.minor - 1, 0)}.0 <${api.major}.${api.minor + 1}.0`;
}

/** The range `component` must be in beside an API at `apiVersion`: the release's declaration, or the default. */
export function compatibilityRange(catalog: Catalog | undefined, component: BesideApi, apiVersion: string): string {
  const release = catalog
    ? [...catalog.releases.values()].find((r) => r.components.api.version === apiVersion)
    : undefined;
  return release?.notes.compatibility?.[component] ?? defaultCompatibility(apiVersion);
}

export interface CompatibilityVerdict {
  compatible: boolean;
  /** The range that applies, for messages. */
  range: string;
  /** What must hold, naming both versions. Empty when compatible. */
  reason: string;
}

/** Whether `component` at `version` may run beside the API at `apiVersion`. */
export function compatibleBeside(
  catalog: Catalog | undefined,
  component: BesideApi,
  version: string,
  apiVersion: string,
): CompatibilityVerdict {
  const range = compatibilityRange(catalog, component, apiVersion);
  const compatible = semver.satisfies(version, range);
  return {
    compatible,
    range,
    reason: compatible ? "" : `${component} ${version} must be in ${range} beside API ${apiVersion}`,
  };
}
