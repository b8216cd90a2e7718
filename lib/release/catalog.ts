/**
 * lib/release: the release set. The catalog of product versions (one file each), what a new entry may
 * hold, the set digest, the images and charts each version pins, the compatibility ranges between
 * components, and the semver rules for upgrade paths. Pure functions; the program, the plan, the CLI
 * and the policy pack read the same answers.
 *
 * The release catalog: one YAML file per product version under `releases/`, each pinning the whole set.
 * Parsed once, here, with zod; everything downstream works with the typed `Release`.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as semver from "semver";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { LockstepInputError, showValue } from "../core/errors";
import { deepFreeze, valueAt } from "../core/objects";
import { PROJECT_ROOT } from "../core/paths";
import { digestImage, EXACT_VERSION, exactVersion, kubernetesMinor, semverRange } from "./schemas";

export const FIRST_PARTY = ["api", "gateway", "console", "workers"] as const;
export type FirstPartyComponent = (typeof FIRST_PARTY)[number];

export const CHARTS = ["cnpgOperator", "barmanCloudPlugin", "identity", "openbao", "observability"] as const;
export type ChartKey = (typeof CHARTS)[number];

/** The images each chart of a release must pin, by name (`lib/release/images.ts` knows where each lands in the values). */
export const CHART_IMAGES = {
  cnpgOperator: ["operator"],
  barmanCloudPlugin: ["plugin", "sidecar"],
  identity: ["keycloak"],
  openbao: ["server"],
  observability: ["server", "configReloader"],
} as const satisfies Record<ChartKey, readonly string[]>;

/** Registry -> mirror prefix (`ghcr.io` -> `mirror.internal/ghcr`), from the catalog's `catalog.yaml`. */
export type Mirror = Readonly<Record<string, string>>;

const componentPin = z.strictObject({ version: exactVersion, image: digestImage });
/** A built-in plugin's name: lower-case words joined by dashes, like `pii-redaction`. */
const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Built-in plugin name -> exact version; a bad name is reported at its own path (zod's record says only "Invalid key"). */
const pluginPins = z.record(z.string(), exactVersion).superRefine((plugins, ctx) => {
  for (const name of Object.keys(plugins))
    if (!PLUGIN_NAME.test(name))
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "is not a plugin name: a plugin is named in lower-case words joined by dashes, like pii-redaction",
      });
});
const chartPin = z.strictObject({
  repo: z.string().url({ message: "must be a Helm repository URL" }),
  chart: z.string().min(1),
  version: exactVersion,
  appVersion: z.string().min(1),
  /** Every image the chart runs, by name, pinned by digest (which names: `CHART_IMAGES`). */
  images: z.record(z.string(), digestImage),
  /** Values the release set pins for this chart; stack overrides merge on top. */
  values: z.record(z.string(), z.unknown()).default({}),
});

/** How the workers move to a new version: rolling (old and new overlap), or recreate (the old stop first). */
export const WORKER_ROLLOUTS = ["rolling", "recreate"] as const;
/** Whether the API's migrations only add (the previous API still works on the new schema) or also remove. */
export const MIGRATION_KINDS = ["expand-only", "contract"] as const;

/** The PostgreSQL major an image's tag names (`postgresql:16.6@sha256:…` is 16); undefined for a digest alone. */
export function imageMajor(image: string): number | undefined {
  const tag = /:([0-9]+)(?:[.-][^@/]*)?@/.exec(image.slice(image.lastIndexOf("/")));
  return tag ? Number(tag[1]) : undefined;
}

