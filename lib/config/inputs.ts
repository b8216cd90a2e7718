/**
 * Everything the program needs, read and checked at the edge before any resource is declared: the
 * catalog, the parsed stack config, where each pinned chart comes from, what the stack last deployed and
 * the upgrade window that follows from it. The program and the offline plan both come through here, so
 * they accept and refuse exactly the same input.
 */
import { Catalog, getRelease, Release } from "../release/catalog";
import { chartLocations, ChartLocations } from "../release/charts";
import { ChartValuesCheck, ChartValuesRefusal, checkChartValues } from "../release/chartSchema";
import { LockstepInputError, showValue } from "../core/errors";
import { REDACTED } from "../core/redact";
import { ParseOptions, parseStackConfig, StackConfig } from "./config";
import { checkDeployedSetUnchanged, DeployedState } from "../state/deployed";
import type { DatabaseKey } from "../recovery/recoveryConfig";
import { databasePlans, DatabasePlan } from "../recovery/restore";
import { checkRestoreInWindow, planRollback, RollbackPlan } from "../recovery/rollback";
import { upgradeWindow, UpgradeWindow } from "../state/window";
import type { PromotionSource } from "../state/promotion";

export interface ProgramInputs {
  catalog: Catalog;
  config: StackConfig;
  /** The target release (`lockstep:release`), resolved from the catalog once. */
  release: Release;
  /** Where each chart of the target release is installed from. */
  charts: ChartLocations;
  /** Which charts' values were checked against their `values.schema.json`, and why the others were not. */
  chartValuesChecks: ChartValuesCheck[];
  /** What the stack last deployed; null for a first install. */
  deployed: DeployedState | null;
  /** The open upgrade window, decided from `deployed`; undefined when everything runs the target. */
  window: UpgradeWindow | undefined;
  /** Where each database runs, and how it is recovered when `lockstep:restore` says so. */
  databases: Record<DatabaseKey, DatabasePlan>;
  /** The rollback the open window performs; undefined when it moves forward or none is open. */
  rollback: RollbackPlan | undefined;
  /** The verifying stack's outputs, when a production stack moves and its promotion must be backed. */
  promotionSource: PromotionSource | null;
}

export interface PrepareOptions extends ParseOptions {
  /** Directory a relative `lockstep:chartSource` is resolved against: the project directory. */
  projectDir: string;
  /** What the stack last deployed; null for a first install. */
  deployed: DeployedState | null;
  /** Check config and charts only, before the deployed state is known (the window is not decided). @default false */
  deferWindow?: boolean;
  /** What the promotion's verifying stack's outputs show (see `promotionSourceStack`). @default null */
  promotionSource?: PromotionSource | null;
}

/** Parses decoded `lockstep:*` values; throws `LockstepInputError` naming every bad key, value and what is allowed. */
export function prepareInputs(
  values: Record<string, unknown>,
  catalog: Catalog,
  options: PrepareOptions,
): ProgramInputs {
  const config = parseStackConfig(values, catalog, options);
  const release = getRelease(catalog, config.release);
  const charts = chartLocations(release, config.chartSource, options.projectDir);
  const { checks: chartValuesChecks, refusals } = checkChartValues({
    release,
    charts,
    mirror: catalog.mirror,
    stackValues: config.chartValues,
  });
  if (refusals.length) refuseChartValues(refusals, config.release, config.secretKeys.includes("chartValues"));
  const deployed = options.deployed;
  const promotionSource = options.promotionSource ?? null;
  checkDeployedSetUnchanged(deployed, catalog);
  const databases = databasePlans(config.restore, deployed ? (deployed.databases ?? {}) : null);
  const decided = { catalog, config, release, charts, chartValuesChecks, deployed, databases, promotionSource };
  if (options.deferWindow) return { ...decided, window: undefined, rollback: undefined };
  const window = upgradeWindow(config, deployed);
  const rollback = planRollback(catalog, {
    rollback: config.rollback,
    restore: config.restore,
    window,
    deployed,
    platformDatabase: databases.platform,
  });
  checkRestoreInWindow(window, rollback, Object.values(databases));
  return { ...decided, window, rollback };
}

/** One line per refused value: where the value was written, what it is, and what the chart's schema allows. */
function refuseChartValues(refusals: ChartValuesRefusal[], version: string, secret: boolean): never {
  const lines = refusals.map((r) => {
    const at = r.path.join(".");
    const where = r.fromStack
      ? `lockstep:chartValues.${r.chart}.${at}`
      : `release ${version}'s charts.${r.chart}.values.${at} (the catalog's, with lockstep's defaults)`;
    const value = r.value === undefined ? "(unset)" : secret ? REDACTED : showValue(r.value, r.path);
    return `${where} = ${value}: the ${r.name} ${r.version} chart (pinned by release ${version}) refuses it: ${r.allowed} (${r.schemaFile})`;
  });
  throw new LockstepInputError(
    lines.length === 1
      ? lines[0]
      : `${lines.length} chart values the charts refuse:\n${lines.map((l) => `  ${l}`).join("\n")}`,
  );
}
