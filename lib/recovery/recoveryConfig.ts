/**
 * The stack config of day two: `lockstep:restore` (recover databases into new CloudNativePG clusters),
 * `lockstep:rollback` (return to the release before the last window) and `lockstep:restoreDrill`
 * (prove the backups restore). Shapes only; how they combine is checked in `lib/recovery/restore.ts` and
 * `lib/recovery/rollback.ts`.
 */
import { z } from "zod";
import { boolish, dnsLabel, exactVersion, wholeNumber } from "../release/schemas";

/** The two databases lockstep runs: the platform's and Keycloak's. */
export const DATABASES = ["platform", "identity"] as const;
export type DatabaseKey = (typeof DATABASES)[number];
const databaseKey = z.enum(DATABASES, { message: `must be one of ${DATABASES.join(", ")}` });

/** RFC 3339 with a zone, as PostgreSQL's recovery_target_time and CloudNativePG's targetTime take it. */
export const rfc3339 = z
  .string()
  .datetime({ offset: true, message: "must be an RFC 3339 timestamp with a zone, like 2026-11-20T10:00:00Z" })
  .refine((s) => !Number.isNaN(Date.parse(s)), {
    message: "must be a real date and time (RFC 3339, like 2026-11-20T10:00:00Z)",
  });

/** Short enough that `<cluster>-<name>` stays a readable DNS label with room for CloudNativePG's suffixes. */
export const RESTORE_NAME = /^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/;

export const restoreSchema = z.strictObject({
  /** Names this restore: each recovered cluster is `<cluster>-<name>` (platform-db-r1). Change it to restore again. */
  name: z
    .string()
    .regex(RESTORE_NAME, { message: "must be a short DNS label (at most 20 characters) like r1 or rollback-1-5-1" }),
  /** Which databases to recover into new clusters. @default ["platform", "identity"] */
  databases: z
    .array(databaseKey)
    .min(1, { message: "must name at least one database" })
    .default([...DATABASES]),
  /** Recover to this point in time (RFC 3339). @default the end of the archived WAL (the latest state) */
  targetTime: rfc3339.optional(),
  /** The base backup to start from, per database, as CloudNativePG recorded it (status.backupId). @default the latest before targetTime */
  backupIDs: z
    .partialRecord(
      databaseKey,
      z.string().regex(/^[0-9A-Za-z._-]{1,64}$/, { message: "must be a backupId like 20261120T100000" }),
    )
    .optional(),
  /**
   * Stop at the end of each base backup in backupIDs: the state when it finished, no WAL after it (what a
   * rollback wants: the data before the window's migrations). @default false: replay WAL to targetTime or the end
   */
  targetImmediate: boolish().default(false),
  /** The serverName in the object store to recover from, per database. @default the database's original cluster (platform-db, keycloak-db) */
  source: z.partialRecord(databaseKey, dnsLabel).optional(),
  /** The serverName each recovered cluster archives WAL under. Never the source's. @default the recovered cluster's name */
  archiveServerName: z.partialRecord(databaseKey, dnsLabel).optional(),
  /** Stop declaring the original clusters (after `pulumi state unprotect`); they stay in Kubernetes until deleted by hand. @default false */
  retireOrigin: boolish().default(false),
  /** An OpenBao raft snapshot to restore (a file on the machine running `pulumi up`). @default none: OpenBao keeps its data */
  openbaoSnapshot: z.string().min(1).optional(),
  /** Break glass: restore a snapshot taken by another raft cluster (`-force`); the snapshot's unseal keys apply after. @default false */
  openbaoForce: boolish().default(false),
});
export type RestoreConfig = z.infer<typeof restoreSchema>;

export const ROLLBACK_MODES = ["restore", "expand-only"] as const;
export type RollbackMode = (typeof ROLLBACK_MODES)[number];

export const rollbackSchema = z.strictObject({
  /** The release being rolled back from: what the stack runs now (checked against its last deployment). */
  from: exactVersion,
  /**
   * `restore`: writers stop and the databases come back from the window's pre-upgrade backups
   * (lockstep:restore), then the previous set runs on them. `expand-only`: the previous set runs on the
   * current schema, data kept; only when the catalog says `from`'s migrations are expand-only.
   */
  mode: z.enum(ROLLBACK_MODES, { message: `must be one of ${ROLLBACK_MODES.join(", ")}` }),
});
export type RollbackConfig = z.infer<typeof rollbackSchema>;

export const restoreDrillSchema = z.strictObject({
  /** A drill runs whenever this changes (a date is a good id). */
  id: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/, {
    message: "must be a short DNS label (at most 20 characters) like 2026-11-22",
  }),
  /** The database whose latest backup the scratch cluster recovers. @default platform */
  database: databaseKey.default("platform"),
  /** How long the scratch cluster may take to become Ready. @default 1800 */
  timeoutSeconds: wholeNumber(60, 86_400).default(1800),
});
export type RestoreDrillConfig = z.infer<typeof restoreDrillSchema>;
