# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are read by the .bats files that source this
# shellcheck disable=SC2016 # stub bodies are bash source, expanded when the stub runs
# shellcheck disable=SC2154 # status, output and stderr are set by bats run
# shellcheck source-path=SCRIPTDIR
# Sandbox for the bats suites of scripts/local-nodes: a fake root (KUBELAB_ROOT) standing in for
# /proc, /sys/fs/cgroup and /usr/share, and a PATH of stub system commands plus real text tools,
# so a command nobody stubbed fails with 127 instead of touching the machine.
#
# The stubs keep a tiny model of the host in $STUB_STATE: links ("name type alias master"),
# addrs ("dev cidr"), the fake /proc/self/mounts, fake processes ($FAKE_ROOT/proc/PID), and
# cgroup directories under $FAKE_ROOT/sys/fs/cgroup. Every stub appends "name args..." to $CALLS.
# A stub fails with code N when $STUB_STATE/fail.<name> holds N.

NODE_SH="$(cd "$BATS_TEST_DIRNAME/../../../scripts/local-nodes" && pwd)/node.sh"
REAL_TOOLS=(bash cat mkdir install rm awk grep sed chmod dirname basename head tail sort tr cp mv touch stat find
  sha256sum cut date diff wc od env sleep ln du seq)
CONTROLLERS=(cpu cpuacct cpuset memory devices freezer blkio pids)
MEMCG=/process_api/caller
TEST_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfTheStubbedNode root@stub"
USER_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUserKeyOfTheLab lab@host"

sandbox_setup() {
  SANDBOX="$BATS_TEST_TMPDIR"
  FAKE_ROOT="$SANDBOX/root" STUB_BIN="$SANDBOX/bin" STUB_STATE="$SANDBOX/stub" CALLS="$SANDBOX/stub/calls"
  STATE="$SANDBOX/nodes" CACHE="$SANDBOX/cache"
  mkdir -p "$FAKE_ROOT/proc/self" "$FAKE_ROOT/usr/share/keyrings" "$STUB_BIN" "$STUB_STATE" "$SANDBOX/home"
  : >"$CALLS"
  echo key >"$FAKE_ROOT/usr/share/keyrings/debian-archive-keyring.gpg"
  echo "$USER_KEY" >"$SANDBOX/user.pub"
  local tool
  for tool in "${REAL_TOOLS[@]}"; do ln -s "$(command -v "$tool")" "$STUB_BIN/$tool"; done
  fake_cgroup_v1_host
  fake_sysctls
  echo "eth0 192.0.2.2/24" >"$STUB_STATE/addrs"
  default_stubs
}

# cgroup v1 controllers (memory holding the caller in $MEMCG), name=systemd and cgroup2 "unified".
fake_cgroup_v1_host() {
  local c i=1 cg="$FAKE_ROOT/sys/fs/cgroup"
  echo "tmpfs /sys/fs/cgroup tmpfs rw 0 0" >"$FAKE_ROOT/proc/self/mounts"
  : >"$FAKE_ROOT/proc/self/cgroup"
  for c in "${CONTROLLERS[@]}"; do
    mkdir -p "$cg/$c"
    echo "cgroup /sys/fs/cgroup/$c cgroup rw,relatime,$c 0 0" >>"$FAKE_ROOT/proc/self/mounts"
    if [ "$c" = memory ]; then
      echo "$i:$c:$MEMCG" >>"$FAKE_ROOT/proc/self/cgroup"
      mkdir -p "$cg/memory$MEMCG" && echo 9223372036854771712 >"$cg/memory/memory.limit_in_bytes"
    else echo "$i:$c:/" >>"$FAKE_ROOT/proc/self/cgroup"; fi
    i=$((i + 1))
  done
  echo "0-1" >"$cg/cpuset/cpuset.cpus" && echo 0 >"$cg/cpuset/cpuset.mems"
  mkdir -p "$cg/systemd" "$cg/unified"
  echo "cgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0" >>"$FAKE_ROOT/proc/self/mounts"
  echo "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0" >>"$FAKE_ROOT/proc/self/mounts"
  echo "$i:name=systemd:/" >>"$FAKE_ROOT/proc/self/cgroup"
  echo "0::/" >>"$FAKE_ROOT/proc/self/cgroup"
}

