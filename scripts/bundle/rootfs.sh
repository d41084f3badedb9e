#!/usr/bin/env bash
# Debian root filesystems for the bundle's images, as layer tarballs.
#   rootfs.sh base OUT_DIR SUITE MIRROR       debootstrap --variant=minbase -> OUT_DIR/rootfs.tar
#   rootfs.sh VARIANT OUT_DIR BASE_TAR        base + the variant's packages -> OUT_DIR/layer.tar
#   rootfs.sh static OUT_DIR NET_LAYER_TAR    CA certificates, passwd, /tmp for scratch images
# Packages come from the host's apt sources (/etc/apt/sources.list.d/debian.sources), also used inside
# the root so that security updates apply. Mounts live in a private mount namespace (unshare), so
# nothing stays mounted on the host when a step fails.
set -euo pipefail
variant=$1 out=$2
work=$(mktemp -d "${out%/}.rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# Users with fixed ids, created before the package would pick one: the pods run them by number.
declare -A PRE=(
  [redis]='groupadd -r -g 999 redis && useradd -r -u 999 -g 999 -d /data -s /usr/sbin/nologin redis'
  [postgres]='groupadd -r -g 999 postgres && useradd -r -u 999 -g 999 -d /var/lib/postgresql -s /bin/bash postgres &&
    mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf'
  [python]='groupadd -g 1000 app && useradd -u 1000 -g 1000 -d /app -s /usr/sbin/nologin app'
)
declare -A PACKAGES=(
  # kube-proxy, flanneld, the flannel CNI copier and the network check's probe (curl, dig, sh).
  [net]='iptables nftables iproute2 conntrack ipset kmod ca-certificates curl bind9-dnsutils netcat-openbsd'
  [python]='python3 python3-flask python3-redis python3-psycopg2 gunicorn'
  [redis]='redis-server'
  [postgres]='postgresql-15'
)
declare -A POST=(
  [redis]='mkdir -p /data && chown 999:999 /data'
  [postgres]='mkdir -p /var/lib/postgresql/data /var/run/postgresql &&
    chown -R 999:999 /var/lib/postgresql /var/run/postgresql && chmod 1777 /var/lib/postgresql/data &&
    chmod 3777 /var/run/postgresql'
)

# The script runs inside the chroot; its variables expand there.
# shellcheck disable=SC2016
in_root() {
  unshare --mount --propagation private -- bash -euo pipefail -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
      /bin/bash -euo pipefail -c "$1"' _ "$root" "$1"
}

layer_tar() {
  chmod 755 "$root"
  # Device nodes, kernel file systems and caches do not belong in an image layer. /run stays: no
  # runtime mounts a tmpfs there, and postgres keeps its socket directory in it.
  tar --numeric-owner --sort=name -C "$root" \
    --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* --exclude=./tmp/* \
    --exclude=./var/cache/apt/* --exclude=./var/lib/apt/lists/* --exclude=./var/log/* \
    -cf "$1" .
}

case $variant in
  base)
    suite=$3 mirror=$4
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
    mkdir -p "$out"
    tar --numeric-owner --sort=name -C "$root" --exclude=./proc/* --exclude=./sys/* -cf "$out/rootfs.tar" .
    ;;
  net | python | redis | postgres)
    base=$3
    mkdir -p "$root"
    tar --numeric-owner -C "$root" -xf "$base"
    # The host's sources (deb822 or one-line), so security updates come from where the host gets them.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      rm -f "$root/etc/apt/sources.list"
      cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
    elif [ -f /etc/apt/sources.list ]; then
      cp /etc/apt/sources.list "$root/etc/apt/sources.list"
    fi
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
    # apt and the maintainer scripts talk a lot; their output is shown only when a step fails.
    in_root "${PRE[$variant]:-true}
      apt-get update -qq
      apt-get -y -qq -o Dpkg::Use-Pty=0 upgrade
      apt-get -y -qq -o Dpkg::Use-Pty=0 install --no-install-recommends ${PACKAGES[$variant]}
      ${POST[$variant]:-true}
      apt-get clean
      # Manuals, translations and docs are dead weight in an image; the licences (copyright) stay.
      rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/* /var/cache/debconf/*-old /var/lib/dpkg/*-old
      find /usr/share/doc -type f ! -name copyright -delete" >"$work/apt.log" 2>&1 ||
      { tail -n 40 "$work/apt.log" >&2; exit 1; }
    rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
    mkdir -p "$out"
    layer_tar "$out/layer.tar"
    ;;
  static)
    net=$3
    mkdir -p "$root/etc/ssl/certs" "$root/tmp"
    tar -C "$root" -xf "$net" ./etc/ssl/certs/ca-certificates.crt
    chmod 1777 "$root/tmp"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
    mkdir -p "$out"
    layer_tar "$out/layer.tar"
    ;;
  *)
    echo "rootfs.sh: unknown variant '$variant' (base, net, python, redis, postgres, static)" >&2
    exit 2
    ;;
esac
