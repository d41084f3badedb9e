#!/usr/bin/env bats
# wait-network.sh against a stub kubectl whose cluster state lives in files under $STATE:
#   registered   one node name per line (nodes the API server knows)
#   ready        one node name per line (nodes whose Ready condition is True)
#   pods         "yes" once the addon's agent pods exist
#   pods-ready   "yes" once they are Ready
# Every call is appended to $STATE/calls.

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../scripts/node/wait-network.sh"
  STATE="$(mktemp -d)"
  BIN="$STATE/bin"
  mkdir -p "$BIN"
  export STATE
  cat >"$BIN/kubectl" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STATE/calls"
has() { [ -f "$STATE/$1" ] && grep -qx "$2" "$STATE/$1"; }
args=("$@")
if [ "${args[0]}" = "-n" ]; then args=("${args[@]:2}"); fi
case "${args[0]} ${args[1]}" in
  "get node")
    has registered "${args[2]}" || { echo "Error from server (NotFound): nodes \"${args[2]}\" not found" >&2; exit 1; }
    echo "node/${args[2]}" ;;
  "get nodes")
    while read -r n; do
      if has ready "$n"; then echo "$n True"; else echo "$n False"; fi
    done <"$STATE/registered" ;;
  "get pods")
    if has pods yes; then echo "pod/agent-1"; fi ;;
  "wait --for=condition=Ready")
    if [ "${args[2]}" = "pod" ]; then
      has pods-ready yes || { echo "timed out waiting for the condition on pods/agent-1" >&2; exit 1; }
      exit 0
    fi
    for ref in "${args[@]:2}"; do
      case "$ref" in node/*) has ready "${ref#node/}" || { echo "timed out waiting for the condition on nodes/${ref#node/}" >&2; exit 1; } ;; esac
    done ;;
  *) echo "unexpected kubectl $*" >&2; exit 2 ;;
esac
STUB
  chmod +x "$BIN/kubectl"
  export PATH="$BIN:$PATH"
  export EXPECTED_NODES="cp-1 worker-1 worker-2" ADDON_NAMESPACE=kube-flannel ADDON_SELECTOR=app=flannel
  export TIMEOUT_SECONDS=30 POLL_SECONDS=0.1
}

teardown() {
  rm -rf "$STATE"
}

cluster() {
  printf '%s\n' cp-1 worker-1 worker-2 >"$STATE/registered"
  printf '%s\n' "$@" >"$STATE/ready"
}

@test "succeeds when every node and the addon's pods are Ready" {
  cluster cp-1 worker-1 worker-2
  echo yes >"$STATE/pods"
  echo yes >"$STATE/pods-ready"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"all 3 nodes Ready"* ]]
  grep -q "wait --for=condition=Ready node/cp-1 node/worker-1 node/worker-2 --timeout=" "$STATE/calls"
  grep -q -- "-n kube-flannel wait --for=condition=Ready pod -l app=flannel --timeout=" "$STATE/calls"
}

@test "waits for the nodes to be Ready before the addon's pods" {
  cluster cp-1 worker-1 worker-2
  echo yes >"$STATE/pods"
  echo yes >"$STATE/pods-ready"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  node_wait=$(grep -n "wait --for=condition=Ready node/" "$STATE/calls" | cut -d: -f1)
  pod_wait=$(grep -n "wait --for=condition=Ready pod" "$STATE/calls" | cut -d: -f1)
  [ "$node_wait" -lt "$pod_wait" ]
}

@test "names the NotReady node and exits non-zero" {
  cluster cp-1 worker-1
  echo yes >"$STATE/pods"
  run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"nodes not Ready: worker-2 (Ready=False)"* ]]
  [[ "$output" != *"cp-1 (Ready"* ]]
  [[ "$output" != *"worker-1 (Ready"* ]]
}

@test "names a node that never registers once the deadline passes" {
  printf '%s\n' cp-1 worker-1 >"$STATE/registered"
  printf '%s\n' cp-1 worker-1 >"$STATE/ready"
  TIMEOUT_SECONDS=1 run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not every node registered within 1s"* ]]
  [[ "$output" == *"worker-2 (not registered)"* ]]
}

@test "is bounded: a cluster that never becomes ready ends within the timeout" {
  : >"$STATE/registered"
  start=$SECONDS
  TIMEOUT_SECONDS=2 run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [ $((SECONDS - start)) -le 6 ]
  [[ "$output" == *"cp-1 (not registered),worker-1 (not registered),worker-2 (not registered)"* ]]
}

@test "waits for the agent pods to exist before waiting on them" {
  cluster cp-1 worker-1 worker-2
  TIMEOUT_SECONDS=1 run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no pods match app=flannel in kube-flannel within 1s"* ]]
  run grep -c "wait --for=condition=Ready pod" "$STATE/calls"
  [ "$output" = "0" ]
}

@test "reports agent pods that do not become Ready" {
  cluster cp-1 worker-1 worker-2
  echo yes >"$STATE/pods"
  run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"the app=flannel pods in kube-flannel did not become Ready"* ]]
}

@test "refuses to run without the expected nodes" {
  unset EXPECTED_NODES
  run bash "$SCRIPT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"EXPECTED_NODES"* ]]
}
