#!/usr/bin/env bats
# scripts/node/remove-node.sh and reset.sh: best-effort teardown that never fails a destroy.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  mkdir -p "$FAKE_ROOT/etc/kubernetes/kubelab" "$FAKE_ROOT/etc/cni/net.d" "$FAKE_ROOT/var/lib/cni/networks"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  echo "{}" >"$FAKE_ROOT/etc/cni/net.d/10-calico.conflist"
  echo "10.244.1.5" >"$FAKE_ROOT/var/lib/cni/networks/last_reserved_ip.0"
  echo "kind: InitConfiguration" >"$FAKE_ROOT/etc/kubernetes/kubelab/kubeadm-init.yaml"
  KUBECTL="kubectl --kubeconfig $FAKE_ROOT/etc/kubernetes/admin.conf --request-timeout=20s"
}

@test "remove-node drains the node, then deletes its Node object" {
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ] || fail "$stderr"
  drain="$(call_line "$KUBECTL drain worker-2 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s")"
  delete="$(call_line "$KUBECTL delete node worker-2 --ignore-not-found")"
  [ -n "$drain" ] && [ -n "$delete" ] && [ "$drain" -lt "$delete" ] || fail "$(cat "$CALLS")"
}

@test "remove-node exits 0 with a warning when the API server is unreachable" {
  fail_stub kubectl 1
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"WARNING: the API server is unreachable"* ]] || fail "$stderr"
  ! called_like " drain " || fail "unexpected call: $(cat "$CALLS")"
}

@test "remove-node still deletes the Node when the drain fails, and exits 0 when the delete fails too" {
  fail_stub kubectl drain 1
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"draining worker-2 failed or timed out; deleting its Node anyway"* ]] || fail "$stderr"
  called "$KUBECTL delete node worker-2 --ignore-not-found" || fail "$(cat "$CALLS")"
  fail_stub kubectl delete 1
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"deleting the Node worker-2 failed"* ]] || fail "$stderr"
}

@test "remove-node does nothing for a Node that is already gone" {
  stub kubectl '[ "$4" = get ] && [ "$5" = node ] && exit 1; exit 0'
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$output" == *"no Node worker-2 in the cluster"* ]] || fail "$output"
  ! called_like " (drain|delete) " || fail "unexpected call: $(cat "$CALLS")"
}

@test "remove-node exits 0 when the control plane has no admin.conf or no kubectl" {
  unstub kubectl
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"kubectl is not installed"* ]] || fail "$stderr"
  rm "$FAKE_ROOT/etc/kubernetes/admin.conf"
  run_node remove-node NODE_NAME=worker-2
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"admin.conf is missing"* ]] || fail "$stderr"
}

@test "reset runs kubeadm reset, removes CNI state and kubelab's files, and flushes iptables" {
  echo cni0 >"$STUB_STATE/links"
  run_node reset
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm reset -f"
  [ -z "$(ls -A "$FAKE_ROOT/etc/cni/net.d")" ] || fail "CNI config left"
  [ ! -e "$FAKE_ROOT/var/lib/cni" ] && [ ! -e "$FAKE_ROOT/etc/kubernetes/kubelab" ]
  local table
  for table in filter nat mangle; do
    called "iptables -t $table -F" && called "iptables -t $table -X" || fail "$table not flushed: $(cat "$CALLS")"
  done
  called "ipvsadm --clear"
  called "ip link delete cni0"
  ! called "ip link delete flannel.1" || fail "deleted a link that does not exist"
}

@test "reset exits 0 when kubeadm reset fails and still cleans up" {
  fail_stub kubeadm reset 1
  run_node reset
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"kubeadm reset failed or timed out; continuing the cleanup"* ]] || fail "$stderr"
  [ ! -e "$FAKE_ROOT/var/lib/cni" ]
  called "iptables -t nat -F"
}

@test "reset exits 0 when kubeadm, ipvsadm and iptables are missing or failing" {
  unstub kubeadm
  unstub ipvsadm
  fail_stub iptables 4
  run_node reset
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"kubeadm is not installed; skipping kubeadm reset"* ]] || fail "$stderr"
  [[ "$stderr" == *"flushing iptables table nat failed"* ]] || fail "$stderr"
  ! called_like "^ipvsadm" || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$FAKE_ROOT/etc/kubernetes/kubelab" ]
}
