#!/usr/bin/env bash
# Runs on a node that leaves (or whose init/join is replaced): undo kubeadm and the pod network's
# leftovers so the machine can join again. Best-effort: every piece that is missing or fails only
# warns, and the script exits 0.
set -euo pipefail
shopt -s inherit_errexit

# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

warn() { echo "reset.sh: WARNING: $*" >&2; }
log() { echo "reset.sh: $*" >&2; }
has() { command -v "$1" >/dev/null 2>&1; }
# Whatever else goes wrong, a destroy must not stop here.
trap 'exit 0' EXIT

if has kubeadm; then
  # On a control plane this also removes the node's etcd member while the cluster is still there.
  log "kubeadm reset -f"
  timeout 300 kubeadm reset -f >&2 || warn "kubeadm reset failed or timed out; continuing the cleanup"
else
  warn "kubeadm is not installed; skipping kubeadm reset"
fi

# kubeadm reset leaves the CNI configuration, IPAM state and iptables/IPVS rules behind on purpose.
log "removing /etc/cni/net.d/* and /var/lib/cni"
rm -rf "$ROOT"/etc/cni/net.d/* "$ROOT/var/lib/cni" || warn "could not remove the CNI state"

for tool in iptables ip6tables; do
  if ! has "$tool"; then
    warn "$tool is not installed; skipping"
    continue
  fi
  for table in filter nat mangle; do
    { "$tool" -t "$table" -F && "$tool" -t "$table" -X; } || warn "flushing $tool table $table failed"
  done
done
log "flushed iptables filter, nat and mangle"

if has ipvsadm; then
  ipvsadm --clear || warn "ipvsadm --clear failed"
fi

# Links left by the pod network addons would clash with the next one's.
if has ip; then
  for link in cni0 flannel.1 vxlan.calico cilium_host cilium_vxlan; do
    if ip link show "$link" >/dev/null 2>&1; then
      ip link delete "$link" || warn "could not delete link $link"
    fi
  done
fi

rm -rf "$ROOT/etc/kubernetes/kubelab" || warn "could not remove /etc/kubernetes/kubelab"
log "node reset"
exit 0
