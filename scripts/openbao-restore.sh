#!/usr/bin/env bash
# Restores OpenBao's raft storage from a snapshot, run by the OpenBaoRestore component when
# lockstep:restore.openbaoSnapshot names one. Checks the file is an intact gzip archive, streams it to the
# pod and runs `bao operator raft snapshot restore` there (`-force` only when FORCE=true: a snapshot from
# another raft cluster, break glass). The token goes to the pod on stdin, never on a command line. After a
# restore OpenBao answers with the snapshot's data and is unsealed with the snapshot's keys.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${OPENBAO_POD:?OPENBAO_POD is required}"
: "${SNAPSHOT_FILE:?SNAPSHOT_FILE is required}"
: "${BAO_TOKEN:?BAO_TOKEN must hold an OpenBao token allowed to restore raft snapshots}"
FORCE="${FORCE:-false}"
REMOTE="/tmp/lockstep-restore.snap"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

if [[ ! -s "$SNAPSHOT_FILE" ]]; then
  echo "openbao-restore: ${SNAPSHOT_FILE} is missing or empty; nothing was restored" >&2
  exit 1
fi
if ! gzip -t "$SNAPSHOT_FILE" 2>/dev/null; then
  echo "openbao-restore: ${SNAPSHOT_FILE} is not an intact gzip archive; nothing was restored" >&2
  exit 1
fi
flag=""
if [[ "$FORCE" == "true" ]]; then
  flag="-force"
  echo "openbao-restore: FORCED restore (break glass): the snapshot may come from another raft cluster" >&2
fi

echo "openbao-restore: restoring ${SNAPSHOT_FILE} into ${NAMESPACE}/${OPENBAO_POD}" >&2
kube -n "$NAMESPACE" exec -i "$OPENBAO_POD" -- sh -c "cat > ${REMOTE}" < "$SNAPSHOT_FILE"
printf '%s' "$BAO_TOKEN" | kube -n "$NAMESPACE" exec -i "$OPENBAO_POD" -- \
  sh -c "BAO_TOKEN=\"\$(cat)\" bao operator raft snapshot restore ${flag} ${REMOTE}" >&2
kube -n "$NAMESPACE" exec "$OPENBAO_POD" -- rm -f "$REMOTE" >&2 || true
echo "openbao-restore: restored; unseal with the keys of the cluster that took the snapshot" >&2
sha256sum "$SNAPSHOT_FILE" | cut -d' ' -f1
