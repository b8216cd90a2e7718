/**
 * Helm's own record of its releases: one Secret per revision (`owner=helm`), labelled with the release
 * name, the revision and its status. An upgrade killed half-way leaves its newest revision in a pending
 * status; Helm then refuses every later operation on that release ("another operation
 * (install/upgrade/rollback) is in progress"), while `pulumi refresh` and `pulumi preview` stay clean.
 * Pure: preflight lists the labels with kubectl, this reads them.
 */

/** `kubectl get secrets -l owner=helm` columns: release name, revision, status. */
export const HELM_RELEASE_COLUMNS =
  "custom-columns=NAME:.metadata.labels.name,REVISION:.metadata.labels.version,STATUS:.metadata.labels.status";

export interface PendingRelease {
  namespace: string;
  name: string;
  revision: number;
  status: string;
  /** The command that unlocks it, after which `pulumi refresh` and `pulumi up` converge. */
  fix: string;
}

const RECORD_LINE = /^(\S+)\s+(\d+)\s+([a-z-]+)$/;

/**
 * The releases whose newest revision is pending, from the columns above (`--no-headers`), in one
 * namespace; undefined when a line is not such a record (kubectl answered something else).
 */
export function pendingReleases(namespace: string, columns: string): PendingRelease[] | undefined {
  const newest = new Map<string, { revision: number; status: string }>();
  for (const line of columns
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)) {
    const match = RECORD_LINE.exec(line);
    if (!match) return undefined;
    const [, name, revisionText, status] = match;
    const revision = Number(revisionText);
    if ((newest.get(name)?.revision ?? -1) < revision) newest.set(name, { revision, status });
  }
  return [...newest]
    .filter(([, r]) => r.status.startsWith("pending-"))
    .map(([name, r]) => ({ namespace, name, ...r, fix: unlockCommand(namespace, name, r) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * An interrupted upgrade or rollback goes back to the last good revision; an interrupted first install
 * has none, so it is uninstalled and the next `pulumi up` installs it again.
 */
function unlockCommand(namespace: string, name: string, release: { revision: number; status: string }): string {
  return release.status === "pending-install" || release.revision <= 1
    ? `helm uninstall ${name} -n ${namespace}`
    : `helm rollback ${name} -n ${namespace}`;
}
