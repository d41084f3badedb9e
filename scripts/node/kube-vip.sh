#!/usr/bin/env bash
# kube-vip's static pod on a control plane: PHASE=before runs ahead of `kubeadm init` (first control
# plane) or `kubeadm join` (the others), so the VIP that is controlPlaneEndpoint answers as soon as
# kubelet starts; PHASE=after runs on the first control plane once `kubeadm init` finished.
#
# Since kubeadm 1.29, admin.conf has no rights until `kubeadm init` binds them near its end, and
# super-admin.conf exists only on the node that ran init: kube-vip there must use super-admin.conf
# to win its Lease while init waits on the VIP, then admin.conf (PHASE=after; kube-vip#684).
#
# KUBE_VIP_MANIFEST is the pod from components/cluster/kube-vip.ts with admin.conf. This script
# edits two things in it: the kubeconfig `path:` line, and a `vip_interface` entry at the head of
# its env list when it names none (the interface that routes to the VIP here). Whole file, written
# atomically; an unchanged file is not rewritten, so kubelet does not restart kube-vip.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the node name of this control plane)}"
: "${VIP:?VIP is required (the virtual IPv4 address, kubelab:nodes.vip)}"
: "${PHASE:?PHASE is required (before: ahead of kubeadm init or join; after: once kubeadm init finished)}"
: "${FIRST_CONTROL_PLANE:?FIRST_CONTROL_PLANE is required (true on the control plane that runs kubeadm init)}"
: "${KUBE_VIP_MANIFEST:?KUBE_VIP_MANIFEST is required (the kube-vip static Pod YAML)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

MANIFESTS="$ROOT/etc/kubernetes/manifests"
MANIFEST="$MANIFESTS/kube-vip.yaml"
# As the manifest names them: node paths, read by kubelet.
ADMIN_PATH=/etc/kubernetes/admin.conf
SUPER_ADMIN_PATH=/etc/kubernetes/super-admin.conf
ADMIN_CONF="$ROOT$ADMIN_PATH"
# init.sh writes it once kubeadm init finished.
INIT_DONE="$ROOT/etc/kubernetes/kubelab/init.done"
# How long another machine gets to answer for the VIP (ping, and the ARP the kernel sends for it).
PROBE_SECONDS=3
# How long kubelet gets to restart kube-vip with admin.conf and the VIP to answer again.
SWITCH_ATTEMPTS=60
SWITCH_RETRY_SECONDS=2
# The Lease kube-vip's leader election holds (components/cluster/kube-vip.ts, vip_leasename).
LEASE=plndr-cp-lock

# A dropped SSH session must not stop the script between writing the temporary file and moving it.
trap '' PIPE
log() { echo "kube-vip.sh [$NODE_NAME]: $*" >&2 2>/dev/null || true; }
die() {
  log "ERROR: $*"
  exit 1
}

check_inputs() {
  case "$PHASE" in before | after) ;; *) die "PHASE must be before or after, got '$PHASE'" ;; esac
  case "$FIRST_CONTROL_PLANE" in true | false) ;; *) die "FIRST_CONTROL_PLANE must be true or false, got '$FIRST_CONTROL_PLANE'" ;; esac
  if [ "$PHASE" = after ]; then
    [ "$FIRST_CONTROL_PLANE" = true ] || die "PHASE=after is for the first control plane only: the others mount admin.conf from the start"
    if [ ! -f "$INIT_DONE" ] || [ ! -f "$ADMIN_CONF" ]; then
      die "PHASE=after needs a finished kubeadm init (the marker init.sh writes, and admin.conf); run it after init.sh"
    fi
  fi
  [[ "$VIP" =~ ^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$ ]] || die "VIP must be an IPv4 address, got '$VIP'"
  local lines address
  lines="$(grep -cE '^ +path: /etc/kubernetes/(super-)?admin\.conf$' <<<"$KUBE_VIP_MANIFEST" || true)"
  [ "$lines" = 1 ] || die "KUBE_VIP_MANIFEST must name the kubeconfig on exactly one 'path:' line (found ${lines}); pass the manifest kubelab generates"
  lines="$(grep -cE '^ +env:$' <<<"$KUBE_VIP_MANIFEST" || true)"
  [ "$lines" = 1 ] || die "KUBE_VIP_MANIFEST must hold exactly one 'env:' list (found ${lines}); pass the manifest kubelab generates"
  address="$(env_value address)"
  [ "$address" = "$VIP" ] || die "KUBE_VIP_MANIFEST announces '${address}', not VIP ${VIP}; both must come from kubelab:nodes.vip"
}

