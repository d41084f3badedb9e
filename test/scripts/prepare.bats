#!/usr/bin/env bats
# scripts/node/prepare.sh against stubbed apt, systemd, containerd and kubeadm.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=node-stubs.sh
  source "$BATS_TEST_DIRNAME/node-stubs.sh"
  sandbox_setup
  fake_node
}

prepare() {
  run_node prepare NODE_NAME=cp-1 NODE_IP=192.168.56.10 KUBERNETES_MINOR=1.36 \
    KUBERNETES_PACKAGE_VERSION="${PACKAGE_VERSION:-}" "$@"
}

# The last minor that supports containerd 1.x, with the distribution's containerd.
prepare_1_35() {
  printf '%s\n' 1.35.3-1.1 1.35.2-1.1 >"$STUB_STATE/madison"
  prepare KUBERNETES_MINOR=1.35 "$@"
}

DOCKER_LIST="deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable"

# Every file under the fake root with its content checksum and mtime.
tree_state() {
  (cd "$FAKE_ROOT" && find . -type f -print0 | sort -z | xargs -0 stat -c '%n %Y %a' && find . -type f -print0 | sort -z | xargs -0 cksum)
}

# The lines of a TOML table, up to the next table header.
toml_table() {
  awk -v header="$2" '$0 == header { inside = 1; next } /^\[/ { inside = 0 } inside && NF' "$1"
}

@test "prepare installs pinned packages, configures the node and prints KUBEADM_VERSION last" {
  prepare
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "$output" = "KUBEADM_VERSION=v1.36.4" ] || fail "stdout: $output"
  called "$APT install -y --allow-change-held-packages --allow-downgrades kubelet=1.36.4-1.1 kubeadm=1.36.4-1.1 kubectl=1.36.4-1.1" ||
    fail "$(cat "$CALLS")"
  called "apt-mark hold kubelet kubeadm kubectl"
  called "$APT install -y containerd.io" || fail "$(cat "$CALLS")"
  called "hostnamectl set-hostname cp-1"
  called "swapoff -a"
  called "modprobe overlay"
  called "modprobe br_netfilter"
  called "sysctl -p $FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf" || fail "$(cat "$CALLS")"
  called "systemctl restart containerd"
  called "systemctl enable kubelet"
  [ "$(cat "$FAKE_ROOT/etc/modules-load.d/k8s.conf")" = "$(printf 'overlay\nbr_netfilter')" ]
  grep -qx "net.ipv4.ip_forward = 1" "$FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf"
  grep -qx "net.bridge.bridge-nf-call-iptables = 1" "$FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf"
  grep -qx "net.bridge.bridge-nf-call-ip6tables = 1" "$FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf"
  [ "$(cat "$FAKE_ROOT/etc/default/kubelet")" = "KUBELET_EXTRA_ARGS=--node-ip=192.168.56.10" ]
  [ "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/kubernetes.list")" = \
    "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /" ]
  [ -s "$FAKE_ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg" ]
  grep -qx "#/swap.img none swap sw 0 0" "$FAKE_ROOT/etc/fstab"
  grep -qx "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1" "$FAKE_ROOT/etc/fstab"
}

