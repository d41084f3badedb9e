#!/usr/bin/env bats
# scripts/node/init.sh against a stubbed kubeadm.

bats_require_minimum_version 1.5.0

CONFIG_TEXT='apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration'

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  CONFIG="$FAKE_ROOT/etc/kubernetes/kubelab/kubeadm-init.yaml"
}

init() {
  run_node init NODE_NAME=cp-1 UPLOAD_CERTS="${UPLOAD:-true}" KUBEADM_CONFIG="$CONFIG_TEXT"
}

@test "init validates the written config, then runs kubeadm init with --upload-certs" {
  init
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "$(cat "$CONFIG")" = "$CONFIG_TEXT" ]
  [ "$(stat -c %a "$CONFIG")" = 600 ]
  validate="$(call_line "kubeadm config validate --config $CONFIG")"
  run_init="$(call_line "kubeadm init --config $CONFIG --upload-certs")"
  [ -n "$validate" ] && [ -n "$run_init" ] && [ "$validate" -lt "$run_init" ] || fail "$(cat "$CALLS")"
}

@test "init prints one success line and keeps kubeadm's token and certificate key in a root-only log" {
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "init.sh: kubeadm init succeeded on cp-1" ] || fail "stdout: $output"
  [[ "$output$stderr" != *"$TEST_TOKEN"* && "$output$stderr" != *"$TEST_CERT_KEY"* ]] || fail "secret printed"
  grep -q -- "--token $TEST_TOKEN" "$FAKE_ROOT/var/log/kubelab-init.log"
  [ "$(stat -c %a "$FAKE_ROOT/var/log/kubelab-init.log")" = 600 ]
}

@test "a single control plane is initialised without --upload-certs" {
  UPLOAD=false init
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm init --config $CONFIG" || fail "$(cat "$CALLS")"
}

@test "init is skipped when /etc/kubernetes/admin.conf exists" {
  mkdir -p "$FAKE_ROOT/etc/kubernetes"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" == *"already initialised"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ] || fail "config written although init was skipped"
}

@test "a config kubeadm rejects stops init with validate's exit code" {
  fail_stub kubeadm validate 3
  init
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"kubeadm rejected the rendered configuration (exit 3)"* ]] || fail "$stderr"
  ! called_like "^kubeadm init " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a failed kubeadm init keeps its exit code and resets the half-made control plane" {
  fail_stub kubeadm --upload-certs 5
  init
  [ "$status" -eq 5 ]
  [[ "$stderr" == *"kubeadm init failed (exit 5)"* ]] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"
  [ -z "$output" ]
}

@test "UPLOAD_CERTS accepts only true or false" {
  UPLOAD=yes init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"UPLOAD_CERTS must be true or false, got 'yes'"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a missing KUBEADM_CONFIG is named" {
  run_node init NODE_NAME=cp-1 UPLOAD_CERTS=false
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"KUBEADM_CONFIG is required"* ]] || fail "$stderr"
}
