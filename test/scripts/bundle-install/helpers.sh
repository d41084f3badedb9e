# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are read by the .bats files that source this
# shellcheck disable=SC2016 # stub bodies are bash source, expanded when the stub runs
# Sandbox for scripts/node/install-bundle.sh: a fake root (KUBELAB_ROOT), a small fake bundle, and a
# PATH holding only stubs plus a few real text tools, so any command nobody stubbed (a download
# tool included) fails with 127 instead of touching the machine running the tests.
# Every stub appends "name args..." to $CALLS; the fake bundle's ctr and the stub ctr keep a tiny
# image store in $STUB_STATE/images ("ref digest labels" lines).

SCRIPT="$(cd "$BATS_TEST_DIRNAME/../../../scripts/node" && pwd)/install-bundle.sh"

REAL_TOOLS=(bash cat mkdir install cmp mktemp rm awk grep sed chmod timeout dirname head tail sort tr cp
  touch stat sha256sum mv cut find xargs cksum)

K8S=kubelab.local/k8s
PAUSE="$K8S/pause:3.10.2"
FLANNEL="kubelab.local/flannel-io/flannel:v0.28.10"
# kind, path in the bundle, install path / image ref / cni, image purpose.
BUNDLE_FILES=(
  "binary bin/kubeadm /usr/local/bin/kubeadm"
  "binary bin/kubelet /usr/local/bin/kubelet"
  "binary bin/kubectl /usr/local/bin/kubectl"
  "binary bin/containerd /usr/local/bin/containerd"
  "binary bin/containerd-shim-runc-v2 /usr/local/bin/containerd-shim-runc-v2"
  "binary bin/ctr /usr/local/bin/ctr"
  "binary bin/runc /usr/local/sbin/runc"
  "binary cni/bridge /opt/cni/bin/bridge"
  "binary cni/host-local /opt/cni/bin/host-local"
  "binary cni/loopback /opt/cni/bin/loopback"
  "binary cni/portmap /opt/cni/bin/portmap"
  "unit units/containerd.service /etc/systemd/system/containerd.service"
  "unit units/kubelet.service /etc/systemd/system/kubelet.service"
  "unit units/10-kubeadm.conf /etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
  "image images/pause.tar $PAUSE pause"
  "image images/kube-apiserver.tar $K8S/kube-apiserver:v1.36.3 kube-apiserver"
  "image images/etcd.tar $K8S/etcd:3.6.8-0 etcd"
  "image images/coredns.tar $K8S/coredns:v1.14.2 coredns"
  "image images/flannel.tar $FLANNEL cni:flannel/flannel"
  "chart charts/flannel.tgz flannel"
)

sandbox_setup() {
  SANDBOX="$BATS_TEST_TMPDIR"
  FAKE_ROOT="$SANDBOX/root"
  STUB_BIN="$SANDBOX/bin"
  STUB_STATE="$SANDBOX/state"
  CALLS="$STUB_STATE/calls"
  BUNDLE="$SANDBOX/var-tmp/kubelab-bundle-0123456789abcdef"
  mkdir -p "$FAKE_ROOT" "$STUB_BIN" "$STUB_STATE" "$SANDBOX/tmp" "$BUNDLE"
  : >"$CALLS"
  : >"$STUB_STATE/images"
  local tool
  for tool in "${REAL_TOOLS[@]}"; do ln -s "$(command -v "$tool")" "$STUB_BIN/$tool"; done
  default_stubs
  make_bundle
}