@test "a second prepare run installs nothing, restarts nothing and rewrites no file" {
  prepare
  [ "$status" -eq 0 ] || fail "first run: $stderr"
  [ -s "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ] && [ -s "$FAKE_ROOT/etc/apt/keyrings/docker.asc" ]
  echo "cp-1" >"$FAKE_ROOT/proc/sys/kernel/hostname"
  find "$FAKE_ROOT" -type f -exec touch -d @1000000000 {} +
  local before
  before="$(tree_state)"
  : >"$CALLS"

  prepare
  [ "$status" -eq 0 ] || fail "second run: $stderr"
  [ "$output" = "KUBEADM_VERSION=v1.36.4" ]
  [ "$(tree_state)" = "$before" ] || fail "files changed: $(diff <(echo "$before") <(tree_state))"
  ! called_like "^apt-get " || fail "apt-get ran again: $(cat "$CALLS")"
  ! called_like "^(curl|gpg|hostnamectl|sysctl) " || fail "$(cat "$CALLS")"
  ! called_like "^apt-mark hold" || fail "held packages were held again: $(cat "$CALLS")"
  ! called_like "^systemctl (restart|enable|start) " || fail "$(cat "$CALLS")"
}

@test "containerd 1.x gets a whole version 2 config with SystemdCgroup under the grpc CRI plugin" {
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  local config="$FAKE_ROOT/etc/containerd/config.toml"
  grep -qx "version = 2" "$config"
  [ "$(toml_table "$config" '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]')" = "  SystemdCgroup = true" ]
  [ "$(toml_table "$config" '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]')" = '  runtime_type = "io.containerd.runc.v2"' ]
  [ "$(toml_table "$config" '[plugins."io.containerd.grpc.v1.cri"]')" = '  sandbox_image = "registry.k8s.io/pause:3.10.1"' ]
  ! grep -q "io.containerd.cri.v1" "$config" || fail "containerd 2 tables in a 1.x config: $(cat "$config")"
}

@test "containerd 2.x gets a whole version 3 config with SystemdCgroup under the cri runtime plugin" {
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  local config="$FAKE_ROOT/etc/containerd/config.toml"
  grep -qx "version = 3" "$config"
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]")" = "  SystemdCgroup = true" ]
  [ "$(toml_table "$config" "[plugins.'io.containerd.cri.v1.images'.pinned_images]")" = "  sandbox = 'registry.k8s.io/pause:3.10.1'" ]
  ! grep -q "io.containerd.grpc.v1.cri" "$config" || fail "containerd 1 tables in a 2.x config: $(cat "$config")"
  called "systemctl restart containerd"
}

@test "both containerd layouts are valid TOML" {
  command -v python3 >/dev/null && python3 -c 'import tomllib' 2>/dev/null || skip "python3 with tomllib not available"
  local version
  for version in 1.7.28 2.1.4; do
    rm -f "$FAKE_ROOT/etc/containerd/config.toml"
    : >"$STUB_STATE/dpkg"
    # 1.35 installs the distribution's containerd 1.7.28, 1.36 Docker's containerd.io 2.1.4.
    if [ "$version" = 1.7.28 ]; then prepare_1_35; else
      printf '%s\n' 1.36.4-1.1 >"$STUB_STATE/madison"
      prepare
    fi
    [ "$status" -eq 0 ] || fail "$stderr"
    [[ "$stderr" == *"for containerd ${version%%.*}.x"* ]] || fail "$stderr"
    python3 - "$FAKE_ROOT/etc/containerd/config.toml" "$version" <<'EOF'
import sys, tomllib
config = tomllib.load(open(sys.argv[1], "rb"))
if sys.argv[2].startswith("1."):
    runc = config["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["runc"]
else:
    runc = config["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]
assert runc["options"]["SystemdCgroup"] is True, runc
EOF
  done
}

@test "an existing containerd config of the wrong layout is replaced and containerd restarted once" {
  mkdir -p "$FAKE_ROOT/etc/containerd"
  printf 'version = 2\ndisabled_plugins = ["cri"]\n' >"$FAKE_ROOT/etc/containerd/config.toml"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "version = 3" "$FAKE_ROOT/etc/containerd/config.toml"
  ! grep -q disabled_plugins "$FAKE_ROOT/etc/containerd/config.toml" || fail "the old config survived"
  [ "$(grep -c "^systemctl restart containerd$" "$CALLS")" -eq 1 ]
}

@test "a containerd upgrade from 1.x to 2.x rewrites the config and restarts containerd once" {
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "version = 2" "$FAKE_ROOT/etc/containerd/config.toml"
  echo 2.1.4 >"$STUB_STATE/containerd-version"
  : >"$CALLS"
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "version = 3" "$FAKE_ROOT/etc/containerd/config.toml"
  [ "$(grep -c "^systemctl restart containerd$" "$CALLS")" -eq 1 ] || fail "$(cat "$CALLS")"
  ! called_like "^apt-get " || fail "unexpected call: $(cat "$CALLS")"
}

@test "under 1.35 containerd.io is installed when the distro offers no containerd package" {
  grep -v "^containerd " "$STUB_STATE/available" >"$STUB_STATE/available.new"
  echo "containerd.io 1.7.27-1" >>"$STUB_STATE/available.new"
  mv "$STUB_STATE/available.new" "$STUB_STATE/available"
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  called "$APT install -y containerd.io"
  ! called "$APT install -y containerd" || fail "unexpected call: $(cat "$CALLS")"
}

@test "under 1.35 containerd.io 2.x from a Docker source the node already has wins over the distro's 1.x" {
  echo "containerd.io 2.1.4-1~ubuntu.24.04~noble" >>"$STUB_STATE/available"
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  called "$APT install -y containerd.io" || fail "$(cat "$CALLS")"
  [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ] || fail "prepare wrote a Docker source for 1.35"
}

@test "Kubernetes 1.36 gets Docker's repository, and containerd.io 2.x installed from it and held" {
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")" = "$DOCKER_LIST" ] ||
    fail "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")"
  grep -qx -- "-----BEGIN PGP PUBLIC KEY BLOCK-----" "$FAKE_ROOT/etc/apt/keyrings/docker.asc"
  [ "$(stat -c %a "$FAKE_ROOT/etc/apt/keyrings/docker.asc")" = 644 ]
  called_like "^curl .* https://download.docker.com/linux/ubuntu/gpg -o " || fail "$(cat "$CALLS")"
  # The source is in place before the package lists are refreshed, and one refresh covers both.
  [ "$(grep -c "^$APT update$" "$CALLS")" -eq 2 ] || fail "$(cat "$CALLS")"
  [ "$(call_line "$APT update")" -lt "$(call_line "$APT install -y containerd.io")" ]
  called "$APT install -y containerd.io" || fail "$(cat "$CALLS")"
  ! called "$APT install -y containerd" || fail "the distro's containerd was installed too: $(cat "$CALLS")"
  called "apt-mark hold containerd.io" || fail "$(cat "$CALLS")"
  grep -qx "version = 3" "$FAKE_ROOT/etc/containerd/config.toml"
  [[ "$stderr" == *"installing containerd.io 2.1.4-1~ubuntu.24.04~noble from Docker's repository"* ]] || fail "$stderr"
  [ "$output" = "KUBEADM_VERSION=v1.36.4" ]
}

