#!/usr/bin/env bats
# scripts/node/kube-vip.sh PHASE=after: once kubeadm init finished on the first control plane,
# kube-vip moves from super-admin.conf to admin.conf, and the script waits until it runs so.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.sh
  source "$BATS_TEST_DIRNAME/helpers.sh"
  sandbox_setup
  # The node as PHASE=before and kubeadm init left it: super-admin.conf mounted, the VIP held here.
  mkdir -p "$(dirname "$MANIFEST")"
  cp "$FIXTURES/manifest-eth1-super-admin.yaml" "$MANIFEST"
  initialised
  holds_vip
  ADMIN_CONF="$FAKE_ROOT/etc/kubernetes/admin.conf"
  GET_POD="kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s -n kube-system get pod kube-vip-cp-1 -o jsonpath={.spec.volumes[?(@.name==\"kubeconfig\")].hostPath.path} {.status.phase}"
}

# The mirror pod as kubelet reports it on successive reads.
mirror_pod() { printf '%s\n' "$@" >"$STUB_STATE/mirror-pod"; }

@test "the manifest switches to admin.conf, and the step ends once kube-vip runs so and the API answers via the VIP" {
  mirror_pod "/etc/kubernetes/super-admin.conf Running" "/etc/kubernetes/admin.conf Pending" "/etc/kubernetes/admin.conf Running"
  kube_vip after true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml" || fail "$(diff "$FIXTURES/manifest-eth1.yaml" "$MANIFEST")"
  only_manifest_left
  [ "$output" = "kube-vip.sh: cp-1 after: manifest written (VIP $VIP on eth1, kubeconfig /etc/kubernetes/admin.conf)" ] ||
    fail "stdout: $output"
  [ "$(count_calls "^kubectl .* get pod kube-vip-cp-1 ")" -eq 3 ] || fail "$(cat "$CALLS")"
  [ "$(count_calls "^sleep 2$")" -eq 2 ] || fail "$(cat "$CALLS")"
  called "$GET_POD" || fail "$(cat "$CALLS")"
  called "kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s get --raw=/readyz" || fail "$(cat "$CALLS")"
  # The VIP is this node's own: nothing probes it.
  ! called_like "^ping |^ip neigh" || fail "$(cat "$CALLS")"
}

@test "a re-run after the switch changes nothing and checks once" {
  cp "$FIXTURES/manifest-eth1.yaml" "$MANIFEST"
  mirror_pod "/etc/kubernetes/admin.conf Running"
  kube_vip after true
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == "kube-vip.sh: cp-1 after: manifest unchanged "* ]] || fail "stdout: $output"
  [ "$(count_calls "^kubectl .* get pod ")" -eq 1 ] || fail "$(cat "$CALLS")"
  ! called_like "^sleep " || fail "$(cat "$CALLS")"
}

@test "the wait is bounded: a kube-vip that never comes back with admin.conf fails the step, naming what it saw" {
  mirror_pod "/etc/kubernetes/super-admin.conf Running"
  kube_vip after true
  [ "$status" -eq 1 ]
  [ "$(count_calls "^kubectl .* get pod ")" -eq 60 ] || fail "$(cat "$CALLS")"
  [ "$(count_calls "^sleep 2$")" -eq 59 ] || fail "$(cat "$CALLS")"
  [[ "$stderr" == *"ERROR: kube-vip did not come back with admin.conf within 60 tries 2s apart (mirror pod kube-vip-cp-1: '/etc/kubernetes/super-admin.conf Running'); see 'crictl logs' of kube-vip on cp-1"* ]] ||
    fail "$stderr"
  # The manifest stays switched: the next run only waits again.
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml"
}

@test "kube-vip running with admin.conf is not enough: the API server must answer through the VIP" {
  mirror_pod "/etc/kubernetes/admin.conf Running"
  touch "$STUB_STATE/readyz-fails"
  kube_vip after true
  [ "$status" -eq 1 ]
  [ "$(count_calls "get --raw=/readyz$")" -eq 60 ] || fail "$(cat "$CALLS")"
}

@test "PHASE=after before kubeadm init finished, or on a joining control plane, is refused and changes nothing" {
  rm "$FAKE_ROOT/etc/kubernetes/kubelab/init.done"
  kube_vip after true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: PHASE=after needs a finished kubeadm init (the marker init.sh writes, and admin.conf); run it after init.sh"* ]] ||
    fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml"

  initialised
  kube_vip after false
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: PHASE=after is for the first control plane only: the others mount admin.conf from the start"* ]] ||
    fail "$stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1-super-admin.yaml"
  ! called_like "^kubectl " || fail "$(cat "$CALLS")"
}

@test "a PHASE=before re-run after init keeps admin.conf: the switch is never undone" {
  cp "$FIXTURES/manifest-eth1.yaml" "$MANIFEST"
  kube_vip before true
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == *"manifest unchanged (VIP $VIP on eth1, kubeconfig /etc/kubernetes/admin.conf)" ]] || fail "stdout: $output"
}
