#!/usr/bin/env bash
# Installs kubelab's offline bundle (README "Offline installs") on a node: every file checked against
# manifest.json first, then the binaries and systemd units installed, containerd 2.x configured and
# started, every image imported into containerd's k8s.io namespace pinned (kubelet's image garbage
# collector never removes pinned images), and kubelet enabled (kubeadm starts it). Nothing is
# downloaded and no package source is added.
# The file list comes from BUNDLE_INDEX, lines "<sha256> <kind> <path> <install path|image ref|cni>"
# that kubelab derives from manifest.json; MANIFEST_SHA256 ties that index to the manifest.json on
# this node, so no JSON tool is needed (minimal node images have neither jq nor python3). Without
# BUNDLE_INDEX, jq reads manifest.json itself.
# Safe to re-run: files are only rewritten, services only restarted and images only imported when
# their content changed.
# stdout: a summary line, then `KUBEADM_VERSION=<kubeadm version -o short>` last; progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

: "${BUNDLE_DIR:?BUNDLE_DIR is required (the directory on this node holding the bundle and its manifest.json)}"
BUNDLE_INDEX="${BUNDLE_INDEX:-}"
MANIFEST_SHA256="${MANIFEST_SHA256:-}"
KUBERNETES_VERSION="${KUBERNETES_VERSION:-}"
PAUSE_IMAGE="${PAUSE_IMAGE:-}"
# Machine containers without CAP_SYS_RESOURCE cannot lower a process's oom_score_adj: containerd
# then keeps every container's at or above its own (see containerd_config).
RESTRICT_OOM_SCORE_ADJ="${RESTRICT_OOM_SCORE_ADJ:-false}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
# BUNDLE_DIR is used as given.
ROOT="${KUBELAB_ROOT:-}"
BUNDLE_DIR="${BUNDLE_DIR%/}"

# Which image archive was imported as which image: "<ref> <digest>" per archive checksum.
IMPORTED_DIR="$ROOT/var/lib/kubelab/bundle/images"
CONTAINERD_CONFIG=/etc/containerd/config.toml
LOG="$ROOT/var/log/kubelab-install-bundle.log"
PINNED_LABEL=io.cri-containerd.pinned=pinned
CONTAINERD_ATTEMPTS=30
CONTAINERD_RETRY_SECONDS=2
IMPORT_TIMEOUT=900
LINE_FORMAT="'<sha256> <kind> <path> <install path|image ref|cni>'"

# When the SSH session drops, stdout and stderr are dead pipes; a progress line must not stop the
# install halfway (SIGPIPE, or EPIPE under set -e). ctr, a Go program that dies of SIGPIPE even
# with it ignored here, writes only to the log.
trap '' PIPE
exec 3>&1 1>&2
STEP="starting"
log() { echo "install-bundle.sh: $*" >&2 2>/dev/null || true; }
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
say() { echo "$*" >&3 2>/dev/null || true; }

sha256_of() {
  local out
  out="$(sha256sum <"$1")"
  printf '%s' "${out%% *}"
}

# The index, one array per column.
E_SHA=() E_KIND=() E_PATH=() E_TARGET=()

# Fills KUBERNETES_VERSION or PAUSE_IMAGE from manifest.json; a value also given must agree.
from_manifest() {
  local var="$1" field="$2" value
  value="$(jq -r "$field // empty" "$BUNDLE_DIR/manifest.json")" || die "manifest.json is not valid JSON; rebuild the bundle"
  [ -n "$value" ] || die "manifest.json has no ${field#.}; rebuild the bundle"
  if [ -n "${!var}" ] && [ "${!var}" != "$value" ]; then die "${var} is '${!var}' but manifest.json says '${value}'"; fi
  printf -v "$var" '%s' "$value"
}

