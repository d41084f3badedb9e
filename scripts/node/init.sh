#!/usr/bin/env bash
# `kubeadm init` on the first control plane from kubelab's rendered InitConfiguration +
# ClusterConfiguration. Skipped when the node is already initialised, unless the run asks for
# another Kubernetes version, control-plane endpoint or number of control planes than the cluster
# was made with: kubelab cannot change those on a live cluster yet, so it refuses, naming the fix.
# kubeadm's own output holds the bootstrap token and (with --upload-certs) the certificate key: it
# goes to a root-only log, and stdout gets one line.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the control plane being initialised)}"
: "${UPLOAD_CERTS:?UPLOAD_CERTS is required (true with more than one control plane, else false)}"
: "${KUBEADM_CONFIG:?KUBEADM_CONFIG is required (the kubeadm InitConfiguration + ClusterConfiguration YAML)}"
: "${CONTROL_PLANES:?CONTROL_PLANES is required (how many control planes the cluster has)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
CONFIG_DIR="$ROOT/etc/kubernetes/kubelab"
CONFIG="$CONFIG_DIR/kubeadm-init.yaml"
# Written only after kubeadm init succeeded: admin.conf alone does not say that (see below).
DONE="$CONFIG_DIR/init.done"
# What the cluster was made with (see check_unchanged).
FACTS="$CONFIG_DIR/cluster.env"
LOG="$ROOT/var/log/kubelab-init.log"
INIT_TIMEOUT=900
RESET_TIMEOUT=180
# kubeadm prints this on stdout after its last phase, and only then.
SUCCESS_LINE="Your Kubernetes control-plane has initialized successfully"
# How long an API server of an unknown init gets to answer: attempts, and the pause between them.
HEALTH_ATTEMPTS=20
HEALTH_RETRY_SECONDS=6

# When the SSH session drops, stdout and stderr are dead pipes. A progress line must then neither
# kill this script (SIGPIPE) nor stop it under set -e before it has reset a failed init or
# recorded a finished one; kubeadm itself writes only to the log.
trap '' PIPE
log() { echo "init.sh [$NODE_NAME]: $*" >&2 2>/dev/null || true; }
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

case "$UPLOAD_CERTS" in
  true | false) ;;
  *) die "UPLOAD_CERTS must be true or false, got '$UPLOAD_CERTS'" ;;
esac

# A top-level key of the ClusterConfiguration ($2 is its YAML), unquoted.
config_value() { sed -n "s/^$1: *//p" <<<"$2" | head -n 1 | tr -d "\"'"; }

record_facts() {
  mkdir -p "$CONFIG_DIR"
  printf 'KUBERNETES_VERSION=%s\nCONTROL_PLANE_ENDPOINT=%s\nCONTROL_PLANES=%s\n' "$1" "$2" "$3" >"$FACTS"
}

mark_done() {
  mkdir -p "$CONFIG_DIR"
  echo "kubeadm init finished" >"$DONE"
  record_facts "$(config_value kubernetesVersion "$KUBEADM_CONFIG")" \
    "$(config_value controlPlaneEndpoint "$KUBEADM_CONFIG")" "$CONTROL_PLANES"
}

fact() { sed -n "s/^$1=//p" "$FACTS" | head -n 1; }

refuse_change() {
  die "$1 changed from $2 to $3 on a running cluster, which kubelab cannot change yet ($4): set it back to $2, or destroy the cluster and create it again"
}

# An initialised control plane checks the run against what the cluster was made with: its
# Kubernetes version (refused here too, should prepare have let one through), the endpoint baked
# into every certificate and kubeconfig, and the number of control planes (etcd's membership).
# Clusters made before the record existed are checked against the saved init config, then recorded.
check_unchanged() {
  local version endpoint count
  if [ -f "$FACTS" ]; then
    version="$(fact KUBERNETES_VERSION)" endpoint="$(fact CONTROL_PLANE_ENDPOINT)" count="$(fact CONTROL_PLANES)"
  elif [ -f "$CONFIG" ]; then
    version="$(config_value kubernetesVersion "$(cat "$CONFIG")")"
    endpoint="$(config_value controlPlaneEndpoint "$(cat "$CONFIG")")" count=""
  else
    return 0
  fi
  local wanted_version wanted_endpoint
  wanted_version="$(config_value kubernetesVersion "$KUBEADM_CONFIG")"
  wanted_endpoint="$(config_value controlPlaneEndpoint "$KUBEADM_CONFIG")"
  if [ -n "$version" ] && [ -n "$wanted_version" ] && [ "$version" != "$wanted_version" ]; then
    refuse_change kubelab:kubernetesVersion "${version#v}" "${wanted_version#v}" "no upgrades or downgrades"
  fi
  if [ -n "$endpoint" ] && [ -n "$wanted_endpoint" ] && [ "$endpoint" != "$wanted_endpoint" ]; then
    refuse_change kubelab:nodes.controlPlaneEndpoint "$endpoint" "$wanted_endpoint" \
      "every certificate and kubeconfig names the endpoint; unset, it is the first control plane's address and port"
  fi
  if [ -n "$count" ] && [ "$count" != "$CONTROL_PLANES" ]; then
    refuse_change "the number of control planes (kubelab:nodes)" "$count" "$CONTROL_PLANES" \
      "etcd's members are not added or removed"
  fi
  [ -f "$FACTS" ] || record_facts "${version:-$wanted_version}" "${endpoint:-$wanted_endpoint}" "$CONTROL_PLANES"
}

admin_kubectl() { timeout 10 kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=8s "$@" >/dev/null 2>&1; }