# stub NAME [BODY]: an executable NAME on the sandbox PATH running BODY (bash) after logging the call.
stub() {
  local name="$1" body="${2:-}"
  cat >"$STUB_BIN/$name" <<STUB
#!/usr/bin/env bash
echo "$name \$*" >>"\$STUB_STATE/calls"
if [ -f "\$STUB_STATE/fail.$name" ]; then echo "$name: stubbed failure" >&2; exit "\$(cat "\$STUB_STATE/fail.$name")"; fi
for arg in "\$@"; do
  case "\$arg" in */*) continue ;; esac
  if [ -f "\$STUB_STATE/fail.$name.\$arg" ]; then echo "$name \$arg: stubbed failure" >&2; exit "\$(cat "\$STUB_STATE/fail.$name.\$arg")"; fi
done
$body
STUB
  chmod +x "$STUB_BIN/$name"
}

default_stubs() {
  local cmd
  # Download and package tools: present only so that a call is recorded (and asserted absent).
  for cmd in sleep curl wget apt-get apt apt-key add-apt-repository gpg dpkg; do stub "$cmd"; done
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
  # The image store: `import` reads the "ref=" lines of the (fake) archive and records each ref
  # with the archive checksum as digest, unless "import-drops-refs" exists; `ls` prints the
  # columns of `ctr images ls`; `version` answers while containerd is active and not "containerd-down".
  stub ctr '
[ "$1" = -n ] && shift 2
store="$STUB_STATE/images"
case "$1 ${2:-}" in
  "version ")
    grep -qxF containerd "$STUB_STATE/active" 2>/dev/null && [ ! -f "$STUB_STATE/containerd-down" ] || exit 1
    # "containerd-late" holds how many more times containerd does not answer yet.
    late="$(cat "$STUB_STATE/containerd-late" 2>/dev/null || echo 0)"
    if [ "$late" -gt 0 ]; then echo $((late - 1)) >"$STUB_STATE/containerd-late"; exit 1; fi ;;
  "images ls")
    echo "REF TYPE DIGEST SIZE PLATFORMS LABELS"
    while read -r ref digest labels; do
      echo "$ref application/vnd.oci.image.manifest.v1+json $digest 1.2 MiB linux/amd64 $labels"
    done <"$store" ;;
  "images import")
    label="$4" archive="$5"
    digest="sha256:$(sha256sum <"$archive" | cut -c1-64)"
    [ -f "$STUB_STATE/import-drops-refs" ] && exit 0
    while IFS="=" read -r key ref; do
      [ "$key" = ref ] || continue
      grep -v "^$ref " "$store" >"$store.new" || true
      echo "$ref $digest $label" >>"$store.new"
      mv "$store.new" "$store"
    done <"$archive" ;;
  "images label")
    awk -v ref="$3" -v label="$4" '\''$1 == ref { $3 = ($3 == "-" ? label : $3 "," label) } { print }'\'' "$store" >"$store.new"
    mv "$store.new" "$store" ;;
esac'
}

# A bundle file: the fake binaries are scripts that behave as far as install-bundle.sh asks them.
bundle_file_content() {
  local kind="$1" path="$2" target="$3"
  case "$path" in
    bin/kubeadm) printf '%s\n' '#!/usr/bin/env bash' '# fake kubeadm' \
      'if [ "$*" = "version -o short" ]; then cat "$STUB_STATE/kubeadm-version" 2>/dev/null || echo v1.36.3; fi' ;;
    bin/containerd) printf '%s\n' '#!/usr/bin/env bash' '# fake containerd' \
      'echo "containerd github.com/containerd/containerd/v2 v$(cat "$STUB_STATE/containerd-version" 2>/dev/null || echo 2.2.1) 0123abc"' ;;
    bin/ctr) printf '%s\n' '#!/usr/bin/env bash' "exec '$STUB_BIN/ctr' \"\$@\"" ;;
    images/*) echo "ref=$target" ;;
    *) echo "fake $kind $path" ;;
  esac
}

make_bundle() {
  local entry kind path target
  for entry in "${BUNDLE_FILES[@]}"; do
    read -r kind path target _ <<<"$entry"
    mkdir -p "$BUNDLE/$(dirname "$path")"
    bundle_file_content "$kind" "$path" "$target" >"$BUNDLE/$path"
  done
  write_manifest
}

sha256_of() { sha256sum <"$1" | cut -c1-64; }

# manifest.json and the index of what the bundle holds now (run again after changing a file on
# purpose; change a file without it to damage the bundle).
write_manifest() {
  local entry kind path target purpose sha size files=() extra
  INDEX=""
  for entry in "${BUNDLE_FILES[@]}"; do
    read -r kind path target purpose <<<"$entry"
    sha="$(sha256_of "$BUNDLE/$path")"
    size="$(stat -c %s "$BUNDLE/$path")"
    case "$kind" in
      image) extra="\"ref\": \"$target\", \"purpose\": \"$purpose\"" ;;
      chart) extra="\"cni\": \"$target\", \"version\": \"v0.28.10\"" ;;
      *) extra="\"install\": \"$target\"" ;;
    esac
    files+=("{\"kind\": \"$kind\", \"path\": \"$path\", \"sha256\": \"$sha\", \"size\": $size, $extra}")
    INDEX+="$sha $kind $path $target"$'\n'
  done
  {
    printf '{"schemaVersion": 1, "kubernetesVersion": "v1.36.3", "imageRepository": "%s",\n' "$K8S"
    printf ' "etcdImageTag": "3.6.8-0", "corednsImageTag": "v1.14.2", "pauseImage": "%s",\n "files": [\n' "$PAUSE"
    local IFS=,
    printf '%s\n' "${files[*]}"
    printf ']}\n'
  } >"$BUNDLE/manifest.json"
  MANIFEST_SHA="$(sha256_of "$BUNDLE/manifest.json")"
}

# install_bundle [VAR=value...]: runs the script the way components/remote.ts runs node scripts,
# with the index kubelab passes; later assignments win.
install_bundle() {
  run --separate-stderr env -i PATH="$STUB_BIN" HOME="$SANDBOX" TMPDIR="$SANDBOX/tmp" \
    KUBELAB_ROOT="$FAKE_ROOT" STUB_STATE="$STUB_STATE" BUNDLE_DIR="$BUNDLE" BUNDLE_INDEX="$INDEX" \
    MANIFEST_SHA256="$MANIFEST_SHA" KUBERNETES_VERSION=v1.36.3 PAUSE_IMAGE="$PAUSE" "$@" \
    "$STUB_BIN/bash" -c "$(cat "$SCRIPT")" install-bundle.sh
}

called() { grep -qxF -- "$1" "$CALLS"; }
called_like() { grep -qE -- "$1" "$CALLS"; }
count_calls() { grep -cE -- "$1" "$CALLS" || true; }

fail() {
  echo "$*" >&2
  return 1
}

# Every file under the fake root with its mode, mtime and checksum.
tree_state() {
  (cd "$FAKE_ROOT" && find . -type f -print0 | sort -z | xargs -0 -r stat -c '%n %Y %a' &&
    find . -type f -print0 | sort -z | xargs -0 -r cksum)
}

# The lines of a TOML table, up to the next table header.
toml_table() {
  awk -v header="$2" '$0 == header { inside = 1; next } /^\[/ { inside = 0 } inside && NF' "$1"
}

# install_bundle_dead_channel [VAR=value...]: like install_bundle, but stdout and stderr are a pipe
# nobody reads any more, as after the SSH session dropped; only files and $CALLS tell what it did.
install_bundle_dead_channel() {
  {
    trap '' PIPE
    while echo probe 2>/dev/null; do :; done
    exec env --default-signal=PIPE -i PATH="$STUB_BIN" HOME="$SANDBOX" TMPDIR="$SANDBOX/tmp" \
      KUBELAB_ROOT="$FAKE_ROOT" STUB_STATE="$STUB_STATE" BUNDLE_DIR="$BUNDLE" BUNDLE_INDEX="$INDEX" \
      MANIFEST_SHA256="$MANIFEST_SHA" KUBERNETES_VERSION=v1.36.3 PAUSE_IMAGE="$PAUSE" "$@" \
      "$STUB_BIN/bash" -c "$(cat "$SCRIPT")" install-bundle.sh 2>&1
  } | true
}
