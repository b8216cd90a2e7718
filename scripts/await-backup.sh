#!/usr/bin/env bash
# Awaits a CloudNativePG Backup, run by the PreUpgradeBackup component after it creates the Backup.
# Succeeds when the Backup reports phase "completed" and prints its backupId (kept in the stack's outputs
# as the window's restore point); fails at once when it reports "failed", with CloudNativePG's error,
# instead of waiting out a timeout; fails after TIMEOUT_SECONDS otherwise. It watches the Backup rather
# than polling it, so the window goes on the moment CloudNativePG reports it; a watch that ends (the API
# server closes watches after a while) is opened again, INTERVAL_SECONDS later.
#
# METHOD=volumeSnapshot: a completed Backup is not yet a restore point. Every VolumeSnapshot it lists
# must report readyToUse (a CSI driver may still be copying the data off the volume); it then prints
# {"stoppedAt": ..., "snapshots": [...]} instead of a backupId, and fails at once on a snapshot error.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${BACKUP:?BACKUP (the name of the Backup) is required}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-3600}"
METHOD="${METHOD:-objectStore}"
INTERVAL_SECONDS="${INTERVAL_SECONDS:-1}"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

deadline=$((SECONDS + TIMEOUT_SECONDS))

# The snapshots of a completed volumeSnapshot Backup, each until it is ready to use, within the deadline.
await_snapshots() {
  local names name ready error list=""
  names="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" \
    -o 'jsonpath={range .status.backupSnapshotStatus.elements[*]}{.name}{"\n"}{end}')"
  if [[ -z "${names//[[:space:]]/}" ]]; then
    echo "await-backup: ${BACKUP} completed but lists no VolumeSnapshot; the upgrade stops here" >&2
    exit 1
  fi
  for name in $names; do
    while :; do
      ready="$(kube -n "$NAMESPACE" get volumesnapshots.snapshot.storage.k8s.io "$name" -o 'jsonpath={.status.readyToUse}' 2>/dev/null || true)"
      [[ "$ready" == true ]] && break
      error="$(kube -n "$NAMESPACE" get volumesnapshots.snapshot.storage.k8s.io "$name" -o 'jsonpath={.status.error.message}' 2>/dev/null || true)"
      if [[ -n "$error" ]]; then
        echo "await-backup: VolumeSnapshot ${name} of ${BACKUP} FAILED: ${error}; the upgrade stops here, before any chart, operator or database change" >&2
        exit 1
      fi
      if (( SECONDS >= deadline )); then
        echo "await-backup: VolumeSnapshot ${name} of ${BACKUP} was not ready to use in ${TIMEOUT_SECONDS} s; the upgrade stops here" >&2
        exit 1
      fi
      sleep "$INTERVAL_SECONDS"
    done
    echo "await-backup: VolumeSnapshot ${name} is ready to use" >&2
    list="${list:+$list,}\"${name}\""
  done
  local stopped
  stopped="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.stoppedAt}')"
  echo "await-backup: ${BACKUP} completed (volume snapshots, stopped at ${stopped:-unknown})" >&2
  printf '{"stoppedAt":"%s","snapshots":[%s]}\n' "$stopped" "$list"
}
echo "await-backup: waiting for Backup ${NAMESPACE}/${BACKUP} (up to ${TIMEOUT_SECONDS} s)" >&2
watcher=""
# A watch still open when the script ends would outlive it, up to the timeout.
trap 'if [[ -n "$watcher" ]]; then kill "$watcher" 2>/dev/null || true; fi' EXIT
last=""
while :; do
  remaining=$((deadline - SECONDS))
  if (( remaining <= 0 )); then
    echo "await-backup: ${BACKUP} did not complete in ${TIMEOUT_SECONDS} s (phase: ${last:-none yet}); the upgrade stops here" >&2
    exit 1
  fi
  # Each line is the phase of one version of the Backup, the current one first.
  exec {events}< <(timeout "$remaining" "$KUBECTL" ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} -n "$NAMESPACE" \
    get backups.postgresql.cnpg.io "$BACKUP" --watch -o 'jsonpath={.status.phase}{"\n"}' 2>/dev/null)
  watcher=$!
  while IFS= read -r -u "$events" phase; do
    last="$phase"
    case "$phase" in
      completed)
        if [[ "$METHOD" == volumeSnapshot ]]; then
          await_snapshots
          exit 0
        fi
        id="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.backupId}')"
        echo "await-backup: ${BACKUP} completed (backupId ${id:-unknown})" >&2
        echo "${id}"
        exit 0 ;;
      failed)
        error="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.error}' 2>/dev/null || true)"
        echo "await-backup: ${BACKUP} FAILED: ${error:-no error reported}; the upgrade stops here, before any chart, operator or database change" >&2
        exit 1 ;;
    esac
  done
  exec {events}<&-
  watcher=""
  sleep "$INTERVAL_SECONDS"
done
