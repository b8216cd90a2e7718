import * as fs from "node:fs";
import * as semver from "semver";
import { Catalog, getRelease, loadCatalog, upgradeSources } from "../../lib/release/catalog";
import { compatibilityRange } from "../../lib/release/compatibility";
import { kubeconfigPath, kubectlTarget } from "../../lib/config/cluster";
import { serverVersionOf, serverVersionRefusal } from "../../lib/config/serverVersion";
import { parseStackConfig, StackConfig } from "../../lib/config/config";
import type { DeployedState } from "../../lib/state/deployed";
import { LockstepInputError } from "../../lib/core/errors";
import { drillVerdict } from "../../lib/recovery/drill";
import { HELM_RELEASE_COLUMNS, PendingRelease, pendingReleases } from "../../lib/state/helmStatus";
import { OPERATOR_NAMESPACE } from "../../lib/core/names";
import { databasePlans } from "../../lib/recovery/restore";
import { promotionVerdict } from "../../lib/state/promotion";
import { findUpgradePath, kubernetesVerdict } from "../../lib/release/semverRules";
import { readStackFile, StackFile } from "../../lib/config/stackFile";
import { runningFrom } from "../../lib/state/window";
import { plan, PlanResult } from "../../plan/plan";
import { capacityRow } from "./capacityRow";
import { parseCommandArgs } from "../args";
import { readDeployed } from "../stackChange";
import type { CliEnv, CommandOutput, CommandResult } from "../env";

export const PREFLIGHT_HELP = `Usage: lockstep preflight --stack <name> [--to <version>] [--deployed <version|file>] [--max-backup-age <hours>]
                          [--max-drill-age <days>] [--skip-plan] [--json]

Prints the pre-upgrade checklist for a stack as a table: ✓ passes, ✗ fails, – not checkable offline
(or a human must read it). Exits 0 only when nothing is ✗.

  --stack <name>            stack whose Pulumi.<name>.yaml to check (required)
  --to <version>            the release to upgrade to (default: the stack's lockstep:release)
  --deployed <version|file> what runs now (default: the stack's last outputs through the Automation API
                            when a Pulumi CLI is installed; otherwise nothing deployed is assumed)
  --max-backup-age <hours>  newest completed CNPG backup must be younger than this (default 24)
  --max-drill-age <days>    the last passing restore drill must be younger than this (default: its age
                            is shown, not judged)
  --skip-plan               leave the policy verdicts to a preview with the policy pack that follows
                            (fleet upgrade does)
  --json                    print one JSON object
  -h, --help                show this help`;

export type Mark = "✓" | "✗" | "–";
export interface Row {
  check: string;
  status: Mark;
  reason: string;
}

