#!/usr/bin/env bats
# scripts/node/join-token.sh against stubbed kubeadm and openssl.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  mkdir -p "$FAKE_ROOT/etc/kubernetes/pki"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/admin.conf"
  echo "FAKE CA CERTIFICATE" >"$FAKE_ROOT/etc/kubernetes/pki/ca.crt"
  NOW=1700000000
  stub date "echo $NOW"
}

@test "a worker's join gets one JSON line: a token for 24 hours, the CA hash, no certificate key, the expiry" {
  run_node join-token CONTROL_PLANE_JOIN=false
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "${#lines[@]}" -eq 1 ] || fail "stdout: $output"
  [ "$output" = "{\"token\":\"$TEST_TOKEN\",\"caCertHash\":\"sha256:$TEST_CA_HASH\",\"certificateKey\":\"\",\"expires\":$((NOW + 86400))}" ] ||
    fail "stdout: $output"
  called "kubeadm token create --ttl 24h --kubeconfig $FAKE_ROOT/etc/kubernetes/admin.conf" || fail "$(cat "$CALLS")"
  called "openssl x509 -pubkey -noout -in $FAKE_ROOT/etc/kubernetes/pki/ca.crt"
  ! called_like "^kubeadm (certs|init) " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a control plane's join also gets a fresh certificate key; its token lasts as long as the certificates, 2 hours" {
  run_node join-token CONTROL_PLANE_JOIN=true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "${#lines[@]}" -eq 1 ] || fail "stdout: $output"
  [ "$output" = "{\"token\":\"$TEST_TOKEN\",\"caCertHash\":\"sha256:$TEST_CA_HASH\",\"certificateKey\":\"$TEST_CERT_KEY\",\"expires\":$((NOW + 7200))}" ] ||
    fail "stdout: $output"
  called "kubeadm token create --ttl 2h --kubeconfig $FAKE_ROOT/etc/kubernetes/admin.conf" || fail "$(cat "$CALLS")"
  called "kubeadm certs certificate-key"
  called "kubeadm init phase upload-certs --upload-certs --certificate-key $TEST_CERT_KEY" || fail "$(cat "$CALLS")"
}

@test "the JSON line is valid JSON" {
  command -v node >/dev/null || skip "node not available"
  run_node join-token CONTROL_PLANE_JOIN=true
  [ "$status" -eq 0 ] || fail "$stderr"
  node -e 'const v = JSON.parse(process.argv[1]); if (Object.keys(v).join() !== "token,caCertHash,certificateKey,expires") process.exit(1)' "$output"
}

@test "nothing secret reaches stderr, even when kubeadm puts the token there" {
  run_node join-token CONTROL_PLANE_JOIN=true
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" != *"$TEST_TOKEN"* && "$stderr" != *"$TEST_CERT_KEY"* ]] || fail "secret on stderr: $stderr"
  [[ "$stderr" == *"using a fresh token <token> for discovery"* ]] || fail "kubeadm's warning was dropped: $stderr"
}

@test "a failing kubeadm token create stops the script with its exit code and prints no JSON" {
  fail_stub kubeadm token 2
  run_node join-token CONTROL_PLANE_JOIN=true
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"kubeadm token create failed (exit 2)"* ]] || fail "$stderr"
}

@test "a failing certificate upload stops the script with its exit code and prints no JSON" {
  fail_stub kubeadm upload-certs 6
  run_node join-token CONTROL_PLANE_JOIN=true
  [ "$status" -eq 6 ]
  [ -z "$output" ]
  [[ "$stderr" != *"$TEST_CERT_KEY"* ]] || fail "key on stderr: $stderr"
}

@test "join-token refuses to run before init" {
  rm "$FAKE_ROOT/etc/kubernetes/admin.conf"
  run_node join-token CONTROL_PLANE_JOIN=false
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"/etc/kubernetes/admin.conf is missing: run init.sh on this control plane first"* ]] || fail "$stderr"
}

@test "a token create that prints something unexpected fails without echoing it" {
  stub kubeadm 'echo "Not-A-Token-But-Maybe-Secret"'
  run_node join-token CONTROL_PLANE_JOIN=false
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" != *"Not-A-Token-But-Maybe-Secret"* ]] || fail "$stderr"
}
