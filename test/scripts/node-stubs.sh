# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are read by the .bats files that source this
# shellcheck disable=SC2016 # stub bodies are bash source, expanded when the stub runs
# Sandbox for the bats suites of scripts/node: a fake root (KUBELAB_ROOT), and a PATH that holds only
# stub system commands plus a few real text tools, so a command nobody stubbed fails with 127
# instead of touching the machine running the tests.
#
# Every stub appends "name args..." to $CALLS. A stub fails with code N when a file
# $STUB_STATE/fail.<name>.<arg> (or fail.<name>) holds N, for any one of its arguments.

NODE_SCRIPTS="$(cd "$BATS_TEST_DIRNAME/../../scripts/node" && pwd)"

REAL_TOOLS=(bash cat mkdir install cmp mktemp rm awk grep sed chmod timeout dirname head tail sort tr cp touch stat)

# How prepare.sh calls apt-get, options included.
APT="apt-get -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

TEST_TOKEN="k7x2pq.9f3h1m0z8c4v6b2n"
TEST_CERT_KEY="7c1e5a9b3d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
TEST_CA_HASH="3f2b9e7d1c5a4b8e0f6d2c9a7b3e1f5d8c4a0b6e2f9d7c3a1b5e8f0d4c2a6b9e"

sandbox_setup() {
  SANDBOX="$BATS_TEST_TMPDIR"
  FAKE_ROOT="$SANDBOX/root"
  STUB_BIN="$SANDBOX/bin"
  STUB_STATE="$SANDBOX/state"
  CALLS="$STUB_STATE/calls"
  mkdir -p "$FAKE_ROOT/etc" "$FAKE_ROOT/proc/sys/kernel" "$STUB_BIN" "$STUB_STATE" "$SANDBOX/tmp"
  : >"$CALLS"
  local tool
  for tool in "${REAL_TOOLS[@]}"; do ln -s "$(command -v "$tool")" "$STUB_BIN/$tool"; done
  default_stubs
}

