/**
 * Composes a new catalog entry from a build: the version, the four first-party images by digest, and
 * optional chart, PostgreSQL, Kubernetes and notes changes, carried forward from the newest earlier
 * release where not given. Pure: returns the file text; the CLI writes it.
 */
import * as semver from "semver";
import { stringify } from "yaml";
import {
  Catalog,
  CHART_IMAGES,
  ChartKey,
  FIRST_PARTY,
  FirstPartyComponent,
  MIGRATION_KINDS,
  parseReleaseFile,
  Release,
} from "./catalog";
import { CONFIG_KEYS } from "../config/config";
import { closest } from "../core/hints";
import { LockstepInputError } from "../core/errors";
import { deepMerge, Values } from "../core/merge";
import { EXACT_VERSION } from "./schemas";

export interface BuildInput {
  version: string;
  /** Image by digest per component, from flags; wins over `file`. */
  images: Partial<Record<FirstPartyComponent, string>>;
  /** A partial release from the build pipeline (JSON or YAML, already parsed). */
  file?: Values;
  summary?: string;
  breakingChanges?: string[];
  requiredConfig?: string[];
  /** Whether the release's migrations are expand-only (`notes.migrations`). @default carried from the file, else contract */
  migrations?: string;
  /** Images by digest for charts whose version moves: `{ identity: { keycloak: "quay.io/...@sha256:..." } }`. */
  chartImages?: Partial<Record<ChartKey, Record<string, string>>>;
  upgradeFrom?: string[];
  /** The gateway build's built-in plugins, name -> version; replace the file's. @default the file's, else none */
  plugins?: Record<string, string>;
  kubernetes?: { min: string; max: string };
  postgres?: { major?: number; image?: string };
  charts?: Partial<Record<ChartKey, { version: string; appVersion?: string }>>;
  /** Release to carry charts, PostgreSQL and Kubernetes range from. @default the newest release below `version` */
  base?: string;
}

export interface CatalogEntry {
  release: Release;
  text: string;
  fileName: string;
  base: string | null;
}

