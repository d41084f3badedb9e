#!/usr/bin/env bats
# scripts/node/kubeconfig.sh.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  echo cp-1 >"$FAKE_ROOT/proc/sys/kernel/hostname"
}

@test "kubeconfig prints admin.conf exactly" {
  mkdir -p "$FAKE_ROOT/etc/kubernetes"
  printf 'apiVersion: v1\nkind: Config\nclusters: []\n' >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  run_node kubeconfig
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "$(cat "$FAKE_ROOT/etc/kubernetes/admin.conf")" ]
  [ -z "$stderr" ]
}

@test "kubeconfig fails with a clear message when admin.conf is missing" {
  run_node kubeconfig
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"/etc/kubernetes/admin.conf is missing or empty on cp-1; has init.sh run here?"* ]] || fail "$stderr"
}