# stub NAME [BODY]: an executable NAME on the sandbox PATH running BODY (bash) after logging the call.
stub() {
  local name="$1" body="${2:-}"
  cat >"$STUB_BIN/$name" <<EOF
#!/usr/bin/env bash
echo "$name \$*" >>"\$STUB_STATE/calls"
if [ -f "\$STUB_STATE/fail.$name" ]; then echo "$name: stubbed failure" >&2; exit "\$(cat "\$STUB_STATE/fail.$name")"; fi
for arg in "\$@"; do
  case "\$arg" in */*) continue ;; esac
  if [ -f "\$STUB_STATE/fail.$name.\$arg" ]; then echo "$name \$arg: stubbed failure" >&2; exit "\$(cat "\$STUB_STATE/fail.$name.\$arg")"; fi
done
$body
EOF
  chmod +x "$STUB_BIN/$name"
}

unstub() { rm -f "$STUB_BIN/$1"; }

# fail_stub NAME [ARG] CODE: NAME (when called with ARG) exits with CODE.
fail_stub() {
  if [ "$#" -eq 3 ]; then echo "$3" >"$STUB_STATE/fail.$1.$2"; else echo "$2" >"$STUB_STATE/fail.$1"; fi
}

# run_node SCRIPT [VAR=value...]: runs scripts/node/SCRIPT.sh the way components/remote.ts does
# (`env K=V bash -c '<text>' SCRIPT.sh`), with a clean environment, stdout and stderr separate.
run_node() {
  local script="$1"
  shift
  run --separate-stderr env -i PATH="$STUB_BIN" HOME="$SANDBOX" TMPDIR="$SANDBOX/tmp" \
    KUBELAB_ROOT="$FAKE_ROOT" STUB_STATE="$STUB_STATE" "$@" \
    "$STUB_BIN/bash" -c "$(cat "$NODE_SCRIPTS/$script.sh")" "$script.sh"
}

called() { grep -qxF -- "$1" "$CALLS"; }
called_like() { grep -qE -- "$1" "$CALLS"; }
call_line() { grep -nxF -- "$1" "$CALLS" | head -n 1 | cut -d: -f1; }

# run_dead_channel SCRIPT [VAR=value...]: like run_node, but stdout and stderr are a pipe nobody
# reads any more, as after the SSH session dropped: a write there raises SIGPIPE (default action:
# die), or fails with EPIPE where the script ignores SIGPIPE. Only files and $CALLS tell what it did.
run_dead_channel() {
  local script="$1"
  shift
  # The writer loop ends once `true` has exited, so the script starts with no reader left.
  {
    trap '' PIPE
    while echo probe 2>/dev/null; do :; done
    exec env --default-signal=PIPE -i PATH="$STUB_BIN" HOME="$SANDBOX" TMPDIR="$SANDBOX/tmp" \
      KUBELAB_ROOT="$FAKE_ROOT" STUB_STATE="$STUB_STATE" "$@" \
      "$STUB_BIN/bash" -c "$(cat "$NODE_SCRIPTS/$script.sh")" "$script.sh" 2>&1
  } | true
}

# Fails the test with a message (plain bats has no assertion helpers).
fail() {
  echo "$*" >&2
  return 1
}

default_stubs() {
  local cmd
  for cmd in modprobe swapoff hostnamectl cloud-init sleep iptables ip6tables ipvsadm kubectl; do
    stub "$cmd"
  done
  # `sysctl -p FILE` sets FILE's keys under the fake /proc/sys, where prepare.sh reads them back.
  stub sysctl '
if [ "${1:-}" = -p ]; then
  while IFS="=" read -r key value; do
    key="${key// /}" value="${value// /}"
    case "$key" in "" | "#"* | ";"*) continue ;; esac
    mkdir -p "$(dirname "$KUBELAB_ROOT/proc/sys/${key//.//}")"
    echo "$value" >"$KUBELAB_ROOT/proc/sys/${key//.//}"
  done <"$2"
fi'
  # Holds live in "held"; "apt-mark-lock-failures" holds how many holds fail first the way dpkg
  # --set-selections does while unattended-upgrades holds the lock.
  stub apt-mark '
case "$1" in
  showhold) cat "$STUB_STATE/held" 2>/dev/null || true ;;
  hold)
    if [ -s "$STUB_STATE/apt-mark-lock-failures" ] && [ "$(cat "$STUB_STATE/apt-mark-lock-failures")" -gt 0 ]; then
      echo $(($(cat "$STUB_STATE/apt-mark-lock-failures") - 1)) >"$STUB_STATE/apt-mark-lock-failures"
      echo "dpkg: error: dpkg frontend lock was locked by another process with pid 4242" >&2
      echo "E: Executing dpkg failed. Are you root?" >&2
      exit 100
    fi
    shift
    for pkg in "$@"; do
      grep -qxF "$pkg" "$STUB_STATE/held" 2>/dev/null || echo "$pkg" >>"$STUB_STATE/held"
      echo "$pkg set on hold."
    done ;;
esac'
  # iptables-save -t TABLE prints "<tool>-save.TABLE" when a test writes one; iptables-restore
  # appends its input to "<tool>-restore.in".
  local tool
  for tool in iptables ip6tables; do
    stub "$tool-save" '
table=filter
while [ "$#" -gt 0 ]; do if [ "$1" = -t ]; then table="$2"; fi; shift; done
if [ -f "$STUB_STATE/'"$tool"'-save.$table" ]; then cat "$STUB_STATE/'"$tool"'-save.$table"; fi'
    stub "$tool-restore" 'cat >>"$STUB_STATE/'"$tool"'-restore.in"'
  done
  stub dpkg 'if [ "${1:-}" = --print-architecture ]; then echo amd64; fi'
  stub ip 'if [ "${1:-}" = link ] && [ "${2:-}" = show ]; then grep -qxF "$3" "$STUB_STATE/links" 2>/dev/null; fi'

  # A tiny package database: "name version" lines; apt-get install adds, dpkg-query reads.
  # "available" holds "name candidate-version" lines for apt-cache policy; "available.docker" the
  # ones Docker's repository adds, visible once an apt-get update has run while
  # /etc/apt/sources.list.d/docker.list exists under the fake root (a later line wins).
  # The containerd binary reports the upstream version of the installed containerd.io or
  # containerd package, or the content of "containerd-version" when a test writes one (a binary
  # from a release tarball shadowing the package).
  : >"$STUB_STATE/dpkg"
  printf '%s\n' "ca-certificates 20240203" "curl 8.5.0-2ubuntu10" "gpg 2.4.4-2ubuntu17" \
    "containerd 1.7.28-0ubuntu1~24.04.1" >"$STUB_STATE/available"
  echo "containerd.io 2.1.4-1~ubuntu.24.04~noble" >"$STUB_STATE/available.docker"
  printf '%s\n' 1.36.4-1.1 1.36.3-1.1 1.36.0-1.1 >"$STUB_STATE/madison"
  stub apt-get '
if [ -s "$STUB_STATE/apt-lock-failures" ] && [ "$(cat "$STUB_STATE/apt-lock-failures")" -gt 0 ]; then
  echo $(($(cat "$STUB_STATE/apt-lock-failures") - 1)) >"$STUB_STATE/apt-lock-failures"
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2
  exit 100
fi
if [ -f "$STUB_STATE/dpkg-interrupted" ]; then
  if grep -q "^dpkg --configure -a" "$STUB_STATE/calls"; then rm "$STUB_STATE/dpkg-interrupted"; else
    echo "E: dpkg was interrupted, you must manually run '"'"'dpkg --configure -a'"'"' to correct the problem." >&2
    exit 100
  fi
fi
sources=("$STUB_STATE/available")
if [ -f "$STUB_STATE/docker-listed" ]; then sources+=("$STUB_STATE/available.docker"); fi
installing=0
for arg in "$@"; do
  case "$arg" in
    update)
      if [ -f "$KUBELAB_ROOT/etc/apt/sources.list.d/docker.list" ]; then touch "$STUB_STATE/docker-listed"; else rm -f "$STUB_STATE/docker-listed"; fi ;;
    install) installing=1 ;;
    -*) ;;
    *)
      [ "$installing" = 1 ] || continue
      pkg="${arg%%=*}" version="${arg#*=}"
      if [ "$version" = "$arg" ]; then
        version="$(grep -hE "^$pkg " "${sources[@]}" | tail -n 1 || true)"
        version="${version#* }"
      fi
      grep -vE "^$pkg " "$STUB_STATE/dpkg" >"$STUB_STATE/dpkg.new" || true
      echo "$pkg $version" >>"$STUB_STATE/dpkg.new"
      cp "$STUB_STATE/dpkg.new" "$STUB_STATE/dpkg"
      ;;
  esac
done'
  stub dpkg-query '
pkg="${!#}"
line="$(grep -E "^$pkg " "$STUB_STATE/dpkg" || true)"
if [ -z "$line" ]; then echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi
echo "installed ${line#* }"'
  stub apt-cache '
case "$1" in
  policy)
    sources=("$STUB_STATE/available")
    if [ -f "$STUB_STATE/docker-listed" ]; then sources+=("$STUB_STATE/available.docker"); fi
    line="$(grep -hE "^$2 " "${sources[@]}" | tail -n 1 || true)"
    if [ -n "$line" ]; then printf "%s:\n  Installed: (none)\n  Candidate: %s\n" "$2" "${line#* }"; fi ;;
  madison) while read -r v; do printf " %s | %s | https://pkgs.k8s.io/core:/stable:/v1.36/deb  Packages\n" "$2" "$v"; done <"$STUB_STATE/madison" ;;
esac'
  # Downloads write "curl-body" when a test provides one, else an armored key.
  stub curl '
while [ "$#" -gt 0 ]; do
  if [ "$1" = -o ]; then
    if [ -f "$STUB_STATE/curl-body" ]; then cp "$STUB_STATE/curl-body" "$2"; else
      printf "%s\n" "-----BEGIN PGP PUBLIC KEY BLOCK-----" "FAKE ARMORED KEY" "-----END PGP PUBLIC KEY BLOCK-----" >"$2"
    fi
  fi
  shift
done'
  stub gpg 'while [ "$#" -gt 0 ]; do if [ "$1" = -o ]; then echo "FAKE KEYRING" >"$2"; fi; shift; done'
  stub systemctl '
verb="$1"
[ "$verb" = --quiet ] && verb="$2"
unit="${!#}"
case "$verb" in
  is-enabled) grep -qxF "$unit" "$STUB_STATE/enabled" 2>/dev/null ;;
  is-active) grep -qxF "$unit" "$STUB_STATE/active" 2>/dev/null ;;
  enable) echo "$unit" >>"$STUB_STATE/enabled" ;;
  start | restart) echo "$unit" >>"$STUB_STATE/active" ;;
esac'
  stub containerd '
if [ -f "$STUB_STATE/containerd-version" ]; then version="$(cat "$STUB_STATE/containerd-version")"; else
  line="$(grep -E "^containerd(\.io)? " "$STUB_STATE/dpkg" | tail -n 1 || true)"
  [ -n "$line" ] || { echo "containerd: command not found" >&2; exit 127; }
  version="${line#* }" && version="${version#*:}" && version="${version%%[-~+]*}"
fi
case "$version" in
  2.*) echo "containerd github.com/containerd/containerd/v2 v$version 75cb2b7193e4e490e9fbdc236c0e811ccaba3376" ;;
  *) echo "containerd github.com/containerd/containerd $version 05044ec0a9a75232cad458027ca83437aae3f4da" ;;
esac'
  stub openssl '
case "$1" in
  x509) while [ "$1" != -in ]; do shift; done; cat "$2" >/dev/null && printf -- "-----BEGIN PUBLIC KEY-----\nFAKE\n-----END PUBLIC KEY-----\n" ;;
  pkey) cat >/dev/null && printf "DER" ;;
  dgst) cat >/dev/null && echo "SHA2-256(stdin)= '"$TEST_CA_HASH"'" ;;
esac'
  stub kubeadm '
case "$1 ${2:-}" in
  "version -o")
    line="$(grep -E "^kubeadm " "$STUB_STATE/dpkg" || echo "kubeadm 1.36.4-1.1")"
    version="${line#* }"
    echo "v${version%%-*}" ;;
  "config images") echo "registry.k8s.io/kube-apiserver:v1.36.4"; echo "registry.k8s.io/pause:3.10.1"; echo "registry.k8s.io/etcd:3.6.5-0" ;;
  "config validate") echo "ok" ;;
  "init --config")
    mkdir -p "$KUBELAB_ROOT/etc/kubernetes" && echo "apiVersion: v1" >"$KUBELAB_ROOT/etc/kubernetes/admin.conf"
    echo "W1126 10:00:00.000000    4242 checks.go:846] detected that the sandbox image of the container runtime is inconsistent" >&2
    echo "Your Kubernetes control-plane has initialized successfully!"
    echo "  kubeadm join 192.168.56.10:6443 --token '"$TEST_TOKEN"' --discovery-token-ca-cert-hash sha256:'"$TEST_CA_HASH"'"
    echo "  --control-plane --certificate-key '"$TEST_CERT_KEY"'" ;;
  "init phase") printf "[upload-certs] Using certificate key:\n%s\n" "$6" ;;
  "token create") echo "W1126 using a fresh token '"$TEST_TOKEN"' for discovery" >&2; echo "'"$TEST_TOKEN"'" ;;
  "certs certificate-key") echo "'"$TEST_CERT_KEY"'" ;;
  "join --config")
    mkdir -p "$KUBELAB_ROOT/etc/kubernetes" && echo "apiVersion: v1" >"$KUBELAB_ROOT/etc/kubernetes/kubelet.conf"
    cp "$3" "$STUB_STATE/join-config-seen"
    stat -c %a "$3" >"$STUB_STATE/join-config-mode"
    echo "[preflight] WARNING: Couldn'"'"'t create the interface used for talking to the container runtime" >&2
    echo "This node has joined the cluster:" ;;
  "reset -f")
    rm -rf "$KUBELAB_ROOT"/etc/kubernetes/*.conf "$KUBELAB_ROOT/etc/kubernetes/manifests"
    echo "[reset] Deleted contents of the etcd data directory" ;;
esac'
}

# A node as the scripts find it: Ubuntu 24.04 on cgroup v2, with a swap line in fstab and a
# cloud-image hostname (in /etc/hosts too), not forwarding IPv4 yet.
fake_node() {
  local id="${1:-ubuntu}" version="${2:-24.04}" codename
  case "$version" in 22.04) codename=jammy ;; 24.04) codename=noble ;; 12) codename=bookworm ;; 13) codename=trixie ;; *) codename="" ;; esac
  printf 'PRETTY_NAME="%s %s"\nNAME="%s"\nID=%s\nVERSION_ID="%s"\nVERSION_CODENAME=%s\n' \
    "$id" "$version" "$id" "$id" "$version" "$codename" >"$FAKE_ROOT/etc/os-release"
  printf '%s\n' "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1" "/swap.img none swap sw 0 0" \
    >"$FAKE_ROOT/etc/fstab"
  echo "ubuntu-vm" >"$FAKE_ROOT/proc/sys/kernel/hostname"
  printf '%s\n' "127.0.0.1 localhost" "127.0.1.1 ubuntu-vm" "" "# The following lines are desirable for IPv6 capable hosts" \
    "::1 ip6-localhost ip6-loopback" "ff02::1 ip6-allnodes" "ff02::2 ip6-allrouters" >"$FAKE_ROOT/etc/hosts"
  # A fresh machine does not forward; the bridge keys appear with br_netfilter.
  mkdir -p "$FAKE_ROOT/proc/sys/net/ipv4"
  echo 0 >"$FAKE_ROOT/proc/sys/net/ipv4/ip_forward"
  mkdir -p "$FAKE_ROOT/sys/fs/cgroup"
  echo "cpuset cpu io memory hugetlb pids rdma misc" >"$FAKE_ROOT/sys/fs/cgroup/cgroup.controllers"
}
