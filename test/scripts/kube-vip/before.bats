#!/usr/bin/env bats
# scripts/node/kube-vip.sh PHASE=before: the manifest ahead of kubeadm init (first control plane)
# and kubeadm join (the others), and the refusal of a VIP another machine holds.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.sh
  source "$BATS_TEST_DIRNAME/helpers.sh"
  sandbox_setup
}

@test "first control plane, fresh: the manifest with super-admin.conf and the interface routing to the VIP" {
  kube_vip before true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "$output" = "kube-vip.sh: cp-1 before: manifest written (VIP $VIP on eth1, kubeconfig /etc/kubernetes/super-admin.conf)" ] ||
    fail "stdout: $output"
  # Byte for byte what components/cluster/kube-vip.ts writes for that interface and kubeconfig.
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml" || fail "$(diff "$FIXTURES/manifest-eth1-super-admin.yaml" "$MANIFEST")"
  [ "$(stat -c %a "$MANIFEST")" = 600 ]
  only_manifest_left
  called "ip -o route get $VIP" || fail "$(cat "$CALLS")"
  called "ip neigh flush to $VIP dev eth1" || fail "$(cat "$CALLS")"
  called "ping -n -q -c 2 -w 3 $VIP" || fail "$(cat "$CALLS")"
}

@test "a re-run leaves an identical manifest alone, so kubelet does not restart kube-vip" {
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  inode="$(stat -c %i "$MANIFEST")"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "kube-vip.sh: cp-1 before: manifest unchanged (VIP $VIP on eth1, kubeconfig /etc/kubernetes/super-admin.conf)" ] ||
    fail "stdout: $output"
  [ "$(stat -c %i "$MANIFEST")" = "$inode" ] || fail "the manifest was replaced"
  only_manifest_left
}

@test "a different manifest is replaced whole by a rename, never edited in place" {
  mkdir -p "$(dirname "$MANIFEST")"
  echo "apiVersion: v1" >"$MANIFEST"
  inode="$(stat -c %i "$MANIFEST")"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(stat -c %i "$MANIFEST")" != "$inode" ] || fail "written in place"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml"
  only_manifest_left
}

@test "a VIP that answers ping before the first init is refused, and nothing is written" {
  touch "$STUB_STATE/ping-answers"
  echo "52:54:00:12:34:56" >"$STUB_STATE/arp-mac"
  kube_vip before true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: VIP $VIP is already in use on eth1 (it answers ping) before kubeadm init ran here: another machine holds it. Free that address, or set kubelab:nodes.vip.address to one no machine uses; nothing was written"* ]] ||
    fail "$stderr"
  [ ! -e "$MANIFEST" ] || fail "manifest written"
  only_manifest_left
  [ -z "$output" ] || fail "stdout: $output"
}

@test "a VIP that answers only ARP (ICMP filtered) is refused, naming the MAC that answered" {
  echo "52:54:00:12:34:56" >"$STUB_STATE/arp-mac"
  kube_vip before true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: VIP $VIP is already in use on eth1 (ARP answers from 52:54:00:12:34:56) before kubeadm init ran here"* ]] ||
    fail "$stderr"
  [ ! -e "$MANIFEST" ]
}

@test "a stale neighbour entry from an earlier holder is flushed first and does not count as an answer" {
  echo "$VIP lladdr 52:54:00:aa:bb:cc STALE" >"$STUB_STATE/neigh"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -n "" "$CALLS" | grep -E "ip neigh flush|ping " | cut -d: -f2- | cut -d' ' -f1-2)" = "$(printf 'ip neigh\nping -n')" ] ||
    fail "flush must come before the ping: $(cat "$CALLS")"
}

@test "the probe is bounded: ping gets a deadline and runs under timeout" {
  stub timeout 'echo "timeout $*" >>"$STUB_STATE/timeouts"; shift; exec "$@"'
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qxF "timeout 5 ping -n -q -c 2 -w 3 $VIP" "$STUB_STATE/timeouts" || fail "$(cat "$STUB_STATE/timeouts")"
}

@test "a re-run while kube-vip here holds the VIP: its own address is no conflict, its interface is kept" {
  holds_vip
  touch "$STUB_STATE/ping-answers"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml"
  ! called_like "^ping " || fail "probed its own address: $(cat "$CALLS")"
  ! called_like "^ip -o route get" || fail "the route to a local address is lo: $(cat "$CALLS")"
}

