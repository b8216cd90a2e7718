/**
 * Drift: what differs between the cluster and the stack, told apart from what the stack file changed
 * since the last `up`. Two previews answer it: one against the state as the last `up` left it (the
 * stack file's own pending changes) and one after a refresh (those, plus whatever changed in the
 * cluster). What only the refreshed preview would change is drift. Plain functions over the engine's
 * step events, so the command and its tests share them.
 */

/** One step a preview plans, as the engine reports it (its resourcePreEvent). */
export interface PlannedStep {
  urn: string;
  /** The resource type token, like `kubernetes:apps/v1:Deployment`. */
  type: string;
  op: string;
  /** Property paths the step changes, like `spec.replicas` or `spec.template.spec.containers[0].image`. */
  paths: string[];
  /** What the state holds: after a refresh, the live object. */
  old?: Record<string, unknown>;
  /** What the program declares. */
  declared?: Record<string, unknown>;
}

/** A field that differs, with both sides when the engine reported them. */
export interface DriftedField {
  path: string;
  /** The value in the cluster; undefined when the field is gone there, or was not reported. */
  live?: unknown;
  /** The value the stack declares; undefined when the stack does not set it. */
  declared?: unknown;
}

export interface DriftedResource {
  /** The resource's name in the stack (the URN's last segment). */
  name: string;
  /** The short kind: `Deployment`, `Release`, `Command`. */
  kind: string;
  urn: string;
  /** What an `up` would do to bring it back: `update`, `replace`, or `create` when it is gone from the cluster. */
  op: string;
  fields: DriftedField[];
}

export interface DriftReport {
  drifted: DriftedResource[];
  /** Resources the stack file itself changes (not drift): an `up` applies them whether or not the cluster drifted. */
  pending: DriftedResource[];
}

/** Steps that change nothing. A refresh step only reads; a `read` is the program's own StackReference. */
const UNCHANGED = new Set(["same", "read", "refresh", "discard"]);

const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
const kindOf = (type: string) => type.split(":").pop() ?? type;

/**
 * A property path as the engine writes it, as keys: `a.b[0]["x.y"]` -> ["a", "b", 0, "x.y"].
 * An unreadable path comes back whole, as one key.
 */
export function pathKeys(propertyPath: string): (string | number)[] {
  const keys: (string | number)[] = [];
  const token = /([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|(\.)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  // Every alternative matches at least one character, so the sticky scan always moves on or stops.
  while ((match = token.exec(propertyPath)) !== null) {
    consumed = token.lastIndex;
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else if (match[3] !== undefined) keys.push(match[3].replace(/\\(.)/g, "$1"));
  }
  return consumed === propertyPath.length ? keys : [propertyPath];
}

/** The value at an engine property path, or undefined. */
export function valueAt(object: unknown, propertyPath: string): unknown {
  return pathKeys(propertyPath).reduce<unknown>(
    (at, key) => (at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined),
    object,
  );
}

function resourceOf(step: PlannedStep, paths: string[]): DriftedResource {
  return {
    name: nameOf(step.urn),
    kind: kindOf(step.type),
    urn: step.urn,
    op: step.op,
    fields: paths.map((p) => ({ path: p, live: valueAt(step.old, p), declared: valueAt(step.declared, p) })),
  };
}

/**
 * Drift, from the steps of a preview of the stack as last applied (`pending`) and of a refreshed
 * preview (`refreshed`). A resource only the refreshed preview changes drifted in every field it
 * changes; one both change drifted in the fields only the refreshed one changes.
 */
export function driftBetween(pending: readonly PlannedStep[], refreshed: readonly PlannedStep[]): DriftReport {
  const changing = (steps: readonly PlannedStep[]) => steps.filter((s) => !UNCHANGED.has(s.op));
  const planned = new Map(changing(pending).map((s) => [s.urn, s]));
  const drifted: DriftedResource[] = [];
  for (const step of changing(refreshed)) {
    const before = planned.get(step.urn);
    if (!before) {
      drifted.push(resourceOf(step, step.paths));
      continue;
    }
    const known = new Set(before.paths);
    const extra = step.paths.filter((p) => !known.has(p));
    if (extra.length > 0 || (before.op !== step.op && step.op !== "update")) drifted.push(resourceOf(step, extra));
  }
  return { drifted, pending: [...planned.values()].map((s) => resourceOf(s, s.paths)) };
}

/** A value for one table cell: JSON, cut to a width a reader takes in at a glance. */
export function cell(value: unknown, width = 60): string {
  if (value === undefined) return "(not set)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