export const releaseSchema = z.strictObject({
  version: exactVersion,
  components: z.strictObject({
    api: componentPin,
    gateway: componentPin.extend({
      /**
       * The plugins built into the gateway image, name -> exact version: what was tested with this set.
       * The gateway is told them (`GATEWAY_BUILTIN_PLUGINS`), so a build whose plugins differ refuses to start. @default {}
       */
      plugins: pluginPins.default({}),
    }),
    console: componentPin,
    workers: componentPin.extend({
      /** Workers that must not overlap across versions say `recreate`. @default rolling */
      rollout: z.enum(WORKER_ROLLOUTS, { message: `must be one of ${WORKER_ROLLOUTS.join(", ")}` }).optional(),
    }),
  }),
  charts: z.strictObject({
    cnpgOperator: chartPin,
    barmanCloudPlugin: chartPin,
    identity: chartPin,
    openbao: chartPin,
    /** The Prometheus the canary analysis reads: it scrapes the gateways. */
    observability: chartPin,
  }),
  postgres: z.strictObject({ major: z.number().int().min(13).max(20), image: digestImage }).superRefine((pg, ctx) => {
    const tagged = imageMajor(pg.image);
    if (tagged !== undefined && tagged !== pg.major)
      ctx.addIssue({
        code: "custom",
        path: ["major"],
        message: `is ${pg.major}, but the image ${pg.image.split("@")[0]} is PostgreSQL ${tagged}; a major moves by a release that says so (and by its data migration), never by an image alone`,
      });
  }),
  kubernetes: z.strictObject({ min: kubernetesMinor, max: kubernetesMinor }),
  notes: z.strictObject({
    summary: z.string().default(""),
    breakingChanges: z.array(z.string()).default([]),
    /** Stack config keys (without the `lockstep:` prefix) that this release requires. */
    requiredConfig: z.array(z.string()).default([]),
    /** Semver ranges of the versions this release may be upgraded from directly. */
    upgradeFrom: z.array(semverRange).default([]),
    /** What this release's API works beside, per component; where unset, the default N-1 minor window. */
    compatibility: z
      .strictObject({
        gateway: semverRange.optional(),
        console: semverRange.optional(),
        workers: semverRange.optional(),
      })
      .optional(),
    /**
     * `expand-only`: the previous API version still works on this release's schema, so deploying it back is
     * a rollback. `contract`: going back needs the pre-upgrade data restore. @default contract
     */
    migrations: z
      .enum(MIGRATION_KINDS, { message: `must be one of ${MIGRATION_KINDS.join(", ")}` })
      .default("contract"),
  }),
});

export type Release = z.infer<typeof releaseSchema>;
export type ChartPin = Release["charts"][ChartKey];

export interface Catalog {
  readonly dir: string;
  readonly releases: ReadonlyMap<string, Release>;
  /** Versions, oldest first. */
  readonly versions: readonly string[];
  /** Where images are pulled from instead of their registries (`catalog.yaml`); digests never change. */
  readonly mirror: Mirror;
}

/** `catalog.yaml` beside the releases: settings for the whole catalog. */
export const CATALOG_SETTINGS_FILE = "catalog.yaml";
const registryHost = z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/, {
  message: "must be a registry host like ghcr.io or registry.example:5000",
});
const catalogSettingsSchema = z.strictObject({
  /** Registry -> the mirror that serves its images under a prefix: `ghcr.io: mirror.internal/ghcr`. */
  mirror: z
    .record(
      registryHost,
      z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*$/, {
        message: "must be a registry host with an optional path, like mirror.internal/ghcr",
      }),
    )
    .default({}),
});

function readCatalogSettings(file: string): { mirror: Mirror } {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const parsed = catalogSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    throw new LockstepInputError(
      `${file}: field ${field.join(".") || "(root)"} = ${showValue(valueAt(raw, field))}: ${issue.code === "unrecognized_keys" ? "unknown field; catalog.yaml has only mirror" : issue.message}`,
    );
  }
  return parsed.data;
}

/** Reads and validates every `releases/<version>.yaml`; any bad file fails the whole load, naming file and field. */
export function loadCatalog(dir: string): Catalog {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new LockstepInputError(`release catalog: cannot read directory ${dir}`);
  }
  const releases = new Map<string, Release>();
  const settingsFile = path.join(dir, CATALOG_SETTINGS_FILE);
  const { mirror } = fs.existsSync(settingsFile) ? readCatalogSettings(settingsFile) : { mirror: {} };
  for (const file of entries.filter((f) => /\.ya?ml$/i.test(f) && f !== CATALOG_SETTINGS_FILE).sort()) {
    const full = path.join(dir, file);
    checkCatalogEntry(full);
    const release = parseReleaseFileOnce(full, fs.readFileSync(full, "utf8"));
    releases.set(release.version, release);
  }
  if (releases.size === 0) throw new LockstepInputError(`release catalog: no releases/*.yaml files in ${dir}`);
  const versions = [...releases.keys()].sort(semver.compare);
  return { dir, releases, versions, mirror };
}

