#!/usr/bin/env bash
# Awaits a CloudNativePG Backup, run by the PreUpgradeBackup component after it creates the Backup.
# Succeeds when the Backup reports phase "completed" and prints its backupId (kept in the stack's outputs
# as the window's restore point); fails at once when it reports "failed", with CloudNativePG's error,
# instead of waiting out a timeout; fails after TIMEOUT_SECONDS otherwise.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${BACKUP:?BACKUP (the name of the Backup) is required}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-3600}"
INTERVAL_SECONDS="${INTERVAL_SECONDS:-2}"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

deadline=$((SECONDS + TIMEOUT_SECONDS))
echo "await-backup: waiting for Backup ${NAMESPACE}/${BACKUP} (up to ${TIMEOUT_SECONDS} s)" >&2
while :; do
  phase="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.phase}' 2>/dev/null || true)"
  case "$phase" in
    completed)
      id="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.backupId}')"
      echo "await-backup: ${BACKUP} completed (backupId ${id:-unknown})" >&2
      echo "${id}"
      exit 0 ;;
    failed)
      error="$(kube -n "$NAMESPACE" get backups.postgresql.cnpg.io "$BACKUP" -o 'jsonpath={.status.error}' 2>/dev/null || true)"
      echo "await-backup: ${BACKUP} FAILED: ${error:-no error reported}; the upgrade stops here, before any chart, operator or database change" >&2
      exit 1 ;;
  esac
  if (( SECONDS >= deadline )); then
    echo "await-backup: ${BACKUP} did not complete in ${TIMEOUT_SECONDS} s (phase: ${phase:-none yet}); the upgrade stops here" >&2
    exit 1
  fi
  sleep "$INTERVAL_SECONDS"
done
