# shellcheck shell=bash
# shellcheck disable=SC2016 # stub bodies are bash source, expanded when the stub runs
# The stubbed host commands of the local-nodes sandbox (see stubs.sh for the model they share).

default_stubs() {
  stub uname 'cat "$STUB_STATE/uname" 2>/dev/null || echo Linux'
  stub id 'cat "$STUB_STATE/uid" 2>/dev/null || echo 0'
  stub flock
  stub chown
  stub chroot
  stub nsenter 'cat "$FAKE_ROOT/proc/$2/host0"'
  stub ping 'grep -qxF "${!#}" "$STUB_STATE/answers" 2>/dev/null'
  stub sysctl 'key="${2%%=*}"; echo "${2#*=}" >"$FAKE_ROOT/proc/sys/${key//.//}"'
  stub apt-get '[ "$1" = indextargets ] && printf "%s\n" "http://deb.example/debian/ bookworm main" "http://deb.example/debian/ bookworm-updates main"'
  local real_install
  real_install="$(command -v install)"
  rm -f "$STUB_BIN/install"
  # Owners are those of the node's own passwd: dropped here, so the suite runs as any user.
  stub install 'args=(); while [ "$#" -gt 0 ]; do case "$1" in -o | -g) shift 2 ;; *) args+=("$1") && shift ;; esac; done
exec '"$real_install"' "${args[@]}"'
  stub ssh-keygen 'while [ "$1" != -f ]; do shift; done
echo "private" >"$2"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI$(echo "$2" | sha256sum | cut -c1-24) root@stub" >"$2.pub"'
  # A node answers once its (stubbed) systemd-nspawn runs, unless "ssh-silent" exists.
  stub ssh-keyscan 'addr="${!#}"
[ -f "$STUB_STATE/ssh-silent" ] && exit 0
for env in "$KUBELAB_LOCAL_NODES_DIR"/*/node.env; do
  grep -qx "ADDRESS=$addr" "$env" || continue
  dir="$(dirname "$env")"; pid="$(cat "$dir/pid" 2>/dev/null)" || exit 0
  [ -f "$FAKE_ROOT/proc/$pid/cmdline" ] && echo "$addr $(cat "$dir/host_key.pub")"
done; true'
  stub useradd 'root="$2" user="${!#}"
echo "$user:x:1000:1000::/home/$user:/bin/bash" >>"$root/etc/passwd"; mkdir -p "$root/home/$user"'
  stub debootstrap 'target="${@: -2:1}"
[ -f "$STUB_STATE/debootstrap-fails" ] && { echo "E: Couldn'"'"'t download packages" >&2; exit 1; }
mkdir -p "$target/etc/ssh" "$target/var/lib/dbus" "$target/etc/sudoers.d"
echo "root:x:0:0:root:/root:/bin/bash" >"$target/etc/passwd"
echo "host key" >"$target/etc/ssh/ssh_host_rsa_key"; echo "0123" >"$target/var/lib/dbus/machine-id"
echo "nameserver 192.0.2.53" >"$target/etc/resolv.conf"'
  mount_stubs
  process_stubs
  ip_stub
}

mount_stubs() {
  # An overlay shows its lower layer: copied in (never over what the node wrote before).
  stub mount 'opts="$5" lower="${opts#lowerdir=}" && lower="${lower%%,*}"
cp -an "$lower/." "${!#}/"
echo "overlay ${!#} overlay rw 0 0" >>"$FAKE_ROOT/proc/self/mounts"'
  stub umount 'grep -q " ${!#} " "$FAKE_ROOT/proc/self/mounts" || { echo "umount: ${!#}: not mounted" >&2; exit 32; }
grep -v " ${!#} " "$FAKE_ROOT/proc/self/mounts" >"$STUB_STATE/mounts.new"; cat "$STUB_STATE/mounts.new" >"$FAKE_ROOT/proc/self/mounts"'
  # As cgroupfs: a group goes only when it has no child groups and no processes.
  stub rmdir 'for d in "$@"; do
  if [ -n "$(find "$d" -mindepth 1 -type d)" ] || [ -s "$d/cgroup.procs" ]; then echo "rmdir: $d: Device or resource busy" >&2; exit 1; fi
  rm -rf "$d"
done'
}

# setsid runs the launcher; "systemd-nspawn" stays up while $FAKE_ROOT/proc/<its pid> exists,
# with a leader (pid 1 in its namespace) whose host0 peers with a new "vb-" link on the bridge.
process_stubs() {
  stub setsid 'exec "$@"'
  stub systemd-nspawn 'echo "SYSTEMD_SECCOMP=${SYSTEMD_SECCOMP:-}" >>"$STUB_STATE/calls"
if [ -f "$STUB_STATE/nspawn-dies" ]; then echo "Failed to mount: Invalid argument" >&2; exit 1; fi
machine="" bridge=""
for a in "$@"; do case "$a" in --machine=*) machine="${a#*=}" ;; --network-bridge=*) bridge="${a#*=}" ;; esac; done
leader=$((900000 + $$)) idx=$(($(awk "{ print \$5 }" "$STUB_STATE/links" | sort -n | tail -n 1) + 1))
echo "vb-$machine veth - $bridge $idx" >>"$STUB_STATE/links"
mkdir -p "$FAKE_ROOT/proc/$$/task/$$" "$FAKE_ROOT/proc/$leader"
printf "NSpid:\t%s\t1\n" "$leader" >"$FAKE_ROOT/proc/$leader/status"
echo "2: host0@if$idx: <BROADCAST,UP> mtu 1500" >"$FAKE_ROOT/proc/$leader/host0"
echo "$leader " >"$FAKE_ROOT/proc/$$/task/$$/children"
printf "%s\0" systemd-nspawn "$@" >"$FAKE_ROOT/proc/$$/cmdline"
for _ in $(seq 1 1200); do [ -d "$FAKE_ROOT/proc/$$" ] || break; sleep 0.05; done
rm -rf "$FAKE_ROOT/proc/$leader"
grep -v "^vb-$machine " "$STUB_STATE/links" >"$STUB_STATE/links.new"; cat "$STUB_STATE/links.new" >"$STUB_STATE/links"'
  # A killed process leaves /proc and its cgroups; "ignore-term" makes TERM do nothing.
  stub kill 'sig="$2"; shift 2
for pid in "$@"; do
  [ "$sig" = TERM ] && [ -f "$STUB_STATE/ignore-term" ] && continue
  rm -rf "${FAKE_ROOT:?}/proc/$pid"
  find "$FAKE_ROOT/sys/fs/cgroup" -name cgroup.procs -exec sed -i "/^$pid\$/d" {} +
done'
}

# ip over the model: links ("name type alias master index"), addrs ("dev cidr"); routes derive
# from the addresses, plus a default route on eth0.
ip_stub() {
  echo "eth0 ether - - 2" >"$STUB_STATE/links"
  stub ip 'S="$STUB_STATE"
link() { awk -v n="$1" "\$1 == n" "$S/links"; }
net() { local a="${1%/*}" p="${1#*/}" IFS=. o1 o2 o3 o4; read -r o1 o2 o3 o4 <<<"$a"
  local n=$(((o1 << 24 | o2 << 16 | o3 << 8 | o4) & ((0xffffffff << (32 - p)) & 0xffffffff)))
  echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$p"; }
