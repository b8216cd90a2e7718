import { getRelease, loadCatalog, upgradeSources } from "../../lib/catalog";
import { openWindow, parseStackConfig } from "../../lib/config";
import { LockstepInputError } from "../../lib/errors";
import { PLATFORM_DB } from "../../lib/names";
import { promotionVerdict } from "../../lib/promotion";
import { compatibilityRange, findUpgradePath, kubernetesVerdict } from "../../lib/semverRules";
import { readStackFile } from "../../lib/stackFile";
import { plan } from "../../plan/plan";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const PREFLIGHT_HELP = `Usage: lockstep preflight --stack <name> [--to <version>] [--max-backup-age <hours>] [--json]

Prints the pre-upgrade checklist for a stack as a table: ✓ passes, ✗ fails, – not checkable offline
(or a human must read it). Exits 0 only when nothing is ✗.

  --stack <name>            stack whose Pulumi.<name>.yaml to check (required)
  --to <version>            the release to upgrade to (default: the stack's lockstep:release, with its
                            open window's upgrade.from as the starting point)
  --max-backup-age <hours>  newest completed CNPG backup must be younger than this (default 24)
  --json                    print one JSON object
  -h, --help                show this help`;

export type Mark = "✓" | "✗" | "–";
export interface Row { check: string; status: Mark; reason: string }

interface CnpgBackupList { items?: { spec?: { cluster?: { name?: string } }; status?: { phase?: string; stoppedAt?: string } }[] }

export async function preflight(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("preflight", argv, { stack: { type: "string" }, to: { type: "string" }, "max-backup-age": { type: "string", default: "24" } });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const maxAgeHours = Number(values["max-backup-age"]);
  if (!(maxAgeHours > 0)) throw new LockstepInputError(`--max-backup-age ${JSON.stringify(values["max-backup-age"])}: expected a positive number of hours`);
  const stack = values.stack;
  const catalog = loadCatalog(env.catalogDir);
  const stackFile = readStackFile(stack, env.projectDir);
  const stackValues = stackFile.values;
  const current = parseStackConfig(stackValues, catalog, { secretKeys: stackFile.secretKeys });
  if (values.to && !catalog.releases.has(values.to)) throw new LockstepInputError(`--to ${values.to}: not in the release catalog; available versions: ${catalog.versions.join(", ")}`);
  const to = values.to ?? current.release;
  const from = values.to ? current.release : openWindow(current)?.from ?? current.release;
  const target = getRelease(catalog, to);
  const sets = values.to && values.to !== current.release ? [`release=${to}`, `upgrade.from=${from}`] : [];
  const rows: Row[] = [];

  rows.push(target.notes.breakingChanges.length
    ? { check: "release notes: breaking changes", status: "–", reason: `read before upgrading: ${target.notes.breakingChanges.join(" | ")}` }
    : { check: "release notes: breaking changes", status: "✓", reason: `${to} lists none` });
  const missing = target.notes.requiredConfig.filter((key) => stackValues[key] === undefined);
  rows.push(missing.length
    ? { check: "release notes: required config", status: "✗", reason: `${to} requires lockstep:${missing.join(", lockstep:")}, missing from Pulumi.${stack}.yaml` }
    : { check: "release notes: required config", status: "✓", reason: target.notes.requiredConfig.length ? `present: ${target.notes.requiredConfig.join(", ")}` : `${to} requires no new keys` });

  if (from === to) rows.push({ check: "upgrade path", status: "✓", reason: `no upgrade: ${stack} stays at ${to}` });
  else {
    const path = findUpgradePath(from, to, upgradeSources(catalog));
    const windows = (path.suggested ?? []).slice(1).map((v, i) => `${(path.suggested as string[])[i]} -> ${v}: API ${v} beside ${compatibilityRange(v)}`);
    rows.push(path.allowed
      ? { check: "upgrade path", status: "✓", reason: `${from} -> ${to}; mixed-version window: ${windows.join("; ")}` }
      : { check: "upgrade path", status: "✗", reason: path.reason + (windows.length ? `; windows on that path: ${windows.join("; ")}` : "") });
  }

  const kubernetes = kubernetesVerdict(current.kubernetesVersion, target);
  rows.push({ check: "Kubernetes version", status: kubernetes.ok ? "✓" : "✗", reason: kubernetes.reason });

  rows.push({ check: "backup configured", status: "✓", reason: `continuous WAL archiving to ${current.backup.destinationPath}, retention ${current.backup.retentionPolicy}, schedule "${current.backup.schedule}"` });
  rows.push(lastBackupRow(env, current.namespace, maxAgeHours));

  if (current.environment === "prod") {
    const verdict = promotionVerdict(current.promotion, to, catalog, stack);
    rows.push({ check: "staging verified", status: verdict.ok ? "✓" : "✗", reason: verdict.reason });
  } else {
    rows.push({ check: "staging verified", status: "–", reason: `${stack} is ${current.environment}; promotion applies to prod` });
  }

  rows.push(await planRow(stack, sets, to, env));

  const failed = rows.filter((r) => r.status === "✗").length;
  const width = Math.max(...rows.map((r) => r.check.length));
  const human = [`preflight: ${stack} ${from === to ? `at ${to}` : `${from} -> ${to}`}`, ...rows.map((r) => `${r.status}  ${r.check.padEnd(width)}  ${r.reason}`),
    failed ? `${failed} check(s) failed` : "ready: nothing failed"].join("\n");
  return { exitCode: failed ? 1 : 0, human, json: { stack, from, to, ok: failed === 0, rows } };
}

