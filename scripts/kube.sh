# Sourced by the scripts the program runs: how they reach the install's cluster (lockstep:cluster).
# kubectl reads KUBECONFIG itself; KUBE_CONTEXT picks a context in it. KUBECTL lets a test tier without a
# container runtime stand in for `kubectl exec`; users leave it unset.
KUBECTL="${KUBECTL:-kubectl}"
kube() { "$KUBECTL" ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} "$@"; }
