# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are read by the .bats files that source this
# shellcheck disable=SC2016 # stub bodies are bash source, expanded when the stub runs
# Sandbox for scripts/node/kube-vip.sh: a fake root (KUBELAB_ROOT) and a PATH holding only stubs plus
# a few real text tools, so a command nobody stubbed fails with 127 instead of touching the network
# of the machine running the tests. Every stub appends "name args..." to $CALLS.
#
# The node's network lives in $STUB_STATE: "addrs" (`ip -o -4 addr show` lines), "route"
# (`ip -o route get` output; "route-error" makes it fail with that text), "links" (interface names),
# "neigh" (the neighbour entry of the VIP). Another machine holding the VIP: "ping-answers" (it
# answers ICMP) and "arp-mac" (it answers ARP with that MAC, which a ping then puts in "neigh").
# The first control plane's API as kubectl sees it: "lease" lines (holder and renewTime of kube-vip's
# Lease; each call takes the first line while more than one is left), "readyz-fails".

SCRIPT_TEXT="$(cat "$BATS_TEST_DIRNAME/../../../scripts/node/kube-vip.sh")"
FIXTURES="$BATS_TEST_DIRNAME"

REAL_TOOLS=(bash cat mkdir mktemp rm awk grep sed chmod timeout cmp mv stat find head tail)

VIP=192.168.64.254

sandbox_setup() {
  SANDBOX="$BATS_TEST_TMPDIR"
  FAKE_ROOT="$SANDBOX/root"
  STUB_BIN="$SANDBOX/bin"
  STUB_STATE="$SANDBOX/state"
  CALLS="$STUB_STATE/calls"
  MANIFEST="$FAKE_ROOT/etc/kubernetes/manifests/kube-vip.yaml"
  mkdir -p "$FAKE_ROOT/etc" "$STUB_BIN" "$STUB_STATE" "$SANDBOX/tmp"
  : >"$CALLS"
  local tool
  for tool in "${REAL_TOOLS[@]}"; do ln -s "$(command -v "$tool")" "$STUB_BIN/$tool"; done
  default_stubs
  single_nic_node
}

# stub NAME [BODY]: an executable NAME on the sandbox PATH running BODY (bash) after logging the call.
# A real tool's link is removed first: writing through it would overwrite the tool on this machine.
stub() {
  local name="$1" body="${2:-}"
  rm -f "$STUB_BIN/$name"
  printf '#!/usr/bin/env bash\necho "%s $*" >>"$STUB_STATE/calls"\n%s\n' "$name" "$body" >"$STUB_BIN/$name"
  chmod +x "$STUB_BIN/$name"
}

default_stubs() {
  stub sleep
  stub ip '
case "$*" in
  "-o -4 addr show") cat "$STUB_STATE/addrs" ;;
  "-o route get "*)
    if [ -f "$STUB_STATE/route-error" ]; then cat "$STUB_STATE/route-error" >&2; exit 2; fi
    cat "$STUB_STATE/route" ;;
  "link show dev "*) grep -qxF "$4" "$STUB_STATE/links" ;;
  "neigh flush to "*) rm -f "$STUB_STATE/neigh" ;;
  "neigh show to "*) cat "$STUB_STATE/neigh" 2>/dev/null || true ;;
  *) echo "ip stub: unexpected arguments: $*" >&2; exit 1 ;;
esac'
  # The kernel resolves the VIP by ARP before any echo request leaves.
  stub ping '
vip="${!#}"
if [ -f "$STUB_STATE/arp-mac" ]; then echo "$vip lladdr $(cat "$STUB_STATE/arp-mac") REACHABLE" >"$STUB_STATE/neigh"
else echo "$vip FAILED" >"$STUB_STATE/neigh"; fi
[ -f "$STUB_STATE/ping-answers" ]'
  stub kubectl '
case "$*" in
  *" get lease plndr-cp-lock "*)
    if [ "$(wc -l <"$STUB_STATE/lease")" -gt 1 ]; then
      head -n 1 "$STUB_STATE/lease"
      tail -n +2 "$STUB_STATE/lease" >"$STUB_STATE/lease.next" && mv "$STUB_STATE/lease.next" "$STUB_STATE/lease"
    else cat "$STUB_STATE/lease"; fi ;;
  *"get --raw=/readyz") [ ! -f "$STUB_STATE/readyz-fails" ] && echo ok ;;
  *) echo "kubectl stub: unexpected arguments: $*" >&2; exit 1 ;;
esac'
  ln -s "$(command -v wc)" "$STUB_BIN/wc"
  ln -s "$(command -v date)" "$STUB_BIN/date"
}

# A node with one interface, eth1, on the VIP's network, not holding the VIP.
single_nic_node() {
  echo "2: eth1    inet 192.168.64.2/24 brd 192.168.64.255 scope global eth1\\       valid_lft forever preferred_lft forever" \
    >"$STUB_STATE/addrs"
  echo "$VIP dev eth1 src 192.168.64.2 uid 0 \\    cache " >"$STUB_STATE/route"
  printf '%s\n' lo eth1 >"$STUB_STATE/links"
}

# kube-vip on this node leads: the VIP is on eth1 as a /32 (and routed locally).
holds_vip() {
  echo "2: eth1    inet $VIP/32 scope global eth1\\       valid_lft forever preferred_lft forever" >>"$STUB_STATE/addrs"
  echo "local $VIP dev lo table local src $VIP uid 0 \\    cache <local> " >"$STUB_STATE/route"
}

# What a finished `kubeadm init` (through init.sh) leaves behind.
initialised() {
  mkdir -p "$FAKE_ROOT/etc/kubernetes/kubelab"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  echo "kubeadm init finished" >"$FAKE_ROOT/etc/kubernetes/kubelab/init.done"
}

# kube_vip PHASE FIRST [MANIFEST_FILE] [VAR=value...]: runs kube-vip.sh the way components/remote.ts
# does (`env K=V bash <script>`), with a clean environment, stdout and stderr separate.
kube_vip() {
  local phase="$1" first="$2" manifest="${3:-manifest.yaml}"
  shift 3 || shift $#
  run --separate-stderr env -i PATH="$STUB_BIN" HOME="$SANDBOX" TMPDIR="$SANDBOX/tmp" \
    KUBELAB_ROOT="$FAKE_ROOT" STUB_STATE="$STUB_STATE" NODE_NAME=cp-1 VIP="$VIP" PHASE="$phase" \
    FIRST_CONTROL_PLANE="$first" KUBE_VIP_MANIFEST="$(cat "$FIXTURES/$manifest")" "$@" \
    "$STUB_BIN/bash" -c "$SCRIPT_TEXT" kube-vip.sh
}

called() { grep -qxF -- "$1" "$CALLS"; }
called_like() { grep -qE -- "$1" "$CALLS"; }
count_calls() { grep -cE -- "$1" "$CALLS" || true; }

# Nothing but the manifest (if any) in the manifest directory: no temporary file left for kubelet.
only_manifest_left() {
  local left
  left="$(find "$FAKE_ROOT/etc/kubernetes/manifests" -mindepth 1 ! -name kube-vip.yaml 2>/dev/null || true)"
  [ -z "$left" ] || fail "left in the manifest directory: $left"
}

# Fails the test with a message (plain bats has no assertion helpers).
fail() {
  echo "$*" >&2
  return 1
}
