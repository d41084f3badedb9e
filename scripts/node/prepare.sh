#!/usr/bin/env bash
# Makes a Debian/Ubuntu machine ready for kubeadm: hostname, swap off, kernel modules and sysctls,
# containerd with the systemd cgroup driver, pinned kubelet/kubeadm/kubectl from pkgs.k8s.io.
# With OFFLINE=true only the machine is prepared: packages, containerd and kubelet come from the
# offline bundle (install-bundle.sh), and nothing is fetched.
# Kubernetes 1.36+ needs containerd 2.x, which none of the supported distributions ship, so for
# those minors containerd.io comes from Docker's apt repository.
# Safe to re-run: files are only rewritten and services only restarted when their content changes,
# and installed packages of the wanted version are left alone.
# stdout: only the last line `KUBEADM_VERSION=<kubeadm version -o short>`; progress goes to stderr.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?NODE_NAME is required (the Kubernetes node name)}"
: "${NODE_IP:?NODE_IP is required (the node address kubelet registers)}"
: "${KUBERNETES_MINOR:?KUBERNETES_MINOR is required, e.g. 1.36}"
KUBERNETES_PACKAGE_VERSION="${KUBERNETES_PACKAGE_VERSION:-}"
OFFLINE="${OFFLINE:-false}"
# Machine containers on a host that offers only cgroup v1 (local nodes): kubelet runs with
# failCgroupV1: false there, so the host check warns instead of refusing.
ALLOW_CGROUP_V1="${ALLOW_CGROUP_V1:-false}"
# Machine containers without CAP_SYS_RESOURCE cannot lower a process's oom_score_adj (pod sandboxes
# ask for -998): containerd then keeps every container's at or above its own.
RESTRICT_OOM_SCORE_ADJ="${RESTRICT_OOM_SCORE_ADJ:-false}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
SOURCES_LIST=/etc/apt/sources.list.d/kubernetes.list
# The paths of Docker's own install instructions: a node already set up that way gets the same
# signed-by value (apt refuses one repository with two different Signed-By keyrings) and, for a
# docker.list written by those instructions, the same line, so nothing is rewritten.
DOCKER_KEYRING=/etc/apt/keyrings/docker.asc
DOCKER_SOURCES_LIST=/etc/apt/sources.list.d/docker.list
K8S_PACKAGES=(kubelet kubeadm kubectl)
SYSCTL_FILE=/etc/sysctl.d/99-kubernetes.conf
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward)
APT_ATTEMPTS=10
APT_RETRY_SECONDS=15
export DEBIAN_FRONTEND=noninteractive
# Ubuntu's needrestart would otherwise prompt, or restart services, from inside apt-get.
export NEEDRESTART_SUSPEND=1
# Keep kubelab's whole config files (containerd's config.toml is a conffile of containerd.io)
# instead of prompting when a package ships its own.
APT_OPTIONS=(-o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

exec 3>&1 1>&2
STEP="starting"
APT_UPDATED=0
FILE_CHANGED=0

log() { echo "prepare.sh [$NODE_NAME]: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then log "FAILED while ${STEP} (exit ${rc})"; fi
}
trap on_exit EXIT
step() {
  STEP="$*"
  log "$*"
}

# Replaces DEST with stdin when the content differs; FILE_CHANGED says whether it did (so stdin
# comes from a redirection, never a pipe, which would run this in a subshell).
write_file() {
  local dest="$1" mode="$2" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
    FILE_CHANGED=0
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  install -m "$mode" "$tmp" "$dest"
  rm -f "$tmp"
  FILE_CHANGED=1
}

# `package_manager WHAT CMD...` runs CMD (an apt-get or apt-mark, which both end up taking the
# dpkg lock) with bounded retries while another apt/dpkg (cloud-init, unattended-upgrades) holds
# the lock, and one repair when an earlier run was killed mid-install; any other failure stops
# the script with CMD's exit code. WHAT names CMD in the log.
package_manager() {
  local what="$1" attempt out rc
  shift
  out="$(mktemp)"
  for ((attempt = 1; ; attempt++)); do
    rc=0
    "$@" </dev/null >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
      rm -f "$out"
      return 0
    fi
    # apt's own lock messages, and dpkg's (apt-mark hold runs dpkg --set-selections).
    if ((attempt < APT_ATTEMPTS)) && grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock|unable to lock|locked by another process' "$out"; then
      log "${what}: package manager busy (attempt ${attempt}/${APT_ATTEMPTS}); retrying in ${APT_RETRY_SECONDS}s"
      sleep "$APT_RETRY_SECONDS"
      continue
    fi
    if ((attempt < APT_ATTEMPTS)) && grep -q "dpkg was interrupted" "$out"; then
      log "${what}: an earlier dpkg run was interrupted; running dpkg --configure -a"
      timeout 600 dpkg --configure -a </dev/null >&2
      continue
    fi
    tail -n 20 "$out" >&2
    rm -f "$out"
    log "${what} failed (exit ${rc}): $*"
    return "$rc"
  done
}

apt_get() { package_manager "apt-get $1" apt-get "${APT_OPTIONS[@]}" "$@"; }

# Holds packages so an unrelated `apt upgrade` never moves them. Packages already held are left
# alone, so a re-run does not touch the dpkg lock at all.
hold_packages() {
  local held pkg missing=()
  held="$(apt-mark showhold)"
  for pkg in "$@"; do
    grep -qxF -- "$pkg" <<<"$held" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  package_manager "apt-mark hold" apt-mark hold "${missing[@]}"
}

apt_update_once() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    apt_get update
    APT_UPDATED=1
  fi
}

