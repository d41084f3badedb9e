#!/usr/bin/env bash
# `kubeadm join` for a worker or an additional control plane. stdin: the whole JoinConfiguration
# (secret: it holds the bootstrap token and maybe the certificate key). It lives on disk only while
# kubeadm runs, in a root-only file removed on every exit path.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the joining node)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"
CONFIG_DIR="$ROOT/etc/kubernetes/kubelab"
CONFIG="$CONFIG_DIR/kubeadm-join.yaml"
LOG="$ROOT/var/log/kubelab-join.log"
JOIN_TIMEOUT=900

log() { echo "join.sh [$NODE_NAME]: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# kubeadm join's own preflight refuses a node with kubelet.conf: it has joined already.
if [ -f "$KUBELET_CONF" ]; then
  log "/etc/kubernetes/kubelet.conf exists: ${NODE_NAME} has already joined, nothing to do"
  echo "join.sh: ${NODE_NAME} already joined"
  exit 0
fi

umask 077
cleanup() { rm -f "$CONFIG"; }
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$CONFIG_DIR" "$(dirname "$LOG")"
cat >"$CONFIG"
[ -s "$CONFIG" ] || die "no JoinConfiguration on stdin"
grep -q '^kind: JoinConfiguration' "$CONFIG" || die "stdin is not a kubeadm JoinConfiguration"

log "running kubeadm join (at most ${JOIN_TIMEOUT}s; output in /var/log/kubelab-join.log)"
: >"$LOG"
chmod 0600 "$LOG"
rc=0
timeout "$JOIN_TIMEOUT" kubeadm join --config "$CONFIG" >>"$LOG" || rc=$?
if [ "$rc" -ne 0 ]; then
  log "kubeadm join failed (exit ${rc}); its output is in /var/log/kubelab-join.log on ${NODE_NAME}"
  # kubelet.conf appears midway through a join, so a half-done join would satisfy the guard above
  # on the next run; resetting (which also leaves etcd for a control plane) lets the retry start clean.
  log "resetting the partial join so the next run can retry"
  timeout 180 kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset failed too; run 'kubeadm reset -f' by hand"
  exit "$rc"
fi
echo "join.sh: ${NODE_NAME} joined the cluster"
