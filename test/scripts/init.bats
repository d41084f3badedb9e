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
  DONE="$FAKE_ROOT/etc/kubernetes/kubelab/init.done"
  LOG="$FAKE_ROOT/var/log/kubelab-init.log"
  ADMIN_CONF="$FAKE_ROOT/etc/kubernetes/admin.conf"
}

# What a node looks like after a kubeadm init: admin.conf, plus the log of the run that made it.
admin_conf() {
  mkdir -p "$FAKE_ROOT/etc/kubernetes" "$FAKE_ROOT/var/log"
  echo "apiVersion: v1" >"$ADMIN_CONF"
}

init() {
  run_node init NODE_NAME=cp-1 UPLOAD_CERTS="${UPLOAD:-true}" CONTROL_PLANES="${CONTROL_PLANES:-3}" \
    KUBEADM_CONFIG="${KUBEADM_TEXT:-$CONFIG_TEXT}"
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
  grep -q -- "--token $TEST_TOKEN" "$LOG"
  [ "$(stat -c %a "$LOG")" = 600 ]
}

@test "kubeadm's stderr goes to the log too, and the marker is written once init succeeded" {
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" != *"checks.go"* ]] || fail "kubeadm's stderr reached the channel: $stderr"
  grep -q "checks.go:846] detected that the sandbox image" "$LOG" || fail "$(cat "$LOG")"
  [ -f "$DONE" ] || fail "no marker after a successful init"
}

@test "admin.conf left by an init that was cut off is reset, then init runs again and is marked" {
  admin_conf
  printf '%s\n' "[kubeconfig] Writing \"admin.conf\" kubeconfig file" "[etcd] Creating static Pod manifest" >"$LOG"
  init
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [[ "$stderr" == *"admin.conf is left from a kubeadm init that did not finish; resetting the partial control plane"* ]] || fail "$stderr"
  reset="$(call_line "kubeadm reset -f")"
  run_init="$(call_line "kubeadm init --config $CONFIG --upload-certs")"
  [ -n "$reset" ] && [ -n "$run_init" ] && [ "$reset" -lt "$run_init" ] || fail "$(cat "$CALLS")"
  [ "$(grep -c "^kubeadm reset -f$" "$CALLS")" -eq 1 ] || fail "$(cat "$CALLS")"
  [ -f "$DONE" ]
  [ "$output" = "init.sh: kubeadm init succeeded on cp-1" ] || fail "stdout: $output"
}

@test "admin.conf initialised by a kubelab without markers is kept: marked, and nothing runs" {
  admin_conf
  printf '%s\n' "[addons] Applied essential addon: CoreDNS" "" "Your Kubernetes control-plane has initialized successfully!" \
    "  kubeadm join 192.168.56.10:6443 --token $TEST_TOKEN" >"$LOG"
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "init.sh: cp-1 already initialised" ] || fail "stdout: $output"
  [ -f "$DONE" ]
  ! called_like "^(kubeadm|kubectl) " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ] || fail "config written although init was skipped"
}

@test "admin.conf without any log: kept when its API server and CoreDNS answer, reset when they do not within the bound" {
  admin_conf
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "init.sh: cp-1 already initialised" ] || fail "stdout: $output"
  called "kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s get --raw=/readyz" || fail "$(cat "$CALLS")"
  called "kubectl --kubeconfig $ADMIN_CONF --request-timeout=8s -n kube-system get deployment coredns -o name" || fail "$(cat "$CALLS")"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
  [ -f "$DONE" ]

  rm -f "$DONE"
  : >"$CALLS"
  fail_stub kubectl 1
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -c "^kubectl .*/readyz$" "$CALLS")" -eq 20 ] || fail "$(cat "$CALLS")"
  [ "$(grep -c "^sleep 6$" "$CALLS")" -eq 19 ] || fail "$(cat "$CALLS")"
  called "kubeadm reset -f" && called "kubeadm init --config $CONFIG --upload-certs" || fail "$(cat "$CALLS")"
  [ -f "$DONE" ]
}

@test "an API server without CoreDNS means init stopped before its addons: reset and run again" {
  admin_conf
  fail_stub kubectl coredns 1
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(call_line "kubeadm reset -f")" -lt "$(call_line "kubeadm init --config $CONFIG --upload-certs")" ] || fail "$(cat "$CALLS")"
}

@test "a reset that fails stops before kubeadm init, and the node stays unmarked" {
  admin_conf
  echo "[kubeconfig] Writing admin.conf" >"$LOG"
  fail_stub kubeadm reset 1
  init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubeadm reset failed (see /var/log/kubelab-init.log on cp-1); run 'kubeadm reset -f' by hand"* ]] || fail "$stderr"
  ! called_like "^kubeadm init " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$DONE" ]
}