@test "the Docker source follows the distribution, its codename and the architecture" {
  fake_node debian 13
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")" = \
    "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian trixie stable" ]
  called_like "^curl .* https://download.docker.com/linux/debian/gpg -o " || fail "$(cat "$CALLS")"
  stub dpkg 'if [ "${1:-}" = --print-architecture ]; then echo arm64; fi'
  fake_node debian 12
  : >"$CALLS"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")" = \
    "deb [arch=arm64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable" ]
  # A changed source refreshes the key.
  called_like "^curl .* https://download.docker.com/linux/debian/gpg -o " || fail "$(cat "$CALLS")"
}

@test "a docker.list written by Docker's own instructions is left as it is, and a missing key is fetched" {
  mkdir -p "$FAKE_ROOT/etc/apt/sources.list.d"
  echo "$DOCKER_LIST" >"$FAKE_ROOT/etc/apt/sources.list.d/docker.list"
  touch -d @1000000000 "$FAKE_ROOT/etc/apt/sources.list.d/docker.list"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(stat -c %Y "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")" = 1000000000 ] || fail "docker.list was rewritten"
  [ -s "$FAKE_ROOT/etc/apt/keyrings/docker.asc" ]
  called "$APT install -y containerd.io" || fail "$(cat "$CALLS")"
}

@test "a download that is not an armored key is refused before apt uses the source" {
  echo "<html>Sign in to the hotel Wi-Fi</html>" >"$STUB_STATE/curl-body"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"https://download.docker.com/linux/ubuntu/gpg did not return an armored OpenPGP key"* ]] || fail "$stderr"
  [ ! -e "$FAKE_ROOT/etc/apt/keyrings/docker.asc" ] || fail "the page was installed as a key"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
  [ -z "$output" ]
}

