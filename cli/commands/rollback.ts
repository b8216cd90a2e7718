import * as semver from "semver";
import { loadCatalog } from "../../lib/release/catalog";
import { compatibleBeside } from "../../lib/release/compatibility";
import { parseStackConfig } from "../../lib/config/config";
import { LockstepInputError } from "../../lib/core/errors";
import { DATABASE_ORIGINS } from "../../lib/recovery/restore";
import { DatabaseKey, DATABASES, ROLLBACK_MODES, RollbackMode } from "../../lib/recovery/recoveryConfig";
import { offeredRollback } from "../../lib/recovery/rollback";
import { readStackFile } from "../../lib/config/stackFile";
import type { TakenBackup } from "../../lib/state/deployed";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { readDeployed, requireDeployed, writeStackChange } from "../stackChange";

/**
 * Where the restored databases stop. Object-store backups: at the end of each backup (its backupId).
 * Volume snapshots: at the moment the last one stopped, replayed from the object store's base backup
 * and WAL (archived there whatever the backup method), before anything in the window changed.
 */
function restoreTarget(
  stack: string,
  taken: [DatabaseKey, TakenBackup][],
): { backupIDs?: Record<string, string>; targetImmediate?: true; targetTime?: string } {
  const snapshots = taken.map(([, b]) => b).filter((b) => b.method === "volumeSnapshot");
  if (snapshots.length === 0)
    return { backupIDs: Object.fromEntries(taken.map(([key, b]) => [key, b.backupId])), targetImmediate: true };
  const times = snapshots.map((b) => b.stoppedAt);
  if (snapshots.length !== taken.length || times.some((t) => !t || Number.isNaN(Date.parse(t))))
    throw new LockstepInputError(
      `stack ${stack}'s restore point has volume-snapshot backups without a stop time (${JSON.stringify(times)}), so the rollback cannot say which moment to restore to`,
    );
  const latest = new Date(Math.max(...times.map((t) => Date.parse(t as string))));
  return { targetTime: latest.toISOString().replace(/\.000Z$/, "Z") };
}

export const ROLLBACK_HELP = `Usage: lockstep rollback --stack <name> [--mode restore|expand-only] [--with-openbao] [--deployed <file>] [--dry-run] [--json]

Returns a stack to the release it ran before its last upgrade window, with its data. Reads the window's
restore point from the stack's outputs (the pre-upgrade backups and their backupIds), writes
lockstep:release, lockstep:rollback and, for a restore, lockstep:restore into Pulumi.<stack>.yaml, and
shows the plan. It applies nothing: review the change, then \`pulumi up\`. Nothing is written when the
plan of the changed stack violates a policy.

The kind of rollback follows the catalog: where the release being left has expand-only migrations, the
previous set runs on the current schema and every row is kept; otherwise writers stop, the databases come
back into new clusters from the window's pre-upgrade backups as they ended, and the previous set runs there.

  --stack <name>      the stack to roll back (required)
  --mode <mode>       restore or expand-only (default: what the catalog allows; expand-only only where
                      the release being left says its migrations are expand-only)
  --with-openbao      also restore OpenBao from the window's raft snapshot (needs its unseal keys)
  --deployed <file>   what the stack runs, as \`pulumi stack output --json\` (default: its outputs through
                      the Automation API)
  --dry-run           show the change and the plan without writing
  --json              print one JSON object
  -h, --help          show this help`;

/** `1.5.1` on 2026-11-22 -> `rb-1-5-1-1122`: unique per day, so a second rollback never reuses an archive name. */
function restoreName(from: string, now: Date): string {
  const day = now.toISOString().slice(5, 10).replace("-", "");
  return `rb-${from.replace(/\./g, "-")}-${day}`;
}