case "$*" in
  "link show dev "*) [ -n "$(link "$4")" ] ;;
  "-d link show dev "*) l="$(link "$5")"; [ -n "$l" ] || exit 1
    echo "${l##* }: $5: <BROADCAST,UP> mtu 1500"; echo "    link/ether 02:00:00:00:00:01"
    [ "$(echo "$l" | cut -d" " -f2)" = bridge ] && echo "    bridge forward_delay 1500 stp_state 0"; true ;;
  "-o link show dev "*) l="$(link "$5")"; [ -n "$l" ] || exit 1; alias="$(echo "$l" | cut -d" " -f3)"
    printf "%s: %s: <UP> mtu 1500\\    link/ether 02:00:00:00:00:01" "${l##* }" "$5"
    [ "$alias" = - ] || printf "\\    alias %s" "$alias"; echo ;;
  "-o link show master "*) awk -v b="$5" "\$4 == b { print \$5 \": \" \$1 \"@if2: <UP> mtu 1500 master \" b }" "$S/links" ;;
  "-o link show") awk "{ print \$5 \": \" \$1 (\$2 == \"veth\" ? \"@if2\" : \"\") \": <UP> mtu 1500\" }" "$S/links" ;;
  "-o -4 addr show") awk "{ print NR \": \" \$1 \"    inet \" \$2 \" scope global \" \$1 }" "$S/addrs" ;;
  "-o -4 addr show dev "*) awk -v d="$6" "\$1 == d { print NR \": \" \$1 \"    inet \" \$2 \" scope global \" \$1 }" "$S/addrs" ;;
  "-o -4 route show") echo "default via 192.0.2.1 dev eth0"
    while read -r d c; do echo "$(net "$c") dev $d proto kernel scope link src ${c%/*}"; done <"$S/addrs" ;;
  "link add name "*) idx=$(($(awk "{ print \$5 }" "$S/links" | sort -n | tail -n 1) + 1)); echo "$4 $6 - - $idx" >>"$S/links" ;;
  "link set dev "*" alias "*) awk -v n="$4" -v a="$6" "{ if (\$1 == n) \$3 = a; print }" "$S/links" >"$S/l.new" && cat "$S/l.new" >"$S/links" ;;
  "link set dev "*" up") ;;
  "addr add "*) echo "$5 $3" >>"$S/addrs" ;;
  "link del dev "*) awk -v n="$4" "\$1 != n" "$S/links" >"$S/l.new" && cat "$S/l.new" >"$S/links"
    awk -v n="$4" "\$1 != n" "$S/addrs" >"$S/a.new" && cat "$S/a.new" >"$S/addrs" ;;
  *) echo "ip stub: unhandled: $*" >&2; exit 2 ;;
esac'
}

# A bridge node.sh made earlier, with the host address on it.
our_bridge() {
  echo "${1:-kl0} bridge kubelab-local-nodes - 7" >>"$STUB_STATE/links"
  echo "${1:-kl0} ${2:-10.213.0.1/24}" >>"$STUB_STATE/addrs"
}