@test "Kubernetes 1.35 adds no Docker source and uses the distribution's containerd without holding it" {
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "KUBEADM_VERSION=v1.35.3" ]
  [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ] || fail "$(cat "$FAKE_ROOT/etc/apt/sources.list.d/docker.list")"
  [ ! -e "$FAKE_ROOT/etc/apt/keyrings/docker.asc" ]
  ! called_like "download.docker.com" || fail "$(cat "$CALLS")"
  called "$APT install -y containerd" || fail "$(cat "$CALLS")"
  ! called_like "^apt-mark hold .*containerd" || fail "$(cat "$CALLS")"
  grep -qx "version = 2" "$FAKE_ROOT/etc/containerd/config.toml"
  [[ "$stderr" != *"ERROR"* ]] || fail "$stderr"
}

@test "minors are compared as numbers: 1.4 keeps the distribution's containerd" {
  printf '%s\n' 1.4.3-1.1 >"$STUB_STATE/madison"
  prepare KUBERNETES_MINOR=1.4
  [ "$status" -eq 0 ] || fail "$stderr"
  [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ] || fail "1.4 got a Docker source"
  called "$APT install -y containerd" || fail "$(cat "$CALLS")"
}

@test "minors are compared as numbers: 1.100 needs containerd 2" {
  printf '%s\n' 1.100.1-1.1 >"$STUB_STATE/madison"
  prepare KUBERNETES_MINOR=1.100
  [ "$status" -eq 0 ] || fail "$stderr"
  [ -s "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ] || fail "1.100 got no Docker source"
  called "$APT install -y containerd.io" || fail "$(cat "$CALLS")"
}

@test "the distribution's containerd 1.x already installed stops 1.36 before any change, and is kept under 1.35" {
  echo "containerd 1.7.28-0ubuntu1~24.04.1" >>"$STUB_STATE/dpkg"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the distribution's containerd 1.7.28-0ubuntu1~24.04.1 is installed, but Kubernetes 1.36 needs containerd 2.x (1.35 was the last minor for containerd 1.x); drain the node and remove it ('apt-get purge containerd') so prepare installs containerd.io 2.x from Docker's repository, or use kubernetesVersion 1.35"* ]] ||
    fail "$stderr"
  ! called_like "^(apt-get|apt-mark|curl|hostnamectl|swapoff|modprobe) " || fail "$(cat "$CALLS")"
  [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ]
  [ -z "$output" ]
  : >"$CALLS"
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
}

@test "an installed containerd.io 2.x is kept under 1.36 and held" {
  echo "containerd.io 2.1.3-1~ubuntu.24.04~noble" >>"$STUB_STATE/dpkg"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
  called "apt-mark hold containerd.io" || fail "$(cat "$CALLS")"
}

@test "a containerd 1.x that remains under 1.36 stops prepare with both versions and the fix" {
  echo 1.7.28 >"$STUB_STATE/containerd-version"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: containerd 1.7.28 ($STUB_BIN/containerd) does not support Kubernetes 1.36, which needs containerd 2.x (1.35 was the last minor for containerd 1.x); upgrade the node to containerd 2.x (containerd.io from Docker's repository) or use kubernetesVersion 1.35"* ]] ||
    fail "$stderr"
  [ -z "$output" ]
  [ ! -e "$FAKE_ROOT/etc/containerd/config.toml" ] || fail "a config was written for an unsupported runtime"
  ! called_like "^apt-mark hold containerd" || fail "$(cat "$CALLS")"
  ! called_like "^systemctl (restart|start) containerd" || fail "$(cat "$CALLS")"
}

@test "an installed containerd.io 1.x under 1.36 is not upgraded behind the kubelet's back, and stops prepare" {
  echo "containerd.io 1.7.27-1" >>"$STUB_STATE/dpkg"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: containerd 1.7.27 "*"does not support Kubernetes 1.36"* ]] || fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
  ! called_like "^apt-mark hold containerd" || fail "$(cat "$CALLS")"
}

@test "a containerd.io 1.x candidate under 1.36 is refused before it is installed" {
  echo "containerd.io 1.7.27-1" >"$STUB_STATE/available.docker"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"containerd.io 1.7.27-1 is the candidate, but Kubernetes 1.36 needs containerd 2.x"* ]] || fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
}

