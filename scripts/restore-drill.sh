#!/usr/bin/env bash
# A restore drill, run by the RestoreDrill component: applies the scratch Cluster in MANIFEST (it recovers
# the latest backup of SOURCE into a serverName of its own), waits until CloudNativePG reports it Ready,
# compares what it restored with the running source cluster (SOURCE_CLUSTER: the count of application
# tables must match, and be more than 0: an empty restore is no restore), and deletes it whatever
# happened. Prints one JSON line, the result, last.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${CLUSTER:?CLUSTER (the scratch cluster name) is required}"
: "${MANIFEST:?MANIFEST (the scratch Cluster as JSON) is required}"
: "${DRILL_ID:?DRILL_ID is required}"
: "${DATABASE_KEY:?DATABASE_KEY is required}"
: "${DATABASE:?DATABASE (the database inside the cluster) is required}"
: "${SOURCE:?SOURCE (the serverName recovered from) is required}"
: "${SOURCE_CLUSTER:?SOURCE_CLUSTER (the running cluster the restore is compared with) is required}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-1800}"
INTERVAL_SECONDS="${INTERVAL_SECONDS:-5}"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

started_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
started=$SECONDS
cleanup() {
  kube -n "$NAMESPACE" delete clusters.postgresql.cnpg.io "$CLUSTER" --ignore-not-found --wait=false >&2 || true
}
trap cleanup EXIT

echo "restore-drill ${DRILL_ID}: ${CLUSTER} recovers the latest backup of ${SOURCE} (up to ${TIMEOUT_SECONDS} s)" >&2
printf '%s' "$MANIFEST" | kube apply -f - >&2

deadline=$((SECONDS + TIMEOUT_SECONDS))
while :; do
  ready="$(kube -n "$NAMESPACE" get clusters.postgresql.cnpg.io "$CLUSTER" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  [[ "$ready" == "True" ]] && break
  if (( SECONDS >= deadline )); then
    phase="$(kube -n "$NAMESPACE" get clusters.postgresql.cnpg.io "$CLUSTER" -o 'jsonpath={.status.phase}' 2>/dev/null || true)"
    echo "restore-drill ${DRILL_ID}: FAILED: ${CLUSTER} was not Ready after ${TIMEOUT_SECONDS} s (phase: ${phase:-none}); the backups of ${SOURCE} did not restore. A new drill needs a new id (its archive name is used once)" >&2
    exit 1
  fi
  sleep "$INTERVAL_SECONDS"
done

# The restored database must answer, and hold what the source holds.
count_tables() {
  kube -n "$NAMESPACE" exec "$1-1" -c postgres -- psql -d "$DATABASE" -tAc \
    "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')" | tr -d '[:space:]'
}
tables="$(count_tables "$CLUSTER" || true)"
if ! [[ "$tables" =~ ^[0-9]+$ ]]; then
  echo "restore-drill ${DRILL_ID}: FAILED: ${CLUSTER} is Ready but database ${DATABASE} did not answer (${tables:-no output})" >&2
  exit 1
fi
source_tables="$(count_tables "$SOURCE_CLUSTER" || true)"
if ! [[ "$source_tables" =~ ^[0-9]+$ ]]; then
  echo "restore-drill ${DRILL_ID}: FAILED: the source cluster ${SOURCE_CLUSTER} did not answer (${source_tables:-no output}), so the restore cannot be compared with it" >&2
  exit 1
fi
if (( tables == 0 )); then
  echo "restore-drill ${DRILL_ID}: FAILED: ${CLUSTER} restored database ${DATABASE} with 0 tables (the source ${SOURCE_CLUSTER} holds ${source_tables}): an empty restore is no restore" >&2
  exit 1
fi
if (( tables != source_tables )); then
  echo "restore-drill ${DRILL_ID}: FAILED: ${CLUSTER} restored ${tables} table(s) of database ${DATABASE}, and the source ${SOURCE_CLUSTER} holds ${source_tables}" >&2
  exit 1
fi
echo "restore-drill ${DRILL_ID}: passed: ${CLUSTER} Ready, database ${DATABASE} holds ${tables} table(s), as ${SOURCE_CLUSTER} does" >&2
printf '{"id":"%s","database":"%s","cluster":"%s","source":"%s","passed":true,"tables":%d,"startedAt":"%s","finishedAt":"%s","seconds":%d}\n' \
  "$DRILL_ID" "$DATABASE_KEY" "$CLUSTER" "$SOURCE" "$tables" "$started_at" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((SECONDS - started))"
