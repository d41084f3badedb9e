#!/usr/bin/env bash
# Removes the network check's probes (its namespace and the policies admitting them into app
# namespaces) on `pulumi destroy`. Best effort: the
# cluster may already be going away, and nodeStep appends `|| true` to delete commands anyway.
set -euo pipefail

: "${KUBECONFIG:?KUBECONFIG must name an admin kubeconfig}"
export KUBECONFIG
PROBE_NAMESPACE="${PROBE_NAMESPACE:-kubelab-netcheck}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-60}"

if [ ! -r "$KUBECONFIG" ]; then
  echo "network-check-cleanup: $KUBECONFIG is gone; nothing to clean" >&2
  exit 0
fi
timeout "$((TIMEOUT_SECONDS + 10))" kubectl delete networkpolicy --all-namespaces \
  -l kubelab.dev/netcheck-access=probes --ignore-not-found
timeout "$((TIMEOUT_SECONDS + 10))" kubectl delete namespace "$PROBE_NAMESPACE" \
  --ignore-not-found --wait=true --timeout="${TIMEOUT_SECONDS}s"