@test "Docker's repository without containerd.io stops 1.36 with a clear message" {
  : >"$STUB_STATE/available.docker"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"Docker's repository offers no containerd.io for this release and architecture; Kubernetes 1.36 needs containerd 2.x"* ]] ||
    fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
}

@test "under 1.35 an installed containerd.io is kept rather than replaced by the distro package" {
  echo "containerd.io 1.7.27-1" >>"$STUB_STATE/dpkg"
  prepare_1_35
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "install -y containerd" || fail "$(cat "$CALLS")"
}

@test "prepare stops with a clear message when no containerd package is available" {
  grep -vE '^containerd' "$STUB_STATE/available" >"$STUB_STATE/available.new"
  mv "$STUB_STATE/available.new" "$STUB_STATE/available"
  prepare_1_35
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"neither the 'containerd' nor the 'containerd.io' package is available"* ]] || fail "$stderr"
  [ -z "$output" ]
}

@test "an exact patch is pinned from apt-cache madison" {
  PACKAGE_VERSION=1.36.3 prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  called_like "install .* kubelet=1.36.3-1.1 kubeadm=1.36.3-1.1 kubectl=1.36.3-1.1$" || fail "$(cat "$CALLS")"
  [ "$output" = "KUBEADM_VERSION=v1.36.3" ]
}

@test "a patch the repository does not offer fails and lists what is offered" {
  PACKAGE_VERSION=1.36.9 prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no kubeadm package for 1.36.9"* ]] || fail "$stderr"
  [[ "$stderr" == *"1.36.4-1.1"* ]]
  ! called_like "install .* kubeadm=" || fail "unexpected call: $(cat "$CALLS")"
}

@test "a patch of another minor is refused before anything is installed" {
  PACKAGE_VERSION=1.35.2 prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"KUBERNETES_PACKAGE_VERSION '1.35.2' is not a patch of 1.36"* ]] || fail "$stderr"
  ! called_like "^apt-get " || fail "unexpected call: $(cat "$CALLS")"
}

@test "packages of another minor are replaced by the configured minor" {
  printf '%s\n' "kubelet 1.35.2-1.1" "kubeadm 1.35.2-1.1" "kubectl 1.35.2-1.1" >>"$STUB_STATE/dpkg"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  called_like "install .* kubeadm=1.36.4-1.1 " || fail "$(cat "$CALLS")"
}

@test "apt lock contention is retried, bounded, and then succeeds" {
  echo 2 >"$STUB_STATE/apt-lock-failures"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -c '^sleep ' "$CALLS")" -eq 2 ]
  [[ "$stderr" == *"package manager busy (attempt 1/10)"* ]] || fail "$stderr"
}

@test "apt lock contention that never ends fails after the last attempt" {
  echo 100 >"$STUB_STATE/apt-lock-failures"
  prepare
  [ "$status" -eq 100 ]
  [ "$(grep -c '^sleep ' "$CALLS")" -eq 9 ]
  [[ "$stderr" == *"Could not get lock"* ]] || fail "$stderr"
}

@test "an apt failure other than a lock is not retried and keeps apt-get's exit code" {
  fail_stub apt-get install 100
  prepare
  [ "$status" -eq 100 ]
  ! called_like "^sleep " || fail "unexpected call: $(cat "$CALLS")"
  [[ "$stderr" == *"FAILED while installing ca-certificates curl gpg (exit 100)"* ]] || fail "$stderr"
}

