#!/usr/bin/env bats
# scripts/node/install-bundle.sh refuses a damaged or incomplete bundle before changing anything,
# downloads nothing, and bounds every wait.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.sh
  source "$BATS_TEST_DIRNAME/helpers.sh"
  sandbox_setup
}

# Nothing on the node changed and no service or runtime was touched.
assert_nothing_changed() {
  [ -z "$(find "$FAKE_ROOT" -type f)" ] || fail "files written: $(find "$FAKE_ROOT" -type f)"
  ! called_like "^(systemctl|ctr) " || fail "$(cat "$CALLS")"
  [ -z "$output" ] || fail "stdout: $output"
}

@test "a file whose checksum does not match manifest.json stops the install before any change, naming it" {
  local expected
  expected="$(sha256_of "$BUNDLE/bin/kubelet")"
  echo "tampered" >>"$BUNDLE/bin/kubelet"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: nothing installed: bin/kubelet has sha256 $(sha256_of "$BUNDLE/bin/kubelet"), manifest.json says ${expected}; copy the bundle to this node again, or rebuild it with npm run bundle"* ]] ||
    fail "$stderr"
  assert_nothing_changed
}

@test "a missing image archive stops the install before any change, and every bad file is named" {
  rm "$BUNDLE/images/etcd.tar"
  echo "tampered" >>"$BUNDLE/units/kubelet.service"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: nothing installed: units/kubelet.service has sha256 "*", manifest.json says "*"; images/etcd.tar is missing; copy the bundle to this node again"* ]] ||
    fail "$stderr"
  [[ "$stderr" == *"FAILED while checking 20 bundle files against manifest.json (exit 1)"* ]] || fail "$stderr"
  assert_nothing_changed
}

@test "a manifest.json other than the one kubelab checked is refused" {
  install_bundle MANIFEST_SHA256="$(printf '%064d' 1)"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: $BUNDLE/manifest.json has sha256 $MANIFEST_SHA, not $(printf '%064d' 1): it is not the manifest kubelab checked; copy the bundle again"* ]] ||
    fail "$stderr"
  assert_nothing_changed
}

@test "a bundle directory without manifest.json is named" {
  rm "$BUNDLE/manifest.json"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: $BUNDLE/manifest.json is missing: the bundle copy on this node is incomplete; copy the bundle again"* ]] || fail "$stderr"
  assert_nothing_changed
}

@test "no index and no jq: the fix is named" {
  install_bundle BUNDLE_INDEX=
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: BUNDLE_INDEX is not set and jq is not installed, so manifest.json cannot be read; pass BUNDLE_INDEX (kubelab derives it from manifest.json) or install jq"* ]] ||
    fail "$stderr"
  assert_nothing_changed
}

@test "an index given without the manifest's hash, version or pause image is refused" {
  install_bundle MANIFEST_SHA256=
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"MANIFEST_SHA256 is required with BUNDLE_INDEX (it ties the index to manifest.json)"* ]] || fail "$stderr"
  install_bundle PAUSE_IMAGE=
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"PAUSE_IMAGE is required with BUNDLE_INDEX (manifest.json's pauseImage)"* ]] || fail "$stderr"
  assert_nothing_changed
}

@test "a malformed index line is named, and paths leaving the bundle are refused" {
  install_bundle BUNDLE_INDEX="$INDEX"$'not-a-checksum binary bin/x /usr/local/bin/x\n'
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: bundle index line 21 is not '<sha256> <kind> <path> <install path|image ref|cni>': not-a-checksum binary bin/x /usr/local/bin/x"* ]] ||
    fail "$stderr"
  local sha
  sha="$(printf '%064d' 3)"
  install_bundle BUNDLE_INDEX="$sha binary ../etc/shadow /usr/local/bin/x"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"bundle index line 1 is not"* ]] || fail "$stderr"
  install_bundle BUNDLE_INDEX="$sha unit units/x.service /lib/systemd/system/x.service"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"bundle index line 1 is not"* ]] || fail "$stderr"
  assert_nothing_changed
}

@test "a bundle without what the install itself needs is refused before any change" {
  install_bundle BUNDLE_INDEX="$(grep -vE ' (bin/ctr|units/kubelet.service|images/pause.tar) ' <<<"$INDEX")"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: the bundle lacks binary ctr, unit /etc/systemd/system/kubelet.service, image $PAUSE (pauseImage); rebuild it with npm run bundle"* ]] ||
    fail "$stderr"
  assert_nothing_changed
}