@test "a marker without admin.conf (reset by hand) does not skip init" {
  mkdir -p "$(dirname "$DONE")"
  echo "kubeadm init finished" >"$DONE"
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm init --config $CONFIG --upload-certs" || fail "$(cat "$CALLS")"
  ! called "kubeadm reset -f" || fail "$(cat "$CALLS")"
}

@test "with the SSH channel gone, init still finishes and is marked; a failed one is still reset" {
  run_dead_channel init NODE_NAME=cp-1 UPLOAD_CERTS=true CONTROL_PLANES=3 KUBEADM_CONFIG="$CONFIG_TEXT"
  called "kubeadm init --config $CONFIG --upload-certs" || fail "$(cat "$CALLS")"
  [ -f "$DONE" ] || fail "no marker"
  grep -qF "Your Kubernetes control-plane has initialized successfully" "$LOG"

  rm -rf "$FAKE_ROOT/etc/kubernetes"
  : >"$CALLS"
  fail_stub kubeadm --upload-certs 5
  run_dead_channel init NODE_NAME=cp-1 UPLOAD_CERTS=true CONTROL_PLANES=3 KUBEADM_CONFIG="$CONFIG_TEXT"
  [ "$(call_line "kubeadm init --config $CONFIG --upload-certs")" -lt "$(call_line "kubeadm reset -f")" ] || fail "$(cat "$CALLS")"
  [ ! -e "$DONE" ]
}

@test "a single control plane is initialised without --upload-certs" {
  UPLOAD=false init
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm init --config $CONFIG" || fail "$(cat "$CALLS")"
}

@test "init is skipped when admin.conf and kubelab's init marker exist" {
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  : >"$CALLS"
  rm "$CONFIG"
  init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "init.sh: cp-1 already initialised" ] || fail "stdout: $output"
  [[ "$stderr" == *"already initialised"* ]] || fail "$stderr"
  ! called_like "^(kubeadm|kubectl) " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ] || fail "config written although init was skipped"
}

@test "a config kubeadm rejects stops init with validate's exit code" {
  fail_stub kubeadm validate 3
  init
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"kubeadm rejected the rendered configuration (exit 3)"* ]] || fail "$stderr"
  # kubeadm's own words come from the log.
  [[ "$stderr" == *"kubeadm validate: stubbed failure"* ]] || fail "$stderr"
  ! called_like "^kubeadm init " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a failed kubeadm init keeps its exit code and resets the half-made control plane" {
  fail_stub kubeadm --upload-certs 5
  init
  [ "$status" -eq 5 ]
  [[ "$stderr" == *"kubeadm init failed (exit 5)"* ]] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"
  [ -z "$output" ]
  [ ! -e "$DONE" ] || fail "a failed init was marked"
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

# The ClusterConfiguration facts a cluster is made with: version $1, endpoint $2.
cluster_config() {
  printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: %s\ncontrolPlaneEndpoint: %s\n' "$1" "$2"
}

# A control plane initialised by kubelab with version $1, endpoint $2 and $3 control planes.
initialised_with() {
  KUBEADM_TEXT="$(cluster_config "$1" "$2")" CONTROL_PLANES="$3" init
  [ "$status" -eq 0 ] || fail "first init: $stderr"
  : >"$CALLS"
}

@test "init records what the cluster was made with, and a re-run asking the same does nothing" {
  initialised_with v1.36.4 192.168.56.100:6443 3
  [ "$(cat "$FAKE_ROOT/etc/kubernetes/kubelab/cluster.env")" = "$(printf 'KUBERNETES_VERSION=v1.36.4\nCONTROL_PLANE_ENDPOINT=192.168.56.100:6443\nCONTROL_PLANES=3')" ]
  KUBEADM_TEXT="$(cluster_config v1.36.4 192.168.56.100:6443)" CONTROL_PLANES=3 init
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "init.sh: cp-1 already initialised" ] || fail "$output"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
}

@test "another Kubernetes version on an initialised cluster is refused, naming old, new and the fix" {
  initialised_with v1.36.4 192.168.56.100:6443 3
  KUBEADM_TEXT="$(cluster_config v1.37.1 192.168.56.100:6443)" CONTROL_PLANES=3 init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubelab:kubernetesVersion changed from 1.36.4 to 1.37.1 on a running cluster, which kubelab cannot change yet (no upgrades or downgrades): set it back to 1.36.4, or destroy the cluster and create it again"* ]] ||
    fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
}

