#!/usr/bin/env bash
# Runs on the first control plane after a node joins: waits (bounded) until the API server lists
# the Node object, so a join that "succeeded" without registering is caught here.
set -euo pipefail
: "${NODE_NAME:?}"
: "${TIMEOUT_SECONDS:=300}"
export KUBECONFIG="${KUBELAB_ROOT:-}/etc/kubernetes/admin.conf"

deadline=$((SECONDS + TIMEOUT_SECONDS))
until kubectl --request-timeout=10s get node "$NODE_NAME" >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    echo "node $NODE_NAME did not register with the API server within ${TIMEOUT_SECONDS}s; check 'journalctl -u kubelet' on it" >&2
    exit 1
  fi
  sleep 5
done
echo "node $NODE_NAME registered"
