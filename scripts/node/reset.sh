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

# Only Kubernetes' and the pod network's own chains, and the rules elsewhere that jump into them,
# are removed; default policies stay as they are. Flushing whole tables would also delete the
# host's own firewall (ufw, firewalld, Docker): with ufw's INPUT policy DROP and its accept rules
# gone, every SSH packet is dropped, this session's included, so the destroy hangs and the machine
# is unreachable. Setting the policies to ACCEPT first would avoid that lockout, but would still
# leave the machine without the firewall it had before kubelab. kube-proxy and kubelet own KUBE-*,
# Cilium CILIUM*/OLD_CILIUM*, Calico cali-*, Flannel FLANNEL*.
KUBE_CHAINS='^(KUBE-|CILIUM|OLD_CILIUM|cali-|FLANNEL)'

# stdin: `iptables-save -t TABLE`. stdout: iptables-restore --noflush input that deletes the jumps
# (-j/-g) into those chains from every other chain, then flushes and deletes the chains (flushing
# all of them first also drops their references to each other); nothing when there is none.
# The rules are copied from iptables-save's own text, so quoted comments survive unchanged.
kube_chain_removal() {
  awk -v re="$KUBE_CHAINS" '
    /^\*/ { table = $0; next }
    /^:/ { name = substr($1, 2); if (name ~ re) chains[++n] = name; next }
    /^-A / {
      if ($2 ~ re) next
      for (i = 3; i < NF; i++) {
        if (($i == "-j" || $i == "-g") && $(i + 1) ~ re) { sub(/^-A /, "-D "); jumps[++m] = $0; break }
      }
    }
    END {
      if (n == 0 && m == 0) exit
      print table
      for (i = 1; i <= m; i++) print jumps[i]
      for (i = 1; i <= n; i++) print "-F " chains[i]
      for (i = 1; i <= n; i++) print "-X " chains[i]
      print "COMMIT"
    }'
}

for tool in iptables ip6tables; do
  if ! has "$tool-save" || ! has "$tool-restore"; then
    warn "$tool-save/$tool-restore are not installed; skipping the $tool cleanup"
    continue
  fi
  for table in filter nat mangle raw; do
    # A table the kernel does not have holds no Kubernetes chain either.
    saved="$("$tool-save" -t "$table" 2>/dev/null)" || continue
    removal="$(kube_chain_removal <<<"$saved")" || { warn "could not list the Kubernetes chains of $tool table $table"; continue; }
    [ -n "$removal" ] || continue
    # One restore per table: it applies all of it or none of it.
    "$tool-restore" --noflush <<<"$removal" >&2 || warn "removing the Kubernetes chains from $tool table $table failed"
  done
  log "removed the Kubernetes and pod network chains from $tool"
done

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

# The init/join markers live here; without them the next init/join runs kubeadm again.
rm -rf "$ROOT/etc/kubernetes/kubelab" || warn "could not remove /etc/kubernetes/kubelab"
# kubeadm's logs hold the bootstrap token and certificate key, and their success line is what
# init.sh and join.sh take as "kubeadm finished" when a node has no marker: a reset node must
# not look finished.
rm -f "$ROOT/var/log/kubelab-init.log" "$ROOT/var/log/kubelab-join.log" || warn "could not remove kubelab's kubeadm logs"
log "node reset"
exit 0
