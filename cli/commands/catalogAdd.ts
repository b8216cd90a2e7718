import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  CHART_IMAGES,
  CHARTS,
  ChartKey,
  FIRST_PARTY,
  FirstPartyComponent,
  loadCatalog,
  setDigest,
} from "../../lib/release/catalog";
import { BuildInput, composeRelease } from "../../lib/release/catalogEntry";
import { LockstepInputError } from "../../lib/core/errors";
import type { Values } from "../../lib/core/merge";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const CATALOG_ADD_HELP = `Usage: lockstep catalog add --version <v> [--image <component>=<repo>@sha256:<digest> ...] [options]

Turns a build into a catalog entry, releases/<version>.yaml, and prints its set digest. Charts,
PostgreSQL and the Kubernetes range are carried from the newest earlier release unless given.
The catalog is append-only: an existing version, a tag without a digest, or a version not greater
than the latest of its major.minor line is refused, and nothing is written.

  --version <v>                 the product version (required)
  --image <c>=<ref>             image by digest for api, gateway, console or workers (all four required,
                                here or in --from-file)
  --from-file <file>            JSON or YAML from the build pipeline, shaped like a release file
                                (components, charts, postgres, kubernetes, notes); flags win over it
  --plugin <name>=<version>     a plugin built into the gateway image (repeatable; replaces the file's;
                                none carried from the base: a new build pins its own)
  --chart <key>=<ver>[@<app>]   chart version (and app version) for ${CHARTS.join(", ")}; a chart that moves
                                needs its images pinned again with --chart-image
  --chart-image <key>.<name>=<ref>  an image of a moved chart, by digest (${CHARTS.map((k) => `${k}: ${CHART_IMAGES[k].join(", ")}`).join("; ")})
  --postgres-image <ref>        PostgreSQL image by digest;  --postgres-major <n>  its major version
  --kubernetes <min>-<max>      supported Kubernetes minors, like 1.31-1.34
  --summary <text>              release notes summary
  --breaking <text>             a breaking change (repeatable)
  --require-config <key>        a stack config key this release requires (repeatable)
  --upgrade-from <range>        a semver range it may be upgraded from (repeatable; required for a major)
  --migrations <kind>           expand-only (the previous API version works on the new schema) or contract
                                (going back needs the data restore); default contract
  --base <v>                    release to carry unspecified pins from (default: newest below --version)
  --dry-run                     print the file instead of writing it
  --json                        print one JSON object
  -h, --help                    show this help`;

function pairs(flag: string, values: string[] | undefined): [string, string][] {
  return (values ?? []).map((v) => {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new LockstepInputError(`${flag} ${JSON.stringify(v)}: expected key=value`);
    return [v.slice(0, eq), v.slice(eq + 1)];
  });
}