@test "once this node is in a cluster the VIP may be on another control plane: no probe; admin.conf after init finished" {
  initialised
  touch "$STUB_STATE/ping-answers"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml" || fail "$(diff "$FIXTURES/manifest-eth1.yaml" "$MANIFEST")"
  [[ "$output" == *"kubeconfig /etc/kubernetes/admin.conf)" ]] || fail "stdout: $output"
  ! called_like "^ping " || fail "$(cat "$CALLS")"
}

@test "admin.conf from an init that has not finished keeps super-admin.conf, which init.sh's retry needs" {
  mkdir -p "$FAKE_ROOT/etc/kubernetes"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml"
}

@test "a joining control plane gets admin.conf and no probe: the first control plane holds the VIP by then" {
  touch "$STUB_STATE/ping-answers"
  kube_vip before false
  [ "$status" -eq 0 ] || fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml" || fail "$(diff "$FIXTURES/manifest-eth1.yaml" "$MANIFEST")"
  ! called_like "^ping |^ip neigh" || fail "$(cat "$CALLS")"
}

@test "an interface the manifest names is used as it is, once the node has it" {
  echo "$VIP dev eth0 src 10.0.2.15 uid 0 \\    cache " >"$STUB_STATE/route"
  kube_vip before false manifest-eth1.yaml
  [ "$status" -eq 0 ] || fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml"
  called "ip link show dev eth1" || fail "$(cat "$CALLS")"
  ! called_like "^ip -o route get" || fail "$(cat "$CALLS")"

  printf '%s\n' lo eth0 >"$STUB_STATE/links"
  kube_vip before false manifest-eth1.yaml
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: the manifest names interface eth1, which this node does not have"* ]] || fail "$stderr"
}

@test "a VIP behind a gateway, or with no route at all, is refused: ARP only reaches the node's own network" {
  echo "$VIP via 192.168.64.1 dev eth1 src 192.168.64.2 uid 0 \\    cache " >"$STUB_STATE/route"
  kube_vip before false
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: VIP $VIP is reached through a gateway here ($VIP via 192.168.64.1 dev eth1 src 192.168.64.2 uid 0 ); kube-vip announces it with ARP, so it must lie inside this node's own network"* ]] ||
    fail "$stderr"
  [ ! -e "$MANIFEST" ]

  echo "RTNETLINK answers: Network is unreachable" >"$STUB_STATE/route-error"
  kube_vip before false
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: no route from this node to VIP $VIP (RTNETLINK answers: Network is unreachable); it must lie inside the nodes' own network"* ]] ||
    fail "$stderr"
}

@test "bad inputs are refused before anything is probed or written" {
  local case
  for case in "PHASE=during|PHASE must be before or after, got 'during'" \
    "FIRST_CONTROL_PLANE=yes|FIRST_CONTROL_PLANE must be true or false, got 'yes'" \
    "VIP=192.168.64|VIP must be an IPv4 address, got '192.168.64'" \
    "VIP=192.168.64.253|KUBE_VIP_MANIFEST announces '192.168.64.254', not VIP 192.168.64.253; both must come from kubelab:nodes.vip" \
    "KUBE_VIP_MANIFEST=apiVersion: v1|KUBE_VIP_MANIFEST must name the kubeconfig on exactly one 'path:' line (found 0); pass the manifest kubelab generates"; do
    : >"$CALLS"
    kube_vip before true manifest.yaml "${case%%|*}"
    [ "$status" -eq 1 ] || fail "${case%%|*}: exit $status"
    [[ "$stderr" == *"ERROR: ${case#*|}"* ]] || fail "${case%%|*}: $stderr"
    [ ! -s "$CALLS" ] || fail "${case%%|*}: $(cat "$CALLS")"
  done
  [ ! -e "$MANIFEST" ]
  kube_vip before true manifest.yaml VIP=
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"VIP is required (the virtual IPv4 address, kubelab:nodes.vip)"* ]] || fail "$stderr"
}

@test "a manifest with two env lists is not one kubelab generates" {
  kube_vip before true manifest.yaml KUBE_VIP_MANIFEST="$(cat "$FIXTURES/manifest.yaml")
      env:"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: KUBE_VIP_MANIFEST must hold exactly one 'env:' list (found 2); pass the manifest kubelab generates"* ]] ||
    fail "$stderr"
  [ ! -e "$MANIFEST" ]
}
