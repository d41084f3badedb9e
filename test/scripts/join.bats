#!/usr/bin/env bats
# scripts/node/join.sh against a stubbed kubeadm; the JoinConfiguration arrives on stdin.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  CONFIG="$FAKE_ROOT/etc/kubernetes/kubelab/kubeadm-join.yaml"
  JOIN_YAML="$SANDBOX/join.yaml"
  cat >"$JOIN_YAML" <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 192.168.56.10:6443
    token: $TEST_TOKEN
    caCertHashes:
      - sha256:$TEST_CA_HASH
YAML
}

join() {
  run_node join NODE_NAME=worker-1 <"${STDIN:-$JOIN_YAML}"
}

@test "join hands stdin to kubeadm join in a root-only file and removes it afterwards" {
  join
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  called "kubeadm join --config $CONFIG" || fail "$(cat "$CALLS")"
  cmp "$JOIN_YAML" "$STUB_STATE/join-config-seen"
  [ "$(cat "$STUB_STATE/join-config-mode")" = 600 ]
  [ ! -e "$CONFIG" ] || fail "join config left on disk"
  [ "$output" = "join.sh: worker-1 joined the cluster" ]
}

@test "join never prints the token" {
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output$stderr" != *"$TEST_TOKEN"* ]] || fail "token printed"
  [ "$(stat -c %a "$FAKE_ROOT/var/log/kubelab-join.log")" = 600 ]
}

@test "join is skipped when /etc/kubernetes/kubelet.conf exists, without writing the token anywhere" {
  mkdir -p "$FAKE_ROOT/etc/kubernetes"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/kubelet.conf"
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" == *"already joined"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
  ! grep -rqF "$TEST_TOKEN" "$FAKE_ROOT" "$SANDBOX/tmp" || fail "token written to disk"
}

@test "a failed join keeps kubeadm's exit code, resets the node and still removes the config" {
  fail_stub kubeadm join 4
  join
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"kubeadm join failed (exit 4)"* ]] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"
  [ ! -e "$CONFIG" ] || fail "join config left on disk after a failure"
  ! grep -rqF "$TEST_TOKEN" "$FAKE_ROOT" "$SANDBOX/tmp" || fail "token left on disk"
}

@test "empty stdin fails before kubeadm runs and leaves no file" {
  STDIN=/dev/null join
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no JoinConfiguration on stdin"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ]
}

@test "stdin that is not a JoinConfiguration is refused" {
  echo "kind: InitConfiguration" >"$SANDBOX/other.yaml"
  STDIN="$SANDBOX/other.yaml" join
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"not a kubeadm JoinConfiguration"* ]] || fail "$stderr"
  [ ! -e "$CONFIG" ]
}
