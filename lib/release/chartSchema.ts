/**
 * The values a stack hands a pinned chart, checked against that chart version's own `values.schema.json`
 * before anything is declared. Helm checks the same schema, but only when it installs, which in an
 * upgrade window is after the backups and the earlier waves have run: a value the new chart version no
 * longer takes would stop the `up` halfway. Only a chart folder on disk (`lockstep:chartSource`) has a
 * schema to read; an upstream or OCI chart is checked by Helm at install.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { CHARTS, ChartKey, Mirror, Release } from "./catalog";
import type { ChartLocations } from "./charts";
import { chartImageValues } from "./images";
import { LockstepInputError } from "../core/errors";
import { deepMerge, Values } from "../core/merge";
import { restrictedChartValues } from "../security/podSecurity";

export const SCHEMA_FILE = "values.schema.json";

/** One value the chart's schema refuses: where it sits in the chart's values, what it is, what is allowed. */
export interface ChartValueProblem {
  path: (string | number)[];
  value: unknown;
  allowed: string;
}

/** What was checked for one chart: its schema file, or why there is none to check against. */
export type ChartValuesCheck =
  | { chart: ChartKey; name: string; version: string; checked: true; schemaFile: string }
  | { chart: ChartKey; name: string; version: string; checked: false; reason: string };

/** Helm drops a key whose value is null when it coalesces layers; the schema sees the values without it. */
function withoutNulls(values: unknown): unknown {
  if (Array.isArray(values)) return values.map(withoutNulls);
  if (values && typeof values === "object") {
    return Object.fromEntries(
      Object.entries(values as Values)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return values;
}

function pathOf(error: ErrorObject): (string | number)[] {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") return [...segments, String(params.additionalProperty)];
  if (error.keyword === "required") return [...segments, String(params.missingProperty)];
  return segments;
}

function allowedBy(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type":
      return `the schema allows ${String(params.type).split(",").join(" or ")} here`;
    case "enum":
      return `the schema allows one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `the schema allows only ${JSON.stringify(params.allowedValue)}`;
    case "additionalProperties":
      return "the schema has no such field";
    case "required":
      return "the schema requires this field";
    default:
      return `the schema says it ${error.message ?? `fails ${error.keyword}`}`;
  }
}

function valueAt(values: unknown, at: readonly (string | number)[]): unknown {
  let v: unknown = values;
  for (const key of at) v = v && typeof v === "object" ? (v as Record<string | number, unknown>)[key] : undefined;
  return v;
}

// One compile per schema in a process: the plan runs the program twice, a fleet plan once per install.
const validators = new WeakMap<object, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, validateFormats: false });

function compiled(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    // The charts declare draft-07 or the bare `json-schema.org/schema#`; Helm reads both as draft-07.
    const { $schema: _dialect, $id: _id, ...body } = schema as Record<string, unknown>;
    validate = ajv.compile(body);
    validators.set(schema, validate);
  }
  return validate;
}

/**
 * Every value of `values` the JSON schema refuses, in Ajv's order, once per path and keyword. A union
 * (`anyOf`, `oneOf`) no branch matched is reported once, by its own error, not by each branch's.
 */
export function chartValueProblems(values: Values, schema: object): ChartValueProblem[] {
  const validate = compiled(schema);
  const checked = withoutNulls(values);
  if (validate(checked)) return [];
  const errors = validate.errors ?? [];
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.schemaPath);
  const inUnion = (e: ErrorObject) => unions.some((u) => e.schemaPath.startsWith(`${u}/`));
  const seen = new Set<string>();
  const problems: ChartValueProblem[] = [];
  for (const error of errors) {
    if (inUnion(error)) continue;
    const at = pathOf(error);
    const key = `${at.join(".")}|${error.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path: at, value: valueAt(checked, at), allowed: allowedBy(error) });
  }
  return problems;
}

/** A chart folder's defaults (`values.yaml`) and schema. */
interface ChartFolder {
  defaults: Values;
  schema: object;
  schemaFile: string;
}
const folders = new Map<string, ChartFolder | null>();

/** The chart folder's defaults and schema, read once a process; null when it ships no schema. */
function readChartFolder(folder: string): ChartFolder | null {
  if (!folders.has(folder)) folders.set(folder, readChartFolderOnce(folder));
  return folders.get(folder) ?? null;
}

function readChartFolderOnce(folder: string): ChartFolder | null {
  const schemaFile = path.join(folder, SCHEMA_FILE);
  if (!fs.existsSync(schemaFile)) return null;
  let schema: object;
  try {
    schema = JSON.parse(fs.readFileSync(schemaFile, "utf8")) as object;
  } catch (err) {
    throw new LockstepInputError(
      `${schemaFile}: not valid JSON (${(err as Error).message}); the chart folder must hold the chart as released`,
    );
  }
  const valuesFile = path.join(folder, "values.yaml");
  const defaults = fs.existsSync(valuesFile) ? ((parseYaml(fs.readFileSync(valuesFile, "utf8")) ?? {}) as Values) : {};
  return { defaults, schema, schemaFile };
}

export interface ChartValuesInput {
  /** The target release: in an upgrade window, the one the window moves to. */
  release: Release;
  /** Where each of its charts is installed from; only a folder on disk is checked. */
  charts: ChartLocations;
  /** The catalog's registry mirror, as the images are rendered. @default none */
  mirror?: Mirror;
  /** `lockstep:chartValues`, by chart. */
  stackValues: Partial<Record<ChartKey, Values>>;
}

/** A refused value, with the layer it came from: the stack's `chartValues` or the release catalog. */
export interface ChartValuesRefusal extends ChartValueProblem {
  chart: ChartKey;
  name: string;
  version: string;
  schemaFile: string;
  fromStack: boolean;
}

/**
 * Checks each chart's values as Helm will see them (the chart's defaults, the catalog's pinned values,
 * lockstep's restricted security contexts, the stack's overrides, the catalog's images) against the chart
 * version the release pins: in an upgrade window, the new one.
 */
export function checkChartValues(input: ChartValuesInput): {
  checks: ChartValuesCheck[];
  refusals: ChartValuesRefusal[];
} {
  const checks: ChartValuesCheck[] = [];
  const refusals: ChartValuesRefusal[] = [];
  for (const key of CHARTS) {
    const pin = input.release.charts[key];
    const location = input.charts[key];
    const about = { chart: key, name: pin.chart, version: pin.version };
    if (!path.isAbsolute(location.chart)) {
      checks.push({
        ...about,
        checked: false,
        reason: "not on disk: Helm checks it at install; a lockstep:chartSource folder is checked at plan and preview",
      });
      continue;
    }
    const folder = readChartFolder(location.chart);
    if (!folder) {
      checks.push({ ...about, checked: false, reason: `the chart ships no ${SCHEMA_FILE}` });
      continue;
    }
    checks.push({ ...about, checked: true, schemaFile: folder.schemaFile });
    const stack = input.stackValues[key];
    const merged = deepMerge(
      folder.defaults,
      pin.values,
      restrictedChartValues(key),
      stack,
      chartImageValues(key, pin.images, input.mirror),
    );
    for (const problem of chartValueProblems(merged, folder.schema)) {
      const fromStack = stack !== undefined && valueAt(stack, problem.path) !== undefined;
      refusals.push({ ...about, ...problem, schemaFile: folder.schemaFile, fromStack });
    }
  }
  return { checks, refusals };
}
