#!/usr/bin/env bash
# Stops the platform's writers before a restore, run by the WritersDown component: every Deployment in
# DEPLOYMENTS that exists is scaled to 0, then this waits until none has a pod left. Deployments that do
# not exist (a namespace rebuilt from nothing) are skipped. Prints the ones it stopped.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${DEPLOYMENTS:?DEPLOYMENTS (space-separated Deployment names) is required}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-600}"
INTERVAL_SECONDS="${INTERVAL_SECONDS:-2}"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

stopped=()
for deployment in $DEPLOYMENTS; do
  if ! kube -n "$NAMESPACE" get deployment "$deployment" >/dev/null 2>&1; then
    echo "writers-down: ${NAMESPACE}/${deployment} does not exist; nothing to stop" >&2
    continue
  fi
  kube -n "$NAMESPACE" scale deployment "$deployment" --replicas=0 >&2
  stopped+=("$deployment")
done

deadline=$((SECONDS + TIMEOUT_SECONDS))
for deployment in "${stopped[@]}"; do
  while :; do
    # status.replicas counts the pods that still exist, terminating ones included; it is absent at 0.
    left="$(kube -n "$NAMESPACE" get deployment "$deployment" -o 'jsonpath={.status.replicas}')"
    if [[ -z "$left" || "$left" == "0" ]]; then break; fi
    if (( SECONDS >= deadline )); then
      echo "writers-down: ${deployment} still has ${left} pod(s) after ${TIMEOUT_SECONDS} s; the restore does not start while a writer runs" >&2
      exit 1
    fi
    sleep "$INTERVAL_SECONDS"
  done
  echo "writers-down: ${NAMESPACE}/${deployment} has no pods" >&2
done
echo "${stopped[*]:-}"
