#!/usr/bin/env bash
# `npm run toolchain [-- --check]`: the Pulumi CLI, its Node.js language host and the two provider
# plugins kubelab uses, built from Go modules (one wrapper module per component in this folder) into
#   ${KUBELAB_CACHE:-~/.cache/kubelab}/toolchain/<component>-<version>/
# then the CLI and language host side by side in toolchain/bin/ (the engine looks for its language
# plugins beside its own executable) and the providers installed into the toolchain's PULUMI_HOME.
# A component whose folder holds a `.built` stamp matching its sources is not built again; a build
# goes to a temporary folder and is renamed when complete, so an interrupted run resumes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/toolchain/env.sh
source "$here/env.sh"
export PULUMI_HOME="$TOOLCHAIN_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# The npm SDK's plugin version: the engine only loads a plugin whose version equals it exactly.
sdk_plugin_version() {
  node -e 'const p = require(process.argv[1] + "/package.json"); process.stdout.write(p.pulumi.version)' \
    "$repo/node_modules/@pulumi/$1" 2>/dev/null ||
    die "node_modules/@pulumi/$1 is missing: run npm ci first"
}

# The version a wrapper module pins for a required module (from its go.mod).
required_version() { # DIR MODULE
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$1/go.mod"
}

# Everything that decides a component's binary: its wrapper sources, Go version and build flags.
source_stamp() { # DIR FLAGS...
  local dir="$1"
  shift
  {
    go version
    printf '%s\n' "$@"
    (cd "$dir" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'VERSION' \) \
      -not -name '*_test.go' -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}

# build COMPONENT VERSION DIR PACKAGE BINARY LDFLAGS [TAGS]
build() {
  local component="$1" version="$2" dir="$3" package="$4" binary="$5" ldflags="$6" tags="${7:-}"
  local out="$TOOLCHAIN_DIR/$component-$version" stamp started
  stamp="$(source_stamp "$dir" "$package" "$ldflags" "$tags")"
  if [ -f "$out/.built" ] && [ "$(cat "$out/.built")" = "$stamp" ]; then
    printf '%-28s cached  %s\n' "$component $version" "$out"
    return 0
  fi
  started=$SECONDS
  local tmp="$out.partial"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if [ -x "$dir/prepare.sh" ]; then (cd "$dir" && ./prepare.sh "$version"); fi
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp/$binary" "$package") ||
    die "building $component $version failed (see the go output above); re-run to resume"
  echo "$stamp" >"$tmp/.built"
  rm -rf "$out" && mv "$tmp" "$out"
  printf '%-28s built   %4ss  %s\n' "$component $version" "$((SECONDS - started))" "$out"
}

check() {
  local missing=0 component version dir
  while read -r component version dir; do
    if [ -f "$TOOLCHAIN_DIR/$component-$version/.built" ]; then
      printf '%-28s built    %s\n' "$component $version" "$TOOLCHAIN_DIR/$component-$version"
    else
      printf '%-28s missing  (npm run toolchain)\n' "$component $version"
      missing=1
    fi
  done < <(components)
  [ -x "$TOOLCHAIN_BIN/pulumi" ] && echo "pulumi on the toolchain path: $TOOLCHAIN_BIN/pulumi" || missing=1
  return "$missing"
}

pulumi_version() { required_version "$here/pulumi" github.com/pulumi/pulumi/pkg/v3; }
kubernetes_version() { cat "$here/kubernetes/VERSION"; }

components() {
  echo "pulumi $(pulumi_version) $here/pulumi"
  echo "language-nodejs $(pulumi_version) $here/language-nodejs"
  echo "command $(sdk_plugin_version command) $here/command"
  echo "kubernetes $(kubernetes_version) $here/kubernetes"
}

main() {
  if [ "${1:-}" = "--check" ]; then
    check
    return
  fi
  [ $# -eq 0 ] || die "usage: npm run toolchain [-- --check]"
  command -v go >/dev/null || die "Go is not installed: install Go 1.26 (https://go.dev/doc/install or apt) and re-run"
  local pv kv cv
  pv="$(pulumi_version)"
  kv="$(kubernetes_version)"
  cv="$(sdk_plugin_version command)"
  [ "$(sdk_plugin_version kubernetes)" = "$kv" ] ||
    die "@pulumi/kubernetes asks for plugin $(sdk_plugin_version kubernetes), but the provider built here is $kv (the only version the Go module proxy serves): pin @pulumi/kubernetes to $kv in package.json"
  mkdir -p "$TOOLCHAIN_DIR" "$TOOLCHAIN_BIN" "$PULUMI_HOME"
  log "building into $TOOLCHAIN_DIR (a cold build takes 20-30 minutes on 2 cores; cached components take seconds)"
  local started=$SECONDS
  build pulumi "$pv" "$here/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pv" osusergo,grpcnotrace
  build language-nodejs "$pv" "$here/language-nodejs" . pulumi-language-nodejs "-s -w"
  build command "$cv" "$here/command" ./cmd/pulumi-resource-command pulumi-resource-command \
    "-s -w -X kubelab.local/toolchain/command/internal/version.Version=v$cv"
  build kubernetes "$kv" "$here/kubernetes" . pulumi-resource-kubernetes \
    "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kv"
  install -m 0755 "$TOOLCHAIN_DIR/pulumi-$pv/pulumi" "$TOOLCHAIN_DIR/language-nodejs-$pv/pulumi-language-nodejs" \
    "$TOOLCHAIN_BIN/"
  install_plugin command "$cv" "$TOOLCHAIN_DIR/command-$cv/pulumi-resource-command"
  install_plugin kubernetes "$kv" "$TOOLCHAIN_DIR/kubernetes-$kv/pulumi-resource-kubernetes"
  log "ready in $((SECONDS - started))s: $TOOLCHAIN_BIN/pulumi (plugins in $PULUMI_HOME)"
}

# The engine only loads a plugin whose version matches the SDK's exactly; reinstall when it changed.
install_plugin() { # NAME VERSION BINARY
  local target="$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1"
  if [ -x "$target" ] && cmp -s "$3" "$target"; then return 0; fi
  "$TOOLCHAIN_BIN/pulumi" plugin rm resource "$1" "$2" --yes >/dev/null 2>&1 || true
  "$TOOLCHAIN_BIN/pulumi" plugin install resource "$1" "$2" --file "$3" >&2
}

main "$@"