@test "no download or package tool is ever run, and no package source is written" {
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^(curl|wget|apt-get|apt|apt-key|add-apt-repository|gpg|dpkg) " || fail "$(cat "$CALLS")"
  [ ! -e "$FAKE_ROOT/etc/apt" ] || fail "$(find "$FAKE_ROOT/etc/apt")"
  # Nor does the script name one outside its comments.
  ! grep -v '^[[:space:]]*#' "$SCRIPT" | grep -qwE 'curl|wget|apt-get|apt|apt-key|add-apt-repository|https?' ||
    fail "$(grep -v '^[[:space:]]*#' "$SCRIPT" | grep -nwE 'curl|wget|apt-get|apt|apt-key|add-apt-repository|https?')"
}

@test "an archive that does not carry its ref stops the install, naming both" {
  touch "$STUB_STATE/import-drops-refs"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: importing images/pause.tar did not create the image $PAUSE: the archive must carry that name (annotation io.containerd.image.name); rebuild the bundle"* ]] ||
    fail "$stderr"
  [ -z "$(ls "$FAKE_ROOT/var/lib/kubelab/bundle/images")" ] || fail "an import was recorded"
  [ -z "$output" ]
}

@test "a failing import stops the install with ctr's exit code, and the next run imports what is left" {
  echo 3 >"$STUB_STATE/fail.ctr.import"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ctr import: stubbed failure"* ]] || fail "$stderr"
  [[ "$stderr" == *"ERROR: ctr images import of $BUNDLE/images/pause.tar failed (exit 3); see /var/log/kubelab-install-bundle.log"* ]] ||
    fail "$stderr"
  [ -z "$output" ]
  rm "$STUB_STATE/fail.ctr.import"
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(count_calls '^ctr -n k8s.io images import ')" -eq 5 ] || fail "$(cat "$CALLS")"
}

@test "containerd that never answers is waited for a bounded number of attempts, then named" {
  touch "$STUB_STATE/containerd-down"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: containerd did not answer on /run/containerd/containerd.sock within 60s; see 'journalctl -u containerd'"* ]] ||
    fail "$stderr"
  [ "$(count_calls '^ctr version$')" -eq 30 ]
  [ "$(count_calls '^sleep 2$')" -eq 29 ]
  ! called_like "^ctr .*images import" || fail "$(cat "$CALLS")"
  [ -z "$output" ]
}

@test "containerd that answers after a while is waited for" {
  echo 4 >"$STUB_STATE/containerd-late"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(count_calls '^ctr version$')" -eq 5 ]
  [ "$(count_calls '^sleep 2$')" -eq 4 ]
}

@test "a containerd 1.x in the bundle is refused before its config is written" {
  echo 1.7.28 >"$STUB_STATE/containerd-version"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: the bundle's containerd is 1.7.28; the offline install writes a containerd 2.x config (Kubernetes 1.36+ needs containerd 2): rebuild the bundle with containerd 2.x"* ]] ||
    fail "$stderr"
  [ ! -e "$FAKE_ROOT/etc/containerd/config.toml" ]
  ! called_like "^systemctl (start|restart) containerd" || fail "$(cat "$CALLS")"
}

@test "a kubeadm of another version than the manifest says is named" {
  echo v1.36.2 >"$STUB_STATE/kubeadm-version"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: the bundle's kubeadm reports 'v1.36.2', but manifest.json says v1.36.3; rebuild the bundle"* ]] || fail "$stderr"
  [ -z "$output" ]
}

@test "a missing or relative BUNDLE_DIR is named" {
  run --separate-stderr env -i PATH="$STUB_BIN" "$STUB_BIN/bash" -c "$(cat "$SCRIPT")" install-bundle.sh
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"BUNDLE_DIR is required (the directory on this node holding the bundle and its manifest.json)"* ]] || fail "$stderr"
  install_bundle BUNDLE_DIR=var/tmp/bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"BUNDLE_DIR 'var/tmp/bundle' is not an absolute path"* ]] || fail "$stderr"
}

@test "a bundle copy another user owns, or others may write to, is refused; the copying user's own is fine" {
  chown -R 4242 "$BUNDLE"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: $BUNDLE belongs to uid 4242, neither root nor the user running this install (uid 0); remove it and copy the bundle again"* ]] ||
    fail "$stderr"
  assert_nothing_changed
  install_bundle SUDO_UID=4242
  [ "$status" -eq 0 ] || fail "$stderr"
  chown -R 0 "$BUNDLE"
  chown 4243 "$BUNDLE/images/etcd.tar"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: $BUNDLE/images/etcd.tar belongs to another user or is writable by others; remove $BUNDLE and copy the bundle again"* ]] ||
    fail "$stderr"
  chown 0 "$BUNDLE/images/etcd.tar"
  chmod o+w "$BUNDLE/bin"
  install_bundle
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: $BUNDLE/bin belongs to another user or is writable by others"* ]] || fail "$stderr"
}
