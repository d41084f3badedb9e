#!/usr/bin/env bats
# scripts/bundle/check-images.sh: argument checks always; the real check (import every image, run
# the app) only with KUBELAB_CHECK_BUNDLE=DIR set to a built bundle, as root.

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../../scripts/bundle/check-images.sh"
}

@test "a directory without manifest.json is refused before anything starts" {
  dir=$(mktemp -d)
  run "$SCRIPT" "$dir"
  rmdir "$dir"
  [ "$status" -eq 2 ]
  [[ "$output" == *"has no manifest.json"* ]]
}

@test "every image of a built bundle imports with its reference and the app works end to end" {
  [ -n "${KUBELAB_CHECK_BUNDLE:-}" ] || skip "set KUBELAB_CHECK_BUNDLE to a built bundle to run the image check"
  [ "$(id -u)" = 0 ] || skip "the image check runs containerd and needs root"
  run "$SCRIPT" "$KUBELAB_CHECK_BUNDLE"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *"the app answers end to end"* ]]
}