export async function catalogAdd(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("catalog add", argv, {
    version: { type: "string" },
    image: { type: "string", multiple: true },
    plugin: { type: "string", multiple: true },
    "from-file": { type: "string" },
    chart: { type: "string", multiple: true },
    "postgres-image": { type: "string" },
    "postgres-major": { type: "string" },
    kubernetes: { type: "string" },
    summary: { type: "string" },
    breaking: { type: "string", multiple: true },
    "require-config": { type: "string", multiple: true },
    "upgrade-from": { type: "string", multiple: true },
    base: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "chart-image": { type: "string", multiple: true },
    migrations: { type: "string" },
  });
  if (!values.version) throw new LockstepInputError("--version is required, like --version 1.6.0");

  const images: BuildInput["images"] = {};
  for (const [component, ref] of pairs("--image", values.image)) {
    if (!(FIRST_PARTY as readonly string[]).includes(component))
      throw new LockstepInputError(
        `--image ${component}=...: unknown component; the components are ${FIRST_PARTY.join(", ")}`,
      );
    images[component as FirstPartyComponent] = ref;
  }
  const plugins = values.plugin ? Object.fromEntries(pairs("--plugin", values.plugin)) : undefined;
  const charts: BuildInput["charts"] = {};
  for (const [key, spec] of pairs("--chart", values.chart)) {
    if (!(CHARTS as readonly string[]).includes(key))
      throw new LockstepInputError(`--chart ${key}=...: unknown chart; the charts are ${CHARTS.join(", ")}`);
    const [version, appVersion] = spec.split("@");
    charts[key as ChartKey] = { version, appVersion };
  }
  const chartImages: BuildInput["chartImages"] = {};
  for (const [target, ref] of pairs("--chart-image", values["chart-image"])) {
    const [key, name] = target.split(".");
    if (
      !(CHARTS as readonly string[]).includes(key) ||
      !name ||
      !(CHART_IMAGES[key as ChartKey] as readonly string[]).includes(name)
    ) {
      throw new LockstepInputError(
        `--chart-image ${target}=...: expected <chart>.<image>, one of ${CHARTS.flatMap((k) => CHART_IMAGES[k].map((n) => `${k}.${n}`)).join(", ")}`,
      );
    }
    (chartImages[key as ChartKey] ??= {})[name] = ref;
  }
  let kubernetes: BuildInput["kubernetes"];
  if (values.kubernetes) {
    const m = /^(1\.\d+)-(1\.\d+)$/.exec(values.kubernetes);
    if (!m)
      throw new LockstepInputError(
        `--kubernetes ${JSON.stringify(values.kubernetes)}: expected <min>-<max> minors, like 1.31-1.34`,
      );
    kubernetes = { min: m[1], max: m[2] };
  }
  let postgres: BuildInput["postgres"];
  if (values["postgres-image"] || values["postgres-major"]) {
    const major = values["postgres-major"] === undefined ? undefined : Number(values["postgres-major"]);
    if (major !== undefined && !Number.isInteger(major))
      throw new LockstepInputError(
        `--postgres-major ${JSON.stringify(values["postgres-major"])}: expected a whole number like 17`,
      );
    postgres = {
      ...(values["postgres-image"] ? { image: values["postgres-image"] } : {}),
      ...(major !== undefined ? { major } : {}),
    };
  }
  let file: Values | undefined;
  if (values["from-file"]) {
    const full = path.resolve(values["from-file"]);
    if (!fs.existsSync(full)) throw new LockstepInputError(`--from-file ${values["from-file"]}: no such file`);
    try {
      const parsed: unknown = parseYaml(fs.readFileSync(full, "utf8")); // YAML is a superset of JSON
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("must hold an object shaped like a release file");
      file = parsed as Values;
    } catch (err) {
      throw new LockstepInputError(`--from-file ${values["from-file"]}: ${(err as Error).message.split("\n")[0]}`);
    }
  }

  const catalog = loadCatalog(env.catalogDir);
  const entry = composeRelease(catalog, {
    version: values.version,
    images,
    plugins,
    file,
    charts,
    kubernetes,
    postgres,
    base: values.base,
    summary: values.summary,
    breakingChanges: values.breaking,
    requiredConfig: values["require-config"],
    upgradeFrom: values["upgrade-from"],
    migrations: values.migrations,
    chartImages,
  });
  const target = path.join(env.catalogDir, entry.fileName);
  const digest = setDigest(entry.release);
  if (!values["dry-run"]) fs.writeFileSync(target, entry.text, { flag: "wx" }); // wx: never overwrite a published set
  const rel = path.relative(env.projectDir, target);
  const human = values["dry-run"]
    ? `dry run: would write ${rel}${entry.base ? ` (carried from ${entry.base})` : ""}\n\n${entry.text}\nset digest ${digest}`
    : `added ${rel}${entry.base ? ` (charts, PostgreSQL and Kubernetes range carried from ${entry.base} where not given)` : ""}\nset digest ${digest}`;
  return {
    exitCode: 0,
    human,
    json: {
      version: entry.release.version,
      file: rel,
      base: entry.base,
      setDigest: digest,
      written: !values["dry-run"],
    },
  };
}