# Installed version of a package, empty when it is not installed.
installed_version() {
  local out
  # shellcheck disable=SC2016 # dpkg-query's format, not a shell expansion
  out="$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null)" || return 0
  case "$out" in "installed "*) printf '%s' "${out#installed }" ;; esac
}

# The version apt would install (epoch stripped), empty when no source offers the package.
candidate_version() {
  local candidate
  candidate="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')"
  [ "$candidate" = "(none)" ] && candidate=""
  printf '%s' "${candidate#*:}"
}

check_inputs() {
  step "checking inputs"
  [[ "$NODE_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
    die "NODE_NAME '$NODE_NAME' is not a valid node name (lowercase letters, digits and '-')"
  [[ "$NODE_IP" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "NODE_IP '$NODE_IP' is not an IPv4 address"
  [[ "$KUBERNETES_MINOR" =~ ^1\.[0-9]+$ ]] || die "KUBERNETES_MINOR '$KUBERNETES_MINOR' is not a minor version such as 1.36"
  [[ "$OFFLINE" =~ ^(true|false)$ ]] || die "OFFLINE '$OFFLINE' must be true or false"
  [[ "$ALLOW_CGROUP_V1" =~ ^(true|false)$ ]] || die "ALLOW_CGROUP_V1 '$ALLOW_CGROUP_V1' must be true or false"
  [[ "$RESTRICT_OOM_SCORE_ADJ" =~ ^(true|false)$ ]] || die "RESTRICT_OOM_SCORE_ADJ '$RESTRICT_OOM_SCORE_ADJ' must be true or false"
  if [ -n "$KUBERNETES_PACKAGE_VERSION" ] && [[ ! "$KUBERNETES_PACKAGE_VERSION" =~ ^${KUBERNETES_MINOR//./\\.}\.[0-9]+$ ]]; then
    die "KUBERNETES_PACKAGE_VERSION '$KUBERNETES_PACKAGE_VERSION' is not a patch of ${KUBERNETES_MINOR} (e.g. ${KUBERNETES_MINOR}.4, or empty for the latest)"
  fi
}

# KEY's value in /etc/os-release, quotes removed (read, not sourced).
os_release_field() {
  awk -F= -v key="$1" '$1 == key { sub(/^[^=]*=/, ""); gsub(/^["\047]|["\047]$/, ""); print; exit }' "$ROOT/etc/os-release"
}

check_os() {
  step "checking the operating system"
  [ -r "$ROOT/etc/os-release" ] || die "/etc/os-release is missing; kubelab supports Ubuntu 22.04/24.04 and Debian 12/13"
  local id version pretty
  id="$(os_release_field ID)"
  version="$(os_release_field VERSION_ID)"
  pretty="$(os_release_field PRETTY_NAME)"
  case "${id}:${version}" in
    ubuntu:22.04 | ubuntu:24.04 | debian:12 | debian:13) ;;
    *) die "unsupported operating system '${pretty:-$id $version}'; kubelab supports Ubuntu 22.04/24.04 and Debian 12/13" ;;
  esac
}

# kubelet refuses to start on cgroup v1 hosts since Kubernetes 1.35.
check_cgroup_v2() {
  [ -f "$ROOT/sys/fs/cgroup/cgroup.controllers" ] && return 0
  if [ "$ALLOW_CGROUP_V1" = true ]; then
    log "WARNING: cgroup v1 (the host offers no other); kubelet runs with failCgroupV1: false"
    return 0
  fi
  die "this host uses cgroup v1; kubelet needs cgroup v2 (the default on Ubuntu 22.04+ and Debian 12+: remove systemd.unified_cgroup_hierarchy=0 from the kernel command line)"
}

# Cloud images run apt from cloud-init right after boot; let it finish first (bounded).
wait_for_cloud_init() {
  command -v cloud-init >/dev/null 2>&1 || return 0
  step "waiting for cloud-init to finish (at most 10 minutes)"
  timeout 600 cloud-init status --wait >/dev/null 2>&1 || log "cloud-init did not report success; continuing"
}

set_hostname() {
  local current
  current="$(cat "$ROOT/proc/sys/kernel/hostname")"
  if [ "$current" != "$NODE_NAME" ]; then
    step "setting the hostname to $NODE_NAME (was $current)"
    hostnamectl set-hostname "$NODE_NAME"
  fi
  hosts_entry
}

# The node name must resolve locally: otherwise every sudo prints "unable to resolve host" and
# waits on DNS first. The Debian/Ubuntu convention is a 127.0.1.1 line in /etc/hosts: the first
# such line is made to name the node (kept as it is when it already lists the name among its
# names), or one is appended. Only that line changes; the rest of the file is the machine's own,
# and it is written in place, as the file may be a bind mount.
hosts_entry() {
  local hosts="$ROOT/etc/hosts" input updated
  input="$hosts"
  [ -f "$input" ] || input=/dev/null
  updated="$(mktemp)"
  awk -v name="$NODE_NAME" '
    $1 == "127.0.1.1" && !seen {
      seen = 1
      for (i = 2; i <= NF && $i !~ /^#/; i++) if ($i == name) { print; next }
      print "127.0.1.1 " name
      next
    }
    { print }
    END { if (!seen) print "127.0.1.1 " name }' "$input" >"$updated"
  if cmp -s "$updated" "$hosts"; then
    rm -f "$updated"
    return 0
  fi
  log "pointing 127.0.1.1 at $NODE_NAME in /etc/hosts"
  cat "$updated" >"$hosts"
  rm -f "$updated"
}

disable_swap() {
  # kubelet refuses to start with swap on (failSwapOn); fstab keeps it off after a reboot.
  step "turning swap off"
  swapoff -a
  local fstab="$ROOT/etc/fstab"
  [ -f "$fstab" ] || return 0
  local updated
  updated="$(mktemp)"
  awk '!/^[[:space:]]*#/ && $3 == "swap" { print "#" $0; next } { print }' "$fstab" >"$updated"
  if cmp -s "$updated" "$fstab"; then
    rm -f "$updated"
  else
    log "commenting out swap entries in /etc/fstab"
    cat "$updated" >"$fstab"
    rm -f "$updated"
  fi
}

# A module whose feature the kernel already has is not loaded again: machine containers and
# kernels with it built in have no /lib/modules to load from.
load_module() {
  case "$1" in
    overlay) grep -qw overlay "$ROOT/proc/filesystems" 2>/dev/null && return 0 ;;
    br_netfilter) [ -d "$ROOT/proc/sys/net/bridge" ] && return 0 ;;
  esac
  modprobe "$1"
}

kernel_setup() {
  step "loading overlay and br_netfilter"
  write_file "$ROOT/etc/modules-load.d/k8s.conf" 0644 <<<$'overlay\nbr_netfilter'
  load_module overlay
  load_module br_netfilter
  step "applying the Kubernetes sysctls"
  write_file "$ROOT$SYSCTL_FILE" 0644 <<'EOF'
# Written by kubelab: pod traffic crosses Linux bridges and must be forwarded and seen by iptables.
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
EOF
  # Only kubelab's file: `sysctl --system` re-applies every sysctl.d file and fails when any of
  # them (none of kubelab's business) has a key this kernel lacks. It is applied when it changed,
  # or when its values are not in effect (a later file or a module reload can undo them).
  if [ "$FILE_CHANGED" -eq 1 ] || ! sysctls_in_effect; then
    sysctl -p "$ROOT$SYSCTL_FILE" >/dev/null
  fi
  sysctls_in_effect || die "still not 1 after 'sysctl -p ${SYSCTL_FILE}': ${NOT_IN_EFFECT}"
}

# Whether the three sysctls read 1 now; NOT_IN_EFFECT lists those that do not, with their values.
NOT_IN_EFFECT=""
sysctls_in_effect() {
  local key value
  NOT_IN_EFFECT=""
  for key in "${SYSCTLS[@]}"; do
    value="$(cat "$ROOT/proc/sys/${key//.//}" 2>/dev/null || true)"
    [ "$value" = 1 ] || NOT_IN_EFFECT="${NOT_IN_EFFECT:+$NOT_IN_EFFECT, }${key} = ${value:-(missing)}"
  done
  [ -z "$NOT_IN_EFFECT" ]
}

install_base_packages() {
  local missing=() pkg
  for pkg in ca-certificates curl gpg; do
    [ -n "$(installed_version "$pkg")" ] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  step "installing ${missing[*]}"
  apt_update_once
  apt_get install -y --no-install-recommends "${missing[@]}"
}

# Kubernetes 1.35 was the last minor supporting containerd 1.x.
needs_containerd_2() {
  local minor="${KUBERNETES_MINOR#1.}"
  ((10#$minor >= 36))
}

# Upstream major of a Debian package version (epoch and revision ignored): 1.7.28-0ubuntu1 -> 1.
package_major() {
  local version="${1#*:}"
  printf '%s' "${version%%.*}"
}

# For 1.36+ the distribution's containerd 1.x is refused before anything changes. Replacing it with
# containerd.io would work for apt (containerd.io conflicts with containerd and runc and takes
# their place), but it stops the runtime, and every container of a node already in a cluster, in
# the middle of a re-run: draining the node and removing the package is the operator's call.
check_containerd_package() {
  needs_containerd_2 || return 0
  local version
  version="$(installed_version containerd)"
  if [ -n "$version" ] && [ "$(package_major "$version")" -lt 2 ]; then
    die "the distribution's containerd ${version} is installed, but Kubernetes ${KUBERNETES_MINOR} needs containerd 2.x (1.35 was the last minor for containerd 1.x); drain the node and remove it ('apt-get purge containerd') so prepare installs containerd.io 2.x from Docker's repository, or use kubernetesVersion 1.35"
  fi
}

kubernetes_repo() {
  local url="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"
  step "configuring the Kubernetes ${KUBERNETES_MINOR} package repository"
  write_file "$ROOT$SOURCES_LIST" 0644 <<<"deb [signed-by=${KEYRING}] ${url} /"
  local list_changed="$FILE_CHANGED"
  if [ "$list_changed" -eq 1 ] || [ ! -s "$ROOT$KEYRING" ]; then
    local key
    key="$(mktemp)"
    timeout 120 curl -fsSL --retry 5 --retry-delay 3 "${url}Release.key" -o "$key"
    gpg --batch --yes --dearmor -o "$key.gpg" "$key"
    mkdir -p "$ROOT/etc/apt/keyrings"
    install -m 0644 "$key.gpg" "$ROOT$KEYRING"
    rm -f "$key" "$key.gpg"
    list_changed=1
  fi
  # A new repository (or another minor) needs fresh package lists.
  if [ "$list_changed" -eq 1 ]; then APT_UPDATED=0; fi
}

# Docker's apt repository, configured like pkgs.k8s.io, for containerd.io 2.x (Kubernetes 1.36+).
docker_repo() {
  needs_containerd_2 || return 0
  local id codename arch url
  id="$(os_release_field ID)"
  codename="$(os_release_field VERSION_CODENAME)"
  [ -n "$codename" ] || die "/etc/os-release has no VERSION_CODENAME; Docker's apt repository is organised by release codename"
  arch="$(dpkg --print-architecture)"
  url="https://download.docker.com/linux/${id}"
  step "configuring Docker's package repository for containerd.io 2.x (Kubernetes ${KUBERNETES_MINOR} needs containerd 2.x)"
  write_file "$ROOT$DOCKER_SOURCES_LIST" 0644 <<<"deb [arch=${arch} signed-by=${DOCKER_KEYRING}] ${url} ${codename} stable"
  local list_changed="$FILE_CHANGED"
  if [ "$list_changed" -eq 1 ] || [ ! -s "$ROOT$DOCKER_KEYRING" ]; then
    local key
    key="$(mktemp)"
    timeout 120 curl -fsSL --retry 5 --retry-delay 3 "${url}/gpg" -o "$key"
    # apt reads an armored key from a .asc keyring; anything else (a captive portal's page) would
    # only surface later as an unsigned-repository error.
    grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$key" || die "${url}/gpg did not return an armored OpenPGP key"
    write_file "$ROOT$DOCKER_KEYRING" 0644 <"$key"
    rm -f "$key"
    list_changed=1
  fi
  if [ "$list_changed" -eq 1 ]; then APT_UPDATED=0; fi
}

# The Debian version to pin (e.g. 1.36.4-1.1): the requested patch, or the newest of the minor.
wanted_package_version() {
  local versions match
  versions="$(apt-cache madison kubeadm | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')"
  if [ -n "$KUBERNETES_PACKAGE_VERSION" ]; then
    match="$(grep -E "^${KUBERNETES_PACKAGE_VERSION//./\\.}-" <<<"$versions" | sort -V | tail -n 1 || true)"
  else
    match="$(grep -E "^${KUBERNETES_MINOR//./\\.}\.[0-9]+-" <<<"$versions" | sort -V | tail -n 1 || true)"
  fi
  if [ -z "$match" ]; then
    log "kubeadm versions offered: $(tr '\n' ' ' <<<"$versions")"
    die "no kubeadm package for ${KUBERNETES_PACKAGE_VERSION:-$KUBERNETES_MINOR} in the pkgs.k8s.io v${KUBERNETES_MINOR} repository"
  fi
  printf '%s' "$match"
}

# True when kubelet, kubeadm and kubectl are installed at one version that satisfies the request.
kubernetes_packages_current() {
  local pkg version first=""
  for pkg in "${K8S_PACKAGES[@]}"; do
    version="$(installed_version "$pkg")"
    [ -n "$version" ] || return 1
    [ -z "$first" ] || [ "$version" = "$first" ] || return 1
    first="$version"
  done
  if [ -n "$KUBERNETES_PACKAGE_VERSION" ]; then
    [[ "$first" == "${KUBERNETES_PACKAGE_VERSION}-"* ]]
  else
    [[ "$first" == "${KUBERNETES_MINOR}."* ]]
  fi
}

# Upstream version of the installed kubeadm (1.36.4 from 1:1.36.4-1.1), empty when none.
installed_kubernetes() {
  local version
  version="$(installed_version kubeadm)"
  version="${version#*:}"
  printf '%s' "${version%%-*}"
}

# True when version $1 sorts before $2.
version_before() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }

# kubelab does not upgrade clusters yet and never downgrades: a requested version older than the
# installed one, or different from what a node in a cluster (kubelet.conf) runs, stops here before
# anything on the node changes. Installing a newer version on a node outside a cluster is fine.
check_version_change() {
  step "checking the requested Kubernetes version against this node"
  local installed wanted installed_minor in_cluster=0 older=0 fix
  installed="$(installed_kubernetes)"
  [ -n "$installed" ] || return 0
  installed_minor="${installed%.*}"
  wanted="${KUBERNETES_PACKAGE_VERSION:-$KUBERNETES_MINOR}"
  if [ -n "$KUBERNETES_PACKAGE_VERSION" ]; then
    [ "$installed" != "$KUBERNETES_PACKAGE_VERSION" ] || return 0
    if version_before "$KUBERNETES_PACKAGE_VERSION" "$installed"; then older=1; fi
  else
    [ "$installed_minor" != "$KUBERNETES_MINOR" ] || return 0
    if version_before "$KUBERNETES_MINOR" "$installed_minor"; then older=1; fi
  fi
  if [ -f "$ROOT/etc/kubernetes/kubelet.conf" ]; then in_cluster=1; fi
  [ "$older" = 1 ] || [ "$in_cluster" = 1 ] || return 0
  fix="set kubelab:kubernetesVersion back to \"${installed_minor}\" (or \"${installed}\"), or destroy the cluster and create it again"
  if [ "$older" = 1 ] && [ "$in_cluster" = 0 ]; then
    fix="set kubelab:kubernetesVersion back to \"${installed_minor}\" (or \"${installed}\"), or remove the packages first (apt-get purge kubelet kubeadm kubectl)"
  fi
  if [ "$older" = 1 ]; then
    die "kubelab:kubernetesVersion asks for ${wanted}, older than Kubernetes ${installed} installed on ${NODE_NAME}; kubelab never downgrades: ${fix}"
  fi
  die "kubelab:kubernetesVersion changed from ${installed} (what ${NODE_NAME} runs in the cluster) to ${wanted}; kubelab does not upgrade a running cluster yet: ${fix}"
}

install_kubernetes_packages() {
  if kubernetes_packages_current; then
    log "kubelet, kubeadm and kubectl $(installed_version kubeadm) already installed"
  else
    apt_update_once
    local version pkg pins=()
    version="$(wanted_package_version)"
    for pkg in "${K8S_PACKAGES[@]}"; do pins+=("${pkg}=${version}"); done
    step "installing ${pins[*]}"
    apt_get install -y --allow-change-held-packages --allow-downgrades "${pins[@]}"
  fi
  # Held so an unrelated `apt upgrade` never moves the cluster to another version.
  hold_packages "${K8S_PACKAGES[@]}"
}

# Which containerd package: one already installed is kept (switching runtimes under a running
# kubelet is not prepare's job; configure_containerd refuses a 1.x one for 1.36+). Otherwise, for
# 1.36+, containerd.io 2.x from Docker's repository; for older minors Docker's containerd.io when
# its apt source is configured and offers 2.x while the distro offers 1.x, else the distro's
# containerd, else containerd.io.
install_containerd() {
  local pkg distro docker
  for pkg in containerd containerd.io; do
    if [ -n "$(installed_version "$pkg")" ]; then
      log "containerd: package $pkg $(installed_version "$pkg") already installed"
      return 0
    fi
  done
  apt_update_once
  if needs_containerd_2; then
    docker="$(candidate_version containerd.io)"
    [ -n "$docker" ] || die "Docker's repository offers no containerd.io for this release and architecture; Kubernetes ${KUBERNETES_MINOR} needs containerd 2.x (or use kubernetesVersion 1.35 with the distribution's containerd)"
    # Checked before installing so a refused runtime is not left on the node.
    [ "$(package_major "$docker")" -ge 2 ] ||
      die "containerd.io ${docker} is the candidate, but Kubernetes ${KUBERNETES_MINOR} needs containerd 2.x (1.35 was the last minor for containerd 1.x); check apt pinning of containerd.io, or use kubernetesVersion 1.35"
    step "installing containerd.io ${docker} from Docker's repository"
    apt_get install -y containerd.io
    return 0
  fi
  distro="$(candidate_version containerd)"
  docker="$(candidate_version containerd.io)"
  if [[ "$docker" == 2.* && "$distro" != 2.* ]]; then
    pkg=containerd.io
  elif [ -n "$distro" ]; then
    pkg=containerd
  elif [ -n "$docker" ]; then
    pkg=containerd.io
  else
    die "neither the 'containerd' nor the 'containerd.io' package is available from the configured apt sources"
  fi
  step "installing $pkg (candidate ${distro:-none} from the distribution, ${docker:-none} as containerd.io)"
  apt_get install -y "$pkg"
}

# The version of the containerd on PATH, which is what kubelet will talk to (a binary installed
# from a release tarball in /usr/local/bin shadows any package).
containerd_version() {
  local version
  version="$(containerd --version | grep -oE '(^| )v?[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n 1 | tr -d ' v')"
  [ -n "$version" ] || die "could not read the version from 'containerd --version'"
  printf '%s' "$version"
}

# Kubernetes 1.35 was the last minor supporting containerd 1.x: an unsupported pair stops here
# rather than producing a cluster whose kubelet cannot rely on its runtime.
require_supported_containerd() {
  local version="$1"
  if [ "${version%%.*}" -lt 2 ] && needs_containerd_2; then
    die "containerd ${version} ($(command -v containerd)) does not support Kubernetes ${KUBERNETES_MINOR}, which needs containerd 2.x (1.35 was the last minor for containerd 1.x); upgrade the node to containerd 2.x (containerd.io from Docker's repository) or use kubernetesVersion 1.35"
  fi
}

# The pause image this kubeadm pulls; containerd must use the same one as its sandbox image or
# kubeadm warns and two pause images end up on the node.
pause_image() {
  kubeadm config images list --kubernetes-version "$(kubeadm version -o short)" 2>/dev/null | grep '/pause:' | head -n 1 || true
}

containerd_config_v2() {
  cat <<EOF
# Written by kubelab for containerd 1.x (config version 2). The whole file is kubelab's: distro and
# containerd.io defaults (cgroupfs, or the CRI plugin disabled) must not survive.
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$1"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
EOF
}

containerd_config_v3() {
  cat <<EOF
# Written by kubelab for containerd 2.x (config version 3). containerd 2's default config has no
# SystemdCgroup line at all, so the whole file is written rather than edited.
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '$1'

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = $RESTRICT_OOM_SCORE_ADJ

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
EOF
}

configure_containerd() {
  local version major pause
  version="$(containerd_version)"
  require_supported_containerd "$version"
  major="${version%%.*}"
  pause="$(pause_image)"
  [ -n "$pause" ] || die "could not read the pause image from 'kubeadm config images list'"
  step "writing /etc/containerd/config.toml for containerd ${major}.x (sandbox ${pause})"
  local config
  case "$major" in
    1) config="$(containerd_config_v2 "$pause")" ;;
    2) config="$(containerd_config_v3 "$pause")" ;;
    *) die "containerd ${major}.x is not supported; kubelab writes configs for containerd 1.x and 2.x" ;;
  esac
  write_file "$ROOT/etc/containerd/config.toml" 0644 <<<"$config"
  if [ "$FILE_CHANGED" -eq 1 ]; then
    step "restarting containerd"
    systemctl restart containerd
  fi
  systemctl is-enabled --quiet containerd || systemctl enable containerd
  systemctl is-active --quiet containerd || systemctl start containerd
}

# Held for 1.36+ (only once the version check passed, so the upgrade it asks for is not blocked):
# an unattended upgrade must not swap the runtime under the kubelet.
hold_containerd() {
  needs_containerd_2 || return 0
  [ -n "$(installed_version containerd.io)" ] || return 0
  hold_packages containerd.io
}

configure_kubelet() {
  step "setting kubelet's node IP to $NODE_IP"
  write_file "$ROOT/etc/default/kubelet" 0644 <<<"KUBELET_EXTRA_ARGS=--node-ip=${NODE_IP}"
  # Before init/join kubelet has no config and restarts on its own; afterwards it must be told.
  if [ "$FILE_CHANGED" -eq 1 ] && [ -f "$ROOT/var/lib/kubelet/config.yaml" ]; then
    systemctl restart kubelet
  fi
  # Offline, kubelet's unit arrives with the bundle, which enables it.
  [ "$OFFLINE" = true ] || systemctl is-enabled --quiet kubelet || systemctl enable kubelet
}

# Offline: the machine only; the bundle brings packages, containerd and kubelet (install-bundle.sh).
prepare_machine_only() {
  wait_for_cloud_init
  set_hostname
  disable_swap
  kernel_setup
  configure_kubelet
  log "machine ready; Kubernetes comes from the offline bundle"
}

main() {
  check_inputs
  check_os
  check_cgroup_v2
  if [ "$OFFLINE" = true ]; then
    prepare_machine_only
    return 0
  fi
  check_version_change
  wait_for_cloud_init
  check_containerd_package
  set_hostname
  disable_swap
  kernel_setup
  install_base_packages
  kubernetes_repo
  # Before any package is installed, so one apt-get update covers both new sources.
  docker_repo
  install_kubernetes_packages
  install_containerd
  configure_containerd
  hold_containerd
  configure_kubelet
  STEP="reading the kubeadm version"
  local version
  version="$(kubeadm version -o short)"
  [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || die "unexpected 'kubeadm version -o short' output: $version"
  log "node ready for kubeadm ${version}"
  echo "KUBEADM_VERSION=${version}" >&3
}

main
