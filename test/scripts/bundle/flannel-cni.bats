#!/usr/bin/env bats
# scripts/bundle/flannel-cni: the Go unit tests of the flannel CNI plugin, offline (module cache only).

setup() {
  command -v go >/dev/null || skip "go is not installed"
  CACHE=${KUBELAB_CACHE:-$HOME/.cache/kubelab}
  export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS=-modcacherw GOPROXY=off
  (cd "$BATS_TEST_DIRNAME/../../../scripts/bundle/flannel-cni" && go mod download) 2>/dev/null ||
    skip "the plugin's modules are not in $GOMODCACHE (run npm run bundle once)"
}

@test "the flannel CNI plugin's delegate configuration passes its unit tests" {
  cd "$BATS_TEST_DIRNAME/../../../scripts/bundle/flannel-cni"
  run go test ./...
  [ "$status" -eq 0 ] || { echo "$output"; false; }
}
