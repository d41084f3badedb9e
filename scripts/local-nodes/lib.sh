# shellcheck shell=bash
# shellcheck disable=SC2034 # settings read by the files that source this one
# Shared helpers of node.sh: logging, host checks, argument checks, IPv4 arithmetic, cgroup paths.
# Sourced, never run. Tests point KUBELAB_ROOT at a scratch tree standing in for /proc, /sys, /etc.

ROOT="${KUBELAB_ROOT:-}"
CACHE_DIR="${KUBELAB_CACHE:-${HOME:-/root}/.cache/kubelab}/local-nodes"
STATE_DIR="${KUBELAB_LOCAL_NODES_DIR:-/var/lib/kubelab/local-nodes}"
# Host-wide records, whichever state directory the nodes use (the sysctl values found before).
HOST_STATE_DIR="${KUBELAB_HOST_STATE_DIR:-/var/lib/kubelab}"
# Bounded waits (seconds): boot to SSH, orderly halt, a rootfs build held by another caller.
BOOT_TIMEOUT="${KUBELAB_BOOT_TIMEOUT:-120}"
STOP_TIMEOUT="${KUBELAB_STOP_TIMEOUT:-30}"
LOCK_TIMEOUT="${KUBELAB_LOCK_TIMEOUT:-900}"
# The link alias that marks a bridge as made by node.sh, so bridge-down never removes another's.
BRIDGE_ALIAS="kubelab-local-nodes"
# Interval of every polling loop; tests shorten it.
POLL="${KUBELAB_POLL:-0.2}"

log() { echo "node.sh: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- host checks: each names what is missing and how to get it -------------------------------

need_linux() {
  [ "$(uname -s)" = Linux ] || die "local nodes need a Linux host (this is $(uname -s)); use nodes.provider multipass or static here"
}

need_root() {
  [ "$(id -u)" = 0 ] || die "local nodes need root (mounts, cgroups, bridges); run as root, e.g. sudo -E npm run up"
}

# need_cmd COMMAND DEBIAN-PACKAGE
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; install it: apt-get install -y $2"
}

# The host must offer the cgroup v1 controllers (a "hybrid" or legacy layout): node.sh gives each
# node its own group in every v1 hierarchy, with the memory group under the caller's own.
need_cgroup_v1() {
  local fs
  fs="$(awk '$2 == "/sys/fs/cgroup" { t = $3 } END { print t }' "$ROOT/proc/self/mounts")"
  if [ "$fs" = cgroup2 ] || [ ! -d "$ROOT/sys/fs/cgroup/memory" ]; then
    die "this host runs the unified cgroup v2 hierarchy; local nodes support hosts with the cgroup v1 controllers (hybrid or legacy layout) only"
  fi
}

host_checks() {
  need_linux
  need_root
  need_cmd systemd-nspawn systemd-container
  need_cmd ip iproute2
  need_cmd ssh-keygen openssh-client
  need_cmd ssh-keyscan openssh-client
  need_cmd flock util-linux
  need_cgroup_v1
}

# --- arguments ---------------------------------------------------------------------------------