interface CnpgBackupList {
  items?: { spec?: { cluster?: { name?: string } }; status?: { phase?: string; stoppedAt?: string } }[];
}
interface CnpgCluster {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

/** The "deployed state" row for what `readDeployed` found: `--deployed`, the stack's last outputs, or unknown (a first install is assumed). */
function deployedRow(found: Awaited<ReturnType<typeof readDeployed>>, argument: string | undefined): Row {
  const check = "deployed state";
  const { deployed } = found;
  if (found.from === "argument" && deployed)
    return { check, status: "✓", reason: `runs ${deployed.release} (--deployed ${argument})` };
  if (found.from === "outputs")
    return {
      check,
      status: "✓",
      reason: deployed
        ? `runs ${deployed.release} (the stack's last outputs)`
        : "nothing deployed yet (the stack has no outputs): a first install",
    };
  return {
    check,
    status: "–",
    reason:
      "unknown: no Pulumi CLI to read the stack's outputs and no --deployed; the checks below assume a first install",
  };
}

export async function preflight(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("preflight", argv, {
    stack: { type: "string" },
    to: { type: "string" },
    deployed: { type: "string" },
    "max-backup-age": { type: "string", default: "24" },
    "max-drill-age": { type: "string" },
    "skip-plan": { type: "boolean", default: false },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack staging");
  const maxAgeHours = Number(values["max-backup-age"]);
  if (!(maxAgeHours > 0))
    throw new LockstepInputError(
      `--max-backup-age ${JSON.stringify(values["max-backup-age"])}: expected a positive number of hours`,
    );
  const maxDrillDays = values["max-drill-age"] === undefined ? undefined : Number(values["max-drill-age"]);
  if (maxDrillDays !== undefined && !(maxDrillDays > 0))
    throw new LockstepInputError(
      `--max-drill-age ${JSON.stringify(values["max-drill-age"])}: expected a positive number of days`,
    );
  const stack = values.stack;
  const catalog = loadCatalog(env.catalogDir);
  const stackFile = readStackFile(stack, env.projectDir);
  const stackValues = stackFile.values;
  const current = parseStackConfig(stackValues, catalog, { secretKeys: stackFile.secretKeys });
  if (values.to && !catalog.releases.has(values.to))
    throw new LockstepInputError(
      `--to ${values.to}: not in the release catalog; available versions: ${catalog.versions.join(", ")}`,
    );
  const to = values.to ?? current.release;
  const found = await readDeployed(stack, values.deployed, catalog, env);
  const { deployed } = found;
  const from = deployed ? (runningFrom(deployed, to) ?? to) : to;
  const target = getRelease(catalog, to);
  const sets = to !== current.release ? [`release=${to}`] : [];
  const rows: Row[] = [deployedRow(found, values.deployed)];

  rows.push(
    target.notes.breakingChanges.length
      ? {
          check: "release notes: breaking changes",
          status: "–",
          reason: `read before upgrading: ${target.notes.breakingChanges.join(" | ")}`,
        }
      : { check: "release notes: breaking changes", status: "✓", reason: `${to} lists none` },
  );
  const missing = target.notes.requiredConfig.filter((key) => stackValues[key] === undefined);
  rows.push(
    missing.length
      ? {
          check: "release notes: required config",
          status: "✗",
          reason: `${to} requires lockstep:${missing.join(", lockstep:")}, missing from Pulumi.${stack}.yaml`,
        }
      : {
          check: "release notes: required config",
          status: "✓",
          reason: target.notes.requiredConfig.length
            ? `present: ${target.notes.requiredConfig.join(", ")}`
            : `${to} requires no new keys`,
        },
  );

  if (from === to) rows.push({ check: "upgrade path", status: "✓", reason: `no upgrade: ${stack} stays at ${to}` });
  else if (semver.lt(to, from)) {
    rows.push(
      current.rollback?.from === from
        ? {
            check: "upgrade path",
            status: "✓",
            reason: `rollback ${from} -> ${to} (${current.rollback.mode}); the plan row below checks it`,
          }
        : {
            check: "upgrade path",
            status: "✗",
            reason: `${from} -> ${to} moves backward; roll back with \`lockstep rollback --stack ${stack}\``,
          },
    );
  } else {
    const path = findUpgradePath(from, to, upgradeSources(catalog));
    const windows = (path.suggested ?? [])
      .slice(1)
      .map(
        (v, i) =>
          `${(path.suggested as string[])[i]} -> ${v}: API ${v} beside gateways ${compatibilityRange(catalog, "gateway", v)}`,
      );
    rows.push(
      path.allowed
        ? {
            check: "upgrade path",
            status: "✓",
            reason: `${from} -> ${to}; mixed-version window: ${windows.join("; ")}`,
          }
        : {
            check: "upgrade path",
            status: "✗",
            reason: path.reason + (windows.length ? `; windows on that path: ${windows.join("; ")}` : ""),
          },
    );
  }

  const kubernetes = kubernetesVerdict(current.kubernetesVersion, target);
  rows.push({ check: "Kubernetes version", status: kubernetes.ok ? "✓" : "✗", reason: kubernetes.reason });

  // The cluster the platform runs on: after a restore, the recovered one.
  const database = databasePlans(current.restore, deployed ? (deployed.databases ?? {}) : null).platform.cluster;
  // The stack's own cluster (lockstep:cluster), never just whatever context the shell has selected.
  const clusterFlags = kubectlTarget(current.cluster, env.projectDir);
  const noKubeconfig = current.cluster ? missingKubeconfig(kubeconfigPath(current.cluster, env.projectDir)) : undefined;
  if (noKubeconfig) rows.push({ check: "cluster kubeconfig", status: "✗", reason: noKubeconfig });
  // Without the install's kubeconfig, kubectl would fall back to the shell's: ask nothing at all.
  const kubectl: Kubectl = noKubeconfig
    ? () => ({ status: 1, stdout: "", stderr: "the stack's kubeconfig is missing (the cluster kubeconfig row)" })
    : (args) => env.kubectl([...clusterFlags, ...args]);
  rows.push(serverVersionRow(kubectl, current.kubernetesVersion));
  rows.push(continuousBackupRow(kubectl, current.namespace, current.backup, database));
  rows.push(lastBackupRow(kubectl, current.namespace, maxAgeHours, database, env.now()));
  rows.push(helmReleasesRow(kubectl, [OPERATOR_NAMESPACE, current.namespace]));
  rows.push(drillRow(deployed, env.now(), maxDrillDays));

  if (current.environment === "prod") {
    const verdict = promotionVerdict(current.promotion, to, catalog, stack);
    rows.push({ check: "staging verified", status: verdict.ok ? "✓" : "✗", reason: verdict.reason });
  } else {
    rows.push({
      check: "staging verified",
      status: "–",
      reason: `${stack} is ${current.environment}; promotion applies to prod`,
    });
  }

  const planned = values["skip-plan"]
    ? {
        row: {
          check: "policy verdicts (offline plan)",
          status: "–" as const,
          reason: "not run here (--skip-plan): the preview with the policy pack that follows checks them",
        },
        result: undefined,
      }
    : await planRow(stack, sets, deployed, to, env, { catalog, stackFile });
  rows.push(planned.row);
  rows.push(capacityRow(kubectl, current.namespace, planned.result));

  const failed = rows.filter((r) => r.status === "✗").length;
  const width = Math.max(...rows.map((r) => r.check.length));
  const human = [
    `preflight: ${stack} ${from === to ? `at ${to}` : `${from} -> ${to}`}`,
    ...rows.map((r) => `${r.status}  ${r.check.padEnd(width)}  ${r.reason}`),
    failed ? `${failed} check(s) failed` : "ready: nothing failed",
  ].join("\n");
  return { exitCode: failed ? 1 : 0, human, json: { stack, from, to, ok: failed === 0, rows } };
}

/** Policies whose verdict has a row of its own above; the policy row leaves them out so one fault is one ✗. */
const OWN_ROWS: Record<string, string> = {
  "upgrade-path": "upgrade path",
  "kubernetes-baseline": "Kubernetes version",
  "prod-promoted-only": "staging verified",
};

/** What preflight read once and hands to the plan. */
interface Read {
  catalog: Catalog;
  stackFile: StackFile;
}

async function planRow(
  stack: string,
  sets: string[],
  deployed: DeployedState | null,
  to: string,
  env: CliEnv,
  { catalog, stackFile }: Read,
): Promise<{ row: Row; result?: PlanResult }> {
  const check = "policy verdicts (offline plan)";
  try {
    const result = await plan({ stack, sets, deployed, projectDir: env.projectDir, catalog, stackFile });
    return { row: verdictRow(check, result, to), result };
  } catch (err) {
    if (!(err instanceof LockstepInputError)) throw err;
    return { row: { check, status: "✗", reason: `the stack's config is not valid at ${to}: ${err.message}` } };
  }
}

/** The plan's mandatory verdicts, less those with a row of their own. */
function verdictRow(check: string, result: PlanResult, to: string): Row {
  const mandatory = result.violations.filter((v) => v.level === "mandatory" && !(v.policy in OWN_ROWS));
  const covered = [...new Set(result.violations.filter((v) => v.policy in OWN_ROWS).map((v) => v.policy))];
  const advisory = result.violations.filter((v) => v.level === "advisory").length;
  const elsewhere = covered.length ? `; ${covered.map((p) => `${p} is the "${OWN_ROWS[p]}" row`).join(", ")}` : "";
  return mandatory.length
    ? { check, status: "✗", reason: mandatory.map((v) => `${v.policy}: ${v.message}`).join(" | ") + elsewhere }
    : {
        check,
        status: "✓",
        reason: `no other mandatory violations${advisory ? ` (${advisory} advisory)` : ""} in the plan of ${to}${elsewhere}`,
      };
}

const offline = (r: CommandOutput) =>
  `not checkable offline: no reachable cluster (kubectl: ${(r.stderr.trim().split("\n").pop() || `exit ${r.status}`).slice(0, 160)})`;

/** The typed `lockstep:kubernetesVersion` against what the cluster's API server reports. */
function serverVersionRow(kubectl: Kubectl, typed: string | undefined): Row {
  const check = "cluster's Kubernetes version";
  const r = kubectl(["version", "-o", "json", "--request-timeout=5s"]);
  const server = r.status === 0 ? serverVersionOf(r.stdout) : undefined;
  if (!server) return { check, status: "–", reason: offline(r) };
  const refusal = serverVersionRefusal(typed, server);
  if (refusal) return { check, status: "✗", reason: refusal };
  return {
    check,
    status: typed ? "✓" : "✗",
    reason: typed
      ? `the API server reports v${server}, which lockstep:kubernetesVersion ${typed} names`
      : `the API server reports v${server}; set lockstep:kubernetesVersion to "${server.split(".").slice(0, 2).join(".")}"`,
  };
}

/**
 * Continuous backup, verified where it happens: the platform Cluster reports WAL archiving working
 * (CloudNativePG's ContinuousArchiving condition) and the object-store credentials Secret exists.
 */
type Kubectl = CliEnv["kubectl"];

function continuousBackupRow(
  kubectl: Kubectl,
  namespace: string,
  backup: StackConfig["backup"],
  database: string,
): Row {
  const check = "continuous backup";
  const cluster = kubectl([
    "get",
    "clusters.postgresql.cnpg.io",
    database,
    "-n",
    namespace,
    "-o",
    "json",
    "--request-timeout=5s",
  ]);
  if (cluster.status !== 0 && /NotFound|not found/.test(cluster.stderr))
    return {
      check,
      status: "✗",
      reason: `no CloudNativePG Cluster ${database} in ${namespace}, so nothing is being backed up`,
    };
  if (cluster.status !== 0)
    return {
      check,
      status: "–",
      reason: `${offline(cluster)}; configured: WAL archiving to ${backup.destinationPath}, retention ${backup.retentionPolicy}`,
    };
  let archiving: { status: string; message?: string } | undefined;
  try {
    archiving = (JSON.parse(cluster.stdout) as CnpgCluster).status?.conditions?.find(
      (c) => c.type === "ContinuousArchiving",
    );
  } catch {
    return { check, status: "✗", reason: "kubectl answered with something other than JSON" };
  }
  if (archiving?.status !== "True") {
    return {
      check,
      status: "✗",
      reason: `${database} does not report working WAL archiving (ContinuousArchiving ${archiving ? `${archiving.status}: ${archiving.message ?? ""}` : "not reported"}) to ${backup.destinationPath}`,
    };
  }
  const secret = kubectl([
    "get",
    "secret",
    backup.credentialsSecret,
    "-n",
    namespace,
    "-o",
    "jsonpath={.data}",
    "--request-timeout=5s",
  ]);
  const keys = secret.status === 0 ? Object.keys(JSON.parse(secret.stdout || "{}") as Record<string, string>) : [];
  const lacking = ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"].filter((k) => !keys.includes(k));
  if (lacking.length)
    return {
      check,
      status: "✗",
      reason: `Secret ${backup.credentialsSecret} in ${namespace} ${secret.status === 0 ? `lacks ${lacking.join(" and ")}` : "does not exist"}; the ObjectStore needs ACCESS_KEY_ID and ACCESS_SECRET_KEY`,
    };
  return {
    check,
    status: "✓",
    reason: `${database} archives WAL to ${backup.destinationPath} (ContinuousArchiving True), retention ${backup.retentionPolicy}, credentials in ${backup.credentialsSecret}`,
  };
}

function lastBackupRow(kubectl: Kubectl, namespace: string, maxAgeHours: number, database: string, now: Date): Row {
  const check = "last completed backup";
  const r = kubectl(["get", "backups.postgresql.cnpg.io", "-n", namespace, "-o", "json", "--request-timeout=5s"]);
  if (r.status !== 0) return { check, status: "–", reason: offline(r) };
  let list: CnpgBackupList;
  try {
    list = JSON.parse(r.stdout) as CnpgBackupList;
  } catch {
    return { check, status: "–", reason: "kubectl answered with something other than JSON" };
  }
  const completed = (list.items ?? [])
    .filter((b) => b.spec?.cluster?.name === database && b.status?.phase === "completed" && b.status.stoppedAt)
    .map((b) => Date.parse(b.status?.stoppedAt as string))
    .filter((t) => !Number.isNaN(t));
  if (completed.length === 0)
    return { check, status: "✗", reason: `no completed backup of ${database} in ${namespace}` };
  const ageHours = (now.getTime() - Math.max(...completed)) / 3_600_000;
  return ageHours <= maxAgeHours
    ? {
        check,
        status: "✓",
        reason: `${database} completed a backup ${ageHours.toFixed(1)} h ago (limit ${maxAgeHours} h)`,
      }
    : {
        check,
        status: "✗",
        reason: `${database}'s newest completed backup is ${ageHours.toFixed(1)} h old (limit ${maxAgeHours} h)`,
      };
}

/** Why the stack's kubeconfig cannot be used, or undefined when it is a file. */
function missingKubeconfig(file: string): string | undefined {
  if (!fs.existsSync(file))
    return `lockstep:cluster.kubeconfig ${file}: no such file; without it nothing can reach the install's cluster`;
  if (!fs.statSync(file).isFile()) return `lockstep:cluster.kubeconfig ${file}: not a file`;
  return undefined;
}

/**
 * No chart left locked by an interrupted operation: Helm refuses to upgrade a release whose newest
 * revision is pending, and nothing else says so before the window's chart wave fails.
 */
function helmReleasesRow(kubectl: Kubectl, namespaces: string[]): Row {
  const check = "Helm releases";
  const pending: PendingRelease[] = [];
  for (const namespace of namespaces) {
    const r = kubectl([
      "get",
      "secrets",
      "-n",
      namespace,
      "-l",
      "owner=helm",
      "-o",
      HELM_RELEASE_COLUMNS,
      "--no-headers",
      "--request-timeout=5s",
    ]);
    if (r.status !== 0) return { check, status: "–", reason: offline(r) };
    const found = pendingReleases(namespace, r.stdout);
    if (!found)
      return { check, status: "–", reason: "kubectl answered with something other than Helm's release labels" };
    pending.push(...found);
  }
  if (pending.length === 0) return { check, status: "✓", reason: `none pending in ${namespaces.join(" or ")}` };
  const each = pending.map(
    (p) => `${p.name} in ${p.namespace} is ${p.status} (revision ${p.revision}): run \`${p.fix}\``,
  );
  return {
    check,
    status: "✗",
    reason: `${each.join("; ")}; then \`pulumi refresh\`. An interrupted operation locked ${pending.length === 1 ? "it" : "them"}, and Helm refuses the next upgrade`,
  };
}

/** The last passing restore drill, from the stack's outputs: its age, judged only against --max-drill-age. */
function drillRow(deployed: DeployedState | null, now: Date, maxDays: number | undefined): Row {
  const check = "restore drill";
  if (!deployed)
    return { check, status: "–", reason: "unknown: nothing deployed, or no outputs to read the last drill from" };
  const verdict = drillVerdict(deployed.restoreDrill, now, maxDays);
  if (verdict.ok) return { check, status: "✓", reason: verdict.reason };
  return { check, status: maxDays === undefined ? "–" : "✗", reason: verdict.reason };
}
