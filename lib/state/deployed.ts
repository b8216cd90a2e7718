/**
 * lib/state: what is true of a running stack. What it deployed (its last outputs), the upgrade window
 * that opens from there, the release record written into the cluster, the verification a smoke test
 * produced and the promotion that rests on it, and what Helm's own release records say.
 *
 * What a stack last deployed: its release and the version each workload runs. The program reads it from
 * its own stack's last outputs; the offline plan takes it as `--deployed <version>` or
 * `--deployed <file>` (the JSON of `pulumi stack output --json`, or just `{release, workloads}`).
 * Nothing deployed (null) means a first install.
 */
import * as fs from "node:fs";
import { z } from "zod";
import * as path from "node:path";
import { Catalog, partDigests, setDigest } from "../release/catalog";
import { deepestIssue, LockstepInputError } from "../core/errors";
import { DATABASES } from "../recovery/recoveryConfig";
import type { DeployedDatabase } from "../recovery/restore";
import { EXACT_VERSION, exactVersion, setDigestString } from "../release/schemas";
import { WORKLOADS } from "../rollout/versions";

const databaseKey = z.enum(DATABASES);

/**
 * One database's pre-upgrade backup. An object-store backup is named by its backupId. A volume-snapshot
 * backup by its Backup's name in `backupId`, with its snapshots and the moment it stopped: the WAL
 * archive on the object store brings a recovery to exactly that moment.
 */
const takenBackupSchema = z.object({
  cluster: z.string(),
  serverName: z.string(),
  backupId: z.string(),
  method: z.enum(["objectStore", "volumeSnapshot"]).optional(),
  snapshots: z.array(z.string()).optional(),
  stoppedAt: z.string().optional(),
});
export type TakenBackup = z.infer<typeof takenBackupSchema>;

const snapshotAwaitSchema = z.object({ stoppedAt: z.string().min(1), snapshots: z.array(z.string()).min(1) });

/**
 * The restore point entry from what the backup's await printed: the backupId for an object-store
 * backup; for volume snapshots, the JSON of its ready snapshots and stop time (scripts/await-backup.sh).
 * Throws on a snapshot report it cannot read: a restore point without its time is none.
 */
export function backupTaken(
  method: "objectStore" | "volumeSnapshot",
  cluster: { cluster: string; serverName: string },
  backupName: string,
  awaited: string,
): TakenBackup {
  if (method === "objectStore") return { ...cluster, backupId: awaited };
  let report: unknown;
  try {
    report = JSON.parse(awaited);
  } catch {
    report = undefined;
  }
  const parsed = snapshotAwaitSchema.safeParse(report);
  if (!parsed.success)
    throw new Error(
      `the await of Backup ${backupName} printed ${JSON.stringify(awaited.slice(0, 200))}, not its snapshots and stop time ({"stoppedAt": ..., "snapshots": [...]})`,
    );
  return { ...cluster, backupId: backupName, method, ...parsed.data };
}

/** The backups an upgrade window took before it changed anything: what a rollback with data restores. */
const restorePointSchema = z.object({
  from: exactVersion,
  to: exactVersion,
  backups: z.partialRecord(databaseKey, takenBackupSchema),
  openBaoSnapshot: z.string(),
  /** The set that ran before the window: a rollback returns to exactly it. */
  fromSetDigest: setDigestString.nullable(),
});
export type RestorePoint = z.infer<typeof restorePointSchema>;

/** The last passing restore drill (a failed drill fails the `up`, so it never becomes an output). */
export const drillResultSchema = z.object({
  id: z.string(),
  database: databaseKey,
  cluster: z.string(),
  source: z.string(),
  passed: z.boolean(),
  /** Application tables the restored database holds, equal to the source's; absent in older results. */
  tables: z.number().int().positive().optional(),
  startedAt: z.string().datetime({ offset: true }),
  finishedAt: z.string().datetime({ offset: true }),
  seconds: z.number(),
});
export type DrillResult = z.infer<typeof drillResultSchema>;

const deployedDatabaseSchema = z.object({ cluster: z.string(), serverName: z.string(), keptOrigin: z.boolean() });

export interface DeployedState {
  release: string;
  setDigest: string | null;
  /** A digest per pinned part of that set (`partDigests`); absent in outputs written before they were. */
  setParts?: Record<string, string>;
  /** Deployment name -> the version it runs. */
  workloads: Record<string, string>;
  /** The console color the live Service selected; absent in a record typed without it. */
  consoleLive?: "blue" | "green";
  /** Where each database runs; absent in outputs written before restores existed (the original clusters). */
  databases?: Partial<Record<(typeof DATABASES)[number], DeployedDatabase>>;
  /** The last window's pre-upgrade backups. */
  restorePoint?: RestorePoint;
  /** The last passing restore drill. */
  restoreDrill?: DrillResult;
}

/** Outputs beside the release that day two reads; older stacks lack them. */
const dayTwo = {
  consoleLive: z.enum(["blue", "green"]).optional(),
  databases: z.partialRecord(databaseKey, deployedDatabaseSchema).optional(),
  restorePoint: restorePointSchema.nullish(),
  restoreDrill: drillResultSchema.nullish(),
};

/** The stack outputs that carry the deployed state (`index.ts` exports them). */
const outputsSchema = z.object({
  release: z.object({
    version: exactVersion,
    setDigest: setDigestString.optional(),
    parts: z.record(z.string(), setDigestString).optional(),
  }),
  workloads: z.record(z.string(), exactVersion),
  ...dayTwo,
});

