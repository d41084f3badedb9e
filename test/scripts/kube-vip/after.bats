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
  GET_LEASE="kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s -n kube-system get lease plndr-cp-lock -o jsonpath={.spec.holderIdentity} {.spec.renewTime}"
}

# kube-vip's Lease on successive reads: "HOLDER RENEWTIME". Renewed after the switch: a time to come;
# before it: one long gone.
RENEWED="2099-01-01T00:00:00.000000Z"
STALE="2000-01-01T00:00:00.000000Z"
lease() { printf '%s\n' "$@" >"$STUB_STATE/lease"; }

@test "the manifest switches to admin.conf, and the step ends once kube-vip runs so and the API answers via the VIP" {
  lease "cp-2 $RENEWED" "cp-1 $STALE" "cp-1 $RENEWED"
  kube_vip after true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml" || fail "$(diff "$FIXTURES/manifest-eth1.yaml" "$MANIFEST")"
  only_manifest_left
  [ "$output" = "kube-vip.sh: cp-1 after: manifest written (VIP $VIP on eth1, kubeconfig /etc/kubernetes/admin.conf)" ] ||
    fail "stdout: $output"
  [ "$(count_calls "^kubectl .* get lease plndr-cp-lock ")" -eq 3 ] || fail "$(cat "$CALLS")"
  [ "$(count_calls "^sleep 2$")" -eq 2 ] || fail "$(cat "$CALLS")"
  called "$GET_LEASE" || fail "$(cat "$CALLS")"
  called "kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s get --raw=/readyz" || fail "$(cat "$CALLS")"
  # The VIP is this node's own: nothing probes it.
  ! called_like "^ping |^ip neigh" || fail "$(cat "$CALLS")"
}

@test "a re-run after the switch changes nothing and checks once" {
  cp "$FIXTURES/manifest-eth1.yaml" "$MANIFEST"
  lease "cp-1 $RENEWED"
  kube_vip after true
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == "kube-vip.sh: cp-1 after: manifest unchanged "* ]] || fail "stdout: $output"
  [ "$(count_calls "^kubectl .* get lease ")" -eq 1 ] || fail "$(cat "$CALLS")"
  ! called_like "^sleep " || fail "$(cat "$CALLS")"
}

@test "the wait is bounded: a kube-vip that never renews its lease after the switch fails the step, naming what it saw" {
  lease "cp-1 $STALE"
  kube_vip after true
  [ "$status" -eq 1 ]
  [ "$(count_calls "^kubectl .* get lease ")" -eq 60 ] || fail "$(cat "$CALLS")"
  [ "$(count_calls "^sleep 2$")" -eq 59 ] || fail "$(cat "$CALLS")"
  [[ "$stderr" == *"ERROR: kube-vip on cp-1 did not renew its lease kube-system/plndr-cp-lock through admin.conf within 60 tries 2s apart (lease: 'cp-1 $STALE'); see its log under /var/log/pods/kube-system_kube-vip-cp-1_*/ on cp-1"* ]] ||
    fail "$stderr"
  # The manifest stays switched: the next run only waits again.
  cmp "$MANIFEST" "$FIXTURES/manifest-eth1.yaml"
}

@test "a renewed lease is not enough: the API server must answer through the VIP" {
  lease "cp-1 $RENEWED"
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
