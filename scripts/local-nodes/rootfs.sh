# shellcheck shell=bash
# The shared base root filesystem of local nodes: Debian from debootstrap, built once per
# (release, package list, customisation) and cached; every node is an overlay on top of it.

# What a node needs to be driven over SSH and to run kubeadm, kubelet and containerd (which
# prepare installs). curl and gpg are what prepare fetches repository keys with.
ROOTFS_PACKAGES=(
  systemd systemd-sysv dbus openssh-server sudo iproute2 iptables nftables ebtables conntrack kmod
  ca-certificates procps iputils-ping socat ethtool util-linux mount curl gpg
)
# Bump when customise_rootfs changes what it writes: the cache key changes and nodes created
# from then on get a fresh rootfs (existing nodes keep the one they were made from).
ROOTFS_FORMAT=1
DEFAULT_RELEASE=bookworm
INIT_SOURCE="$(dirname "${BASH_SOURCE[0]}")/rootfs/kubelab-init.sh"

rootfs_key() {
  printf '%s\n' "release=$1" "packages=${ROOTFS_PACKAGES[*]}" "format=$ROOTFS_FORMAT" | sha256sum | cut -c1-16
}

rootfs_dir() { echo "$CACHE_DIR/rootfs-$(rootfs_key "$1")"; }

# The Debian mirror the host's apt already uses for RELEASE (or KUBELAB_DEBIAN_MIRROR).
debian_mirror() {
  local release="$1" uri
  if [ -n "${KUBELAB_DEBIAN_MIRROR:-}" ]; then
    echo "$KUBELAB_DEBIAN_MIRROR"
    return 0
  fi
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  uri="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
    awk -v r="$release" '$2 == r && $3 == "main" { print $1; exit }')"
  [ -n "$uri" ] || die "the host's apt has no source for Debian $release main; set KUBELAB_DEBIAN_MIRROR to a Debian mirror URL (e.g. http://deb.debian.org/debian)"
  echo "$uri"
}

# rootfs [--release R]: builds the base once (concurrent callers wait for the first) and prints
# its directory on stdout.
cmd_rootfs() {
  local release="$DEFAULT_RELEASE"
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --release) release="${2:?--release needs a value}" && shift 2 ;;
      *) die "rootfs: unknown argument '$1'; usage: node.sh rootfs [--release R]" ;;
    esac
  done
  [[ "$release" =~ ^[a-z]+$ ]] || die "release '$release' is not a Debian code name such as bookworm"
  need_linux
  need_root
  need_cmd debootstrap debootstrap
  need_cmd flock util-linux
  [ -f "$ROOT/usr/share/keyrings/debian-archive-keyring.gpg" ] ||
    die "Debian's archive keyring is missing; install it: apt-get install -y debian-archive-keyring"
  local dir
  dir="$(rootfs_dir "$release")"
  mkdir -p "$CACHE_DIR"
  (
    flock -w "$LOCK_TIMEOUT" 9 || die "another rootfs build held $dir.lock for ${LOCK_TIMEOUT}s; retry when it is done"
    [ -d "$dir" ] || build_rootfs "$release" "$dir"
  ) 9>"$dir.lock"
  echo "$dir"
}

# Builds into DIR.partial and renames it when complete: an interrupted build leaves only the
# partial tree, which the next build (under the same lock) removes and starts again.
build_rootfs() {
  local release="$1" dir="$2" partial="$2.partial" mirror started
  mirror="$(debian_mirror "$release")"
  rm -rf "$partial"
  mkdir -p "$CACHE_DIR/debs"
  started="$(date +%s)"
  log "building the node rootfs (Debian $release from $mirror, a few minutes the first time): $dir"
  local packages
  packages="$(
    IFS=,
    echo "${ROOTFS_PACKAGES[*]}"
  )"
  if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$CACHE_DIR/debs" \
    "$release" "$partial" "$mirror" >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2
    die "debootstrap of Debian $release failed (full log: $dir.log)"
  fi
  customise_rootfs "$partial" "$release"
  mv "$partial" "$dir"
  log "node rootfs ready in $(($(date +%s) - started))s: $dir ($(du -sh "$dir" | cut -f1))"
}

customise_rootfs() {
  local r="$1" release="$2"
  # Per-node identity is made at create: host keys, machine-id, hostname, network, resolver.
  rm -f "$r"/etc/ssh/ssh_host_*
  # debootstrap leaves a D-Bus machine-id that systemd would copy into every node's empty
  # /etc/machine-id; the link makes /etc/machine-id the only one.
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
  ln -s /etc/machine-id "$r/var/lib/dbus/machine-id"
  # debootstrap copied the host's resolver; a node asks only an address on its bridge.
  echo "# node.sh create writes the node's resolver (an address on its bridge)" >"$r/etc/resolv.conf"
  mkdir -p "$r/etc/ssh/sshd_config.d"
  cat >"$r/etc/ssh/sshd_config.d/kubelab.conf" <<'CONF'
# kubelab local node: one host key, made (and pinned by the caller) before the first boot.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF
  install -D -m 0755 "$INIT_SOURCE" "$r/usr/local/sbin/kubelab-init"
  chroot "$r" systemctl enable systemd-networkd ssh >/dev/null 2>&1
  # Nodes have no route beyond the host: apt's daily timers would only fail, and hold the dpkg
  # lock while prepare runs. A getty on the console and ext4 scrubbing have nothing to do in a
  # node and only cost boot time.
  chroot "$r" systemctl mask apt-daily.timer apt-daily-upgrade.timer console-getty.service \
    e2scrub_all.timer e2scrub_reap.service >/dev/null 2>&1
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '%s\n' "[Journal]" "SystemMaxUse=200M" >"$r/etc/systemd/journald.conf.d/kubelab.conf"
  chroot "$r" apt-get clean
  printf '%s\n' "release=$release" "packages=${ROOTFS_PACKAGES[*]}" "format=$ROOTFS_FORMAT" >"$r/etc/kubelab-rootfs"
}
