#!/usr/bin/env bats
# scripts/node/install-bundle.sh on a fresh node, on a re-run, and with a newer bundle.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.sh
  source "$BATS_TEST_DIRNAME/helpers.sh"
  sandbox_setup
  IMAGES=("$PAUSE" "$K8S/kube-apiserver:v1.36.3" "$K8S/etcd:3.6.8-0" "$K8S/coredns:v1.14.2" "$FLANNEL")
}

@test "a fresh node gets every binary, unit and image, containerd configured and started, kubelet enabled" {
  install_bundle
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "$output" = "$(printf '%s\n' \
    "install-bundle.sh: Kubernetes v1.36.3 from the bundle: 11 binaries (11 updated), 3 units (3 updated), 5 images (5 imported, 0 already present), containerd started" \
    "KUBEADM_VERSION=v1.36.3")" ] || fail "stdout: $output"
  local entry kind path target
  for entry in "${BUNDLE_FILES[@]}"; do
    read -r kind path target _ <<<"$entry"
    case "$kind" in
      binary) cmp "$BUNDLE/$path" "$FAKE_ROOT$target" && [ "$(stat -c %a "$FAKE_ROOT$target")" = 755 ] || fail "$target" ;;
      unit) cmp "$BUNDLE/$path" "$FAKE_ROOT$target" && [ "$(stat -c %a "$FAKE_ROOT$target")" = 644 ] || fail "$target" ;;
    esac
  done
  called "systemctl daemon-reload"
  called "systemctl enable containerd"
  called "systemctl start containerd"
  called "systemctl enable kubelet"
  ! called_like "^systemctl (restart|start) kubelet" || fail "kubeadm starts kubelet: $(cat "$CALLS")"
  local ref
  for ref in "${IMAGES[@]}"; do
    grep -qE "^$ref sha256:[0-9a-f]{64} io.cri-containerd.pinned=pinned$" "$STUB_STATE/images" || fail "$ref: $(cat "$STUB_STATE/images")"
  done
  called "ctr -n k8s.io images import --label io.cri-containerd.pinned=pinned $BUNDLE/images/pause.tar"
  [ "$(count_calls '^ctr -n k8s.io images import ')" -eq 5 ]
  # The chart stays in the bundle: Helm installs it from the host.
  ! find "$FAKE_ROOT" -name '*.tgz' | grep -q . || fail "a chart was installed on the node"
  # Images are imported once containerd answers, after its config is in place.
  [ "$(grep -n '^ctr version' "$CALLS" | head -n 1 | cut -d: -f1)" -gt "$(grep -n '^systemctl start containerd' "$CALLS" | cut -d: -f1)" ]
}

@test "containerd gets a whole version 3 config: systemd cgroups, the bundle's pause image, CNI dirs, no mirrors" {
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  local config="$FAKE_ROOT/etc/containerd/config.toml"
  grep -qx "version = 3" "$config"
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]")" = "  SystemdCgroup = true" ]
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]")" = "  runtime_type = 'io.containerd.runc.v2'" ]
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.images'.pinned_images]")" = "  sandbox = '$PAUSE'" ]
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.runtime'.cni]")" = "$(printf '%s\n' "  bin_dirs = ['/opt/cni/bin']" "  conf_dir = '/etc/cni/net.d'")" ] ||
    fail "$(cat "$config")"
  ! grep -v '^#' "$config" | grep -qiE "mirror|registry|endpoint|config_path" || fail "$(cat "$config")"
}

@test "containerd 2.0 gets the single CNI bin_dir it knows" {
  echo 2.0.6 >"$STUB_STATE/containerd-version"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(toml_table "$FAKE_ROOT/etc/containerd/config.toml" "[plugins.'io.containerd.cri.v1.runtime'.cni]")" = \
    "$(printf '%s\n' "  bin_dir = '/opt/cni/bin'" "  conf_dir = '/etc/cni/net.d'")" ]
}