# No log at all: admin.conf did not come from a kubelab run (kubeadm by hand) or the log was
# deleted. The API server answering, and the CoreDNS Deployment that kubeadm's addon phase (its
# last that changes the cluster) creates, say init got to the end. Waited for within a bound, as
# after a reboot the control plane takes a while to come back.
cluster_finished() {
  local attempt
  log "no kubeadm log to tell whether the init that wrote admin.conf finished; asking its API server (${HEALTH_ATTEMPTS} tries, ${HEALTH_RETRY_SECONDS}s apart)"
  for ((attempt = 1; attempt <= HEALTH_ATTEMPTS; attempt++)); do
    if admin_kubectl get --raw=/readyz && admin_kubectl -n kube-system get deployment coredns -o name; then
      return 0
    fi
    if ((attempt < HEALTH_ATTEMPTS)); then sleep "$HEALTH_RETRY_SECONDS"; fi
  done
  return 1
}

# Whether a kubeadm init that wrote admin.conf, but no marker, finished. kubeadm writes admin.conf
# early, so admin.conf alone proves nothing: an init killed midway (a dropped SSH session kills
# kubeadm and this script) leaves it behind with a control plane that is not there. The rule:
# - the log of the run that wrote admin.conf (each run empties it first) ends with kubeadm's
#   success line: init finished, and only the marker is missing. That is every node initialised
#   by a kubelab that wrote no marker yet, and a run cut off between kubeadm's exit and the marker.
# - the log exists without that line: kubeadm was cut off; reset the node and run init again.
# - no log: decided by the cluster itself (cluster_finished).
# Resetting a working control plane would destroy the cluster, so only a run known to be cut off,
# or a control plane that does not answer within the bound, is reset.
init_finished() {
  if [ -f "$LOG" ]; then
    grep -qF "$SUCCESS_LINE" "$LOG"
    return
  fi
  cluster_finished
}

case "$CONTROL_PLANES" in
  [1-9] | [1-9][0-9]) ;;
  *) die "CONTROL_PLANES must be a count of control planes, got '$CONTROL_PLANES'" ;;
esac

if [ -f "$ADMIN_CONF" ] && [ -f "$DONE" ]; then
  check_unchanged
  kube_vip after true
  log "this control plane is already initialised, nothing to do"
  echo "init.sh: ${NODE_NAME} already initialised"
  exit 0
fi
# A marker without admin.conf is left from a control plane reset by hand.
rm -f "$DONE"

RESET_FIRST=0
if [ -f "$ADMIN_CONF" ]; then
  if init_finished; then
    check_unchanged
    mark_done
    kube_vip after true
    log "/etc/kubernetes/admin.conf exists and kubeadm init finished on it: already initialised, nothing to do"
    echo "init.sh: ${NODE_NAME} already initialised"
    exit 0
  fi
  RESET_FIRST=1
fi

umask 077
mkdir -p "$CONFIG_DIR" "$(dirname "$LOG")"
printf '%s\n' "$KUBEADM_CONFIG" >"$CONFIG"
chmod 0600 "$CONFIG"

# Every kubeadm writes only to the log: a Go program writing to a dead SSH channel dies of SIGPIPE
# (even with SIGPIPE ignored here), and kubeadm init dying midway is what leaves a partial node.
: >"$LOG"
chmod 0600 "$LOG"

log "validating /etc/kubernetes/kubelab/kubeadm-init.yaml"
rc=0
kubeadm config validate --config "$CONFIG" </dev/null >>"$LOG" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  tail -n 20 "$LOG" >&2 2>/dev/null || true
  log "kubeadm rejected the rendered configuration (exit ${rc}); see the messages above"
  exit "$rc"
fi

reset_node() { timeout "$RESET_TIMEOUT" kubeadm reset -f </dev/null >>"$LOG" 2>&1; }
# kubeadm's last messages before the reset, for the error; lines that could carry a secret
# (the bootstrap token, the certificate key, which kubeadm may print on a line of its own) are left out.
last_lines() {
  grep -viE 'token|certificate[- ]key|discovery|[a-z0-9]{6}\.[a-z0-9]{16}|[0-9a-f]{32}' "$LOG" 2>/dev/null |
    tail -n 12 >&2 2>/dev/null || true
}

if [ "$RESET_FIRST" = 1 ]; then
  log "/etc/kubernetes/admin.conf is left from a kubeadm init that did not finish; resetting the partial control plane (at most ${RESET_TIMEOUT}s)"
  reset_node || die "kubeadm reset failed (see /var/log/kubelab-init.log on ${NODE_NAME}); run 'kubeadm reset -f' by hand"
fi

kube_vip before true

args=(init --config "$CONFIG")
if [ "$UPLOAD_CERTS" = true ]; then args+=(--upload-certs); fi

log "running kubeadm ${args[*]} (at most ${INIT_TIMEOUT}s; output in /var/log/kubelab-init.log)"
rc=0
timeout "$INIT_TIMEOUT" kubeadm "${args[@]}" </dev/null >>"$LOG" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  # Reset first: the next run then starts from a clean node, whatever becomes of the channel.
  reset_rc=0
  reset_node || reset_rc=$?
  last_lines
  log "kubeadm init failed (exit ${rc}); its output is in /var/log/kubelab-init.log on ${NODE_NAME}"
  if [ "$reset_rc" -eq 0 ]; then
    log "reset the partial control plane so the next run can retry"
  else
    log "kubeadm reset failed too; run 'kubeadm reset -f' by hand"
  fi
  exit "$rc"
fi
mark_done
kube_vip after true
echo "init.sh: kubeadm init succeeded on ${NODE_NAME}"