@test "apt-mark hold is retried like apt-get while dpkg is locked, and skipped once everything is held" {
  echo 2 >"$STUB_STATE/apt-mark-lock-failures"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -c "^apt-mark hold kubelet kubeadm kubectl$" "$CALLS")" -eq 3 ] || fail "$(cat "$CALLS")"
  [ "$(grep -c '^sleep ' "$CALLS")" -eq 2 ] || fail "$(cat "$CALLS")"
  [[ "$stderr" == *"apt-mark hold: package manager busy (attempt 1/10)"* ]] || fail "$stderr"
  [ "$(sort "$STUB_STATE/held" | tr '\n' ' ')" = "containerd.io kubeadm kubectl kubelet " ]
  # Only what is not held yet is held.
  grep -vx kubectl "$STUB_STATE/held" >"$STUB_STATE/held.new" && mv "$STUB_STATE/held.new" "$STUB_STATE/held"
  : >"$CALLS"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep "^apt-mark hold" "$CALLS")" = "apt-mark hold kubectl" ] || fail "$(cat "$CALLS")"
}

@test "a dpkg lock that outlasts every apt-mark hold attempt stops prepare with its exit code" {
  echo 100 >"$STUB_STATE/apt-mark-lock-failures"
  prepare
  [ "$status" -eq 100 ]
  [ "$(grep -c "^apt-mark hold " "$CALLS")" -eq 10 ] || fail "$(cat "$CALLS")"
  [[ "$stderr" == *"dpkg frontend lock was locked by another process"* ]] || fail "$stderr"
  [[ "$stderr" == *"FAILED while installing kubelet=1.36.4-1.1"* ]] || fail "$stderr"
  [ -z "$output" ]
}

@test "only kubelab's sysctl file is applied, and only when it changed or its values are not in effect" {
  # An unrelated sysctl.d file with a key this kernel lacks makes `sysctl --system` fail.
  fail_stub sysctl --system 255
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep '^sysctl ' "$CALLS")" = "sysctl -p $FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf" ] || fail "$(cat "$CALLS")"
  [ "$(cat "$FAKE_ROOT/proc/sys/net/ipv4/ip_forward")" = 1 ]
  # Unchanged file, values in effect: nothing to apply.
  : >"$CALLS"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^sysctl " || fail "$(cat "$CALLS")"
  # Unchanged file, but something set ip_forward back to 0: applied again.
  echo 0 >"$FAKE_ROOT/proc/sys/net/ipv4/ip_forward"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  called "sysctl -p $FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf" || fail "$(cat "$CALLS")"
  [ "$(cat "$FAKE_ROOT/proc/sys/net/ipv4/ip_forward")" = 1 ]
}

@test "sysctls that do not take effect stop prepare and are named" {
  stub sysctl
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"ERROR: still not 1 after 'sysctl -p /etc/sysctl.d/99-kubernetes.conf': net.bridge.bridge-nf-call-iptables = (missing), net.bridge.bridge-nf-call-ip6tables = (missing), net.ipv4.ip_forward = 0"* ]] ||
    fail "$stderr"
  ! called_like "^apt-get " || fail "continued after the failure: $(cat "$CALLS")"
  [ -z "$output" ]
}

@test "/etc/hosts gets 127.0.1.1 for the node name in place of the old one, the rest of the file kept" {
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/hosts")" = "$(printf '%s\n' "127.0.0.1 localhost" "127.0.1.1 cp-1" "" \
    "# The following lines are desirable for IPv6 capable hosts" "::1 ip6-localhost ip6-loopback" \
    "ff02::1 ip6-allnodes" "ff02::2 ip6-allrouters")" ] || fail "$(cat "$FAKE_ROOT/etc/hosts")"
}

@test "/etc/hosts without a 127.0.1.1 line gets one appended; one that names the node is left alone" {
  printf '%s\n' "127.0.0.1 localhost" "::1 ip6-localhost ip6-loopback" >"$FAKE_ROOT/etc/hosts"
  echo cp-1 >"$FAKE_ROOT/proc/sys/kernel/hostname"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/hosts")" = "$(printf '%s\n' "127.0.0.1 localhost" "::1 ip6-localhost ip6-loopback" "127.0.1.1 cp-1")" ] ||
    fail "$(cat "$FAKE_ROOT/etc/hosts")"
  printf '%s\n' "127.0.0.1 localhost" "127.0.1.1 cp-1.lab.example cp-1 # set by hand" >"$FAKE_ROOT/etc/hosts"
  touch -d @1000000000 "$FAKE_ROOT/etc/hosts"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(stat -c %Y "$FAKE_ROOT/etc/hosts")" = 1000000000 ] || fail "rewritten: $(cat "$FAKE_ROOT/etc/hosts")"
  # A name that appears only in the comment does not count.
  printf '%s\n' "127.0.1.1 ubuntu-vm # was cp-1" >"$FAKE_ROOT/etc/hosts"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/hosts")" = "127.0.1.1 cp-1" ] || fail "$(cat "$FAKE_ROOT/etc/hosts")"
}

