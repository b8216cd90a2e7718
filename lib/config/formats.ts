/** Formats config values must have that a regular expression alone would get wrong: cron schedules and hostnames. */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

/** CloudNativePG's ScheduledBackup takes six fields, seconds first (robfig/cron with seconds). */
const CRON_FIELDS: readonly CronField[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

function cronValue(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/** Why one cron field is invalid, or undefined when it is valid. */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.split(",")) {
    const [range, step] = part.split("/");
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))
      return `the step ${JSON.stringify(step)} of the ${field.name} field must be a positive whole number`;
    if (range === "*" || (range === "?" && field.name.startsWith("day"))) continue;
    const [from, to] = range.split("-");
    const a = cronValue(from, field);
    const b = to === undefined ? a : cronValue(to, field);
    if (a === undefined || b === undefined || a > b)
      return `the ${field.name} field ${JSON.stringify(text)} must be within ${field.min}-${field.max}${field.names ? ` (or ${field.names[0]}-${field.names[field.names.length - 1]})` : ""}`;
  }
  return undefined;
}

/** Why a six-field cron expression is invalid, or undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6)
    return `must be a six-field cron expression (seconds first), like "0 0 2 * * *", not ${fields.length} fields`;
  for (let i = 0; i < 6; i++) {
    const problem = cronFieldProblem(fields[i], CRON_FIELDS[i]);
    if (problem) return problem;
  }
  return undefined;
}

/** An RFC 1123 hostname, as Gateway API takes it: lowercase labels, optionally behind one leading `*.`. */
export function isHostname(host: string): boolean {
  const name = host.startsWith("*.") ? host.slice(2) : host;
  return (
    name.length > 0 &&
    name.length <= 253 &&
    name.split(".").every((label) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(label))
  );
}