@test "the containerd config is valid TOML" {
  command -v python3 >/dev/null && python3 -c 'import tomllib' 2>/dev/null || skip "python3 with tomllib not available"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  python3 - "$FAKE_ROOT/etc/containerd/config.toml" "$PAUSE" <<'EOF'
import sys, tomllib
config = tomllib.load(open(sys.argv[1], "rb"))
plugins = config["plugins"]
assert plugins["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
assert plugins["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == sys.argv[2]
assert plugins["io.containerd.cri.v1.runtime"]["cni"]["bin_dirs"] == ["/opt/cni/bin"]
EOF
}

@test "a re-run installs nothing, imports nothing, restarts nothing and rewrites no file" {
  install_bundle
  [ "$status" -eq 0 ] || fail "first run: $stderr"
  find "$FAKE_ROOT" -type f -exec touch -d @1000000000 {} +
  local before
  before="$(tree_state)"
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "second run: $stderr"
  [ "$output" = "$(printf '%s\n' \
    "install-bundle.sh: Kubernetes v1.36.3 from the bundle: 11 binaries (0 updated), 3 units (0 updated), 5 images (0 imported, 5 already present), containerd running unchanged" \
    "KUBEADM_VERSION=v1.36.3")" ] || fail "stdout: $output"
  [ "$(tree_state)" = "$before" ] || fail "files changed: $(diff <(echo "$before") <(tree_state))"
  ! called_like "^ctr .*images (import|label)" || fail "$(cat "$CALLS")"
  ! called_like "^systemctl (daemon-reload|restart|start|enable)" || fail "$(cat "$CALLS")"
}

@test "a newer bundle replaces only what changed and restarts only the service it concerns" {
  install_bundle
  [ "$status" -eq 0 ] || fail "first run: $stderr"
  echo kubelet >>"$STUB_STATE/active"
  echo "# a newer build" >>"$BUNDLE/bin/kubelet"
  echo "ref=$K8S/etcd:3.6.8-0" >"$BUNDLE/images/etcd.tar" && echo "# rebuilt" >>"$BUNDLE/images/etcd.tar"
  write_manifest
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == *"11 binaries (1 updated), 3 units (0 updated), 5 images (1 imported, 4 already present), containerd running unchanged"* ]] ||
    fail "$output"
  cmp "$BUNDLE/bin/kubelet" "$FAKE_ROOT/usr/local/bin/kubelet"
  [ "$(grep '^ctr .*images import' "$CALLS")" = "ctr -n k8s.io images import --label io.cri-containerd.pinned=pinned $BUNDLE/images/etcd.tar" ] ||
    fail "$(cat "$CALLS")"
  called "systemctl restart kubelet"
  ! called_like "^systemctl (restart|start) containerd" || fail "$(cat "$CALLS")"
  ! called "systemctl daemon-reload" || fail "no unit changed: $(cat "$CALLS")"
}

@test "a new containerd binary or unit restarts a running containerd once, and daemon-reload comes first" {
  install_bundle
  [ "$status" -eq 0 ] || fail "first run: $stderr"
  echo "# a newer build" >>"$BUNDLE/bin/containerd"
  echo "# LimitNOFILE changed" >>"$BUNDLE/units/containerd.service"
  write_manifest
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == *"containerd restarted"* ]] || fail "$output"
  [ "$(count_calls '^systemctl restart containerd$')" -eq 1 ] || fail "$(cat "$CALLS")"
  [ "$(grep -n '^systemctl daemon-reload' "$CALLS" | cut -d: -f1)" -lt "$(grep -n '^systemctl restart containerd' "$CALLS" | cut -d: -f1)" ]
}

@test "an image removed from containerd since is imported again; an unpinned one is only pinned" {
  install_bundle
  [ "$status" -eq 0 ] || fail "first run: $stderr"
  grep -v "^$K8S/coredns:" "$STUB_STATE/images" >"$STUB_STATE/images.new"
  sed "s|^\($K8S/etcd:3.6.8-0 [^ ]*\) .*|\1 -|" "$STUB_STATE/images.new" >"$STUB_STATE/images"
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep '^ctr .*images import' "$CALLS")" = "ctr -n k8s.io images import --label io.cri-containerd.pinned=pinned $BUNDLE/images/coredns.tar" ] ||
    fail "$(cat "$CALLS")"
  called "ctr -n k8s.io images label $K8S/etcd:3.6.8-0 io.cri-containerd.pinned=pinned" || fail "$(cat "$CALLS")"
  grep -qx "$K8S/etcd:3.6.8-0 sha256:[0-9a-f]* io.cri-containerd.pinned=pinned" "$STUB_STATE/images" || fail "$(cat "$STUB_STATE/images")"
}

