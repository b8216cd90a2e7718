/** Label keys shared by the program and the policy pack, so both read workloads the same way. */
export const LABELS = {
  name: "app.kubernetes.io/name",
  component: "app.kubernetes.io/component",
  version: "app.kubernetes.io/version",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  track: "lockstep.dev/track",
  ring: "lockstep.dev/ring",
  color: "lockstep.dev/color",
  worker: "lockstep.dev/worker",
  upgradeFrom: "lockstep.dev/upgrade-from",
  upgradeTo: "lockstep.dev/upgrade-to",
  /** On the base backup a PostgreSQL major upgrade takes of the new major (not a pre-upgrade backup). */
  majorBase: "lockstep.dev/major-base",
  drill: "lockstep.dev/restore-drill",
} as const;

export const PART_OF = "lockstep";

/** Annotations the Kubernetes provider understands. */
export const ANNOTATIONS = {
  waitFor: "pulumi.com/waitFor",
  skipAwait: "pulumi.com/skipAwait",
  /**
   * On the writers' Deployments in a deployment that stops them first: the stop's key. `kubectl scale`
   * left them at 0 and the provider applies only what changed, so a new value here is what brings them
   * back to their declared replicas when their image and environment stay the same.
   */
  writersStopped: "lockstep.dev/writers-stopped",
} as const;

/** Name of the ConfigMap that records the deployed release set; the policy pack reads it. */
export const RELEASE_RECORD_NAME = "lockstep-release";
export const RELEASE_RECORD_KEY = "release.json";

/** Where the CloudNativePG operator and its Barman Cloud plugin run. */
export const OPERATOR_NAMESPACE = "cnpg-system";

/** CloudNativePG cluster names. */
export const PLATFORM_DB = "platform-db";
export const IDENTITY_DB = "keycloak-db";
export const BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io";

/** The script a Command runs to await a CNPG Backup and fail fast when it fails; the policy pack looks for it. */
export const AWAIT_BACKUP_SCRIPT = "scripts/await-backup.sh";
/** The script a Command runs to stop the writers before a restore; the policy pack looks for it. */
export const WRITERS_DOWN_SCRIPT = "scripts/writers-down.sh";
export const OPENBAO_RESTORE_SCRIPT = "scripts/openbao-restore.sh";
/** The script a Command runs to take and check OpenBao's raft snapshot; the policy pack looks for it. */
export const OPENBAO_SNAPSHOT_SCRIPT = "scripts/openbao-snapshot.sh";
export const RESTORE_DRILL_SCRIPT = "scripts/restore-drill.sh";

/** The Helm release name of each chart the catalog pins. */
export const HELM_RELEASES = {
  cnpgOperator: "cnpg",
  barmanCloudPlugin: "barman-cloud",
  identity: "keycloak",
  openbao: "openbao",
  observability: "prometheus",
} as const;
