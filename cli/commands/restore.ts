import { loadCatalog } from "../../lib/release/catalog";
import { parseStackConfig } from "../../lib/config/config";
import { LockstepInputError } from "../../lib/core/errors";
import { DATABASES, DatabaseKey } from "../../lib/recovery/recoveryConfig";
import { DATABASE_ORIGINS } from "../../lib/recovery/restore";
import { readStackFile } from "../../lib/config/stackFile";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { readDeployed, writeStackChange } from "../stackChange";

export const RESTORE_HELP = `Usage: lockstep restore --stack <name> --name <restore> [--target-time <RFC 3339>] [--backup-id <db>=<id> ...]
                        [--databases platform,identity] [--origin-lost] [--openbao-snapshot <file>] [--force-openbao]
                        [--deployed <version|file>] [--dry-run] [--json]

Recovers the platform's databases from the object store into NEW CloudNativePG clusters
(<cluster>-<restore>), to the latest state, a point in time or a given backup, and points the API,
workers and Keycloak at them. Writes lockstep:restore into Pulumi.<stack>.yaml and shows the plan; it
applies nothing: review the change, then \`pulumi up\`. Nothing is written when the plan violates a policy.

Each database recovers from the serverName it runs under now (its original cluster, or the cluster an
earlier restore made), read from the stack's outputs. The recovered clusters archive under their own
names, never the source's.

  --stack <name>               the stack to restore (required)
  --name <restore>             names this restore: clusters become <cluster>-<restore> (required; a new
                               name for every restore, like dr1 or 2026-11-22)
  --target-time <time>         recover to this point in time (RFC 3339, like 2026-11-20T10:00:00Z);
                               default: the latest state, every archived WAL
  --backup-id <db>=<id>        start from this backup (status.backupId of a CNPG Backup); repeatable
  --databases <list>           which databases, of ${DATABASES.join(", ")} (default: both)
  --origin-lost                the original clusters are gone (a lost namespace or cluster): stop
                               declaring them instead of recreating empty ones
  --openbao-snapshot <file>    also restore OpenBao from this raft snapshot
  --force-openbao              break glass: the snapshot comes from another raft cluster
  --deployed <version|file>    what the stack runs (default: its outputs through the Automation API;
                               with neither, a new stack that runs nothing)
  --dry-run                    show the change and the plan without writing
  --json                       print one JSON object
  -h, --help                   show this help`;

function parseBackupIds(entries: string[]): Partial<Record<DatabaseKey, string>> {
  const out: Partial<Record<DatabaseKey, string>> = {};
  for (const entry of entries) {
    const [db, id] = entry.split("=", 2);
    if (!(DATABASES as readonly string[]).includes(db) || !id) {
      throw new LockstepInputError(
        `--backup-id ${JSON.stringify(entry)}: expected <database>=<backupId> with database one of ${DATABASES.join(", ")}, like platform=20261120T101500`,
      );
    }
    out[db as DatabaseKey] = id;
  }
  return out;
}

function parseDatabases(list: string | undefined): DatabaseKey[] {
  if (list === undefined) return [...DATABASES];
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(DATABASES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length)
    throw new LockstepInputError(
      `--databases ${JSON.stringify(list)}: expected a comma-separated list of ${DATABASES.join(", ")}`,
    );
  return names as DatabaseKey[];
}

export async function restore(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("restore", argv, {
    stack: { type: "string" },
    name: { type: "string" },
    "target-time": { type: "string" },
    "backup-id": { type: "string", multiple: true },
    databases: { type: "string" },
    "origin-lost": { type: "boolean", default: false },
    "openbao-snapshot": { type: "string" },
    "force-openbao": { type: "boolean", default: false },
    deployed: { type: "string" },
    "dry-run": { type: "boolean", default: false },
  });
  if (!values.stack) throw new LockstepInputError("--stack is required, like --stack prod");
  if (!values.name)
    throw new LockstepInputError("--name is required: it names the recovered clusters, like --name dr1");
  const stack = values.stack;
  const catalog = loadCatalog(env.catalogDir);
  const stackFile = readStackFile(stack, env.projectDir);
  parseStackConfig(stackFile.values, catalog, { secretKeys: stackFile.secretKeys }); // the stack must be valid before it is changed
  const { deployed } = await readDeployed(stack, values.deployed, catalog, env);
  const databases = parseDatabases(values.databases);
  const backupIDs = parseBackupIds(values["backup-id"] ?? []);
  // Recover from what runs now: after an earlier restore that is the recovered cluster's archive.
  const source = Object.fromEntries(
    databases.flatMap((key) => {
      const running = deployed?.databases?.[key]?.serverName;
      return running && running !== DATABASE_ORIGINS[key].cluster ? [[key, running]] : [];
    }),
  );
  const targetTime = values["target-time"];
  // A recovery target later than now replays every WAL there is and stops nowhere the operator meant.
  if (targetTime !== undefined && Date.parse(targetTime) > env.now().getTime())
    throw new LockstepInputError(
      `--target-time ${targetTime}: later than now (${env.now().toISOString()}); a point-in-time recovery targets a time that has passed, or leave the flag out to recover everything archived`,
    );
  const value: Record<string, unknown> = {
    name: values.name,
    databases,
    ...(values["target-time"] ? { targetTime: values["target-time"] } : {}),
    ...(Object.keys(backupIDs).length ? { backupIDs } : {}),
    ...(Object.keys(source).length ? { source } : {}),
    ...(values["origin-lost"] ? { retireOrigin: true } : {}),
    ...(values["openbao-snapshot"] ? { openbaoSnapshot: values["openbao-snapshot"] } : {}),
    ...(values["force-openbao"] ? { openbaoForce: true } : {}),
  };
  const notes = [
    deployed
      ? `the writers stop first (API and workers at 0 replicas), then the new clusters recover and the platform moves to them${values["origin-lost"] ? "; the original clusters are no longer declared (they are gone)" : "; the original clusters stay, protected, until you retire them"}`
      : "this stack runs nothing yet: the platform comes up on the recovered clusters (restore into a new cluster)",
  ];
  return writeStackChange(
    {
      stack,
      stackFile,
      catalog,
      updates: { restore: value },
      deployed,
      dryRun: values["dry-run"],
      headline: `restore ${stack}: ${databases.join(" and ")} into new clusters named ${values.name}`,
      notes,
      json: { stack, restore: value },
    },
    env,
  );
}
