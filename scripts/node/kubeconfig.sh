#!/usr/bin/env bash
# Prints the admin kubeconfig of the first control plane (secret: the step's output is hidden).
set -euo pipefail
shopt -s inherit_errexit

# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"

if [ ! -s "$ADMIN_CONF" ]; then
  echo "kubeconfig.sh: /etc/kubernetes/admin.conf is missing or empty on $(cat "$ROOT/proc/sys/kernel/hostname" 2>/dev/null || echo this node); has init.sh run here?" >&2
  exit 1
fi
cat "$ADMIN_CONF"