export async function rollback(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("rollback", argv, {
    stack: { type: "string" },
    mode: { type: "string" },
    deployed: { type: "string" },
    "with-openbao": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack prod");
  if (values.mode !== undefined && !(ROLLBACK_MODES as readonly string[]).includes(values.mode)) {
    throw new LockstepInputError(`--mode ${JSON.stringify(values.mode)}: must be one of ${ROLLBACK_MODES.join(", ")}`);
  }
  const stack = values.stack;
  const catalog = loadCatalog(env.catalogDir);
  const stackFile = readStackFile(stack, env.projectDir);
  const current = parseStackConfig(stackFile.values, catalog, { secretKeys: stackFile.secretKeys });
  const read = await readDeployed(stack, values.deployed, catalog, env);
  const deployed = requireDeployed(read.deployed, read.source, "rollback");
  const point = deployed.restorePoint;
  if (!point) {
    throw new LockstepInputError(
      `stack ${stack} has no restore point in ${read.source}: no upgrade window has completed its pre-upgrade backups on it, so there is nothing to roll back to`,
    );
  }
  if (point.to !== deployed.release) {
    throw new LockstepInputError(
      `stack ${stack} runs ${deployed.release}, but its last window went ${point.from} -> ${point.to}; a rollback returns from the release that window installed`,
    );
  }
  const from = deployed.release;
  const to = point.from;
  // Said of the restore point itself, before it becomes a release and console colors nobody typed.
  if (!catalog.releases.has(to))
    throw new LockstepInputError(
      `stack ${stack}'s restore point (in ${read.source}) returns to ${to}, which is not in the release catalog (${catalog.versions.join(", ")}); a rollback can only return to a release the catalog still holds`,
    );
  const offered = offeredRollback(catalog, from, to);
  const mode = (values.mode as RollbackMode | undefined) ?? offered;
  if (values["with-openbao"] && mode !== "restore")
    throw new LockstepInputError("--with-openbao restores OpenBao with the databases: it needs --mode restore");

  const updates: Record<string, unknown> = { release: to, rollback: { from, mode } };
  // A rollback crossing a major moves as one coordinated window, like the upgrade it undoes; no canary either way.
  updates.upgrade = semver.major(from) !== semver.major(to) ? { mode: "coordinated" } : undefined;
  // Blue/green first: the color that still runs the previous console goes live again at once.
  const colors = current.console;
  const back = (["blue", "green"] as const).find((c) => colors[c] === to);
  const live = back ?? colors.live;
  const idle = live === "blue" ? "green" : "blue";
  const console = { ...colors, live, [live]: to };
  if (!compatibleBeside(catalog, "console", console[idle], to).compatible) console[idle] = to;
  updates.console = console;
  if (current.promotion) {
    // The set the stack ran before the window was promoted then; a rollback returns to exactly it.
    if (!point.fromSetDigest)
      throw new LockstepInputError(
        `stack ${stack}'s restore point does not say which set ran before the window (fromSetDigest), so the rollback cannot prove it returns to the promoted set`,
      );
    updates.promotion = {
      version: to,
      setDigest: point.fromSetDigest,
      verifiedIn: stack,
      verifiedAt: env.now().toISOString(),
    };
  }
  const notes: string[] = [];
  if (mode === "restore") {
    const databases = DATABASES.filter((key) => point.backups[key]);
    const source = Object.fromEntries(databases.map((key) => [key, point.backups[key]?.serverName]));
    const { backupIDs, ...stop } = restoreTarget(
      stack,
      databases.map((key) => [key, point.backups[key] as TakenBackup]),
    );
    updates.restore = {
      name: restoreName(from, env.now()),
      databases,
      ...(backupIDs ? { backupIDs } : {}),
      source,
      ...stop,
      ...(values["with-openbao"] ? { openbaoSnapshot: point.openBaoSnapshot } : {}),
    };
    for (const key of databases) {
      const running = deployed.databases?.[key]?.cluster;
      if (running && running !== DATABASE_ORIGINS[key].cluster) {
        notes.push(
          `note: ${running} (a cluster restored earlier) leaves the stack and stays in Kubernetes; it is protected, so first run: pulumi state unprotect --stack ${stack} '<urn of ${running}-cluster>'`,
        );
      }
    }
    if (values["with-openbao"])
      notes.push(
        `OpenBao is restored from ${point.openBaoSnapshot}: keep BAO_TOKEN set and the unseal keys of the cluster that took it at hand`,
      );
  }
  const why =
    mode === offered
      ? mode === "expand-only"
        ? `${from}'s migrations are expand-only (catalog notes.migrations)`
        : `${from}'s migrations are ${catalog.releases.get(from)?.notes.migrations} (catalog notes.migrations)`
      : `--mode ${mode}`;
  const headline = `rollback ${stack}: ${from} -> ${to} (${mode}: ${mode === "restore" ? `the databases come back from the backups of window ${point.from} -> ${point.to}` : "on the current schema, data kept"}), because ${why}`;
  return writeStackChange(
    {
      stack,
      stackFile,
      catalog,
      updates,
      deployed,
      dryRun: values["dry-run"],
      headline,
      notes,
      json: { stack, from, to, mode, offered, restorePoint: point },
    },
    env,
  );
}