export function composeRelease(catalog: Catalog, input: BuildInput): CatalogEntry {
  const version = input.version;
  if (!EXACT_VERSION.test(version))
    throw new LockstepInputError(
      `--version ${JSON.stringify(version)}: must be an exact version x.y.z like 1.6.0 (no v prefix, pre-release or build suffix)`,
    );
  if (catalog.releases.has(version)) {
    throw new LockstepInputError(
      `--version ${version}: already in the catalog (releases/${version}.yaml); the catalog is append-only and a published set never changes, so release a new patch instead`,
    );
  }
  const line = catalog.versions.filter(
    (v) => semver.major(v) === semver.major(version) && semver.minor(v) === semver.minor(version),
  );
  const latestOfLine = line.at(-1);
  if (latestOfLine && !semver.gt(version, latestOfLine)) {
    throw new LockstepInputError(
      `--version ${version}: must be greater than ${latestOfLine}, the latest release of the ${semver.major(version)}.${semver.minor(version)} line`,
    );
  }
  const baseVersion = input.base ?? [...catalog.versions].reverse().find((v) => semver.lt(v, version)) ?? null;
  if (input.base && !catalog.releases.has(input.base))
    throw new LockstepInputError(`--base ${input.base}: not in the release catalog (${catalog.versions.join(", ")})`);
  const base = baseVersion ? catalog.releases.get(baseVersion) : undefined;

  const fromFile = structuredClone(input.file ?? {});
  // Flags replace the build file's plugin list whole: a plugin the build dropped must not linger.
  if (input.plugins) delete (fromFile.components as { gateway?: Values } | undefined)?.gateway?.plugins;
  const fileComponents = (fromFile.components ?? {}) as Record<
    string,
    { version?: string; image?: string } | undefined
  >;
  const components: Values = {};
  for (const name of FIRST_PARTY) {
    const image = input.images[name] ?? fileComponents[name]?.image;
    if (!image)
      throw new LockstepInputError(
        `components.${name}.image is missing: a release pins every first-party image by digest (pass --image ${name}=<repo>@sha256:<digest>)`,
      );
    components[name] = {
      version: fileComponents[name]?.version ?? version,
      image,
      ...(name === "gateway" && input.plugins ? { plugins: input.plugins } : {}),
    };
  }
  const chartPins: Values = {};
  for (const [key, pin] of Object.entries(input.charts ?? {}) as [
    ChartKey,
    { version: string; appVersion?: string } | undefined,
  ][]) {
    if (!pin) continue;
    // A chart that moves runs other images: they are pinned again, never carried from the base release.
    const images = input.chartImages?.[key] ?? {};
    const missing = CHART_IMAGES[key].filter((name) => !images[name]);
    if (missing.length) {
      throw new LockstepInputError(
        `--chart ${key}=${pin.version} moves the chart, so its images must be pinned again: pass ${missing.map((name) => `--chart-image ${key}.${name}=<repo>@sha256:<digest>`).join(" ")}`,
      );
    }
    chartPins[key] = { version: pin.version, ...(pin.appVersion ? { appVersion: pin.appVersion } : {}), images };
  }
  for (const key of Object.keys(input.chartImages ?? {})) {
    if (!input.charts?.[key as ChartKey])
      throw new LockstepInputError(
        `--chart-image ${key}.*: images change only with the chart's version; pass --chart ${key}=<version> too`,
      );
  }
  for (const key of input.requiredConfig ?? []) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const hint = closest(key, CONFIG_KEYS);
      throw new LockstepInputError(
        `--require-config ${JSON.stringify(key)}: not a stack config key${hint ? ` (did you mean ${hint}?)` : ""}; a release that required it could never be planned; the keys are ${CONFIG_KEYS.join(", ")}`,
      );
    }
  }
  if (input.migrations !== undefined && !(MIGRATION_KINDS as readonly string[]).includes(input.migrations)) {
    throw new LockstepInputError(
      `--migrations ${JSON.stringify(input.migrations)}: must be one of ${MIGRATION_KINDS.join(", ")}`,
    );
  }
  const fileNotes = (fromFile.notes ?? {}) as { upgradeFrom?: string[] };
  const upgradeFrom = input.upgradeFrom ?? fileNotes.upgradeFrom ?? defaultUpgradeFrom(version);
  // Layers, later winning: what the base release pins, then the build file, then flags. First-party
  // components are never carried: a new version pins new builds.
  const draft: Values = deepMerge(
    base ? { charts: base.charts, postgres: base.postgres, kubernetes: base.kubernetes } : {},
    fromFile,
    {
      version,
      components,
      charts: chartPins,
      ...(input.postgres ? { postgres: input.postgres } : {}),
      ...(input.kubernetes ? { kubernetes: input.kubernetes } : {}),
    },
  );
  const notes = (draft.notes ?? {}) as Values;
  draft.notes = {
    summary: input.summary ?? notes.summary ?? "",
    breakingChanges: input.breakingChanges ?? notes.breakingChanges ?? [],
    requiredConfig: input.requiredConfig ?? notes.requiredConfig ?? [],
    upgradeFrom,
    migrations: input.migrations ?? notes.migrations ?? "contract",
    ...(notes.compatibility ? { compatibility: notes.compatibility } : {}),
  };
  const fileName = `${version}.yaml`;
  const header = `# Release set ${version}, added by \`lockstep catalog add\`${baseVersion ? ` (charts, PostgreSQL and Kubernetes range carried from ${baseVersion} where not given)` : ""}.\n# Append-only: a published set never changes.\n`;
  const text = header + stringify(draft, { lineWidth: 0 });
  const release = parseReleaseFile(`releases/${fileName}`, text);
  return { release, text, fileName, base: baseVersion };
}

/** Minor and patch releases upgrade from the previous minor; a major release must say. */
function defaultUpgradeFrom(version: string): string[] {
  const v = semver.parse(version) as semver.SemVer;
  if (v.minor === 0 && v.patch === 0) {
    throw new LockstepInputError(
      `--version ${version} is a major release, so it must say which versions may upgrade to it: pass --upgrade-from "<range>" (for example ">=${v.major - 1}.N.0 <${v.major}.0.0")`,
    );
  }
  if (v.patch === 0) return [`>=${v.major}.${v.minor - 1}.0 <${v.major}.${v.minor}.0`];
  return [`>=${v.major}.${Math.max(v.minor - 1, 0)}.0 <${v.major}.${v.minor + 1}.0`];
}