@test "a failing step stops prepare with that step's exit code" {
  fail_stub modprobe br_netfilter 7
  prepare
  [ "$status" -eq 7 ]
  [[ "$stderr" == *"FAILED while loading overlay and br_netfilter (exit 7)"* ]] || fail "$stderr"
  ! called_like "^sysctl " || fail "continued after the failure: $(cat "$CALLS")"
  ! called_like "^apt-get " || fail "unexpected call: $(cat "$CALLS")"
  [ -z "$output" ]
}

@test "a cgroup v1 host is refused before any change" {
  rm "$FAKE_ROOT/sys/fs/cgroup/cgroup.controllers"
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"this host uses cgroup v1; kubelet needs cgroup v2"* ]] || fail "$stderr"
  [ ! -s "$CALLS" ] || fail "$(cat "$CALLS")"
}

@test "a dpkg run interrupted earlier is repaired once and the install goes on" {
  touch "$STUB_STATE/dpkg-interrupted"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(grep -c "^dpkg --configure -a$" "$CALLS")" -eq 1 ] || fail "$(cat "$CALLS")"
  [[ "$stderr" == *"an earlier dpkg run was interrupted"* ]] || fail "$stderr"
}

@test "an unsupported operating system is refused before any change" {
  fake_node centos 9
  prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"unsupported operating system 'centos 9'; kubelab supports Ubuntu 22.04/24.04 and Debian 12/13"* ]] ||
    fail "$stderr"
  [ ! -s "$CALLS" ] || fail "$(cat "$CALLS")"
}

@test "Debian 13 and Ubuntu 22.04 are accepted" {
  fake_node debian 13
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  fake_node ubuntu 22.04
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
}

@test "the hostname is left alone when it already is the node name" {
  echo cp-1 >"$FAKE_ROOT/proc/sys/kernel/hostname"
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^hostnamectl " || fail "unexpected call: $(cat "$CALLS")"
}

@test "a changed node IP rewrites /etc/default/kubelet and restarts a configured kubelet" {
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  mkdir -p "$FAKE_ROOT/var/lib/kubelet"
  touch "$FAKE_ROOT/var/lib/kubelet/config.yaml"
  : >"$CALLS"
  prepare NODE_IP=192.168.56.20
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$(cat "$FAKE_ROOT/etc/default/kubelet")" = "KUBELET_EXTRA_ARGS=--node-ip=192.168.56.20" ]
  called "systemctl restart kubelet"
  ! called "systemctl restart containerd" || fail "unexpected call: $(cat "$CALLS")"
}

@test "missing or malformed inputs are named" {
  run_node prepare NODE_NAME=cp-1 KUBERNETES_MINOR=1.36
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"NODE_IP is required"* ]] || fail "$stderr"
  prepare NODE_IP=not-an-ip
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"NODE_IP 'not-an-ip' is not an IPv4 address"* ]] || fail "$stderr"
}

# A node whose kubeadm init or join ran: it is part of a cluster.
in_cluster_with() {
  printf '%s\n' "kubelet $1-1.1" "kubeadm $1-1.1" "kubectl $1-1.1" >>"$STUB_STATE/dpkg"
  mkdir -p "$FAKE_ROOT/etc/kubernetes"
  echo "apiVersion: v1" >"$FAKE_ROOT/etc/kubernetes/kubelet.conf"
}

