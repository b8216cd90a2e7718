/**
 * Where each pinned chart is installed from. By default the catalog's upstream repository; with
 * `lockstep:chartSource`, a local directory of `<chart>-<version>/` folders (air-gapped installs, the e2e
 * tier) or an OCI registry mirror. The version is always the catalog's: a local folder must hold exactly
 * that chart at exactly that version, checked here before anything is declared.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CHARTS, ChartKey, ChartPin, Release } from "./catalog";
import { LockstepInputError } from "../core/errors";

export interface ChartLocation {
  /** A chart name in `repo`, an `oci://` reference, or an absolute path to a chart folder. */
  chart: string;
  version: string;
  /** The Helm repository, for the catalog's upstream charts only. */
  repo?: string;
}

export type ChartLocations = Record<ChartKey, ChartLocation>;

const OCI = /^oci:\/\//;

/** The chart's folder name under a local chart source. */
export function chartFolder(pin: Pick<ChartPin, "chart" | "version">): string {
  return `${pin.chart}-${pin.version}`;
}

function localChart(key: ChartKey, pin: ChartPin, dir: string, source: string): ChartLocation {
  const folder = path.join(dir, chartFolder(pin));
  const manifest = path.join(folder, "Chart.yaml");
  const where = `lockstep:chartSource = ${JSON.stringify(source)}`;
  if (!fs.existsSync(manifest)) {
    throw new LockstepInputError(
      `${where}: has no ${chartFolder(pin)}/Chart.yaml for charts.${key} (${pin.chart} ${pin.version}); the directory must hold a <chart>-<version>/ folder for every chart the release pins (looked in ${dir})`,
    );
  }
  let chart: { name?: unknown; version?: unknown };
  try {
    chart = (parseYaml(fs.readFileSync(manifest, "utf8")) ?? {}) as typeof chart;
  } catch (err) {
    throw new LockstepInputError(`${manifest}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (chart.name !== pin.chart || String(chart.version) !== pin.version) {
    throw new LockstepInputError(
      `${manifest}: holds chart ${String(chart.name)} ${String(chart.version)}, but charts.${key} pins ${pin.chart} ${pin.version}`,
    );
  }
  return { chart: folder, version: pin.version };
}

/** Resolves every chart of `release`; throws `LockstepInputError` naming the chart when a local folder is missing or wrong. */
export function chartLocations(release: Release, source: string | undefined, projectDir: string): ChartLocations {
  const out = {} as ChartLocations;
  for (const key of CHARTS) {
    const pin = release.charts[key];
    if (source === undefined) out[key] = { chart: pin.chart, version: pin.version, repo: pin.repo };
    else if (OCI.test(source)) out[key] = { chart: `${source.replace(/\/+$/, "")}/${pin.chart}`, version: pin.version };
    else out[key] = localChart(key, pin, path.resolve(projectDir, source), source);
  }
  return out;
}