# A node name is a host name label and becomes a machine, cgroup and directory name.
check_name() {
  [[ "$1" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] ||
    die "node name '$1' is not valid: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit"
}

check_bridge_name() {
  [[ "$1" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$ ]] ||
    die "bridge name '$1' is not valid: use 1-15 letters, digits, '_', '.' or '-' (Linux interface names are at most 15 characters)"
}

check_user() {
  [[ "$1" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] ||
    die "user '$1' is not valid: use lowercase letters, digits, '_' and '-', starting with a letter or '_'"
}

check_memory() {
  [[ "$1" =~ ^[1-9][0-9]*[KMG]?$ ]] || die "memory '$1' is not valid: write bytes or a size such as 4G, 512M"
}

# ipv4_int A.B.C.D -> integer; fails on anything else.
ipv4_int() {
  local IFS=. a b c d
  [[ "$1" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  read -r a b c d <<<"$1"
  ((a <= 255 && b <= 255 && c <= 255 && d <= 255)) || return 1
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int_ipv4() { echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"; }

# check_cidr WHAT A.B.C.D/P: an IPv4 host address with a prefix of 8-30.
check_cidr() {
  local what="$1" value="$2" addr prefix
  addr="${value%/*}" prefix="${value#*/}"
  if [ "$addr" = "$value" ] || ! [[ "$prefix" =~ ^[0-9]+$ ]] || ((prefix < 8 || prefix > 30)) ||
    ! ipv4_int "$addr" >/dev/null; then
    die "$what '$value' is not valid: write an IPv4 address with its prefix (8-30), e.g. 10.213.0.11/24"
  fi
}

check_ipv4() {
  ipv4_int "$2" >/dev/null || die "$1 '$2' is not a valid IPv4 address"
}

# network_of A.B.C.D/P -> the network as N.N.N.N/P
network_of() {
  local addr="${1%/*}" prefix="${1#*/}" n mask
  n="$(ipv4_int "$addr")"
  mask=$(((0xffffffff << (32 - prefix)) & 0xffffffff))
  echo "$(int_ipv4 $((n & mask)))/$prefix"
}

# in_network A.B.C.D N.N.N.N/P
in_network() {
  local n net="${2%/*}" prefix="${2#*/}" mask
  n="$(ipv4_int "$1")" || return 1
  mask=$(((0xffffffff << (32 - prefix)) & 0xffffffff))
  (((n & mask) == ($(ipv4_int "$net") & mask)))
}

# --- cgroups (v1) ----------------------------------------------------------------------------

# Every mounted v1 hierarchy and the unified one, one "MOUNTPOINT CALLER-PATH" line each: where
# this process sits there. Memory lives under the caller's own group so the host's accounting
# (and any limit set on the caller) still covers the nodes.
cgroup_parents() {
  local mnt type opts own
  while read -r _ mnt type opts _; do
    case "$mnt" in /sys/fs/cgroup/*) ;; *) continue ;; esac
    case "$type" in cgroup | cgroup2) ;; *) continue ;; esac
    own="$(cgroup_of_self "$type" "$opts")"
    echo "$ROOT$mnt $own"
  done <"$ROOT/proc/self/mounts"
}

# cgroup_of_self TYPE MOUNT-OPTIONS -> this process's path in that hierarchy (from /proc/self/cgroup).
cgroup_of_self() {
  local type="$1" opts="$2" ctrls path c
  while IFS=: read -r _ ctrls path; do
    if [ "$type" = cgroup2 ]; then
      [ -z "$ctrls" ] && echo "$path" && return 0
      continue
    fi
    [ -n "$ctrls" ] || continue
    for c in ${ctrls//,/ }; do
      case ",$opts," in *",$c,"*) echo "$path" && return 0 ;; esac
    done
  done <"$ROOT/proc/self/cgroup"
  echo /
}

# with_host_lock CMD...: one node.sh at a time changes host-wide things (bridges, sysctls): nodes
# started together after a host reboot would otherwise race to create the same bridge.
with_host_lock() {
  mkdir -p "$HOST_STATE_DIR"
  (
    flock -w "$LOCK_TIMEOUT" 8 || die "$HOST_STATE_DIR/host.lock stayed held for ${LOCK_TIMEOUT}s"
    "$@"
  ) 8>"$HOST_STATE_DIR/host.lock"
}

# --- node state ------------------------------------------------------------------------------

node_dir() { echo "$STATE_DIR/$1"; }

# env_get FILE KEY: a value from a node.env ("KEY=value" lines, values checked when written).
env_get() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# Mount points at or below DIR, deepest first.
mounts_under() {
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' "$ROOT/proc/self/mounts" | sort -r
}

is_mounted() { mounts_under "$1" | grep -qxF "$1"; }