fake_sysctls() {
  local kv
  for kv in vm/overcommit_memory=0 vm/panic_on_oom=0 kernel/panic=0 kernel/panic_on_oops=0 \
    kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000 \
    fs/inotify/max_user_instances=128 fs/inotify/max_user_watches=1048576; do
    mkdir -p "$(dirname "$FAKE_ROOT/proc/sys/${kv%=*}")"
    echo "${kv#*=}" >"$FAKE_ROOT/proc/sys/${kv%=*}"
  done
}

# stub NAME [BODY]: an executable NAME on the sandbox PATH running BODY (bash) after logging the call.
stub() {
  cat >"$STUB_BIN/$1" <<EOF
#!/usr/bin/env bash
echo "$1 \$*" >>"\$STUB_STATE/calls"
if [ -f "\$STUB_STATE/fail.$1" ]; then echo "$1: stubbed failure" >&2; exit "\$(cat "\$STUB_STATE/fail.$1")"; fi
${2:-}
EOF
  chmod +x "$STUB_BIN/$1"
}

unstub() { rm -f "$STUB_BIN/$1"; }
fail_stub() { echo "$2" >"$STUB_STATE/fail.$1"; }

# run_sh ARGS...: node.sh as root on a Linux host, clean environment, stdout and stderr apart.
run_sh() {
  run --separate-stderr env -i PATH="$STUB_BIN" HOME="$SANDBOX/home" KUBELAB_ROOT="$FAKE_ROOT" \
    STUB_STATE="$STUB_STATE" FAKE_ROOT="$FAKE_ROOT" KUBELAB_LOCAL_NODES_DIR="$STATE" KUBELAB_CACHE="$CACHE" \
    KUBELAB_HOST_STATE_DIR="$SANDBOX/host" KUBELAB_POLL=0.05 KUBELAB_BOOT_TIMEOUT="${BOOT_TIMEOUT:-10}" \
    KUBELAB_STOP_TIMEOUT="${STOP_TIMEOUT:-5}" "$STUB_BIN/bash" "$NODE_SH" "$@"
}

called() { grep -qxF -- "$1" "$CALLS"; }
called_like() { grep -qE -- "$1" "$CALLS"; }
fail() {
  echo "$*" >&2
  return 1
}

# A created node as `create` leaves it (run through node.sh itself).
create_node() {
  local name="${1:-n1}" address="${2:-10.213.0.2}"
  run_sh create "$name" --address "$address/24" --bridge kl0 --gateway 10.213.0.1 --user kube \
    --pubkey-file "$SANDBOX/user.pub" --memory 2G --hostname "${name/n/node-}"
  [ "$status" -eq 0 ] || fail "create $name: $stderr"
}

fake_rootfs() {
  mkdir -p "$CACHE/local-nodes/rootfs-$(rootfs_key_of bookworm)/etc"
}

rootfs_key_of() {
  (
    # shellcheck source=../../../scripts/local-nodes/rootfs.sh disable=SC1091
    source "$(dirname "$NODE_SH")/rootfs.sh"
    rootfs_key "$1"
  )
}

# Processes still "running" in the fake /proc (the stubbed systemd-nspawn of each started node).
live_nodes() { find "$FAKE_ROOT/proc" -maxdepth 2 -name cmdline -path '*/[0-9]*' | sort; }

sandbox_teardown() {
  # Stubbed nspawn processes wait for their fake /proc entry to go.
  find "$FAKE_ROOT/proc" -maxdepth 1 -regex '.*/[0-9]+' -exec rm -rf {} + 2>/dev/null || true
}

# shellcheck source=host-stubs.sh
source "$BATS_TEST_DIRNAME/host-stubs.sh"