@test "a new minor on a node in a cluster is refused before anything changes, naming old, new and the fix" {
  in_cluster_with 1.36.4
  prepare KUBERNETES_MINOR=1.37
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'kubelab:kubernetesVersion changed from 1.36.4 (what cp-1 runs in the cluster) to 1.37; kubelab does not upgrade a running cluster yet: set kubelab:kubernetesVersion back to "1.36" (or "1.36.4"), or destroy the cluster and create it again'* ]] ||
    fail "$stderr"
  ! called_like "^(apt-get|apt-mark|hostnamectl|swapoff|modprobe|systemctl) " || fail "the node changed: $(cat "$CALLS")"
}

@test "a new patch on a node in a cluster is refused too" {
  in_cluster_with 1.36.3
  PACKAGE_VERSION=1.36.4 prepare
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kubelab:kubernetesVersion changed from 1.36.3 (what cp-1 runs in the cluster) to 1.36.4"* ]] ||
    fail "$stderr"
}

@test "the installed minor, or its exact patch, is accepted on a node in a cluster" {
  in_cluster_with 1.36.3
  prepare
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" == *"kubelet, kubeadm and kubectl 1.36.3-1.1 already installed"* ]] || fail "$stderr"
  PACKAGE_VERSION=1.36.3 prepare
  [ "$status" -eq 0 ] || fail "$stderr"
}

@test "a downgrade is refused even on a node outside any cluster" {
  printf '%s\n' "kubelet 1.36.4-1.1" "kubeadm 1.36.4-1.1" "kubectl 1.36.4-1.1" >>"$STUB_STATE/dpkg"
  prepare_1_35
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'kubelab:kubernetesVersion asks for 1.35, older than Kubernetes 1.36.4 installed on cp-1; kubelab never downgrades: set kubelab:kubernetesVersion back to "1.36" (or "1.36.4"), or remove the packages first (apt-get purge kubelet kubeadm kubectl)'* ]] ||
    fail "$stderr"
  ! called_like "^apt-get " || fail "unexpected call: $(cat "$CALLS")"
}

@test "offline, only the machine is prepared: no package source, download, package or containerd step" {
  prepare OFFLINE=true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ -z "$output" ] || fail "stdout: $output"
  called "hostnamectl set-hostname cp-1"
  called "swapoff -a"
  called "sysctl -p $FAKE_ROOT/etc/sysctl.d/99-kubernetes.conf" || fail "$(cat "$CALLS")"
  [ "$(cat "$FAKE_ROOT/etc/default/kubelet")" = "KUBELET_EXTRA_ARGS=--node-ip=192.168.56.10" ]
  ! called_like "^(apt-get|apt-cache|apt-mark|curl|wget|gpg|kubeadm|dpkg) " || fail "$(cat "$CALLS")"
  ! called_like "^systemctl .*(containerd|kubelet)" || fail "$(cat "$CALLS")"
  [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/kubernetes.list" ] && [ ! -e "$FAKE_ROOT/etc/apt/sources.list.d/docker.list" ]
}

@test "cgroup v1 is accepted with a warning where kubelab allows it (machine containers on a v1 host)" {
  rm "$FAKE_ROOT/sys/fs/cgroup/cgroup.controllers"
  prepare OFFLINE=true ALLOW_CGROUP_V1=true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [[ "$stderr" == *"WARNING: cgroup v1 (the host offers no other); kubelet runs with failCgroupV1: false"* ]] || fail "$stderr"
}

@test "kernel features already present are not loaded again (no /lib/modules in a machine container)" {
  mkdir -p "$FAKE_ROOT/proc/sys/net/bridge"
  printf 'nodev\tsysfs\nnodev\toverlay\n' >"$FAKE_ROOT/proc/filesystems"
  prepare
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  ! called_like "^modprobe " || fail "$(cat "$CALLS")"
}

@test "containerd 2.x on machine containers keeps containers at or above its own oom_score_adj" {
  prepare RESTRICT_OOM_SCORE_ADJ=true
  [ "$status" -eq 0 ] || fail "exit $status: $stderr"
  [ "$(toml_table "$FAKE_ROOT/etc/containerd/config.toml" "[plugins.'io.containerd.cri.v1.runtime']")" = \
    "  restrict_oom_score_adj = true" ] || fail "$(cat "$FAKE_ROOT/etc/containerd/config.toml")"
}
