#!/usr/bin/env bats
# node-registered.sh against a stub kubectl: bounded polling until the Node object exists.

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../scripts/node/node-registered.sh"
  STATE="$(mktemp -d)"
  mkdir -p "$STATE/bin"
  cat >"$STATE/bin/kubectl" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STATE/calls"
[ "$(wc -l <"$STATE/calls")" -ge "${REGISTER_AFTER:-1}" ]
STUB
  chmod +x "$STATE/bin/kubectl"
  cat >"$STATE/bin/sleep" <<'STUB'
#!/usr/bin/env bash
exit 0
STUB
  chmod +x "$STATE/bin/sleep"
  export STATE PATH="$STATE/bin:$PATH" NODE_NAME=worker-1
}

teardown() {
  rm -rf "$STATE"
}

@test "succeeds once the API server lists the node, every call bounded by a request timeout" {
  REGISTER_AFTER=3 run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$STATE/calls")" -eq 3 ]
  grep -q -- '--request-timeout=10s get node worker-1' "$STATE/calls"
}

@test "gives up with a message naming the node when it never registers" {
  REGISTER_AFTER=1000000 TIMEOUT_SECONDS=1 run bash -c 'SECONDS=0; bash "$0"' "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"node worker-1 did not register with the API server within 1s"* ]]
}
