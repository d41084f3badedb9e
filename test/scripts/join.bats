#!/usr/bin/env bats
# scripts/node/join.sh against a stubbed kubeadm; the JoinConfiguration arrives on stdin.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  CONFIG="$FAKE_ROOT/etc/kubernetes/kubelab/kubeadm-join.yaml"
  DONE="$FAKE_ROOT/etc/kubernetes/kubelab/join.done"
  LOG="$FAKE_ROOT/var/log/kubelab-join.log"
  KUBELET_CONF="$FAKE_ROOT/etc/kubernetes/kubelet.conf"
  MANIFESTS="$FAKE_ROOT/etc/kubernetes/manifests"
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

# What a node looks like once kubeadm join wrote kubelet.conf.
kubelet_conf() {
  mkdir -p "$FAKE_ROOT/etc/kubernetes" "$FAKE_ROOT/var/log"
  echo "apiVersion: v1" >"$KUBELET_CONF"
}

# The Node object as the node's own credentials read it: its labels.
node_labels() {
  stub kubectl "echo '$1'"
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

@test "join is skipped when kubelet.conf and kubelab's join marker exist, without writing the token anywhere" {
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ -f "$DONE" ] || fail "no marker after a successful join"
  rm -f "$LOG"
  : >"$CALLS"
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "join.sh: worker-1 already joined" ] || fail "stdout: $output"
  [[ "$stderr" == *"already joined"* ]] || fail "$stderr"
  ! called_like "^(kubeadm|kubectl|systemctl) " || fail "unexpected call: $(cat "$CALLS")"
  ! grep -rqF "$TEST_TOKEN" "$FAKE_ROOT" "$SANDBOX/tmp" || fail "token written to disk"
}

@test "kubeadm's stderr goes to the log too" {
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" != *"[preflight]"* ]] || fail "kubeadm's stderr reached the channel: $stderr"
  grep -qF "[preflight] WARNING: Couldn't create the interface" "$LOG" || fail "$(cat "$LOG")"
}

@test "kubelet.conf left by a join that was cut off is reset, then the join runs again and is marked" {
  kubelet_conf
  printf '%s\n' "[kubelet-start] Starting the kubelet" "[etcd] Announced new etcd member joining to the existing etcd cluster" >"$LOG"
  join
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [[ "$stderr" == *"kubelet.conf is left from a kubeadm join that did not finish; resetting the partial join"* ]] || fail "$stderr"
  reset="$(call_line "kubeadm reset -f")"
  run_join="$(call_line "kubeadm join --config $CONFIG")"
  [ -n "$reset" ] && [ -n "$run_join" ] && [ "$reset" -lt "$run_join" ] || fail "$(cat "$CALLS")"
  [ -f "$DONE" ]
  [ ! -e "$CONFIG" ] || fail "join config left on disk"
  [ "$output" = "join.sh: worker-1 joined the cluster" ] || fail "stdout: $output"
}

@test "a node joined by a kubelab without markers is kept: marked, nothing runs, stdin never written" {
  kubelet_conf
  printf '%s\n' "This node has joined the cluster and a new control plane instance was created:" "" \
    "* Certificate signing request was sent to apiserver and approval was received." >"$LOG"
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "join.sh: worker-1 already joined" ] || fail "stdout: $output"
  [ -f "$DONE" ]
  ! called_like "^(kubeadm|kubectl) " || fail "unexpected call: $(cat "$CALLS")"
  ! grep -rqF "$TEST_TOKEN" "$FAKE_ROOT" "$SANDBOX/tmp" || fail "token written to disk"
}

@test "kubelet.conf without any log: a worker whose kubelet runs and reads its Node is kept" {
  kubelet_conf
  echo kubelet >"$STUB_STATE/active"
  node_labels '{"kubernetes.io/hostname":"worker-1"}'
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "join.sh: worker-1 already joined" ] || fail "stdout: $output"
  called "kubectl --kubeconfig $KUBELET_CONF --request-timeout=8s get node worker-1 -o jsonpath={.metadata.labels}" || fail "$(cat "$CALLS")"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
  [ -f "$DONE" ]
}

@test "kubelet.conf without any log: a stopped kubelet, or a Node that never answers within the bound, is reset and joined again" {
  kubelet_conf
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^kubectl " || fail "asked the API server although kubelet is not running: $(cat "$CALLS")"
  [ "$(grep -c "^systemctl is-active --quiet kubelet$" "$CALLS")" -eq 20 ] || fail "$(cat "$CALLS")"
  [ "$(call_line "kubeadm reset -f")" -lt "$(call_line "kubeadm join --config $CONFIG")" ] || fail "$(cat "$CALLS")"

  rm -f "$DONE" "$LOG"
  : >"$CALLS"
  echo kubelet >"$STUB_STATE/active"
  fail_stub kubectl 1
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -c "^kubectl " "$CALLS")" -eq 20 ] || fail "$(cat "$CALLS")"
  [ "$(grep -c "^sleep 6$" "$CALLS")" -eq 19 ] || fail "$(cat "$CALLS")"
  [ "$(call_line "kubeadm reset -f")" -lt "$(call_line "kubeadm join --config $CONFIG")" ] || fail "$(cat "$CALLS")"
}

