#!/usr/bin/env bash
# Pre-upgrade OpenBao raft snapshot, run by the PreUpgradeBackup component before any chart,
# operator or database change. Streams the snapshot off the pod, verifies it is a non-empty,
# intact gzip archive, and prints its sha256 (the command's stdout, kept in the stack outputs).
# The token goes to the pod on stdin, never on a command line.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${OPENBAO_POD:?OPENBAO_POD is required}"
: "${SNAPSHOT_FILE:?SNAPSHOT_FILE is required}"
: "${BAO_TOKEN:?BAO_TOKEN must hold an OpenBao token allowed to save raft snapshots}"
REMOTE="/tmp/lockstep-pre-upgrade.snap"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

echo "openbao-snapshot: saving raft snapshot on ${NAMESPACE}/${OPENBAO_POD}" >&2
printf '%s' "$BAO_TOKEN" | kube -n "$NAMESPACE" exec -i "$OPENBAO_POD" -- \
  sh -c "BAO_TOKEN=\"\$(cat)\" bao operator raft snapshot save ${REMOTE}" >&2

mkdir -p "$(dirname "$SNAPSHOT_FILE")"
kube -n "$NAMESPACE" exec "$OPENBAO_POD" -- cat "$REMOTE" > "${SNAPSHOT_FILE}.partial"
kube -n "$NAMESPACE" exec "$OPENBAO_POD" -- rm -f "$REMOTE" >&2 || true

if [[ ! -s "${SNAPSHOT_FILE}.partial" ]]; then
  echo "openbao-snapshot: the snapshot is empty; refusing to continue the upgrade" >&2
  rm -f "${SNAPSHOT_FILE}.partial"
  exit 1
fi
if ! gzip -t "${SNAPSHOT_FILE}.partial" 2>/dev/null; then
  echo "openbao-snapshot: the snapshot is not an intact gzip archive; refusing to continue the upgrade" >&2
  rm -f "${SNAPSHOT_FILE}.partial"
  exit 1
fi
mv "${SNAPSHOT_FILE}.partial" "$SNAPSHOT_FILE"
echo "openbao-snapshot: verified ${SNAPSHOT_FILE} ($(wc -c < "$SNAPSHOT_FILE") bytes)" >&2
sha256sum "$SNAPSHOT_FILE" | cut -d' ' -f1