/** Policies whose verdict has a row of its own above; the policy row leaves them out so one fault is one ✗. */
const OWN_ROWS: Record<string, string> = {
  "upgrade-path": "upgrade path",
  "kubernetes-baseline": "Kubernetes version",
  "prod-promoted-only": "staging verified",
};

async function planRow(stack: string, sets: string[], to: string, env: CliEnv): Promise<Row> {
  const check = "policy verdicts (offline plan)";
  try {
    const result = await plan({ stack, sets, projectDir: env.projectDir, catalogDir: env.catalogDir });
    const mandatory = result.violations.filter((v) => v.level === "mandatory" && !(v.policy in OWN_ROWS));
    const covered = [...new Set(result.violations.filter((v) => v.policy in OWN_ROWS).map((v) => v.policy))];
    const advisory = result.violations.filter((v) => v.level === "advisory").length;
    const elsewhere = covered.length ? `; ${covered.map((p) => `${p} is the "${OWN_ROWS[p]}" row`).join(", ")}` : "";
    return mandatory.length
      ? { check, status: "✗", reason: mandatory.map((v) => `${v.policy}: ${v.message}`).join(" | ") + elsewhere }
      : { check, status: "✓", reason: `no other mandatory violations${advisory ? ` (${advisory} advisory)` : ""} in the plan of ${to}${elsewhere}` };
  } catch (err) {
    if (!(err instanceof LockstepInputError)) throw err;
    return { check, status: "✗", reason: `the stack's config is not valid at ${to}: ${err.message}` };
  }
}

function lastBackupRow(env: CliEnv, namespace: string, maxAgeHours: number): Row {
  const check = "last completed backup";
  const r = env.kubectl(["get", "backups.postgresql.cnpg.io", "-n", namespace, "-o", "json", "--request-timeout=5s"]);
  if (r.status !== 0) {
    return { check, status: "–", reason: `not checkable offline: no reachable cluster (kubectl: ${(r.stderr.trim().split("\n").pop() || `exit ${r.status}`).slice(0, 160)})` };
  }
  let list: CnpgBackupList;
  try {
    list = JSON.parse(r.stdout) as CnpgBackupList;
  } catch {
    return { check, status: "–", reason: "kubectl answered with something other than JSON" };
  }
  const completed = (list.items ?? [])
    .filter((b) => b.spec?.cluster?.name === PLATFORM_DB && b.status?.phase === "completed" && b.status.stoppedAt)
    .map((b) => Date.parse(b.status?.stoppedAt as string))
    .filter((t) => !Number.isNaN(t));
  if (completed.length === 0) return { check, status: "✗", reason: `no completed backup of ${PLATFORM_DB} in ${namespace}` };
  const ageHours = (env.now().getTime() - Math.max(...completed)) / 3_600_000;
  return ageHours <= maxAgeHours
    ? { check, status: "✓", reason: `${PLATFORM_DB} completed a backup ${ageHours.toFixed(1)} h ago (limit ${maxAgeHours} h)` }
    : { check, status: "✗", reason: `${PLATFORM_DB}'s newest completed backup is ${ageHours.toFixed(1)} h old (limit ${maxAgeHours} h)` };
}
