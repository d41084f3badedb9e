#!/usr/bin/env bats
# wait-crd.sh against a stub kubectl: bounded polling for the CRD, then the Established wait.

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../scripts/node/wait-crd.sh"
  STATE="$(mktemp -d)"
  mkdir -p "$STATE/bin"
  cat >"$STATE/bin/kubectl" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STATE/calls"
case "$*" in
  *" get crd "*) [ "$(grep -c ' get crd ' "$STATE/calls")" -ge "${REGISTER_AFTER:-1}" ] ;;
  "wait "*) exit "${WAIT_STATUS:-0}" ;;
esac
STUB
  printf '#!/usr/bin/env bash\nexit 0\n' >"$STATE/bin/sleep"
  chmod +x "$STATE/bin/kubectl" "$STATE/bin/sleep"
  export STATE PATH="$STATE/bin:$PATH" CRD_NAME=installations.operator.tigera.io
}

teardown() {
  rm -rf "$STATE"
}

@test "waits until the CRD exists, then until it is Established, every call bounded" {
  REGISTER_AFTER=3 run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(grep -c ' get crd ' "$STATE/calls")" -eq 3 ]
  grep -q -- '--request-timeout=10s get crd installations.operator.tigera.io' "$STATE/calls"
  grep -Eq -- '^wait --for=condition=Established crd/installations.operator.tigera.io --timeout=[0-9]+s$' "$STATE/calls"
}

@test "gives up naming the CRD when the operator never registers it" {
  REGISTER_AFTER=1000000 TIMEOUT_SECONDS=1 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"CRD installations.operator.tigera.io was not registered within 1s"* ]]
}

@test "a CRD that never becomes Established fails the step" {
  WAIT_STATUS=1 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
}