/** A record file: stack outputs, or the short form `{release: "1.5.1", workloads: {...}}`. */
const recordSchema = z.union([
  outputsSchema,
  z.object({
    release: exactVersion,
    setDigest: setDigestString.optional(),
    workloads: z.record(z.string(), exactVersion),
    ...dayTwo,
  }),
]);

function dayTwoOf(
  data: z.infer<typeof outputsSchema> | z.infer<typeof recordSchema>,
): Pick<DeployedState, "consoleLive" | "databases" | "restorePoint" | "restoreDrill"> {
  return {
    ...(data.consoleLive ? { consoleLive: data.consoleLive } : {}),
    ...(data.databases ? { databases: data.databases } : {}),
    ...(data.restorePoint ? { restorePoint: data.restorePoint } : {}),
    ...(data.restoreDrill ? { restoreDrill: data.restoreDrill } : {}),
  };
}

/** Reads the deployed state from a stack's last outputs; null when the stack has deployed nothing. */
export function deployedFromOutputs(
  outputs: Record<string, unknown> | undefined,
  source: string,
): DeployedState | null {
  if (!outputs || outputs.release === undefined) return null;
  const parsed = outputsSchema.safeParse(outputs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LockstepInputError(
      `${source}: the last deployment's outputs do not describe a lockstep release (${issue.path.join(".")}: ${issue.message}); was this stack deployed by another program?`,
    );
  }
  return {
    release: parsed.data.release.version,
    setDigest: parsed.data.release.setDigest ?? null,
    ...(parsed.data.release.parts ? { setParts: parsed.data.release.parts } : {}),
    workloads: parsed.data.workloads,
    ...dayTwoOf(parsed.data),
  };
}

/**
 * A released version is immutable: once a stack deployed it, its set digest is known, and the catalog
 * giving that version another set is refused, naming the parts that changed. Append-only does not rest
 * on `catalog add` alone: an edit by hand, or a merge, is caught where it would deploy.
 */
export function checkDeployedSetUnchanged(deployed: DeployedState | null, catalog: Catalog): void {
  if (!deployed?.setDigest) return;
  const release = catalog.releases.get(deployed.release);
  if (!release) return;
  const now = setDigest(release);
  if (now === deployed.setDigest) return;
  const parts = partDigests(release);
  const changed = deployed.setParts
    ? Object.keys({ ...parts, ...deployed.setParts }).filter((k) => parts[k] !== deployed.setParts?.[k])
    : undefined;
  const which = changed
    ? `changed: ${changed.join(", ")}`
    : "the deployment's outputs carry no per-part digests, so which part changed is not known";
  throw new LockstepInputError(
    `${path.join(catalog.dir, `${deployed.release}.yaml`)}: this stack deployed ${deployed.release} as set ${deployed.setDigest}, and the catalog now gives ${deployed.release} the set ${now} (${which}); a released version is never edited in place: restore the file, and publish the change as a new version (lockstep catalog add)`,
  );
}

/** Every workload at one version, as after a completed rollout of that release. */
export function deployedAt(version: string, catalog: Catalog): DeployedState {
  const release = catalog.releases.get(version);
  if (!release)
    throw new LockstepInputError(
      `--deployed ${version}: not in the release catalog; available versions: ${catalog.versions.join(", ")}`,
    );
  return {
    release: version,
    setDigest: null,
    workloads: Object.fromEntries(WORKLOADS.filter((w) => w !== "gateway-canary").map((w) => [w, version])),
  };
}

/** `--deployed <version>` or `--deployed <file>`; every version named must be in the catalog. */
export function parseDeployedArgument(argument: string, catalog: Catalog): DeployedState {
  if (EXACT_VERSION.test(argument)) return deployedAt(argument, catalog);
  if (!fs.existsSync(argument)) {
    throw new LockstepInputError(
      `--deployed ${JSON.stringify(argument)}: neither an exact version like 1.5.1 nor an existing record file`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(argument, "utf8"));
  } catch (err) {
    throw new LockstepInputError(`--deployed ${argument}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = deepestIssue(parsed.error.issues[0]);
    throw new LockstepInputError(
      `--deployed ${argument}: field ${issue.path.join(".") || "(root)"}: ${issue.message}; expected {release, workloads} or the JSON of \`pulumi stack output --json\``,
    );
  }
  const data = parsed.data;
  const state: DeployedState =
    typeof data.release === "string"
      ? {
          release: data.release,
          setDigest: ("setDigest" in data ? data.setDigest : undefined) ?? null,
          workloads: data.workloads,
          ...dayTwoOf(data),
        }
      : {
          release: data.release.version,
          setDigest: data.release.setDigest ?? null,
          ...(data.release.parts ? { setParts: data.release.parts } : {}),
          workloads: data.workloads,
          ...dayTwoOf(data),
        };
  for (const [name, version] of [["release", state.release], ...Object.entries(state.workloads)] as [
    string,
    string,
  ][]) {
    if (!catalog.releases.has(version))
      throw new LockstepInputError(
        `--deployed ${argument}: ${name} runs ${version}, which is not in the release catalog (${catalog.versions.join(", ")})`,
      );
  }
  const unknown = Object.keys(state.workloads).filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length)
    throw new LockstepInputError(
      `--deployed ${argument}: unknown workload ${unknown.join(", ")}; the workloads are ${WORKLOADS.join(", ")}`,
    );
  return state;
}
