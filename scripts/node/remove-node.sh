#!/usr/bin/env bash
# Runs on the first control plane when a node leaves: drain it, then delete its Node object.
# Best-effort and bounded: an unreachable API server or a node that is already gone only warns,
# so a destroy is never blocked here.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the node that leaves)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"

warn() { echo "remove-node.sh [$NODE_NAME]: WARNING: $*" >&2; }
# Whatever else goes wrong, a destroy must not stop here.
trap 'exit 0' EXIT

if [ ! -f "$ADMIN_CONF" ]; then
  warn "/etc/kubernetes/admin.conf is missing on this control plane; not draining or deleting the Node"
  exit 0
fi
if ! command -v kubectl >/dev/null 2>&1; then
  warn "kubectl is not installed here; not draining or deleting the Node"
  exit 0
fi
kube=(kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=20s)

if ! timeout 30 "${kube[@]}" get --raw /readyz >/dev/null 2>&1; then
  warn "the API server is unreachable; the Node object of ${NODE_NAME} is left behind"
  exit 0
fi
if ! timeout 30 "${kube[@]}" get node "$NODE_NAME" >/dev/null 2>&1; then
  echo "remove-node.sh: no Node ${NODE_NAME} in the cluster, nothing to remove"
  exit 0
fi
if ! timeout 180 "${kube[@]}" drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout=120s >&2; then
  warn "draining ${NODE_NAME} failed or timed out; deleting its Node anyway"
fi
if ! timeout 60 "${kube[@]}" delete node "$NODE_NAME" --ignore-not-found >&2; then
  warn "deleting the Node ${NODE_NAME} failed; remove it with 'kubectl delete node ${NODE_NAME}'"
  exit 0
fi
echo "remove-node.sh: ${NODE_NAME} drained and deleted"
