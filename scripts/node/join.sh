#!/usr/bin/env bash
# `kubeadm join` for a worker or an additional control plane. stdin: the whole JoinConfiguration
# (secret: it holds the bootstrap token and maybe the certificate key). It lives on disk only while
# kubeadm runs, in a root-only file removed on every exit path. A `# kubelab token expires: N` line
# (Unix seconds) lets a join retried too late stop before kubeadm, naming the step to run again
# (TOKEN_STEP, the URN of this node's join-token step).
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the joining node)}"
TOKEN_STEP="${TOKEN_STEP:-}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"
MANIFESTS="$ROOT/etc/kubernetes/manifests"
CONFIG_DIR="$ROOT/etc/kubernetes/kubelab"
CONFIG="$CONFIG_DIR/kubeadm-join.yaml"
# Written only after kubeadm join succeeded: kubelet.conf alone does not say that (see below).
DONE="$CONFIG_DIR/join.done"
LOG="$ROOT/var/log/kubelab-join.log"
JOIN_TIMEOUT=900
RESET_TIMEOUT=180
# kubeadm prints this on stdout after its last phase, and only then (a control plane's line goes
# on with "and a new control plane instance was created").
SUCCESS_LINE="This node has joined the cluster"
# How long the API server gets to answer for a join of unknown outcome: attempts, and the pause
# between them.
HEALTH_ATTEMPTS=20
HEALTH_RETRY_SECONDS=6

# When the SSH session drops, stdout and stderr are dead pipes. A progress line must then neither
# kill this script (SIGPIPE) nor stop it under set -e before it has reset a failed join, recorded
# a finished one and removed the JoinConfiguration; kubeadm itself writes only to the log.
trap '' PIPE
log() { echo "join.sh [$NODE_NAME]: $*" >&2 2>/dev/null || true; }
die() {
  log "ERROR: $*"
  exit 1
}

# kube-vip (kubelab:nodes.vip): its static pod goes in before kubeadm runs here, since `kubeadm reset`
# empties the manifests folder and the VIP must answer once kubelet starts; kube-vip.sh is shipped
# beside this script. Without VIP there is nothing to do.
SCRIPTS_DIR="${KUBELAB_SCRIPTS_DIR:-$(dirname "${BASH_SOURCE[0]:-$0}")}"
kube_vip() { # PHASE FIRST_CONTROL_PLANE
  [ -n "${VIP:-}" ] || return 0
  PHASE="$1" FIRST_CONTROL_PLANE="$2" bash "$SCRIPTS_DIR/kube-vip.sh" || die "kube-vip.sh ($1) failed; see its messages above"
}

mark_done() {
  mkdir -p "$CONFIG_DIR"
  echo "kubeadm join finished" >"$DONE"
}

# How to get a fresh token: only the first control plane can mint one, in the node's token step.
fresh_token_hint() {
  local step="${TOKEN_STEP:-the join-token step of ${NODE_NAME} (pulumi stack --show-urns)}"
  log "mint a fresh token and join again with: pulumi up --replace '${step}' (npm run up -- --replace '${step}')"
}

# Refuses a token past its expiry (less a minute for the TLS bootstrap) before anything runs.
check_token_expiry() {
  local expires now
  expires="$(sed -n 's/^# kubelab token expires: \([0-9][0-9]*\)$/\1/p' "$CONFIG" | head -n 1)"
  [ -n "$expires" ] || return 0
  now="$(date -u +%s)"
  if ((now >= expires - 60)); then
    log "ERROR: the bootstrap token of this join expired at $(date -u -d "@${expires}" '+%Y-%m-%d %H:%M UTC') (a worker's lasts 24 h, a control plane's 2 h like the certificates it unlocks)"
    fresh_token_hint
    exit 1
  fi
}

node_kubectl() { timeout 10 kubectl --kubeconfig "$KUBELET_CONF" --request-timeout=8s "$@" 2>/dev/null; }

# No log at all: kubelet.conf did not come from a kubelab run (kubeadm by hand) or the log was
# deleted. A running kubelet whose own credentials read its Node object finished the TLS
# bootstrap (a worker's last step). A control plane (kubeadm wrote its kube-apiserver manifest)
# also needs its etcd manifest, written once the etcd member was added, and the control-plane
# label, set after the etcd join. Waited for within a bound, as after a reboot kubelet and the
# API server take a while to come back.
node_finished() {
  local attempt labels
  log "no kubeadm log to tell whether the join that wrote kubelet.conf finished; asking kubelet and the API server (${HEALTH_ATTEMPTS} tries, ${HEALTH_RETRY_SECONDS}s apart)"
  for ((attempt = 1; attempt <= HEALTH_ATTEMPTS; attempt++)); do
    if systemctl is-active --quiet kubelet && labels="$(node_kubectl get node "$NODE_NAME" -o jsonpath='{.metadata.labels}')"; then
      [ -f "$MANIFESTS/kube-apiserver.yaml" ] || return 0
      [ -f "$MANIFESTS/etcd.yaml" ] && [[ "$labels" == *'"node-role.kubernetes.io/control-plane"'* ]]
      return
    fi
    if ((attempt < HEALTH_ATTEMPTS)); then sleep "$HEALTH_RETRY_SECONDS"; fi
  done
  return 1
}