@test "a ref that another source put in containerd is replaced by the bundle's image" {
  echo "$PAUSE sha256:$(printf '%064d' 7) io.cri-containerd.pinned=pinned" >"$STUB_STATE/images"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  called "ctr -n k8s.io images import --label io.cri-containerd.pinned=pinned $BUNDLE/images/pause.tar"
  grep -qx "$PAUSE sha256:$(sha256_of "$BUNDLE/images/pause.tar") io.cri-containerd.pinned=pinned" "$STUB_STATE/images"
}

@test "without BUNDLE_INDEX jq reads manifest.json, with the same result" {
  ln -s "$(command -v jq)" "$STUB_BIN/jq"
  install_bundle BUNDLE_INDEX= MANIFEST_SHA256= KUBERNETES_VERSION= PAUSE_IMAGE=
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "${lines[1]}" = "KUBEADM_VERSION=v1.36.3" ]
  [ "$(count_calls '^ctr -n k8s.io images import ')" -eq 5 ]
  [ "$(toml_table "$FAKE_ROOT/etc/containerd/config.toml" "[plugins.'io.containerd.cri.v1.images'.pinned_images]")" = "  sandbox = '$PAUSE'" ]
}

@test "copies of earlier bundles next to this one are removed, anything else is left alone" {
  local earlier="$SANDBOX/var-tmp/kubelab-bundle-fedcba9876543210" foreign="$SANDBOX/var-tmp/kubelab-bundle-aaaa"
  mkdir -p "$earlier/images" "$foreign" "$SANDBOX/var-tmp/kubelab-bundle-notes" "$SANDBOX/var-tmp/other"
  chown 4242 "$foreign"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [ ! -e "$earlier" ] || fail "the earlier copy is still there"
  [[ "$stderr" == *"removing $earlier, the copy of an earlier bundle"* ]] || fail "$stderr"
  # Another user's directory, a name that is not a bundle hash, anything else: kept.
  [ -d "$foreign" ] && [ -d "$SANDBOX/var-tmp/kubelab-bundle-notes" ] && [ -d "$SANDBOX/var-tmp/other" ] && [ -f "$BUNDLE/manifest.json" ]
}

@test "a dropped SSH session does not stop the install halfway" {
  install_bundle_dead_channel
  local ref
  for ref in "${IMAGES[@]}"; do grep -q "^$ref " "$STUB_STATE/images" || fail "$ref not imported: $(cat "$CALLS")"; done
  [ -s "$FAKE_ROOT/etc/containerd/config.toml" ]
  called "systemctl enable kubelet" || fail "$(cat "$CALLS")"
  # Nothing is left to do on the next run.
  : >"$CALLS"
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "${lines[0]}" == *"(0 updated), 3 units (0 updated), 5 images (0 imported, 5 already present)"* ]] || fail "$output"
}

@test "machine containers (no CAP_SYS_RESOURCE) get containers kept at or above containerd's oom_score_adj" {
  install_bundle RESTRICT_OOM_SCORE_ADJ=true
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "  restrict_oom_score_adj = true" "$FAKE_ROOT/etc/containerd/config.toml" || fail "$(cat "$FAKE_ROOT/etc/containerd/config.toml")"
  install_bundle RESTRICT_OOM_SCORE_ADJ=maybe
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"RESTRICT_OOM_SCORE_ADJ 'maybe' must be true or false"* ]] || fail "$stderr"
}

@test "elsewhere containerd sets the oom_score_adj kubelet asks for" {
  install_bundle
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "  restrict_oom_score_adj = false" "$FAKE_ROOT/etc/containerd/config.toml"
}