# The value of one env entry of the manifest (`- name: NAME` then `value: ...`), unquoted.
env_value() {
  awk -v name="$1" '
    found { sub(/^ *value: */, ""); gsub(/"/, ""); print; exit }
    $0 ~ "^ +- name: " name "$" { found = 1 }
  ' <<<"$KUBE_VIP_MANIFEST"
}

# This node's interface holding the VIP already (kube-vip here leads), if any.
holding_interface() {
  ip -o -4 addr show | awk -v vip="$VIP" '{ split($4, a, "/"); if (a[1] == vip) { sub(/@.*/, "", $2); print $2; exit } }'
}

# The interface the VIP is reached through: it must be on-link, as ARP is.
route_interface() {
  local route
  route="$(ip -o route get "$VIP" 2>&1)" || die "no route from this node to VIP ${VIP} (${route}); it must lie inside the nodes' own network"
  if [[ " $route " == *" via "* ]]; then
    die "VIP ${VIP} is reached through a gateway here (${route%%\\*}); kube-vip announces it with ARP, so it must lie inside this node's own network"
  fi
  awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }' <<<"$route"
}

# The interface to announce the VIP on: as the manifest names it, or as this node routes to it.
vip_interface() {
  local named iface
  named="$(env_value vip_interface)"
  if [ -n "$named" ]; then
    ip link show dev "$named" >/dev/null 2>&1 || die "the manifest names interface ${named}, which this node does not have"
    echo "$named"
    return
  fi
  iface="$(holding_interface)"
  [ -n "$iface" ] || iface="$(route_interface)"
  [[ "$iface" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "could not tell which interface reaches VIP ${VIP} (got '${iface}')"
  echo "$iface"
}

# super-admin.conf only while the first control plane has not finished kubeadm init.
kubeconfig_path() {
  if [ "$FIRST_CONTROL_PLANE" = true ] && [ "$PHASE" = before ] && [ ! -f "$INIT_DONE" ]; then
    echo "$SUPER_ADMIN_PATH"
  else
    echo "$ADMIN_PATH"
  fi
}

# Refuses a VIP that another machine answers for before this node's first kubeadm init. Skipped
# once this node is part of a cluster (another control plane may hold the VIP then) or holds it.
probe_vip() {
  local iface="$1" neighbour
  if [ "$FIRST_CONTROL_PLANE" != true ] || [ "$PHASE" != before ] || [ -f "$ADMIN_CONF" ]; then return 0; fi
  if [ -n "$(holding_interface)" ]; then return 0; fi
  # A stale entry would stand for an answer; the ping makes the kernel ask by ARP afresh.
  ip neigh flush to "$VIP" dev "$iface" >/dev/null 2>&1 || true
  if timeout "$((PROBE_SECONDS + 2))" ping -n -q -c 2 -w "$PROBE_SECONDS" "$VIP" >/dev/null 2>&1; then
    refuse_taken "$iface" "it answers ping"
  fi
  neighbour="$(ip neigh show to "$VIP" dev "$iface" 2>/dev/null || true)"
  if [[ "$neighbour" == *" lladdr "* ]]; then
    refuse_taken "$iface" "$(awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print "ARP answers from " $(i + 1) }' <<<"$neighbour")"
  fi
}

refuse_taken() {
  die "VIP ${VIP} is already in use on ${1} (${2}) before kubeadm init ran here: another machine holds it. Free that address, or set kubelab:nodes.vip.address to one no machine uses; nothing was written"
}

render() {
  awk -v kubeconfig="$1" -v iface="$2" '
    insert {
      match($0, /^ */)
      indent = substr($0, 1, RLENGTH)
      printf "%s- name: vip_interface\n%s  value: \"%s\"\n", indent, indent, iface
      insert = 0
    }
    /^ +path: \/etc\/kubernetes\/(super-)?admin\.conf$/ { sub(/path: .*/, "path: " kubeconfig) }
    /^ +env:$/ && iface != "" { insert = 1 }
    { print }
  ' <<<"$KUBE_VIP_MANIFEST"
}

# Writes the manifest unless it is there already; RESULT says which.
write_manifest() {
  umask 077
  mkdir -p "$MANIFESTS"
  # A dot file: kubelet skips hidden files in its manifest directory, so it never reads a half file.
  TMP_MANIFEST="$(mktemp "$MANIFESTS/.kube-vip.yaml.XXXXXX")"
  trap 'rm -f "$TMP_MANIFEST"' EXIT
  printf '%s\n' "$1" >"$TMP_MANIFEST"
  if cmp -s "$TMP_MANIFEST" "$MANIFEST"; then
    RESULT=unchanged
  else
    mv -f "$TMP_MANIFEST" "$MANIFEST"
    RESULT=written
  fi
}

admin_kubectl() { timeout 10 kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=8s "$@" 2>/dev/null; }

# After the switch: kube-vip holds the lease (and so the VIP) for this node and renewed it since the
# manifest was written, and the API server answers through the VIP (admin.conf's server), so the
# next step can rely on both. The mirror pod is no guide: kubelet may take minutes to recreate it.
await_switch() { # SINCE (Unix seconds)
  local attempt lease holder renewed
  for ((attempt = 1; attempt <= SWITCH_ATTEMPTS; attempt++)); do
    lease="$(admin_kubectl -n kube-system get lease "$LEASE" -o jsonpath='{.spec.holderIdentity} {.spec.renewTime}' || true)"
    holder="${lease%% *}" renewed="${lease#* }"
    if [ "$holder" = "$NODE_NAME" ] && [ "$(date -u -d "$renewed" +%s 2>/dev/null || echo 0)" -ge "$1" ] &&
      admin_kubectl get --raw=/readyz >/dev/null; then
      return 0
    fi
    if ((attempt < SWITCH_ATTEMPTS)); then sleep "$SWITCH_RETRY_SECONDS"; fi
  done
  die "kube-vip on ${NODE_NAME} did not renew its lease kube-system/${LEASE} through admin.conf within ${SWITCH_ATTEMPTS} tries ${SWITCH_RETRY_SECONDS}s apart (lease: '${lease}'); see its log under /var/log/pods/kube-system_kube-vip-${NODE_NAME}_*/ on ${NODE_NAME}"
}

check_inputs
iface="$(vip_interface)"
kubeconfig="$(kubeconfig_path)"
probe_vip "$iface"
insert=""
[ -n "$(env_value vip_interface)" ] || insert="$iface"
content="$(render "$kubeconfig" "$insert")"
written_at="$(date -u +%s)"
write_manifest "$content"
log "manifest ${RESULT}: VIP ${VIP} on ${iface}, kubeconfig ${kubeconfig}"
if [ "$PHASE" = after ]; then
  log "waiting for kube-vip to renew its lease with admin.conf and the API server to answer through ${VIP} (${SWITCH_ATTEMPTS} tries, ${SWITCH_RETRY_SECONDS}s apart)"
  await_switch "$written_at"
fi
echo "kube-vip.sh: ${NODE_NAME} ${PHASE}: manifest ${RESULT} (VIP ${VIP} on ${iface}, kubeconfig ${kubeconfig})"