/**
 * Parsed releases by path and text. A plan reads the catalog two or three times (config, policies, the
 * deployed baseline) and the YAML parse and schema check were a tenth of its time; an edited file has other
 * text, so it is parsed again. Entries are frozen: a release is shared, so nothing may change it.
 */
const parsedReleases = new Map<string, Release>();
function parseReleaseFileOnce(file: string, text: string): Release {
  const key = `${file}\0${text}`;
  let release = parsedReleases.get(key);
  if (!release) {
    release = deepFreeze(parseReleaseFile(file, text));
    parsedReleases.set(key, release);
  }
  return release;
}

/**
 * Every YAML entry of the catalog directory is one release: a regular file named `<x.y.z>.yaml`. Anything
 * else (a `.yml` twin, a `v1.5.1.yaml`, a directory or a dangling link named like a release) is refused, so
 * no file can silently shadow another.
 */
function checkCatalogEntry(full: string): void {
  const name = path.basename(full);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new LockstepInputError(
      `${full}: cannot be read (a dangling link?); the catalog holds one regular file <x.y.z>.yaml per release`,
    );
  }
  if (!stat.isFile())
    throw new LockstepInputError(
      `${full}: not a regular file; the catalog holds one regular file <x.y.z>.yaml per release`,
    );
  if (!name.endsWith(".yaml"))
    throw new LockstepInputError(
      `${full}: a release file must end in .yaml, not ${path.extname(name)} (rename it to ${name.replace(/\.ya?ml$/i, ".yaml")})`,
    );
  if (!EXACT_VERSION.test(name.slice(0, -".yaml".length))) {
    throw new LockstepInputError(
      `${full}: the file name must be the release's exact version, <x.y.z>.yaml like 1.5.1.yaml (no v prefix, pre-release or build suffix)`,
    );
  }
}

/** Parses one catalog file; `file` is used for messages and the filename/version check. */
export function parseReleaseFile(file: string, text: string): Release {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const result = releaseSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === "unrecognized_keys") {
      const field = [...issue.path, issue.keys[0]];
      throw new LockstepInputError(
        `${file}: field ${field.join(".")} = ${showValue(valueAt(raw, field))}: unknown field; a release file has only the fields of the catalog schema (see docs/release-flow.md, "Release catalog")`,
      );
    }
    throw new LockstepInputError(
      `${file}: field ${issue.path.join(".") || "(root)"} = ${showValue(valueAt(raw, issue.path))}: ${issue.message}`,
    );
  }
  const expected = path.basename(file).replace(/\.ya?ml$/, "");
  if (expected !== result.data.version) {
    throw new LockstepInputError(
      `${file}: field version = ${showValue(result.data.version)} disagrees with the filename; the file must be named ${result.data.version}.yaml`,
    );
  }
  for (const name of FIRST_PARTY) {
    const pinned = result.data.components[name].version;
    if (semver.major(pinned) !== semver.major(result.data.version)) {
      throw new LockstepInputError(
        `${file}: field components.${name}.version = ${showValue(pinned)} must share the release's major version ${semver.major(result.data.version)}`,
      );
    }
  }
  for (const key of CHARTS) {
    const have = Object.keys(result.data.charts[key].images).sort();
    const want = [...CHART_IMAGES[key]].sort();
    if (have.join() !== want.join()) {
      throw new LockstepInputError(
        `${file}: field charts.${key}.images = ${showValue(result.data.charts[key].images)}: must pin exactly the images ${want.join(", ")} (the chart runs these), each by digest`,
      );
    }
  }
  if (semver.compare(`${result.data.kubernetes.min}.0`, `${result.data.kubernetes.max}.0`) > 0) {
    throw new LockstepInputError(
      `${file}: field kubernetes.min = ${showValue(result.data.kubernetes.min)} must not be above kubernetes.max = ${showValue(result.data.kubernetes.max)}`,
    );
  }
  return result.data;
}