read_index() {
  step "reading the bundle index"
  [[ "$BUNDLE_DIR" == /* ]] || die "BUNDLE_DIR '$BUNDLE_DIR' is not an absolute path"
  [ -d "$BUNDLE_DIR" ] || die "BUNDLE_DIR $BUNDLE_DIR is not a directory; copy the bundle to this node first"
  check_owner
  local manifest="$BUNDLE_DIR/manifest.json" actual text
  [ -f "$manifest" ] || die "$manifest is missing: the bundle copy on this node is incomplete; copy the bundle again"
  actual="$(sha256_of "$manifest")"
  if [ -n "$MANIFEST_SHA256" ] && [ "$actual" != "$MANIFEST_SHA256" ]; then
    die "$manifest has sha256 ${actual}, not ${MANIFEST_SHA256}: it is not the manifest kubelab checked; copy the bundle again"
  fi
  if [ -n "$BUNDLE_INDEX" ]; then
    [ -n "$MANIFEST_SHA256" ] || die "MANIFEST_SHA256 is required with BUNDLE_INDEX (it ties the index to manifest.json)"
    [ -n "$KUBERNETES_VERSION" ] || die "KUBERNETES_VERSION is required with BUNDLE_INDEX (manifest.json's kubernetesVersion)"
    [ -n "$PAUSE_IMAGE" ] || die "PAUSE_IMAGE is required with BUNDLE_INDEX (manifest.json's pauseImage)"
    text="$BUNDLE_INDEX"
  elif command -v jq >/dev/null 2>&1; then
    text="$(jq -r '.files[] | "\(.sha256) \(.kind) \(.path) \(.install // .ref // .cni)"' "$manifest")" ||
      die "manifest.json is not valid JSON or has no files list; rebuild the bundle"
    from_manifest KUBERNETES_VERSION .kubernetesVersion
    from_manifest PAUSE_IMAGE .pauseImage
  else
    die "BUNDLE_INDEX is not set and jq is not installed, so manifest.json cannot be read; pass BUNDLE_INDEX (kubelab derives it from manifest.json) or install jq"
  fi
  [[ "$KUBERNETES_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KUBERNETES_VERSION '$KUBERNETES_VERSION' is not an exact version such as v1.36.3"
  valid_ref "$PAUSE_IMAGE" || die "PAUSE_IMAGE '$PAUSE_IMAGE' is not an image reference REPO:TAG"
  [[ "$RESTRICT_OOM_SCORE_ADJ" =~ ^(true|false)$ ]] || die "RESTRICT_OOM_SCORE_ADJ '$RESTRICT_OOM_SCORE_ADJ' must be true or false"
  parse_index "$text"
}

# The copy sits in a world-writable parent (/var/tmp): a tree another local user owns or may write
# to could have files swapped between their check and their install.
check_owner() {
  local uid="${SUDO_UID:-0}" found
  OWNER="$(stat -c %u "$BUNDLE_DIR")"
  [ "$OWNER" = 0 ] || [ "$OWNER" = "$uid" ] ||
    die "$BUNDLE_DIR belongs to uid ${OWNER}, neither root nor the user running this install (uid ${uid}); remove it and copy the bundle again"
  found="$(find "$BUNDLE_DIR" \( \( ! -uid 0 ! -uid "$uid" \) -o \( ! -type l -perm -o+w \) \) -print -quit)"
  [ -z "$found" ] || die "$found belongs to another user or is writable by others; remove $BUNDLE_DIR and copy the bundle again"
}

# A relative path inside the bundle: no leading slash, no `..` component.
valid_path() { [[ "$1" =~ ^[A-Za-z0-9._+/-]+$ && "$1" != /* && ! "$1" =~ (^|/)\.\.(/|$) ]]; }
valid_ref() { [[ "$1" =~ ^[a-z0-9._/:-]+:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$ ]]; }

valid_target() {
  local kind="$1" target="$2"
  case "$kind" in
    binary) [[ "$target" =~ ^/[A-Za-z0-9._/-]+$ && ! "$target" =~ (^|/)\.\.(/|$) ]] ;;
    unit) [[ "$target" =~ ^/etc/systemd/system/[A-Za-z0-9@._/-]+$ && ! "$target" =~ (^|/)\.\.(/|$) ]] ;;
    image) valid_ref "$target" ;;
    chart) [[ "$target" =~ ^[a-z]+$ ]] ;;
    *) return 1 ;;
  esac
}

parse_index() {
  local line n=0 sha kind path target extra
  while IFS= read -r line; do
    n=$((n + 1))
    [ -n "${line//[[:space:]]/}" ] || continue
    read -r sha kind path target extra <<<"$line"
    if [[ ! "$sha" =~ ^[a-f0-9]{64}$ ]] || ! valid_path "${path:-}" || ! valid_target "${kind:-}" "${target:-}" || [ -n "${extra:-}" ]; then
      die "bundle index line ${n} is not ${LINE_FORMAT}: ${line}"
    fi
    E_SHA+=("$sha") E_KIND+=("$kind") E_PATH+=("$path") E_TARGET+=("$target")
  done <<<"$1"
  [ "${#E_SHA[@]}" -gt 0 ] || die "the bundle index lists no files"
}

# The install path of the bundle's binary named NAME, empty when the bundle has none.
binary_named() {
  local i
  for i in "${!E_KIND[@]}"; do
    if [ "${E_KIND[$i]}" = binary ] && [ "${E_TARGET[$i]##*/}" = "$1" ]; then
      printf '%s' "${E_TARGET[$i]}"
      return 0
    fi
  done
}

has_target() {
  local i
  for i in "${!E_KIND[@]}"; do [ "${E_KIND[$i]}:${E_TARGET[$i]}" = "$1:$2" ] && return 0; done
  return 1
}

# What this script itself runs or starts must be in the bundle; checked before anything changes.
require_pieces() {
  local missing=() name
  for name in kubeadm kubelet containerd ctr; do
    [ -n "$(binary_named "$name")" ] || missing+=("binary ${name}")
  done
  for name in containerd.service kubelet.service; do
    has_target unit "/etc/systemd/system/$name" || missing+=("unit /etc/systemd/system/${name}")
  done
  has_target image "$PAUSE_IMAGE" || missing+=("image ${PAUSE_IMAGE} (pauseImage)")
  [ "${#missing[@]}" -eq 0 ] || die "the bundle lacks $(join_by ', ' "${missing[@]}"); rebuild it with npm run bundle"
  KUBEADM="$ROOT$(binary_named kubeadm)"
  CONTAINERD="$ROOT$(binary_named containerd)"
  CTR="$ROOT$(binary_named ctr)"
}

join_by() {
  local separator="$1" out="$2" item
  shift 2
  for item in "$@"; do out+="${separator}${item}"; done
  printf '%s' "$out"
}

verify_files() {
  step "checking ${#E_PATH[@]} bundle files against manifest.json"
  local i file actual bad=()
  for i in "${!E_PATH[@]}"; do
    file="$BUNDLE_DIR/${E_PATH[$i]}"
    if [ ! -f "$file" ]; then
      bad+=("${E_PATH[$i]} is missing")
      continue
    fi
    actual="$(sha256_of "$file")"
    [ "$actual" = "${E_SHA[$i]}" ] || bad+=("${E_PATH[$i]} has sha256 ${actual}, manifest.json says ${E_SHA[$i]}")
  done
  [ "${#bad[@]}" -eq 0 ] ||
    die "nothing installed: $(join_by '; ' "${bad[@]}"); copy the bundle to this node again, or rebuild it with npm run bundle"
}

# Installs SRC at DEST with MODE unless DEST already has that content and mode; true when it wrote.
# The new file is renamed into place, so a running binary is replaced, never half-written.
install_file() {
  local src="$1" dest="$2" mode="$3"
  if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then return 1; fi
  install -D -m "$mode" "$src" "$dest.kubelab-new"
  mv -f "$dest.kubelab-new" "$dest"
}

# Installs every file of KIND with MODE; CHANGED lists the install paths it wrote.
CHANGED=()
install_kind() {
  local kind="$1" mode="$2" i
  CHANGED=()
  for i in "${!E_KIND[@]}"; do
    [ "${E_KIND[$i]}" = "$kind" ] || continue
    if install_file "$BUNDLE_DIR/${E_PATH[$i]}" "$ROOT${E_TARGET[$i]}" "$mode"; then
      log "installed ${E_TARGET[$i]}"
      CHANGED+=("${E_TARGET[$i]}")
    fi
  done
}

count_kind() {
  local i n=0
  for i in "${!E_KIND[@]}"; do [ "${E_KIND[$i]}" != "$1" ] || n=$((n + 1)); done
  printf '%s' "$n"
}

# Whether any of CHANGED matches the extended regex $1.
changed_matching() {
  local path
  for path in "${CHANGED_ALL[@]}"; do [[ "$path" =~ $1 ]] && return 0; done
  return 1
}

CHANGED_ALL=()
install_binaries_and_units() {
  step "installing binaries"
  install_kind binary 0755
  BINARIES_CHANGED="${#CHANGED[@]}"
  CHANGED_ALL+=("${CHANGED[@]}")
  step "installing systemd units"
  install_kind unit 0644
  UNITS_CHANGED="${#CHANGED[@]}"
  CHANGED_ALL+=("${CHANGED[@]}")
  if [ "$UNITS_CHANGED" -gt 0 ]; then systemctl daemon-reload; fi
}

containerd_config() {
  cat <<EOF
# Written by kubelab from the offline bundle, for containerd 2.x (config version 3). The whole file
# is kubelab's: no registry mirror, the bundle's pause image as sandbox, and the systemd cgroup
# driver that kubeadm gives kubelet.
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '$1'

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = $RESTRICT_OOM_SCORE_ADJ

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  $2
  conf_dir = '/etc/cni/net.d'
EOF
}

# Writes containerd's config; CONFIG_CHANGED says whether its content changed.
configure_containerd() {
  local version major minor bin_dirs
  version="$("$CONTAINERD" --version | grep -oE '(^| )v?[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n 1 | tr -d ' v')" || true
  [ -n "$version" ] || die "could not read the version from '$(binary_named containerd) --version'"
  major="${version%%.*}" minor="${version#*.}" minor="${minor%%.*}"
  [ "$major" = 2 ] || die "the bundle's containerd is ${version}; the offline install writes a containerd 2.x config (Kubernetes 1.36+ needs containerd 2): rebuild the bundle with containerd 2.x"
  # containerd 2.1 replaced the single bin_dir with a list (bin_dir is deprecated there).
  if ((10#$minor >= 1)); then bin_dirs="bin_dirs = ['/opt/cni/bin']"; else bin_dirs="bin_dir = '/opt/cni/bin'"; fi
  step "writing ${CONTAINERD_CONFIG} for containerd ${version} (sandbox ${PAUSE_IMAGE})"
  local tmp
  tmp="$(mktemp)"
  containerd_config "$PAUSE_IMAGE" "$bin_dirs" >"$tmp"
  CONFIG_CHANGED=0
  if install_file "$tmp" "$ROOT$CONTAINERD_CONFIG" 0644; then CONFIG_CHANGED=1; fi
  rm -f "$tmp"
}

start_containerd() {
  CONTAINERD_STATE="running unchanged"
  systemctl is-enabled --quiet containerd || systemctl enable containerd
  if ! systemctl is-active --quiet containerd; then
    step "starting containerd"
    systemctl start containerd
    CONTAINERD_STATE="started"
  elif [ "$CONFIG_CHANGED" = 1 ] || changed_matching '/containerd$|/containerd\.service(\.d/.*)?$'; then
    step "restarting containerd (its binary, unit or config changed)"
    systemctl restart containerd
    CONTAINERD_STATE="restarted"
  fi
  step "waiting for containerd to answer (at most $((CONTAINERD_ATTEMPTS * CONTAINERD_RETRY_SECONDS))s)"
  local attempt
  for ((attempt = 1; attempt <= CONTAINERD_ATTEMPTS; attempt++)); do
    if timeout 10 "$CTR" version >/dev/null 2>&1; then return 0; fi
    if ((attempt < CONTAINERD_ATTEMPTS)); then sleep "$CONTAINERD_RETRY_SECONDS"; fi
  done
  die "containerd did not answer on /run/containerd/containerd.sock within $((CONTAINERD_ATTEMPTS * CONTAINERD_RETRY_SECONDS))s; see 'journalctl -u containerd'"
}

# `ctr images ls` columns: REF TYPE DIGEST SIZE (two words) PLATFORMS LABELS.
image_listing() { timeout 60 "$CTR" -n k8s.io images ls 2>>"$LOG"; }
listed_digest() { awk -v ref="$1" 'NR > 1 && $1 == ref { print $3; exit }' <<<"$2"; }
listed_pinned() {
  awk -v ref="$1" -v label="$PINNED_LABEL" '
    NR > 1 && $1 == ref { n = split($NF, labels, ","); for (i = 1; i <= n; i++) if (labels[i] == label) found = 1 }
    END { exit !found }' <<<"$2"
}

import_archive() {
  local archive="$1" rc=0
  timeout "$IMPORT_TIMEOUT" "$CTR" -n k8s.io images import --label "$PINNED_LABEL" "$archive" </dev/null >>"$LOG" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    die "ctr images import of ${archive} failed (exit ${rc}); see /var/log/kubelab-install-bundle.log"
  fi
}

# Imports each image archive unless its ref is present with the digest recorded when this same
# archive was imported; pins every ref.
import_images() {
  local i ref archive marker listing digest
  IMAGES_IMPORTED=0 IMAGES_PRESENT=0
  mkdir -p "$IMPORTED_DIR" "$(dirname "$LOG")"
  listing="$(image_listing)"
  for i in "${!E_KIND[@]}"; do
    [ "${E_KIND[$i]}" = image ] || continue
    ref="${E_TARGET[$i]}" archive="$BUNDLE_DIR/${E_PATH[$i]}" marker="$IMPORTED_DIR/${E_SHA[$i]}"
    digest="$(listed_digest "$ref" "$listing")"
    if [ -n "$digest" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$ref $digest" ]; then
      IMAGES_PRESENT=$((IMAGES_PRESENT + 1))
    else
      step "importing ${E_PATH[$i]} as ${ref}"
      import_archive "$archive"
      listing="$(image_listing)"
      digest="$(listed_digest "$ref" "$listing")"
      [ -n "$digest" ] || die "importing ${E_PATH[$i]} did not create the image ${ref}: the archive must carry that name (annotation io.containerd.image.name); rebuild the bundle"
      echo "$ref $digest" >"$marker"
      IMAGES_IMPORTED=$((IMAGES_IMPORTED + 1))
    fi
    if ! listed_pinned "$ref" "$listing"; then
      log "pinning ${ref}"
      timeout 60 "$CTR" -n k8s.io images label "$ref" "$PINNED_LABEL" >>"$LOG" 2>&1
    fi
  done
}

# Every ref of the bundle must now be in containerd, pinned.
verify_images() {
  step "checking every bundle image is in containerd, pinned"
  local i listing bad=()
  listing="$(image_listing)"
  for i in "${!E_KIND[@]}"; do
    [ "${E_KIND[$i]}" = image ] || continue
    if [ -z "$(listed_digest "${E_TARGET[$i]}" "$listing")" ]; then
      bad+=("${E_TARGET[$i]} is missing")
    elif ! listed_pinned "${E_TARGET[$i]}" "$listing"; then
      bad+=("${E_TARGET[$i]} is not pinned")
    fi
  done
  [ "${#bad[@]}" -eq 0 ] || die "after the import: $(join_by '; ' "${bad[@]}"); see /var/log/kubelab-install-bundle.log"
}

enable_kubelet() {
  systemctl is-enabled --quiet kubelet || systemctl enable kubelet
  # Before kubeadm init/join kubelet has no config and restarts on its own; a running one must be
  # told about a new binary or unit.
  if changed_matching '/kubelet$|/kubelet\.service(\.d/.*)?$' && systemctl is-active --quiet kubelet; then
    step "restarting kubelet (its binary or unit changed)"
    systemctl restart kubelet
  fi
}

# Copies of earlier bundles (other manifest hashes) next to this one, by the same owner, are not
# used any more.
remove_earlier_copies() {
  local name dir pattern='^kubelab-bundle-[0-9a-f]+$'
  name="${BUNDLE_DIR##*/}"
  [[ "$name" =~ $pattern ]] || return 0
  for dir in "${BUNDLE_DIR%/*}"/kubelab-bundle-*; do
    if [ ! -d "$dir" ] || [ "$dir" = "$BUNDLE_DIR" ] || [[ ! "${dir##*/}" =~ $pattern ]]; then continue; fi
    [ "$(stat -c %u "$dir")" = "$OWNER" ] || continue
    log "removing ${dir}, the copy of an earlier bundle"
    rm -rf -- "$dir"
  done
}

main() {
  read_index
  require_pieces
  verify_files
  install_binaries_and_units
  configure_containerd
  start_containerd
  import_images
  verify_images
  enable_kubelet
  STEP="reading the kubeadm version"
  local version
  version="$("$KUBEADM" version -o short)"
  [ "$version" = "$KUBERNETES_VERSION" ] ||
    die "the bundle's kubeadm reports '${version}', but manifest.json says ${KUBERNETES_VERSION}; rebuild the bundle"
  remove_earlier_copies
  say "install-bundle.sh: Kubernetes ${KUBERNETES_VERSION} from the bundle: $(count_kind binary) binaries (${BINARIES_CHANGED} updated), $(count_kind unit) units (${UNITS_CHANGED} updated), $(count_kind image) images (${IMAGES_IMPORTED} imported, ${IMAGES_PRESENT} already present), containerd ${CONTAINERD_STATE}"
  say "KUBEADM_VERSION=${version}"
}

main