@test "kubelet.conf without any log: a control plane counts as joined only with its etcd manifest and control-plane label" {
  kubelet_conf
  echo kubelet >"$STUB_STATE/active"
  mkdir -p "$MANIFESTS"
  touch "$MANIFESTS/kube-apiserver.yaml"
  # Cut off before the etcd join: no etcd manifest, no label.
  node_labels '{"kubernetes.io/hostname":"worker-1"}'
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"

  # Cut off after the etcd member was added, before the label.
  rm -f "$DONE" "$LOG"
  kubelet_conf
  mkdir -p "$MANIFESTS"
  touch "$MANIFESTS/kube-apiserver.yaml" "$MANIFESTS/etcd.yaml"
  : >"$CALLS"
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"

  rm -f "$DONE" "$LOG"
  kubelet_conf
  mkdir -p "$MANIFESTS"
  touch "$MANIFESTS/kube-apiserver.yaml" "$MANIFESTS/etcd.yaml"
  node_labels '{"kubernetes.io/hostname":"worker-1","node-role.kubernetes.io/control-plane":""}'
  : >"$CALLS"
  join
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "join.sh: worker-1 already joined" ] || fail "stdout: $output"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a half-joined node is not reset when stdin is no JoinConfiguration" {
  kubelet_conf
  echo "[kubelet-start] Starting the kubelet" >"$LOG"
  STDIN=/dev/null join
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no JoinConfiguration on stdin"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a reset that fails stops before kubeadm join and still removes the config" {
  kubelet_conf
  echo "[kubelet-start] Starting the kubelet" >"$LOG"
  fail_stub kubeadm reset 1
  join
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubeadm reset failed (see /var/log/kubelab-join.log on worker-1); run 'kubeadm reset -f' by hand"* ]] || fail "$stderr"
  ! called_like "^kubeadm join " || fail "unexpected call: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ] && [ ! -e "$DONE" ]
}

@test "with the SSH channel gone, join still finishes, is marked and removes the config; a failed one is still reset" {
  run_dead_channel join NODE_NAME=worker-1 <"$JOIN_YAML"
  called "kubeadm join --config $CONFIG" || fail "$(cat "$CALLS")"
  [ -f "$DONE" ] || fail "no marker"
  [ ! -e "$CONFIG" ] || fail "join config left on disk"

  rm -rf "$FAKE_ROOT/etc/kubernetes"
  : >"$CALLS"
  fail_stub kubeadm join 4
  run_dead_channel join NODE_NAME=worker-1 <"$JOIN_YAML"
  [ "$(call_line "kubeadm join --config $CONFIG")" -lt "$(call_line "kubeadm reset -f")" ] || fail "$(cat "$CALLS")"
  [ ! -e "$DONE" ] && [ ! -e "$CONFIG" ]
}

@test "a failed join keeps kubeadm's exit code, resets the node and still removes the config" {
  fail_stub kubeadm join 4
  join
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"kubeadm join failed (exit 4)"* ]] || fail "$stderr"
  called "kubeadm reset -f" || fail "$(cat "$CALLS")"
  [ ! -e "$DONE" ] || fail "a failed join was marked"
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

TOKEN_URN='urn:pulumi:lab::kubelab::kubelab:cluster:KubeadmCluster$command:remote:Command::cluster-worker-1-join-token'

# A JoinConfiguration whose token expires at $1 (Unix seconds), as the cluster component writes it.
expiring_config() {
  { echo "# kubelab token expires: $1"; cat "$JOIN_YAML"; } >"$SANDBOX/expiring.yaml"
}

@test "a join retried after its token expired stops before kubeadm and names the step that mints a fresh one" {
  expiring_config 1700000000
  stub date 'if [ "$1" = -u ] && [ "$2" = +%s ]; then echo 1700003600; else echo "2023-11-14 22:13 UTC"; fi'
  run_node join NODE_NAME=worker-1 TOKEN_STEP="$TOKEN_URN" <"$SANDBOX/expiring.yaml"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the bootstrap token of this join expired at 2023-11-14 22:13 UTC"* ]] || fail "$stderr"
  [[ "$stderr" == *"pulumi up --replace '$TOKEN_URN'"* ]] || fail "$stderr"
  ! called_like "^kubeadm " || fail "kubeadm ran: $(cat "$CALLS")"
  [ ! -e "$CONFIG" ] || fail "the config (with the token) was left behind"
}

@test "a token that is still valid joins as usual" {
  expiring_config 1700086400
  stub date 'echo 1700000000'
  run_node join NODE_NAME=worker-1 TOKEN_STEP="$TOKEN_URN" <"$SANDBOX/expiring.yaml"
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kubeadm join --config $CONFIG" || fail "$(cat "$CALLS")"
}

@test "a join refused for its token says how to mint a fresh one" {
  stub kubeadm '
case "$1" in
  join) echo "error: could not find a JWS signature in the cluster-info ConfigMap for token ID \"k7x2pq\"" >&2; exit 1 ;;
esac'
  run_node join NODE_NAME=worker-1 TOKEN_STEP="$TOKEN_URN" <"$JOIN_YAML"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the bootstrap token or the uploaded certificates are no longer valid"* ]] || fail "$stderr"
  [[ "$stderr" == *"pulumi up --replace '$TOKEN_URN'"* ]] || fail "$stderr"
}