export function getRelease(catalog: Catalog, version: string): Release {
  const release = catalog.releases.get(version);
  if (!release)
    throw new LockstepInputError(`release ${version} is not in the catalog (${catalog.versions.join(", ")})`);
  return release;
}

/** The part of a release that determines what runs; notes do not change the set. */
export function pinnedSet(release: Release): Omit<Release, "notes"> {
  const { notes: _notes, ...set } = release;
  return set;
}

/** Canonical JSON: object keys sorted at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The release set digest: `sha256:<hex>` over the canonical serialization of the pinned set. */
export function setDigest(release: Release): string {
  return `sha256:${createHash("sha256")
    .update(canonicalJson(pinnedSet(release)))
    .digest("hex")}`;
}

/**
 * A digest per pinned part (`components.api`, `charts.openbao`, `postgres`, `kubernetes`, ...), recorded
 * with each deployment, so a set digest that changed can be traced to the part that changed.
 */
export function partDigests(release: Release): Record<string, string> {
  const digest = (value: unknown) => `sha256:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
  const { components, charts, postgres, kubernetes } = pinnedSet(release);
  return Object.fromEntries<string>([
    ...Object.entries(components).map(([k, v]): [string, string] => [`components.${k}`, digest(v)]),
    ...Object.entries(charts).map(([k, v]): [string, string] => [`charts.${k}`, digest(v)]),
    ["postgres", digest(postgres)],
    ["kubernetes", digest(kubernetes)],
  ]);
}

/** `a=1.2.0,b=0.4.1`, by name: the built-in plugins as the gateway is told them. */
export function pluginList(plugins: Readonly<Record<string, string>>): string {
  return Object.entries(plugins)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => `${name}=${version}`)
    .join(",");
}

/** Upgrade sources per version, the shape `findUpgradePath` wants. */
export function upgradeSources(catalog: Catalog): Map<string, readonly string[]> {
  return new Map([...catalog.releases].map(([v, r]) => [v, r.notes.upgradeFrom]));
}

/** The default catalog shipped with the project, resolved from this file so it works from any cwd. */
export const DEFAULT_CATALOG_DIR = path.join(PROJECT_ROOT, "releases");

export interface SetDifference {
  key: string;
  from: string;
  to: string;
}

/** What changes between two pinned sets, for the plan's "what differs from upgrade.from". */
export function diffSets(from: Release, to: Release): SetDifference[] {
  const diffs: SetDifference[] = [];
  for (const name of FIRST_PARTY) {
    const a = from.components[name];
    const b = to.components[name];
    if (a.version !== b.version || a.image !== b.image)
      diffs.push({ key: `components.${name}`, from: `${a.version} (${a.image})`, to: `${b.version} (${b.image})` });
    if (name === "gateway") {
      const [was, now] = [from, to].map((r) => pluginList(r.components.gateway.plugins) || "(none)");
      if (was !== now) diffs.push({ key: "components.gateway.plugins", from: was, to: now });
    }
  }
  for (const name of CHARTS) {
    const a = from.charts[name];
    const b = to.charts[name];
    if (canonicalJson(a) !== canonicalJson(b))
      diffs.push({
        key: `charts.${name}`,
        from: `${a.chart} ${a.version} (app ${a.appVersion})`,
        to: `${b.chart} ${b.version} (app ${b.appVersion})`,
      });
  }
  if (from.postgres.image !== to.postgres.image)
    diffs.push({
      key: "postgres",
      from: `${from.postgres.major} (${from.postgres.image})`,
      to: `${to.postgres.major} (${to.postgres.image})`,
    });
  if (from.kubernetes.min !== to.kubernetes.min || from.kubernetes.max !== to.kubernetes.max) {
    diffs.push({
      key: "kubernetes",
      from: `${from.kubernetes.min}-${from.kubernetes.max}`,
      to: `${to.kubernetes.min}-${to.kubernetes.max}`,
    });
  }
  return diffs;
}