# Whether a kubeadm join that wrote kubelet.conf, but no marker, finished. kubelet.conf appears
# midway (before the etcd join of a control plane), so it alone proves nothing: a join killed
# there (a dropped SSH session kills kubeadm and this script) leaves it behind. The rule:
# - the log of the run that wrote kubelet.conf (each run empties it first) holds kubeadm's
#   success line: the join finished, and only the marker is missing. That is every node joined
#   by a kubelab that wrote no marker yet, and a run cut off between kubeadm's exit and the marker.
# - the log exists without that line: kubeadm was cut off; reset the node and join again.
# - no log: decided by the kubelet and the cluster (node_finished).
# Resetting a control plane that did join would take an etcd member away, so only a run known to
# be cut off, or a node that does not prove its join within the bound, is reset.
join_finished() {
  if [ -f "$LOG" ]; then
    grep -qF "$SUCCESS_LINE" "$LOG"
    return
  fi
  node_finished
}

if [ -f "$KUBELET_CONF" ] && [ -f "$DONE" ]; then
  log "${NODE_NAME} has already joined, nothing to do"
  echo "join.sh: ${NODE_NAME} already joined"
  exit 0
fi
# A marker without kubelet.conf is left from a node reset by hand.
rm -f "$DONE"

RESET_FIRST=0
if [ -f "$KUBELET_CONF" ]; then
  if join_finished; then
    mark_done
    log "/etc/kubernetes/kubelet.conf exists and kubeadm join finished on it: ${NODE_NAME} has already joined, nothing to do"
    echo "join.sh: ${NODE_NAME} already joined"
    exit 0
  fi
  RESET_FIRST=1
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
check_token_expiry

: >"$LOG"
chmod 0600 "$LOG"

# A control plane's reset also removes its etcd member, while the cluster is still there.
reset_node() { timeout "$RESET_TIMEOUT" kubeadm reset -f </dev/null >>"$LOG" 2>&1; }
# kubeadm's last messages before the reset, for the error; lines that could carry a secret
# (the bootstrap token, the certificate key, which kubeadm may print on a line of its own) are left out.
last_lines() {
  grep -viE 'token|certificate[- ]key|discovery|[a-z0-9]{6}\.[a-z0-9]{16}|[0-9a-f]{32}' "$LOG" 2>/dev/null |
    tail -n 12 >&2 2>/dev/null || true
}

if [ "$RESET_FIRST" = 1 ]; then
  log "/etc/kubernetes/kubelet.conf is left from a kubeadm join that did not finish; resetting the partial join (at most ${RESET_TIMEOUT}s)"
  reset_node || die "kubeadm reset failed (see /var/log/kubelab-join.log on ${NODE_NAME}); run 'kubeadm reset -f' by hand"
fi

# Control planes only: workers get no VIP manifest.
kube_vip before false

log "running kubeadm join (at most ${JOIN_TIMEOUT}s; output in /var/log/kubelab-join.log)"
rc=0
# stderr too: a Go program writing to a dead SSH channel dies of SIGPIPE (even with SIGPIPE
# ignored here), and kubeadm join dying midway is what leaves a partial node.
timeout "$JOIN_TIMEOUT" kubeadm join --config "$CONFIG" </dev/null >>"$LOG" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  # Reset first: the next run then starts from a clean node, whatever becomes of the channel.
  reset_rc=0
  reset_node || reset_rc=$?
  last_lines
  log "kubeadm join failed (exit ${rc}); its output is in /var/log/kubelab-join.log on ${NODE_NAME}"
  # Discovery or the certificate download refused the token: it expired or was deleted.
  if grep -qE 'could not find a JWS signature|token id .* is invalid|has expired|Secret "kubeadm-certs" .*not found' "$LOG"; then
    log "the bootstrap token or the uploaded certificates are no longer valid"
    fresh_token_hint
  fi
  if [ "$reset_rc" -eq 0 ]; then
    log "reset the partial join so the next run can retry"
  else
    log "kubeadm reset failed too; run 'kubeadm reset -f' by hand"
  fi
  exit "$rc"
fi
mark_done
echo "join.sh: ${NODE_NAME} joined the cluster"
