#!/usr/bin/env bash
# `kubeadm init` on the first control plane from kubelab's rendered InitConfiguration +
# ClusterConfiguration. Skipped when the node is already initialised. kubeadm's own output holds
# the bootstrap token and (with --upload-certs) the certificate key: it goes to a root-only log,
# and stdout gets one line.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the control plane being initialised)}"
: "${UPLOAD_CERTS:?UPLOAD_CERTS is required (true with more than one control plane, else false)}"
: "${KUBEADM_CONFIG:?KUBEADM_CONFIG is required (the kubeadm InitConfiguration + ClusterConfiguration YAML)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
CONFIG_DIR="$ROOT/etc/kubernetes/kubelab"
CONFIG="$CONFIG_DIR/kubeadm-init.yaml"
LOG="$ROOT/var/log/kubelab-init.log"
INIT_TIMEOUT=900

log() { echo "init.sh [$NODE_NAME]: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

case "$UPLOAD_CERTS" in
  true | false) ;;
  *) die "UPLOAD_CERTS must be true or false, got '$UPLOAD_CERTS'" ;;
esac

if [ -f "$ADMIN_CONF" ]; then
  log "/etc/kubernetes/admin.conf exists: this control plane is already initialised, nothing to do"
  echo "init.sh: ${NODE_NAME} already initialised"
  exit 0
fi

umask 077
mkdir -p "$CONFIG_DIR" "$(dirname "$LOG")"
printf '%s\n' "$KUBEADM_CONFIG" >"$CONFIG"
chmod 0600 "$CONFIG"

log "validating /etc/kubernetes/kubelab/kubeadm-init.yaml"
rc=0
kubeadm config validate --config "$CONFIG" >&2 || rc=$?
if [ "$rc" -ne 0 ]; then
  log "kubeadm rejected the rendered configuration (exit ${rc}); see the messages above"
  exit "$rc"
fi

args=(init --config "$CONFIG")
if [ "$UPLOAD_CERTS" = true ]; then args+=(--upload-certs); fi

log "running kubeadm ${args[*]} (at most ${INIT_TIMEOUT}s; output in /var/log/kubelab-init.log)"
: >"$LOG"
chmod 0600 "$LOG"
rc=0
timeout "$INIT_TIMEOUT" kubeadm "${args[@]}" >>"$LOG" || rc=$?
if [ "$rc" -ne 0 ]; then
  log "kubeadm init failed (exit ${rc}); its output is in /var/log/kubelab-init.log on ${NODE_NAME}"
  # kubeadm writes admin.conf early, so a half-done init would satisfy the guard above on the next
  # run; resetting makes the retry start from a clean node.
  log "resetting the partial control plane so the next run can retry"
  timeout 180 kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset failed too; run 'kubeadm reset -f' by hand"
  exit "$rc"
fi
echo "init.sh: kubeadm init succeeded on ${NODE_NAME}"