@test "another control-plane endpoint on an initialised cluster is refused" {
  initialised_with v1.36.4 192.168.56.10:6443 1
  KUBEADM_TEXT="$(cluster_config v1.36.4 192.168.56.100:6443)" CONTROL_PLANES=1 init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubelab:nodes.controlPlaneEndpoint changed from 192.168.56.10:6443 to 192.168.56.100:6443 on a running cluster"* ]] ||
    fail "$stderr"
  [[ "$stderr" == *"set it back to 192.168.56.10:6443, or destroy the cluster and create it again"* ]] || fail "$stderr"
}

@test "another number of control planes on an initialised cluster is refused" {
  initialised_with v1.36.4 192.168.56.100:6443 1
  KUBEADM_TEXT="$(cluster_config v1.36.4 192.168.56.100:6443)" CONTROL_PLANES=3 init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the number of control planes (kubelab:nodes) changed from 1 to 3 on a running cluster, which kubelab cannot change yet (etcd's members are not added or removed): set it back to 1"* ]] ||
    fail "$stderr"
}

@test "a cluster made before the record is checked against its saved init config, then recorded" {
  initialised_with v1.36.4 192.168.56.10:6443 1
  rm "$FAKE_ROOT/etc/kubernetes/kubelab/cluster.env"
  KUBEADM_TEXT="$(cluster_config v1.37.1 192.168.56.10:6443)" CONTROL_PLANES=1 init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubelab:kubernetesVersion changed from 1.36.4 to 1.37.1"* ]] || fail "$stderr"
  KUBEADM_TEXT="$(cluster_config v1.36.4 192.168.56.10:6443)" CONTROL_PLANES=1 init
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "CONTROL_PLANES=1" "$FAKE_ROOT/etc/kubernetes/kubelab/cluster.env"
}

# A kube-vip.sh beside the scripts that records each phase it is run for.
kube_vip_recorder() {
  mkdir -p "$SANDBOX/scripts"
  printf '#!/bin/bash\necho "kube-vip.sh PHASE=$PHASE FIRST=$FIRST_CONTROL_PLANE VIP=$VIP" >>"$STUB_STATE/calls"\n' \
    >"$SANDBOX/scripts/kube-vip.sh"
}

vip_init() {
  run_node init NODE_NAME=cp-1 UPLOAD_CERTS=true CONTROL_PLANES=3 KUBEADM_CONFIG="$CONFIG_TEXT" \
    VIP=192.168.56.100 KUBE_VIP_MANIFEST=manifest KUBELAB_SCRIPTS_DIR="$SANDBOX/scripts"
}

@test "with a VIP, kube-vip's pod goes in before kubeadm init and switches to admin.conf after it" {
  kube_vip_recorder
  vip_init
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  before="$(call_line "kube-vip.sh PHASE=before FIRST=true VIP=192.168.56.100")"
  run_init="$(call_line "kubeadm init --config $CONFIG --upload-certs")"
  after="$(call_line "kube-vip.sh PHASE=after FIRST=true VIP=192.168.56.100")"
  [ -n "$before" ] && [ -n "$after" ] && [ "$before" -lt "$run_init" ] && [ "$run_init" -lt "$after" ] ||
    fail "$(cat "$CALLS")"
  : >"$CALLS"
  vip_init
  [ "$status" -eq 0 ] || fail "second run: $stderr"
  called "kube-vip.sh PHASE=after FIRST=true VIP=192.168.56.100" || fail "an initialised node is switched again: $(cat "$CALLS")"
  ! called_like "PHASE=before" || fail "$(cat "$CALLS")"
}

@test "without a VIP, kube-vip.sh is not run" {
  kube_vip_recorder
  run_node init NODE_NAME=cp-1 UPLOAD_CERTS=false CONTROL_PLANES=1 KUBEADM_CONFIG="$CONFIG_TEXT" \
    KUBELAB_SCRIPTS_DIR="$SANDBOX/scripts"
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^kube-vip.sh" || fail "$(cat "$CALLS")"
}

@test "a failed kubeadm init shows kubeadm's last lines, never one with a token or certificate key" {
  stub kubeadm '
case "$1 ${2:-}" in
  "config validate") echo ok ;;
  "init --config")
    echo "[bootstrap-token] Using token: '"$TEST_TOKEN"'"
    echo "[upload-certs] Using certificate key: '"$TEST_CERT_KEY"'"
    printf "[upload-certs] Using certificate key:\n%s\n" '"$TEST_CERT_KEY"'
    echo "  --discovery-token '"$TEST_TOKEN"'"
    echo "error: error execution phase wait-control-plane: the API server did not become healthy"
    exit 1 ;;
esac'
  init
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"error execution phase wait-control-plane: the API server did not become healthy"* ]] || fail "$stderr"
  [[ "$stderr" != *"$TEST_TOKEN"* && "$stderr" != *"$TEST_CERT_KEY"* ]] || fail "a secret reached stderr: $stderr"
}
